// Runtime driver for the SIMD128 GEMM kernels. Self-contained (no Node APIs, no top-level
// await) so the emitter can inline it into generated modules.
//
// Operands live in JS typed arrays, the kernel reads wasm memory, so each call copies:
// C is computed tile by tile (at most TILE_M × TILE_N) in a zeroed buffer in wasm memory;
// for each k-block of KC, the matching slices of op(A) and op(B) are packed into MR-row and
// NR-column panels (transposes and strides are folded into this copy), and one kernel call
// accumulates the block. An operand whose array is not much larger than the part read is
// first copied into wasm memory whole (one TypedArray.set) and packed there by the module's
// pack_<dtype>; element-by-element JS packing was 8–25% of a GEMM's time (up to a third on
// the 64–128-sized steps of MPS sweeps). Finally C_user = alpha·tile + beta·C_user. Packing is O(n²) per tile
// against O(n³) work, so this pays off for all but small GEMMs (the dispatcher in ../gemm.ts
// sends those to the plain kernel).

import { GEMM_WASM_BYTES, GEMM_WASM_FMA_BYTES, GEMM_WASM_FMA_SHARED_BYTES, GEMM_WASM_SHARED_BYTES } from './gemm-bytes.js';
import { gemmWithoutProduct, packA, packB, roundUp, storeC, type FloatArray, type GemmFn } from '../gemm-pack.js';
import { wasmPermuter, type PermuteKernel, type PermuteTiledKernel, type WasmPermute } from './permute-wasm.js';
import { relaxedSimdValidates } from './relaxed-simd.js';

export type { FloatArray, GemmFn };

/** Block sizes of the driver (elements). MR/NR must match the generated kernels. */
export interface Blocking {
  mr: number;
  nr: number;
  kc: number;
  mc: number;
  nc: number;
  tileM: number;
  tileN: number;
}

/** Default f32 blocking: MR×NR = 4×8, A blocks of mc×kc stay in L2. */
export const F32: Blocking = { mr: 4, nr: 8, kc: 256, mc: 128, nc: 1024, tileM: 1024, tileN: 1024 };
/** Default f64 blocking: MR×NR = 4×4. */
export const F64: Blocking = { mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, tileM: 1024, tileN: 1024 };

const PAGE = 65536;

/** Fewest rows of a C tile that spans all columns (below it, B would be packed too often). */
const FULL_WIDTH_MIN_ROWS = 64;

/** A generated kernel: one k-block of packed A and B accumulated into C (addresses in bytes). */
export type Kernel = (mp: number, np: number, kc: number, pa: number, pb: number, pc: number,
  ldcBytes: number, mc: number, nc: number, accumulate: number) => void;

/**
 * A generated packer (pack_<dtype>): `count` rows of a kb-deep slice at byte address `src`
 * (row stride `rs`, k stride `ks`, bytes) into zero-padded panels of `r` rows at `dst`.
 */
export type Packer = (src: number, rs: number, ks: number, count: number, kb: number, r: number, dst: number) => void;

/** The packers of one instance, by dtype. */
export interface Packers {
  f32: Packer;
  f64: Packer;
}

/** The packers an instance exports, or undefined for a module without them. */
export function packersOf(exports: WebAssembly.Exports): Packers | undefined {
  const { pack_f32: f32, pack_f64: f64 } = exports;
  return typeof f32 === 'function' && typeof f64 === 'function' ? { f32: f32 as Packer, f64: f64 as Packer } : undefined;
}

/**
 * Elements of an operand's array a GEMM reads, from its offset: `rows` rows of `cols`
 * elements at stride `ld`.
 */
export function spanOf(rows: number, cols: number, ld: number): number {
  return (rows - 1) * ld + cols;
}

/**
 * Largest operand (elements) copied into wasm memory for packing: the copy stays in the
 * grow-only memory, so huge operands (beyond 64 MiB of f32, 128 MiB of f64) are packed from
 * JS rather than doubling their footprint.
 */
export const STAGE_MAX_ELEMENTS = 2 ** 24;

/**
 * Whether to copy an operand's whole array into wasm memory (one TypedArray.set, a memcpy)
 * and pack it there: when the array is not much larger than what the GEMM reads (a batched
 * step's shared buffer, read one slice per call, is packed from JS instead) and not huge.
 */
export function stageable(arr: FloatArray, span: number): boolean {
  return arr.length <= 2 * span + 1024 && arr.length <= STAGE_MAX_ELEMENTS;
}

/**
 * Rows and columns of the C tiles (at most tileM×tileN elements, padded to MR/NR). Tiles
 * span all of C's columns when that leaves them at least FULL_WIDTH_MIN_ROWS rows: a
 * full-width tile is contiguous in a dense C and goes back with one copy (element-wise
 * write-back was 7% of a TT-layer). Otherwise a short C gets wider tiles.
 */
