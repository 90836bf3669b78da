// Packing and write-back shared by the GEMM drivers (plain TypeScript and wasm). All plain
// loops over typed arrays, no Node APIs, so the emitter can inline them.

/** Float arrays the kernels accept. */
export type FloatArray = Float32Array | Float64Array;

/** Row-major GEMM with the BLAS argument order: C = alpha·op(A)·op(B) + beta·C. */
export type GemmFn = (
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
  beta: number, c: FloatArray, cOff: number, ldc: number,
) => void;

/** x rounded up to a multiple of `to`. */
export function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** C = beta·C over m×n (beta 0 writes zeros without reading C, as BLAS does). */
export function scaleC(m: number, n: number, beta: number, c: FloatArray, cOff: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = 0; j < n; j++) c[row + j] *= beta;
  }
}

/**
 * The GEMM cases with no product to compute: an empty C (nothing to do) or k = 0 / alpha = 0
 * (C = beta·C). Returns true when it handled the call, so drivers start with
 * `if (gemmWithoutProduct(...)) return;`.
 */
export function gemmWithoutProduct(m: number, n: number, k: number, alpha: number, beta: number, c: FloatArray, cOff: number, ldc: number): boolean {
  if (m <= 0 || n <= 0) return true;
  if (k > 0 && alpha !== 0) return false;
  scaleC(m, n, beta, c, cOff, ldc);
  return true;
}

/**
 * Packs rows [i0, i0+mb) × k-range [p0, p0+kb) of op(A) into MR-row panels (k-major inside a
 * panel), zero-padding the last panel's missing rows.
 */
export function packA(trans: boolean, a: FloatArray, aOff: number, lda: number, i0: number, mb: number,
  p0: number, kb: number, mr: number, dst: FloatArray, base: number): void {
  // op(A)[i][p] is a[i*lda + p], or a[p*lda + i] when transposed.
  const rs = trans ? 1 : lda;
  const ks = trans ? lda : 1;
  for (let ip = 0; ip < mb; ip += mr) {
    const rows = Math.min(mr, mb - ip);
    const panel = base + ip * kb;
    const src0 = aOff + (i0 + ip) * rs + p0 * ks;
    if (rows === 4 && mr === 4) {
      // Full 4-row panel (the kernels' MR): one pass over k, four reads and four adjacent
      // writes per step, unrolled (about 2× faster than the generic loops in V8).
      let s = src0;
      let d = panel;
      for (let p = 0; p < kb; p++) {
        dst[d] = a[s];
        dst[d + 1] = a[s + rs];
        dst[d + 2] = a[s + 2 * rs];
        dst[d + 3] = a[s + 3 * rs];
        s += ks;
        d += 4;
      }
      continue;
    }
    for (let r = 0; r < rows; r++) {
      let s = src0 + r * rs;
      let d = panel + r;
      for (let p = 0; p < kb; p++) {
        dst[d] = a[s];
        s += ks;
        d += mr;
      }
    }
    for (let r = rows; r < mr; r++) {
      let d = panel + r;
      for (let p = 0; p < kb; p++) {
        dst[d] = 0;
        d += mr;
      }
    }
  }
}

/**
 * Packs k-range [p0, p0+kb) × columns [j0, j0+nb) of op(B) into NR-column panels (k-major
 * inside a panel), zero-padding the last panel's missing columns.
 */
export function packB(trans: boolean, b: FloatArray, bOff: number, ldb: number, j0: number, nb: number,
  p0: number, kb: number, nr: number, dst: FloatArray, base: number): void {
  // op(B)[p][j] is b[p*ldb + j], or b[j*ldb + p] when transposed.
  const ks = trans ? 1 : ldb;
  const cs = trans ? ldb : 1;
  for (let jp = 0; jp < nb; jp += nr) {
    const cols = Math.min(nr, nb - jp);
    const panel = base + jp * kb;
    const src0 = bOff + p0 * ks + (j0 + jp) * cs;
    if (cols === nr && nr === 8) {
      // Full 8-column panel (f32 kernels), unrolled.
      let s = src0;
      let d = panel;
      for (let p = 0; p < kb; p++) {
        dst[d] = b[s]; dst[d + 1] = b[s + cs]; dst[d + 2] = b[s + 2 * cs]; dst[d + 3] = b[s + 3 * cs];
        dst[d + 4] = b[s + 4 * cs]; dst[d + 5] = b[s + 5 * cs]; dst[d + 6] = b[s + 6 * cs]; dst[d + 7] = b[s + 7 * cs];
        s += ks;
        d += 8;
      }
    } else if (cols === nr && nr === 4) {
      // Full 4-column panel (f64 kernels and the plain kernel), unrolled.
      let s = src0;
      let d = panel;
      for (let p = 0; p < kb; p++) {
        dst[d] = b[s]; dst[d + 1] = b[s + cs]; dst[d + 2] = b[s + 2 * cs]; dst[d + 3] = b[s + 3 * cs];
        s += ks;
        d += 4;
      }
    } else {
      for (let j = 0; j < nr; j++) {
        let d = panel + j;
        if (j < cols) {
          let s = src0 + j * cs;
          for (let p = 0; p < kb; p++) {
            dst[d] = b[s];
            s += ks;
            d += nr;
          }
        } else {
          for (let p = 0; p < kb; p++) {
            dst[d] = 0;
            d += nr;
          }
        }
      }
    }
  }
}

/** C_user[i][j] = alpha·tile[i][j] + beta·C_user[i][j] (C not read when beta is 0). */
export function storeC(mb: number, nb: number, alpha: number, tile: FloatArray, tBase: number, ldt: number,
  beta: number, c: FloatArray, cOff: number, ldc: number): void {
  for (let i = 0; i < mb; i++) {
    const t = tBase + i * ldt;
    const r = cOff + i * ldc;
    if (beta === 0) {
      if (alpha === 1) for (let j = 0; j < nb; j++) c[r + j] = tile[t + j];
      else for (let j = 0; j < nb; j++) c[r + j] = alpha * tile[t + j];
    } else if (beta === 1 && alpha === 1) {
      for (let j = 0; j < nb; j++) c[r + j] += tile[t + j];
    } else {
      for (let j = 0; j < nb; j++) c[r + j] = alpha * tile[t + j] + beta * c[r + j];
    }
  }
}
