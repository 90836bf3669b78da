// Runtime driver for the SIMD128 GEMM kernels. Self-contained (no Node APIs, no top-level
// await) so the emitter can inline it into generated modules.
//
// Operands live in JS typed arrays, the kernel reads wasm memory, so each call copies:
// C is computed tile by tile (at most TILE_M × TILE_N) in a zeroed buffer in wasm memory;
// for each k-block of KC, the matching slices of op(A) and op(B) are packed into MR-row and
// NR-column panels (transposes and strides are folded into this copy), and one kernel call
// accumulates the block. Finally C_user = alpha·tile + beta·C_user. Packing is O(n²) per tile
// against O(n³) work, so this pays off for all but small GEMMs (the dispatcher in ../gemm.ts
// sends those to the plain kernel).

import { GEMM_WASM_BYTES, GEMM_WASM_FMA_BYTES, GEMM_WASM_FMA_SHARED_BYTES, GEMM_WASM_SHARED_BYTES } from './gemm-bytes.js';
import { packA, packB, roundUp, scaleC, storeC, type FloatArray, type GemmFn } from '../gemm-pack.js';

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

/** A generated kernel: one k-block of packed A and B accumulated into C (addresses in bytes). */
export type Kernel = (mp: number, np: number, kc: number, pa: number, pb: number, pc: number,
  ldcBytes: number, mc: number, nc: number, accumulate: number) => void;

/** A wasm GEMM context: one instance and its memory (grown on demand, never shrunk). */
export interface WasmGemm {
  /** Same contract as the plain kernel; both dtypes (C's dtype picks the kernel). */
  gemm: GemmFn;
  /** The instance's memory (exposed for tests and diagnostics). */
  memory: WebAssembly.Memory;
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
 * engines), else the SIMD128 ones; null without SIMD. `shared` picks the shared-memory twin.
 */
export function preferredGemmBytes(shared = false): { kind: 'fma' | 'simd128'; bytes: Uint8Array<ArrayBuffer> } | null {
  if (wasmSimdSupported(shared ? GEMM_WASM_FMA_SHARED_BYTES : GEMM_WASM_FMA_BYTES)) {
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
  const gemm = wasmDriver(memory, instance.exports.gemm_f32 as Kernel, instance.exports.gemm_f64 as Kernel, blocking);
  return { gemm, memory };
}

/** Per-dtype overrides of the default blocking (tuning and tests). */
export interface BlockingOverrides {
  f32?: Partial<Blocking>;
  f64?: Partial<Blocking>;
}

/**
 * The blocked driver around two kernels that read `memory`: packs operands into it, calls
 * the kernel once per k-block, writes C back. `maxBytes` bounds the memory (shared memories
 * have a maximum); a GEMM needing more goes to `fallback`.
 */
export function wasmDriver(memory: WebAssembly.Memory, kf32: Kernel, kf64: Kernel, blocking: BlockingOverrides = {},
  maxBytes = Infinity, fallback?: GemmFn): GemmFn {
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
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha === 0) {
      scaleC(m, n, beta, c, cOff, ldc);
      return;
    }
    const isF32 = c instanceof Float32Array;
    const bl = isF32 ? F32b : F64b;
    const es = isF32 ? 4 : 8;
    const kernel = isF32 ? kf32 : kf64;
    // C tiles of at most tileM×tileN elements; a short C gets wider tiles (often one
    // contiguous tile, written back by a single copy).
    const tm = Math.min(roundUp(m, bl.mr), bl.tileM);
    const tn = Math.min(roundUp(n, bl.nr), Math.max(bl.tileN, Math.floor((bl.tileM * bl.tileN) / tm / bl.nr) * bl.nr));
    const kcMax = Math.min(k, bl.kc);
    // Layout in elements: [C tile tm×tn][A block tm×kc][B block kc×tn].
    const cBase = 0;
    const aBase = cBase + tm * tn;
    const bBase = aBase + tm * kcMax;
    const need = (bBase + kcMax * tn) * es;
    if (need > maxBytes && fallback) {
      fallback(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    reserve(need);
    const view = isF32 ? f32 : f64;
    for (let i0 = 0; i0 < m; i0 += tm) {
      const mb = Math.min(tm, m - i0);
      const mp = roundUp(mb, bl.mr);
      for (let j0 = 0; j0 < n; j0 += tn) {
        const nb = Math.min(tn, n - j0);
        const np = roundUp(nb, bl.nr);
        for (let p0 = 0; p0 < k; p0 += bl.kc) {
          const kb = Math.min(bl.kc, k - p0);
          packA(transA, a, aOff, lda, i0, mb, p0, kb, bl.mr, view, aBase);
          packB(transB, b, bOff, ldb, j0, nb, p0, kb, bl.nr, view, bBase);
          kernel(mp, np, kb, aBase * es, bBase * es, cBase * es, np * es, bl.mc, bl.nc, p0 === 0 ? 0 : 1);
        }
        if (alpha === 1 && beta === 0 && nb === np && ldc === nb) c.set(tileView(isF32, mb * np), cOff + i0 * ldc);
        else storeC(mb, nb, alpha, view, cBase, np, beta, c, cOff + i0 * ldc + j0, ldc);
      }
    }
  };
}