export function tileShape(bl: Blocking, m: number, n: number): { tm: number; tn: number } {
  const npAll = roundUp(n, bl.nr);
  const fullRows = Math.floor((bl.tileM * bl.tileN) / npAll / bl.mr) * bl.mr;
  const fullWidth = fullRows >= FULL_WIDTH_MIN_ROWS || fullRows >= m;
  const tm = fullWidth ? Math.min(roundUp(m, bl.mr), fullRows) : Math.min(roundUp(m, bl.mr), bl.tileM);
  const tn = fullWidth ? npAll : Math.min(npAll, Math.max(bl.tileN, Math.floor((bl.tileM * bl.tileN) / tm / bl.nr) * bl.nr));
  return { tm, tn };
}

/** A wasm GEMM context: one instance and its memory (grown on demand, never shrunk). */
export interface WasmGemm {
  /** Same contract as the plain kernel; both dtypes (C's dtype picks the kernel). */
  gemm: GemmFn;
  /** The instance's memory (exposed for tests and diagnostics). */
  memory: WebAssembly.Memory;
  /** The runtime's permute step in wasm, when the module has permute_<dtype>. */
  permute?: WasmPermute;
}

/** Whether this runtime compiles the SIMD GEMM module. */
export function wasmSimdSupported(bytes: Uint8Array<ArrayBuffer> = GEMM_WASM_BYTES): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * The best module this runtime accepts: relaxed-SIMD FMA kernels where validated (recent
 * engines; Node 20 after the runtime turns its flag on, see relaxed-simd.ts) unless opted out
 * with TNC_NO_RELAXED_SIMD=1, else the SIMD128 ones; null without SIMD. `shared` picks the
 * shared-memory twin (same kernels, so threads and one thread give identical results).
 */
export function preferredGemmBytes(shared = false): { kind: 'fma' | 'simd128'; bytes: Uint8Array<ArrayBuffer> } | null {
  if (relaxedSimdValidates(shared ? GEMM_WASM_FMA_SHARED_BYTES : GEMM_WASM_FMA_BYTES)) {
    return { kind: 'fma', bytes: shared ? GEMM_WASM_FMA_SHARED_BYTES : GEMM_WASM_FMA_BYTES };
  }
  if (wasmSimdSupported(shared ? GEMM_WASM_SHARED_BYTES : GEMM_WASM_BYTES)) {
    return { kind: 'simd128', bytes: shared ? GEMM_WASM_SHARED_BYTES : GEMM_WASM_BYTES };
  }
  return null;
}

/**
 * Instantiates the kernels synchronously (the module is a few KB, under browsers' limit for
 * synchronous compilation): by default the preferred module for this runtime. Returns null
 * where WebAssembly SIMD is unavailable.
 */
export function createWasmGemm(
  bytes: Uint8Array<ArrayBuffer> | undefined = preferredGemmBytes()?.bytes,
  blocking: BlockingOverrides = {},
): WasmGemm | null {
  if (bytes === undefined) return null;
  if (!wasmSimdSupported(bytes)) return null;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const ex = instance.exports;
  const gemm = wasmDriver(memory, ex.gemm_f32 as Kernel, ex.gemm_f64 as Kernel, blocking, Infinity, undefined, packersOf(ex));
  const permute = typeof ex.permute_f32 === 'function' && typeof ex.permute_f64 === 'function'
    ? wasmPermuter(memory, ex.permute_f32 as PermuteKernel, ex.permute_f64 as PermuteKernel,
      typeof ex.permute_tiled_f32 === 'function' && typeof ex.permute_tiled_f64 === 'function'
        ? { f32: ex.permute_tiled_f32 as PermuteTiledKernel, f64: ex.permute_tiled_f64 as PermuteTiledKernel }
        : undefined)
    : undefined;
  return { gemm, memory, permute };
}

/** Per-dtype overrides of the default blocking (tuning and tests). */
export interface BlockingOverrides {
  f32?: Partial<Blocking>;
  f64?: Partial<Blocking>;
}

/**
 * The blocked driver around two kernels that read `memory`: packs operands into it, calls
 * the kernel once per k-block, writes C back. `maxBytes` bounds the memory (shared memories
 * have a maximum); a GEMM needing more goes to `fallback`. With `packers`, operands whose
 * arrays are not much larger than the part read are copied into wasm memory whole and
 * packed there (several times faster than packing element by element from JS).
 */
