import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseArb, check, fill, type Case } from './helpers/gemm-check.js';
import { THREADS_MIN_K, THREADS_MIN_WORK, threadsPay, type GemmFn } from '../src/backends/cpu/gemm.js';
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

describe('worker-thread GEMM on operands in the pool\'s shared memory (the runtime\'s temps while a pool runs)', () => {
  const pools: GemmThreads[] = [];
  beforeAll(async () => {
    for (const [threads, blocking] of [[2, {}], [2, SMALL], [3, SMALL]] as [number, BlockingOverrides][]) {
      const pool = await createGemmThreads(threads, blocking);
      expect(pool).not.toBeNull();
      pools.push(pool!);
    }
  });
  afterAll(() => {
    for (const pool of pools) pool.close();
  });

  /**
   * C after `gemm` with A, B and C as views of `pool`'s shared memory (C in place when alpha
   * is 1 and beta 0 or 1), each at an offset; `residentC` false leaves C in a JS array.
   */
  function residentResult(pool: GemmThreads, gemm: GemmFn, c: Case, residentC: boolean): Float32Array | Float64Array {
    const T = c.f32 ? Float32Array : Float64Array;
    const es = c.f32 ? 4 : 8;
    const [ar, ac] = c.transA ? [c.k, c.m] : [c.m, c.k];
    const [br, bc] = c.transB ? [c.n, c.k] : [c.k, c.n];
    const lda = ac + c.padA, ldb = bc + c.padB, ldc = c.n + c.padC;
    const la = c.offA + ar * lda, lb = c.offB + br * ldb, lc = c.offC + c.m * ldc;
    const buf = pool.engine.reserve((la + lb + lc + 48) * es);
    const a = new T(buf, 8 * es, la), b = new T(buf, (16 + la) * es, lb);
    const cc = residentC ? new T(buf, (24 + la + lb) * es, lc) : new T(lc);
    fill(a, c.seed); fill(b, c.seed + 1); fill(cc, c.seed + 2);
    gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, c.offA, lda, b, c.offB, ldb, c.beta, cc, c.offC, ldc);
    return cc.slice();
  }

  it('random shapes and scalars, C in place or not, equal the pool\'s one-thread engine bit for bit', () => {
    for (const pool of pools) {
      fc.assert(fc.property(caseArb(150, 70), fc.boolean(), fc.constantFrom(0, 1), (c, residentC, beta) => {
        // alpha 1 with beta 0 or 1 is the in-place case; the drawn scalars the tiled one.
        for (const cs of [{ ...c, alpha: 1, beta }, c]) {
          expect(residentResult(pool, pool.gemm, cs, residentC)).toEqual(residentResult(pool, pool.engine.gemm, cs, residentC));
        }
      }), { numRuns: 15 });
    }
  });

  it('edges in place: padded last rows and columns (f32 wide kernel from 96 rows, f64), k across blocks, both transposes', () => {
    const shapes = [[97, 45, 33], [130, 131, 37], [101, 7, 300], [3, 200, 20], [200, 3, 20], [512, 24, 9]];
    for (const pool of pools) {
      for (const [m, n, k] of shapes) {
        for (const f32 of [true, false]) {
          for (const [transA, transB] of [[false, false], [true, true], [true, false]]) {
            for (const beta of [0, 1]) {
              const c: Case = { m, n, k, transA, transB, padA: 1, padB: 0, padC: 3, offA: 2, offB: 1, offC: 5, alpha: 1, beta, f32, seed: m + n + k };
              const two = residentResult(pool, pool.gemm, c, true);
              expect(two).toEqual(residentResult(pool, pool.engine.gemm, c, true));
              // And right: against a float64 triple loop (C's padding and neighbours untouched).
              const T = f32 ? Float32Array : Float64Array;
              const [ar, ac] = transA ? [k, m] : [m, k];
              const [br, bc] = transB ? [n, k] : [k, n];
              const lda = ac + 1, ldb = bc, ldc = n + 3;
              const a = new T(2 + ar * lda), b = new T(1 + br * ldb), c0 = new T(5 + m * ldc);
              fill(a, c.seed); fill(b, c.seed + 1); fill(c0, c.seed + 2);
              const wrong: number[] = [];
              for (let i = 0; i < c0.length; i++) {
                const row = Math.floor((i - 5) / ldc), col = (i - 5) % ldc;
                if (i < 5 || col >= n || row >= m) {
                  if (!Object.is(two[i], c0[i])) wrong.push(i);
                  continue;
                }
                let s = beta * c0[i], bound = Math.abs(s);
                for (let p = 0; p < k; p++) {
                  const x = a[2 + (transA ? p * lda + row : row * lda + p)] * b[1 + (transB ? col * ldb + p : p * ldb + col)];
                  s += x;
                  bound += Math.abs(x);
                }
                if (!(Math.abs(two[i] - s) <= (f32 ? 1e-5 : 1e-13) * (bound + 1))) wrong.push(i);
              }
              expect(wrong, JSON.stringify(c)).toEqual([]);
            }
          }
        }
      }
    }
  });
});

describe('which GEMMs are split across threads (threadsPay)', () => {
  it('only products with enough work, rows per thread and depth, on two or more threads', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 8 }), (m, n, k, threads) => {
      const pays = threadsPay(m, n, k, threads);
      expect(pays).toBe(threads >= 2 && m * n * k >= THREADS_MIN_WORK && m >= 8 * threads && k >= THREADS_MIN_K);
    }));
  });

  it('splits the square 512 product and the TT-layer\'s large steps, not Tucker 64³\'s (4096×64×16) or skinny-k ones', () => {
    expect(threadsPay(512, 512, 512, 2)).toBe(true);
    expect(threadsPay(128, 16384, 128, 2)).toBe(true);
    expect(threadsPay(16384, 16, 128, 2)).toBe(true);
    expect(threadsPay(4096, 64, 16, 2)).toBe(false);
    expect(threadsPay(65536, 4096, 4, 2)).toBe(false);
    expect(threadsPay(512, 512, 512, 1)).toBe(false);
    expect(threadsPay(12, 100000, 100, 2)).toBe(false);
  });
});
