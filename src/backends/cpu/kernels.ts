// CPU kernels over Float32Array / Float64Array: strided permute, GEMM (BLAS-like signature),
// a generic einsum loop nest with precomputed strides, axpy and fill. Every kernel takes
// (array, offset) pairs and scratch arrays from the caller, so none allocates. This file is
// runtime code: it is also inlined into generated modules (see scripts/gen-runtime-text.ts),
// so it imports nothing but other runtime files.

import { fastGemm, fastPermute } from './gemm.js';
import { TILED_MIN_CONTIGUOUS } from './wasm/permute-wasm.js';

/** The element arrays kernels work on. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Row-major C[m×n] = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
 * A is stored m×k with row stride `lda` (k×m when `transA`), B is stored k×n with row stride
 * `ldb` (n×k when `transB`), C has row stride `ldc`. beta 0 overwrites C (it is not read).
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
  beta: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
): void {
  // Blocked plain-TS / WebAssembly SIMD kernels, chosen by size (gemm.ts).
  fastGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
}

/**
 * Strided copy: walks `shape` (the destination's shape) in row-major order, writing dst
 * contiguously and reading src at `strides` (the source stride of each destination axis).
 * `counter` is scratch of length ≥ shape.length.
 */
export function permute(
  src: FloatArray,
  srcOff: number,
  dst: FloatArray,
  dstOff: number,
  shape: ArrayLike<number>,
  strides: ArrayLike<number>,
  counter: Int32Array,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOff] = src[srcOff];
    return;
  }
  for (let i = 0; i < rank; i++) {
    counter[i] = 0;
    if (shape[i] === 0) return;
  }
  // Large tensors: the same walk in wasm memory (several times faster than this loop).
  if (fastPermute(src, srcOff, dst, dstOff, shape, strides)) return;
  const inner = shape[rank - 1];
  const innerStride = strides[rank - 1];
  if (innerStride !== 1 && inner >= PERMUTE_TILE / 2) {
    // A transpose: the source's contiguous axis is another destination axis. Copying along
    // the destination row would read one element per cache line; tiles keep those lines hot.
    for (let b = rank - 2; b >= 0; b--) {
      if (strides[b] === 1 && shape[b] >= TILED_MIN_CONTIGUOUS) {
        permuteTiled(src, srcOff, dst, dstOff, shape, strides, counter, b);
        return;
      }
    }
  }
  let s = srcOff;
  let d = dstOff;
  for (;;) {
    for (let j = 0, sj = s; j < inner; j++, sj += innerStride) dst[d++] = src[sj];
    // Advance the outer axes like an odometer.
    let ax = rank - 2;
    for (; ax >= 0; ax--) {
      counter[ax]++;
      s += strides[ax];
      if (counter[ax] < shape[ax]) break;
      s -= strides[ax] * shape[ax];
      counter[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/** Side of the square tiles of a tiled transpose (elements). */
const PERMUTE_TILE = 32;

/**
 * `permute` when destination axis `b` is the source's contiguous axis and the destination's
 * innermost axis is strided in the source: for each position of the other axes, the
 * (b, innermost) plane is copied in PERMUTE_TILE² tiles, writing destination rows and
 * reading the tile's source lines while they are in cache.
 */
function permuteTiled(src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number,
  shape: ArrayLike<number>, strides: ArrayLike<number>, counter: Int32Array, b: number): void {
  const rank = shape.length;
  const na = shape[rank - 1], sa = strides[rank - 1], nb = shape[b];
  let db = 1;
  for (let i = b + 1; i < rank; i++) db *= shape[i];
  for (let i = 0; i < rank; i++) counter[i] = 0;
  let s = srcOff;
  let d = dstOff;
  for (;;) {
    for (let b0 = 0; b0 < nb; b0 += PERMUTE_TILE) {
      const b1 = Math.min(b0 + PERMUTE_TILE, nb);
      for (let a0 = 0; a0 < na; a0 += PERMUTE_TILE) {
        const a1 = Math.min(a0 + PERMUTE_TILE, na);
        for (let bb = b0; bb < b1; bb++) {
          let sj = s + bb + a0 * sa;
          let dj = d + bb * db + a0;
          for (let aa = a0; aa < a1; aa++, sj += sa) dst[dj++] = src[sj];
        }
      }
    }
    // Advance the other axes like an odometer (destination strides: products of the shape).
    let ax = rank - 2;
    for (; ax >= 0; ax--) {
      if (ax === b) continue;
      let dax = 1;
      for (let i = ax + 1; i < rank; i++) dax *= shape[i];
      counter[ax]++;
      s += strides[ax];
      d += dax;
      if (counter[ax] < shape[ax]) break;
      s -= strides[ax] * shape[ax];
      d -= dax * shape[ax];
      counter[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/**
 * Generic einsum loop nest. Loops 0..nOut-1 index the output (row-major, contiguous), loops
 * nOut..sizes.length-1 are summed. `strides[t * nLoops + l]` is input t's stride for loop l
 * (the sum of its axes' strides when a label repeats: diagonals and traces). Writes
 * out = alpha · Σ Π inputs + beta · out. `counter` is scratch of length ≥ sizes.length and
 * `offs` scratch of length ≥ inputs.length (offsets are int32: buffers stay below 2^31 elements).
 */
export function einsumLoop(
  inputs: readonly FloatArray[],
  inOffs: ArrayLike<number>,
  sizes: ArrayLike<number>,
  nOut: number,
  strides: ArrayLike<number>,
  out: FloatArray,
  outOff: number,
  alpha: number,
  beta: number,
  counter: Int32Array,
  offs: Int32Array,
): void {
  const nLoops = sizes.length;
  const nIn = inputs.length;
  for (let l = 0; l < nLoops; l++) counter[l] = 0;
  for (let t = 0; t < nIn; t++) offs[t] = inOffs[t];
  if (nLoops === 0) {
    let prod = 1;
    for (let t = 0; t < nIn; t++) prod *= inputs[t][offs[t]];
    out[outOff] = beta === 0 ? alpha * prod : alpha * prod + beta * out[outOff];
    return;
  }
  // The innermost loop runs tight (constant strides, one case per input count); the loops
  // outside it advance like an odometer.
  const inner = nLoops - 1;
  const len = sizes[inner];
  const x = inputs[0];
  const y = nIn > 1 ? inputs[1] : x;
  const sx = nIn > 0 ? strides[inner] : 0;
  const sy = nIn > 1 ? strides[nLoops + inner] : 0;
  if (nLoops > nOut) {
    // Summed loops exist: the innermost is a dot product per output element.
    let outCount = 1;
    for (let l = 0; l < nOut; l++) outCount *= sizes[l];
    let outerSum = 1;
    for (let l = nOut; l < inner; l++) outerSum *= sizes[l];
    for (let o = 0; o < outCount; o++) {
      let acc = 0;
      for (let s = 0; s < outerSum; s++) {
        if (nIn === 1) {
          for (let j = 0, a = offs[0]; j < len; j++, a += sx) acc += x[a];
        } else if (nIn === 2) {
          for (let j = 0, a = offs[0], b = offs[1]; j < len; j++, a += sx, b += sy) acc += x[a] * y[b];
        } else {
          for (let j = 0; j < len; j++) {
            let prod = 1;
            for (let t = 0; t < nIn; t++) prod *= inputs[t][offs[t] + j * strides[t * nLoops + inner]];
            acc += prod;
          }
        }
        advance(counter, sizes, strides, offs, nIn, nLoops, inner - 1, nOut);
      }
      const at = outOff + o;
      out[at] = beta === 0 ? alpha * acc : alpha * acc + beta * out[at];
      advance(counter, sizes, strides, offs, nIn, nLoops, nOut - 1, 0);
    }
    return;
  }
  // No summed loop: the innermost output loop writes a contiguous run.
  let outer = 1;
  for (let l = 0; l < inner; l++) outer *= sizes[l];
  let at = outOff;
  for (let o = 0; o < outer; o++) {
    if (nIn === 1) {
      for (let j = 0, a = offs[0]; j < len; j++, a += sx, at++) out[at] = beta === 0 ? alpha * x[a] : alpha * x[a] + beta * out[at];
    } else if (nIn === 2) {
      for (let j = 0, a = offs[0], b = offs[1]; j < len; j++, a += sx, b += sy, at++) {
        out[at] = beta === 0 ? alpha * x[a] * y[b] : alpha * x[a] * y[b] + beta * out[at];
      }
    } else {
      for (let j = 0; j < len; j++, at++) {
        let prod = 1;
        for (let t = 0; t < nIn; t++) prod *= inputs[t][offs[t] + j * strides[t * nLoops + inner]];
        out[at] = beta === 0 ? alpha * prod : alpha * prod + beta * out[at];
      }
    }
    advance(counter, sizes, strides, offs, nIn, nLoops, inner - 1, 0);
  }
}

/**
 * Advances loops `from` down to `to` (inclusive) by one step, odometer-style, moving every
 * input's offset by its stride; a loop that wraps returns its offsets to where it started.
 */
function advance(counter: Int32Array, sizes: ArrayLike<number>, strides: ArrayLike<number>, offs: Int32Array, nIn: number, nLoops: number, from: number, to: number): void {
  for (let l = from; l >= to; l--) {
    counter[l]++;
    for (let t = 0; t < nIn; t++) offs[t] += strides[t * nLoops + l];
    if (counter[l] < sizes[l]) return;
    for (let t = 0; t < nIn; t++) offs[t] -= strides[t * nLoops + l] * sizes[l];
    counter[l] = 0;
  }
}

/**
 * The inverse walk of `permute`, with scaling: walks `shape` (the source's shape) in row-major
 * order, reading src contiguously and updating dst at `strides` (dst's stride per source axis):
 * dst = alpha · src + beta · dst (beta 0: dst is not read). Used to place a slice's result.
 */
export function scatter(
  src: FloatArray,
  srcOff: number,
  dst: FloatArray,
  dstOff: number,
  shape: ArrayLike<number>,
  strides: ArrayLike<number>,
  alpha: number,
  beta: number,
  counter: Int32Array,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOff] = beta === 0 ? alpha * src[srcOff] : alpha * src[srcOff] + beta * dst[dstOff];
    return;
  }
  for (let i = 0; i < rank; i++) counter[i] = 0;
  // No permute shortcuts here: they copy without alpha/beta and read `strides` as the
  // source's strides, while scatter's are the destination's.
  const inner = shape[rank - 1];
  const innerStride = strides[rank - 1];
  let s = srcOff;
  let d = dstOff;
  for (;;) {
    for (let j = 0, dj = d; j < inner; j++, dj += innerStride) dst[dj] = beta === 0 ? alpha * src[s++] : alpha * src[s++] + beta * dst[dj];
    let ax = rank - 2;
    for (; ax >= 0; ax--) {
      counter[ax]++;
      d += strides[ax];
      if (counter[ax] < shape[ax]) break;
      d -= strides[ax] * shape[ax];
      counter[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/** dst[i] = alpha · src[i] + beta · dst[i] for i < n (beta 0: dst is not read). */
export function axpy(n: number, alpha: number, src: FloatArray, srcOff: number, beta: number, dst: FloatArray, dstOff: number): void {
  if (beta === 0) for (let i = 0; i < n; i++) dst[dstOff + i] = alpha * src[srcOff + i];
  else for (let i = 0; i < n; i++) dst[dstOff + i] = alpha * src[srcOff + i] + beta * dst[dstOff + i];
}

/** dst[i] = value for i < n. */
export function fill(n: number, value: number, dst: FloatArray, dstOff: number): void {
  dst.fill(value, dstOff, dstOff + n);
}
