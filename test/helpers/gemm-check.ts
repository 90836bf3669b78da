// Shared by test/gemm.test.ts and the relaxed-SIMD child check: random GEMM cases and an
// element-by-element comparison with a naive float64 triple loop.
import fc from 'fast-check';
import type { FloatArray, GemmFn } from '../../src/backends/cpu/gemm.js';

/** One GEMM problem: shapes, flags, strides/offsets beyond the minimum, scalars, dtype. */
export interface Case {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  padA: number; padB: number; padC: number;
  offA: number; offB: number; offC: number;
  alpha: number; beta: number;
  f32: boolean;
  seed: number;
}

/** Deterministic pseudo-random values in [-1, 1) (xorshift) so cases shrink reproducibly. */
export function fill(arr: FloatArray, seed: number): void {
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
export function check(gemm: GemmFn, c: Case): void {
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
export function caseArb(maxDim: number, maxK: number): fc.Arbitrary<Case> {
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