export function wasmDriver(memory: WebAssembly.Memory, kf32: Kernel, kf64: Kernel, blocking: BlockingOverrides = {},
  maxBytes = Infinity, fallback?: GemmFn, packers?: Packers): GemmFn {
  const F32b: Blocking = { ...F32, ...blocking.f32 };
  const F64b: Blocking = { ...F64, ...blocking.f64 };
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  // Views of the start of the C tile keyed by element count (negative for f64), so a
  // contiguous C is written back with one TypedArray.set (a memcpy) and no allocation once
  // the shapes repeat. Rebuilt when the memory grows.
  const tileViews = new Map<number, FloatArray>();
  const tileView = (isF32: boolean, len: number): FloatArray => {
    const key = isF32 ? len : -len;
    let v = tileViews.get(key);
    if (v === undefined) {
      // Bounded: programs with ever-changing shapes recycle the cache instead of growing it.
      if (tileViews.size >= 64) tileViews.clear();
      v = isF32 ? f32.subarray(0, len) : f64.subarray(0, len);
      tileViews.set(key, v);
    }
    return v;
  };

  const reserve = (bytesNeeded: number): void => {
    const have = memory.buffer.byteLength;
    if (bytesNeeded > have) memory.grow(Math.ceil((bytesNeeded - have) / PAGE));
    if (f32.buffer !== memory.buffer) {
      f32 = new Float32Array(memory.buffer);
      f64 = new Float64Array(memory.buffer);
      tileViews.clear();
    }
  };

  return (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
    if (gemmWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) return;
    const isF32 = c instanceof Float32Array;
    const bl = isF32 ? F32b : F64b;
    const es = isF32 ? 4 : 8;
    const kernel = isF32 ? kf32 : kf64;
    const { tm, tn } = tileShape(bl, m, n);
    const kcMax = Math.min(k, bl.kc);
    // Layout in elements: [C tile tm×tn][A block tm×kc][B block kc×tn][staged A][staged B].
    const cBase = 0;
    const aBase = cBase + tm * tn;
    const bBase = aBase + tm * kcMax;
    let need = bBase + kcMax * tn;
    if (need * es > maxBytes && fallback) {
      fallback(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    const packer = packers === undefined ? undefined : isF32 ? packers.f32 : packers.f64;
    // op(A)[i][p] = a[aOff + i·ars + p·aks]; op(B)[p][j] = b[bOff + p·bks + j·bcs].
    const ars = transA ? 1 : lda, aks = transA ? lda : 1;
    const bcs = transB ? ldb : 1, bks = transB ? 1 : ldb;
    let aSrc = -1, bSrc = -1;
    if (packer !== undefined && stageable(a, transA ? spanOf(k, m, lda) : spanOf(m, k, lda))) {
      aSrc = need;
      need += a.length;
    }
    if (packer !== undefined && stageable(b, transB ? spanOf(n, k, ldb) : spanOf(k, n, ldb))) {
      bSrc = need;
      need += b.length;
    }
    const unstaged = bBase + kcMax * tn;
    if (need * es > maxBytes) {
      // Staging does not fit a bounded (shared) memory: pack from JS.
      need = unstaged;
      aSrc = bSrc = -1;
    }
    if (need === unstaged) {
      reserve(need * es);
    } else {
      try {
        reserve(need * es);
      } catch {
        // The engine refused to grow memory for the copies (a memory-tight browser tab):
        // pack from JS, which needs only the blocks.
        need = unstaged;
        aSrc = bSrc = -1;
        reserve(need * es);
      }
    }
    const view = isF32 ? f32 : f64;
    if (aSrc >= 0) view.set(a, aSrc);
    if (bSrc >= 0) view.set(b, bSrc);
    for (let i0 = 0; i0 < m; i0 += tm) {
      const mb = Math.min(tm, m - i0);
      const mp = roundUp(mb, bl.mr);
      for (let j0 = 0; j0 < n; j0 += tn) {
        const nb = Math.min(tn, n - j0);
        const np = roundUp(nb, bl.nr);
        for (let p0 = 0; p0 < k; p0 += bl.kc) {
          const kb = Math.min(bl.kc, k - p0);
          if (aSrc >= 0) packer!((aSrc + aOff + i0 * ars + p0 * aks) * es, ars * es, aks * es, mb, kb, bl.mr, aBase * es);
          else packA(transA, a, aOff, lda, i0, mb, p0, kb, bl.mr, view, aBase);
          if (bSrc >= 0) packer!((bSrc + bOff + p0 * bks + j0 * bcs) * es, bcs * es, bks * es, nb, kb, bl.nr, bBase * es);
          else packB(transB, b, bOff, ldb, j0, nb, p0, kb, bl.nr, view, bBase);
          kernel(mp, np, kb, aBase * es, bBase * es, cBase * es, np * es, bl.mc, bl.nc, p0 === 0 ? 0 : 1);
        }
        if (alpha === 1 && beta === 0 && nb === np && ldc === nb) c.set(tileView(isF32, mb * np), cOff + i0 * ldc);
        else storeC(mb, nb, alpha, view, cBase, np, beta, c, cOff + i0 * ldc + j0, ldc);
      }
    }
  };
}
