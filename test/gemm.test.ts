import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseGemm, createPlainGemm, enableGemmThreads, fastGemm, gemmDirect, THREADS_MIN_WORK, type FloatArray, type GemmFn } from '../src/backends/cpu/gemm.js';
import { createGemmThreads } from '../src/backends/cpu/wasm/gemm-threads.js';
import { sleb32, uleb } from '../src/backends/cpu/wasm/encoder.js';
import { GEMM_WASM_BYTES, GEMM_WASM_SHARED_BYTES } from '../src/backends/cpu/wasm/gemm-bytes.js';
import { buildGemmModule, GEMM_BYTES_PATH, KERNELS, renderGemmBytesModule } from '../src/backends/cpu/wasm/gemm-module.js';
import { createWasmGemm } from '../src/backends/cpu/wasm/gemm-wasm.js';

/** One GEMM problem: shapes, flags, strides/offsets beyond the minimum, scalars, dtype. */
interface Case {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  padA: number; padB: number; padC: number;
  offA: number; offB: number; offC: number;
  alpha: number; beta: number;
  f32: boolean;
  seed: number;
}

/** Deterministic pseudo-random values in [-1, 1) (xorshift) so cases shrink reproducibly. */
function fill(arr: FloatArray, seed: number): void {
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < arr.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    arr[i] = (s / 2 ** 32) * 2 - 1;
  }
}

/**
 * Runs `gemm` on the case and checks every element of the C buffer: inside the m×n window
 * against a naive float64 triple loop with an error bound scaled by Σ|a||b|, outside it
 * unchanged. With beta 0, C starts as NaN to prove C is not read.
 */
function check(gemm: GemmFn, c: Case): void {
  const T = c.f32 ? Float32Array : Float64Array;
  const [ar, ac] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [br, bc] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const lda = ac + c.padA, ldb = bc + c.padB, ldc = c.n + c.padC;
  const a = new T(c.offA + ar * lda), b = new T(c.offB + br * ldb), cc = new T(c.offC + c.m * ldc);
  fill(a, c.seed); fill(b, c.seed + 1); fill(cc, c.seed + 2);
  if (c.beta === 0) for (let i = 0; i < c.m; i++) cc.fill(NaN, c.offC + i * ldc, c.offC + i * ldc + c.n);
  const before = T.from(cc);
  gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, c.offA, lda, b, c.offB, ldb, c.beta, cc, c.offC, ldc);
  const A = (i: number, p: number) => (c.transA ? a[c.offA + p * lda + i] : a[c.offA + i * lda + p]);
  const B = (p: number, j: number) => (c.transB ? b[c.offB + j * ldb + p] : b[c.offB + p * ldb + j]);
  const eps = c.f32 ? 2 ** -23 : 2 ** -52;
  const inside = new Uint8Array(cc.length);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let s = 0, mag = 0;
      for (let p = 0; p < c.k; p++) {
        s += A(i, p) * B(p, j);
        mag += Math.abs(A(i, p) * B(p, j));
      }
      const idx = c.offC + i * ldc + j;
      inside[idx] = 1;
      const old = before[idx];
      const ref = c.beta === 0 ? c.alpha * s : c.alpha * s + c.beta * old;
      const scale = Math.abs(c.alpha) * mag + (c.beta === 0 ? 0 : Math.abs(c.beta * old)) + 1e-30;
      const tol = 4 * (c.k + 2) * eps * scale;
      const got = cc[idx];
      if (!(Math.abs(got - ref) <= tol)) {
        throw new Error(`C[${i},${j}] = ${got}, expected ${ref} (tol ${tol}) in ${JSON.stringify(c)}`);
      }
    }
  }
  for (let idx = 0; idx < cc.length; idx++) {
    if (!inside[idx] && !Object.is(cc[idx], before[idx])) throw new Error(`C[${idx}] outside the window changed`);
  }
}

/** Cases with small dims (1 and non-multiples of every tile size are frequent). */
function caseArb(maxDim: number, maxK: number): fc.Arbitrary<Case> {
  return fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxK }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padC: fc.integer({ min: 0, max: 3 }),
    offA: fc.integer({ min: 0, max: 5 }),
    offB: fc.integer({ min: 0, max: 5 }),
    offC: fc.integer({ min: 0, max: 5 }),
    alpha: fc.constantFrom(1, -1, 0.5, 2.25, 0),
    beta: fc.constantFrom(0, 1, -0.75),
    f32: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });
}

const wasm = createWasmGemm();
const kernels: [string, GemmFn][] = [
  ['plain', createPlainGemm()],
  ['direct', gemmDirect],
  ['fastGemm', fastGemm],
];
if (wasm) kernels.push(['wasm', wasm.gemm]);

