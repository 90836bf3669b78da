import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseArb, check, fill, type Case } from './helpers/gemm-check.js';
import type { GemmFn } from '../src/backends/cpu/gemm.js';
import { createWasmGemm, type BlockingOverrides } from '../src/backends/cpu/wasm/gemm-wasm.js';
import { createGemmThreads, rowBands, type GemmThreads } from '../src/backends/cpu/wasm/gemm-threads.js';

/** C after `gemm` on the case's operands (built as in check()), for bitwise comparison. */
function result(gemm: GemmFn, c: Case, bigA = 0): Float32Array | Float64Array {
  const T = c.f32 ? Float32Array : Float64Array;
  const [ar, ac] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [br, bc] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const lda = ac + c.padA, ldb = bc + c.padB, ldc = c.n + c.padC;
  // bigA > 0 puts A inside a much larger array, which the drivers pack from JS (not staged).
  const a = new T(c.offA + ar * lda + bigA), b = new T(c.offB + br * ldb), cc = new T(c.offC + c.m * ldc);
  fill(a, c.seed); fill(b, c.seed + 1); fill(cc, c.seed + 2);
  gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, c.offA, lda, b, c.offB, ldb, c.beta, cc, c.offC, ldc);
  return cc;
}

/** Small tiles and k-blocks, so modest shapes span several C tiles, k-blocks and row bands. */
const SMALL: BlockingOverrides = {
  f32: { kc: 16, tileM: 64, tileN: 64 },
  f64: { kc: 12, tileM: 48, tileN: 64 },
};

describe('row bands of a threaded job', () => {
  it('cover the rows in order, start at multiples of MR, shrink from the first, and stay within the table', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200000 }), fc.integer({ min: 2, max: 17 }), fc.constantFrom(1, 4, 8), (rows, threads, mr) => {
      const out: number[] = [];
      const count = rowBands(rows, mr, threads, out);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(1024);
      expect(out[0]).toBe(0);
      expect(out[count]).toBe(rows);
      for (let i = 1; i <= count; i++) {
        expect(out[i]).toBeGreaterThan(out[i - 1]);
        if (i < count) expect(out[i] % mr).toBe(0);
        expect(out[i] - out[i - 1]).toBeLessThanOrEqual(out[1]);
      }
    }));
  });

  it('give every thread a share of a 512-row job and end with short bands', () => {
    const out: number[] = [];
    const count = rowBands(512, 4, 2, out);
    expect(count).toBeGreaterThanOrEqual(8);
    expect(out[1]).toBe(128);
    expect(out[count] - out[count - 1]).toBeLessThanOrEqual(16);
  });
});

describe('worker-thread GEMM: same bits as one thread', () => {
  const pools: [number, BlockingOverrides, GemmThreads][] = [];
  beforeAll(async () => {
    for (const [threads, blocking] of [[2, {}], [2, SMALL], [3, SMALL]] as [number, BlockingOverrides][]) {
      const pool = await createGemmThreads(threads, blocking);
      expect(pool).not.toBeNull();
      pools.push([threads, blocking, pool!]);
    }
  });
  afterAll(() => {
    for (const [, , pool] of pools) pool.close();
  });

  it('random shapes, flags, strides, offsets, alpha/beta and dtypes equal the single-threaded wasm GEMM bit for bit', () => {
    for (const [, blocking, pool] of pools) {
      const single = createWasmGemm(undefined, blocking)!.gemm;
      fc.assert(fc.property(caseArb(150, 70), (c) => {
        expect(result(pool.gemm, c)).toEqual(result(single, c));
      }), { numRuns: 25 });
    }
  });

  it('edges: one row, one column, k = 1, odd sizes across tiles and k-blocks, both transposes, both dtypes', () => {
    const shapes = [[1, 1, 1], [1, 130, 7], [130, 1, 9], [67, 45, 1], [129, 131, 37], [200, 70, 33], [5, 300, 2], [333, 17, 50]];
    for (const [, blocking, pool] of pools) {
      const single = createWasmGemm(undefined, blocking)!.gemm;
      for (const [m, n, k] of shapes) {
        for (const f32 of [true, false]) {
          for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
            const c: Case = { m, n, k, transA, transB, padA: 1, padB: 2, padC: 3, offA: 2, offB: 1, offC: 3, alpha: -0.5, beta: 0.75, f32, seed: m * 7 + n + k };
            expect(result(pool.gemm, c)).toEqual(result(single, c));
            check(pool.gemm, { ...c, alpha: 1, beta: 0 });
          }
        }
      }
    }
  });

  it('an operand inside a much larger array (packed from JS, kernel shared out per k-block) gives the same bits', () => {
    for (const [, blocking, pool] of pools) {
      const single = createWasmGemm(undefined, blocking)!.gemm;
      for (const f32 of [true, false]) {
        for (const [m, n, k] of [[97, 61, 40], [130, 129, 3]]) {
          const c: Case = { m, n, k, transA: f32, transB: !f32, padA: 0, padB: 1, padC: 0, offA: 5, offB: 0, offC: 0, alpha: 1, beta: 0, f32, seed: k };
          expect(result(pool.gemm, c, 100000)).toEqual(result(single, c, 100000));
        }
      }
    }
  });

  it('many calls in a row with changing shapes and dtypes stay correct (job hand-over, memory growth)', () => {
    const [, , pool] = pools[0];
    fc.assert(fc.property(caseArb(300, 300), (c) => check(pool.gemm, c)), { numRuns: 20 });
  });
});
