// Runtime driver for the generated permute_<dtype> functions: the CPU runtime's permute step
// (a strided copy) run inside wasm memory. JS element loops cost several times a memcpy
// here, so the source goes in and the result comes out by TypedArray.set, and the strided
// walk runs in wasm. Self-contained (no Node APIs) so the emitter can inline it.

import type { FloatArray } from '../gemm-pack.js';
import type { ScratchLayout } from './gemm-wasm.js';

/** Most axes the generated permute takes (its descriptor holds three i32 per axis). */
export const PERMUTE_MAX_RANK = 16;

/** Fewest elements for which the wasm path beats the JS loop (two copies plus a call). */
export const PERMUTE_WASM_MIN = 4096;

/**
 * Fewest elements for the wasm path when source and destination both live in wasm memory
 * (no copies: just the call and the descriptor; measured here 0.27 vs 0.40 µs for an 8×8
 * transpose, 0.57 vs 2.3 µs for 32×32).
 */
export const PERMUTE_RESIDENT_MIN = 64;

/** Largest source (elements) copied into the grow-only wasm memory for a permute. */
const PERMUTE_MAX_ELEMENTS = 2 ** 24;

/** A generated permute: (src, dst, rank, meta) byte addresses; see buildPermute. */
export type PermuteKernel = (src: number, dst: number, rank: number, meta: number) => void;

/** A generated tiled transpose: as PermuteKernel plus the source's contiguous axis `b`. */
export type PermuteTiledKernel = (src: number, dst: number, rank: number, meta: number, b: number) => void;

/** Side of the generated transpose tiles (must match gemm-module's PERMUTE_TILE). */
const TILE = 32;

/**
 * Fewest elements along the source's contiguous axis for the tiled walk. Short ones count
 * too: with that axis outermost in the destination, the plain walk reads each source cache
 * line once per value of it, from memory when the tensor is large (a 2M-element f64 permute
 * of a TT-layer with an 8-long contiguous axis took half the time tiled).
 */
export const TILED_MIN_CONTIGUOUS = 4;

/**
 * The runtime's permute contract (dst contiguous in `shape`, src read at `strides` per
 * destination axis); returns false, having done nothing, when the wasm path does not apply
 * (small, huge or high-rank tensors, a source array much larger than the part read, mixed
 * dtypes), so the caller runs its JS loop.
 */
export type WasmPermute = (src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number,
  shape: ArrayLike<number>, strides: ArrayLike<number>) => boolean;

const PAGE = 65536;
/** Bytes before the destination region: the descriptor (4 · PERMUTE_MAX_RANK i32). */
const META_BYTES = 256;

/**
 * The permute driver over an instance's memory and its two generated functions. Arrays that
 * are views of `memory` (resident buffers below `layout.resident`) are read or written in
 * place; others are copied in and out of scratch placed after the resident region.
 */
export function wasmPermuter(memory: WebAssembly.Memory, pf32: PermuteKernel, pf64: PermuteKernel,
  tiled?: { f32: PermuteTiledKernel; f64: PermuteTiledKernel }, layout: ScratchLayout = { resident: 0 }): WasmPermute {
  let i32 = new Int32Array(memory.buffer);
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  // Views of the destination region keyed by element count (negative for f64), so results
  // leave by one TypedArray.set without allocating once shapes repeat; bounded.
  const views = new Map<number, FloatArray>();
  let viewsAt = 0;
  // Growth (here, or by anyone sharing the memory) detaches the views' buffer, zeroing its
  // byteLength: a field read, where `memory.buffer` costs a call.
  let current = i32.buffer;
  const remake = (): void => {
    current = memory.buffer;
    i32 = new Int32Array(current);
    f32 = new Float32Array(current);
    f64 = new Float64Array(current);
    views.clear();
  };
  const refresh = (): ArrayBuffer => {
    if (current.byteLength === 0) remake();
    return current;
  };
  return (src, srcOff, dst, dstOff, shape, strides) => {
    const rank = shape.length;
    if (rank === 0 || rank > PERMUTE_MAX_RANK) return false;
    const isF32 = dst instanceof Float32Array;
    if ((src instanceof Float32Array) !== isF32) return false;
    let n = 1;
    for (let i = 0; i < rank; i++) n *= shape[i];
    const es = isF32 ? 4 : 8;
    // Resident arrays: their element index in memory, taken before growing detaches them.
    const buf = refresh();
    const srcAt = src.buffer === buf ? src.byteOffset / es : -1;
    const dstAt = dst.buffer === buf ? dst.byteOffset / es : -1;
    if (n < (srcAt >= 0 && dstAt >= 0 ? PERMUTE_RESIDENT_MIN : PERMUTE_WASM_MIN)) return false;
    if (srcAt < 0 && (src.length > 2 * n + 1024 || src.length > PERMUTE_MAX_ELEMENTS)) return false;
    // Scratch after the resident region: [descriptor][dst unless resident][src unless resident].
    const meta = layout.resident;
    const dstBase = (meta + META_BYTES) / es;
    const srcBase = dstBase + (dstAt >= 0 ? 0 : n);
    const need = (srcBase + (srcAt >= 0 ? 0 : src.length)) * es;
    if (need > buf.byteLength) {
      const have = memory.buffer.byteLength;
      try {
        if (need > have) memory.grow(Math.ceil((need - have) / PAGE));
      } catch {
        return false; // the engine refused more memory: the JS loop needs none
      }
      remake();
    }
    const m = meta / 4;
    let dstStride = 1;
    for (let i = rank - 1; i >= 0; i--) {
      i32[m + i] = shape[i];
      i32[m + PERMUTE_MAX_RANK + i] = strides[i] * es;
      i32[m + 3 * PERMUTE_MAX_RANK + i] = dstStride * es;
      dstStride *= shape[i];
    }
    // A transpose (innermost destination axis strided, another axis contiguous in the
    // source) runs tiled; the plain walk would read one element per cache line.
    let b = -1;
    if (tiled !== undefined && strides[rank - 1] !== 1 && shape[rank - 1] >= TILE / 2) {
      for (let i = rank - 2; i >= 0 && b < 0; i--) if (strides[i] === 1 && shape[i] >= TILED_MIN_CONTIGUOUS) b = i;
    }
    const view = isF32 ? f32 : f64;
    if (srcAt < 0) view.set(src, srcBase);
    const from = ((srcAt >= 0 ? srcAt : srcBase) + srcOff) * es;
    const to = dstAt >= 0 ? (dstAt + dstOff) * es : dstBase * es;
    if (b >= 0) (isF32 ? tiled!.f32 : tiled!.f64)(from, to, rank, meta, b);
    else (isF32 ? pf32 : pf64)(from, to, rank, meta);
    if (dstAt >= 0) return true;
    if (viewsAt !== dstBase * es) {
      views.clear();
      viewsAt = dstBase * es;
    }
    const key = isF32 ? n : -n;
    let out = views.get(key);
    if (out === undefined) {
      if (views.size >= 64) views.clear();
      out = view.subarray(dstBase, dstBase + n);
      views.set(key, out);
    }
    dst.set(out, dstOff);
    return true;
  };
}