describe('GEMM kernels equal a naive triple loop', () => {
  it('this runtime has WebAssembly SIMD (Node ≥ 20), so the wasm kernel is under test', () => {
    expect(wasm).not.toBeNull();
  });

  for (const [name, gemm] of kernels) {
    it(`${name}: random small shapes, flags, strides, offsets, alpha/beta, f32/f64`, () => {
      fc.assert(fc.property(caseArb(23, 40), (c) => check(gemm, c)));
    });
    it(`${name}: k across the k-block size and shapes across register tiles`, () => {
      fc.assert(fc.property(caseArb(13, 700), (c) => check(gemm, c)), { numRuns: 12 });
    });
  }

  it('wasm and plain: m and n across the 1024/512 C tiles', () => {
    const base = { transA: false, transB: true, padA: 1, padB: 0, padC: 2, offA: 3, offB: 0, offC: 1, alpha: 1.5, beta: 1, seed: 7 };
    for (const f32 of [true, false]) {
      for (const [m, n, k] of [[1030, 9, 5], [6, 1029, 4], [520, 517, 3]]) {
        for (const [, gemm] of kernels.filter(([nm]) => nm === 'wasm' || nm === 'plain')) {
          check(gemm, { ...base, m, n, k, f32 });
        }
      }
    }
  });

  it('fastGemm is exercised on each of its paths by the size mix above', () => {
    expect(chooseGemm(2, 3, 4)).toBe('direct');
    expect(chooseGemm(64, 64, 64)).toBe(wasm ? 'wasm' : 'plain');
    for (const [m, n, k] of [[2, 3, 4], [20, 20, 20], [64, 64, 64], [70, 33, 129]]) {
      for (const f32 of [true, false]) {
        check(fastGemm, { m, n, k, f32, transA: true, transB: false, padA: 2, padB: 1, padC: 0, offA: 1, offB: 2, offC: 3, alpha: -1, beta: 0, seed: m + n + k });
      }
    }
  });

  it('every kernel variant the generator offers computes the same GEMM', () => {
    for (const variant of ['a', 'b', 'inline', 's'] as const) {
      for (const unroll of [1, 3]) {
        const bytes = buildGemmModule([
          { dtype: 'f32', mr: 4, nv: 2, unroll, variant },
          { dtype: 'f64', mr: 4, nv: 2, unroll, variant },
        ]);
        const g = createWasmGemm(bytes)!;
        fc.assert(fc.property(caseArb(13, 40), (c) => check(g.gemm, c)), { numRuns: 15 });
      }
    }
  });

  it('m, n or k zero leaves C = beta·C', () => {
    for (const [, gemm] of kernels) {
      const c = Float64Array.from([1, 2, 3, 4]);
      gemm(false, false, 2, 2, 0, 1, new Float64Array(0), 0, 1, new Float64Array(0), 0, 2, 0.5, c, 0, 2);
      expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
      gemm(false, false, 0, 2, 3, 1, new Float64Array(0), 0, 3, new Float64Array(6), 0, 2, 0, c, 0, 2);
      expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
    }
  });
});

describe('worker-thread GEMM', () => {
  it('splits rows across threads and equals the naive loop (bands of every size; 2 and 3 threads, none for 1)', async () => {
    for (const threads of [2, 3]) {
      const pool = await createGemmThreads(threads);
      expect(pool).not.toBeNull();
      try {
        fc.assert(fc.property(caseArb(40, 60), (c) => check(pool!.gemm, c)), { numRuns: 40 });
        check(pool!.gemm, { m: 67, n: 40, k: 300, transA: true, transB: false, padA: 1, padB: 2, padC: 0, offA: 2, offB: 0, offC: 4, alpha: 0.5, beta: -0.75, f32: false, seed: 3 });
        check(pool!.gemm, { m: 67, n: 40, k: 300, transA: false, transB: true, padA: 0, padB: 0, padC: 3, offA: 0, offB: 1, offC: 0, alpha: 1, beta: 0, f32: true, seed: 4 });
      } finally {
        pool!.close();
      }
    }
    expect(await createGemmThreads(1)).toBeNull();
  });

  it('fastGemm uses the pool for large products once enabled, and stops using it', async () => {
    expect(await enableGemmThreads(2)).toBe(2);
    try {
      const [m, n, k] = [160, 100, Math.ceil(THREADS_MIN_WORK / 16000) + 3];
      expect(chooseGemm(m, n, k)).toBe('threads');
      expect(chooseGemm(16, 16, 16)).not.toBe('threads');
      for (const f32 of [true, false]) {
        check(fastGemm, { m, n, k, f32, transA: false, transB: false, padA: 0, padB: 1, padC: 2, offA: 0, offB: 3, offC: 1, alpha: 1, beta: 1, seed: 11 });
      }
    } finally {
      expect(await enableGemmThreads(1)).toBe(1);
    }
    expect(chooseGemm(160, 100, 200)).toBe(wasm ? 'wasm' : 'plain');
  });
});

describe('generated wasm GEMM module', () => {
  it('is deterministic and the committed bytes are up to date (regenerate: node --import tsx scripts/gen-wasm-gemm.ts)', () => {
    expect(buildGemmModule()).toEqual(buildGemmModule());
    expect(Array.from(GEMM_WASM_BYTES)).toEqual(Array.from(buildGemmModule()));
    expect(Array.from(GEMM_WASM_SHARED_BYTES)).toEqual(Array.from(buildGemmModule(KERNELS, true)));
    expect(readFileSync(GEMM_BYTES_PATH, 'utf8')).toBe(renderGemmBytesModule());
  });

  it('validates and exports one kernel per dtype', () => {
    expect(WebAssembly.validate(GEMM_WASM_BYTES)).toBe(true);
    for (const bytes of [GEMM_WASM_BYTES, GEMM_WASM_SHARED_BYTES]) {
      expect(WebAssembly.validate(bytes)).toBe(true);
      const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
      expect(names.sort()).toEqual(KERNELS.map((k) => `gemm_${k.dtype}`).sort());
    }
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(GEMM_WASM_SHARED_BYTES));
    expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('LEB128 encodings match the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb32(63)).toEqual([0x3f]);
    expect(sleb32(64)).toEqual([0xc0, 0x00]);
    expect(sleb32(-64)).toEqual([0x40]);
    expect(sleb32(-65)).toEqual([0xbf, 0x7f]);
  });
});
