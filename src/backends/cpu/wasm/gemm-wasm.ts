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
import { relaxedSimdValidates, wasmValidates } from './relaxed-simd.js';

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

/**
 * Default f32 blocking: MR×NR = 4×8, A blocks of mc×kc stay in L2. tileM must be a multiple
 * of MR and tileN of NR (checked when a driver is made: `wholeTiles`); mc and nc should be
 * too (the kernel rounds them down).
 */
export const F32: Blocking = { mr: 4, nr: 8, kc: 256, mc: 128, nc: 1024, tileM: 1024, tileN: 1024 };
/** Default f64 blocking: MR×NR = 4×4. */
export const F64: Blocking = { mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, tileM: 1024, tileN: 1024 };
/**
 * Blocking of the FMA module's `gemm_f32_wide` (MR×NR = 5×8, ten accumulators): about 7–13%
 * faster than 4×8 from about a hundred rows on (n = 100…1024), slower below (padding to five
 * rows and the wider tile's set-up), so the driver takes it from WIDE_MIN_ROWS rows.
 */
export const F32_WIDE: Blocking = { mr: 5, nr: 8, kc: 256, mc: 130, nc: 1024, tileM: 1020, tileN: 1024 };
/** Fewest rows (m) of an f32 product for which the driver uses `gemm_f32_wide` where present. */
export const WIDE_MIN_ROWS = 96;

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
export function tileShape(bl: Blocking, m: number, n: number, budget = bl.tileM * bl.tileN,
  out: { tm: number; tn: number } = { tm: 0, tn: 0 }): { tm: number; tn: number } {
  const npAll = roundUp(n, bl.nr);
  const fullRows = Math.floor(budget / npAll / bl.mr) * bl.mr;
  const fullWidth = fullRows >= FULL_WIDTH_MIN_ROWS || fullRows >= m;
  const tm = fullWidth ? Math.min(roundUp(m, bl.mr), fullRows) : Math.min(roundUp(m, bl.mr), bl.tileM);
  const tn = fullWidth ? npAll : Math.min(npAll, Math.max(bl.tileN, Math.floor((bl.tileM * bl.tileN) / tm / bl.nr) * bl.nr));
  // Into the caller's `out` when given: no allocation per call even where V8 does not inline this.
  out.tm = tm;
  out.tn = tn;
  return out;
}

/**
 * Where an instance's scratch starts: its memory's first `resident` bytes (a multiple of 64)
 * belong to buffers that live in wasm memory across calls (the runtime's temps, see
 * `WasmGemm.reserve`); the GEMM and permute drivers put their scratch after them.
 */
export interface ScratchLayout {
  resident: number;
}

/**
 * Budget (elements) of a C tile that goes back to a caller's array: small enough to stay in
 * L2 while the kernel writes it and the copy-out reads it (a 2 MiB tile made a 4096×64×16
 * f64 product 18% slower), but at least SCRATCH_TILE_MIN_ROWS rows, so B is not repacked
 * too often for wide C.
 */
export const SCRATCH_TILE_ELEMENTS = 65536;
/** Fewest rows of a full-width C tile under the scratch budget. */
export const SCRATCH_TILE_MIN_ROWS = 256;

/** Rows and columns (at most) of the tiles of a C written in place. */
export const IN_PLACE_TILE = 2048;

/** A wasm GEMM context: one instance and its memory (grown on demand, never shrunk). */
export interface WasmGemm {
  /** Same contract as the plain kernel; both dtypes (C's dtype picks the kernel). */
  gemm: GemmFn;
  /** The instance's memory (exposed for tests and diagnostics). */
  memory: WebAssembly.Memory;
  /** The runtime's permute step in wasm, when the module has permute_<dtype>. */
  permute?: WasmPermute;
  /**
   * Keeps the memory's first `bytes` (rounded up to 64; the largest request so far wins) for
   * the caller's own buffers, grows the memory to hold them, and returns its current buffer.
   * Typed-array views of that region passed to `gemm` or `permute` are read and written in
   * place: no copies in or out, and C tiles go straight into a resident C. Any call may grow
   * the memory, which detaches every view of it: callers compare `memory.buffer` with the
   * buffer their views were made on and remake them when it changed. Throws (RangeError)
   * when the engine refuses the memory.
   */
  reserve(bytes: number): ArrayBuffer;
  /**
   * `gemm` with operands already in the kernel's packed panel layout (bit 1 of `prepacked`:
   * A, bit 2: B): such an operand is a resident view holding all of op(A)'s m/MR panels (or
   * op(B)'s n/NR panels), each k-major, the whole k deep (k ≤ kc, m a multiple of MR or n of
   * NR, as `blockingFor` gives them); its trans flag and leading dimension are ignored. The
   * runtime writes that layout with its permute step, so a permuted operand is not written
   * and then packed again.
   */
  gemmPrepacked(prepacked: number, ...args: Parameters<GemmFn>): void;
  /** The blocking (MR, NR, kc) of the kernel `gemm` uses for C of this dtype with m rows. */
  blockingFor(isF32: boolean, m: number): Blocking;
  /** Products `gemmPrepacked` has run with a prepacked operand (for tests). */
  prepackedProducts(): number;
}

/** A wasm driver: `gemm`, plus the prepacked-operand form and the blocking it uses. */
export interface WasmDriver {
  gemm: GemmFn;
  gemmPrepacked: WasmGemm['gemmPrepacked'];
  blockingFor: WasmGemm['blockingFor'];
  prepackedProducts: WasmGemm['prepackedProducts'];
}

/** Whether this runtime compiles the SIMD GEMM module. */
export function wasmSimdSupported(bytes: Uint8Array<ArrayBuffer> = GEMM_WASM_BYTES): boolean {
  return wasmValidates(bytes);
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
 * A memory `createWasmGemm` runs on instead of its own: the worker-thread pool's shared memory,
 * allocated whole at its maximum (never grown, so views of it never go stale), with the
 * module compiled for it and the scratch layout the pool's driver shares. GEMMs that need
 * more than the memory go to `fallback`.
 */
export interface FixedMemory {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  layout: ScratchLayout;
  fallback: GemmFn;
}

/**
 * Instantiates the kernels synchronously (the module is a few KB, under browsers' limit for
 * synchronous compilation): by default the preferred module for this runtime. Returns null
 * where WebAssembly SIMD is unavailable.
 */
export function createWasmGemm(
  bytes: Uint8Array<ArrayBuffer> | undefined = preferredGemmBytes()?.bytes,
  blocking: BlockingOverrides = {},
  fixed?: FixedMemory,
): WasmGemm | null {
  if (bytes === undefined) return null;
  if (!wasmSimdSupported(bytes)) return null;
  const memory = fixed?.memory ?? new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(fixed?.module ?? new WebAssembly.Module(bytes), { env: { memory } });
  const ex = instance.exports;
  const layout: ScratchLayout = fixed?.layout ?? { resident: 0 };
  const driver = wasmDriverWithPrepacked(memory, ex.gemm_f32 as Kernel, ex.gemm_f64 as Kernel, blocking,
    fixed === undefined ? Infinity : memory.buffer.byteLength, fixed?.fallback, packersOf(ex), layout,
    typeof ex.gemm_f32_wide === 'function' ? ex.gemm_f32_wide as Kernel : undefined);
  const permute = typeof ex.permute_f32 === 'function' && typeof ex.permute_f64 === 'function'
    ? wasmPermuter(memory, ex.permute_f32 as PermuteKernel, ex.permute_f64 as PermuteKernel,
      typeof ex.permute_tiled_f32 === 'function' && typeof ex.permute_tiled_f64 === 'function'
        ? { f32: ex.permute_tiled_f32 as PermuteTiledKernel, f64: ex.permute_tiled_f64 as PermuteTiledKernel }
        : undefined, layout)
    : undefined;
  const reserve = (bytes: number): ArrayBuffer => {
    const want = roundUp(Math.max(0, bytes), 64);
    const have = memory.buffer.byteLength;
    if (want > have) memory.grow(Math.ceil((want - have) / PAGE));
    if (want > layout.resident) layout.resident = want;
    return memory.buffer;
  };
  return { ...driver, memory, permute, reserve };
}

/**
 * `bl` itself, after checking that its C tiles hold whole register tiles (tileM a multiple of
 * MR, tileN of NR): the scratch is laid out by padded tiles, so other sizes would overlap.
 * (The kernel itself rounds mc and nc down to whole tiles.) Throws RangeError otherwise.
 */
export function wholeTiles(bl: Blocking): Blocking {
  const { mr, nr, tileM, tileN } = bl;
  if (tileM % mr !== 0 || tileN % nr !== 0 || tileM < mr || tileN < nr) {
    throw new RangeError(`GEMM C tiles must hold whole ${mr}×${nr} register tiles: tileM ${tileM}, tileN ${tileN}`);
  }
  return bl;
}

/** Per-dtype overrides of the default blocking (tuning and tests). */
export interface BlockingOverrides {
  f32?: Partial<Blocking>;
  f64?: Partial<Blocking>;
  /** For `gemm_f32_wide`, and `minRows`: the fewest rows that take it (default WIDE_MIN_ROWS). */
  f32Wide?: Partial<Blocking> & { minRows?: number };
}

/**
 * The blocked driver around two kernels that read `memory`: packs operands into it, calls
 * the kernel once per k-block, writes C back. `maxBytes` bounds the memory (shared memories
 * have a maximum); a GEMM needing more goes to `fallback`. With `packers`, operands whose
 * arrays are not much larger than the part read are copied into wasm memory whole and
 * packed there (several times faster than packing element by element from JS). Operands
 * that are views of `memory` itself (the runtime's resident temps, below `layout.resident`)
 * are packed where they are, and a resident C is written by the kernel in place.
 */
export function wasmDriver(memory: WebAssembly.Memory, kf32: Kernel, kf64: Kernel, blocking: BlockingOverrides = {},
  maxBytes = Infinity, fallback?: GemmFn, packers?: Packers, layout: ScratchLayout = { resident: 0 }, kf32Wide?: Kernel): GemmFn {
  return wasmDriverWithPrepacked(memory, kf32, kf64, blocking, maxBytes, fallback, packers, layout, kf32Wide).gemm;
}

/** `wasmDriver` with the prepacked-operand form and the blocking it uses (see WasmGemm). */
export function wasmDriverWithPrepacked(memory: WebAssembly.Memory, kf32: Kernel, kf64: Kernel, blocking: BlockingOverrides = {},
  maxBytes = Infinity, fallback?: GemmFn, packers?: Packers, layout: ScratchLayout = { resident: 0 }, kf32Wide?: Kernel): WasmDriver {
  const F32b: Blocking = wholeTiles({ ...F32, ...blocking.f32 });
  const F64b: Blocking = wholeTiles({ ...F64, ...blocking.f64 });
  // An f32 product of at least wideMin rows takes the wide kernel when there is one (each
  // element is the same chain of multiply-adds in any tile shape, so results do not change).
  const F32w: Blocking = wholeTiles({ ...F32_WIDE, ...blocking.f32Wide });
  const wideMin = kf32Wide === undefined ? Infinity : blocking.f32Wide?.minRows ?? WIDE_MIN_ROWS;
  const shape = { tm: 0, tn: 0 };
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  // Views of the start of the C tile keyed by element count (negative for f64), so a
  // contiguous C is written back with one TypedArray.set (a memcpy) and no allocation once
  // the shapes repeat. Rebuilt when the memory grows or the scratch moves.
  const tileViews = new Map<number, FloatArray>();
  let tileViewsAt = 0;
  const tileView = (isF32: boolean, at: number, len: number): FloatArray => {
    if (at !== tileViewsAt) {
      tileViews.clear();
      tileViewsAt = at;
    }
    const key = isF32 ? len : -len;
    let v = tileViews.get(key);
    if (v === undefined) {
      // Bounded: programs with ever-changing shapes recycle the cache instead of growing it.
      if (tileViews.size >= 64) tileViews.clear();
      v = isF32 ? f32.subarray(at, at + len) : f64.subarray(at, at + len);
      tileViews.set(key, v);
    }
    return v;
  };

  // The buffer the views are on. Growth (here, or by anyone sharing the memory) detaches a
  // private memory's old buffer, zeroing its byteLength: a field read, where `memory.buffer`
  // costs a call. (A shared memory's old buffer stays valid at its old length: reserve then
  // finds it too short and looks again.)
  let current = f32.buffer;
  const remake = (): void => {
    current = memory.buffer;
    f32 = new Float32Array(current);
    f64 = new Float64Array(current);
    tileViews.clear();
  };
  const refresh = (): ArrayBuffer => {
    if (current.byteLength === 0) remake();
    return current;
  };
  const reserve = (bytesNeeded: number): void => {
    if (bytesNeeded <= refresh().byteLength) return;
    const have = memory.buffer.byteLength;
    if (bytesNeeded > have) memory.grow(Math.ceil((bytesNeeded - have) / PAGE));
    remake();
  };

  let prepackedProducts = 0;
  const run = (prepacked: number, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
    beta: number, c: FloatArray, cOff: number, ldc: number): void => {
    if (gemmWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) return;
    const isF32 = c instanceof Float32Array;
    const wide = isF32 && m >= wideMin;
    const bl = wide ? F32w : isF32 ? F32b : F64b;
    const es = isF32 ? 4 : 8;
    const kernel = wide ? kf32Wide! : isF32 ? kf32 : kf64;
    // Operands already in this memory (same dtype as C) are used in place: their element
    // index in memory, taken now because growing the memory below detaches their views.
    const buf = refresh();
    const aAt = a.buffer === buf && (a instanceof Float32Array) === isF32 ? a.byteOffset / es : -1;
    const bAt = b.buffer === buf && (b instanceof Float32Array) === isF32 ? b.byteOffset / es : -1;
    const cAt = c.buffer === buf ? c.byteOffset / es : -1;
    // Prepacked operands: the element index of their panels in memory (the whole k in one block).
    const aPanels = (prepacked & 1) !== 0 ? aAt + aOff : -1;
    const bPanels = (prepacked & 2) !== 0 ? bAt + bOff : -1;
    if (prepacked !== 0) {
      if ((prepacked & 1 && (aAt < 0 || m % bl.mr !== 0)) || (prepacked & 2 && (bAt < 0 || n % bl.nr !== 0)) || k > bl.kc) {
        throw new Error(`gemm: prepacked operands must be resident, whole panels and at most ${bl.kc} deep`);
      }
      prepackedProducts++;
    }
    // A resident C with alpha 1 and beta 0 or 1 takes the kernel's tiles directly (it
    // accumulates into C after the first k-block, or from the first when beta is 1).
    const direct = cAt >= 0 && alpha === 1 && (beta === 0 || beta === 1);
    let tm: number, tn: number;
    if (direct) {
      // No C tile to hold in scratch (only the padded edge strips), so tiles grow to
      // IN_PLACE_TILE rows and columns: B is packed once per tm rows and A once per tn
      // columns (a 128×16384 C was packing its 2M-element B twice in 64-row tiles).
      tm = Math.min(roundUp(m, bl.mr), IN_PLACE_TILE - (IN_PLACE_TILE % bl.mr));
      tn = Math.min(roundUp(n, bl.nr), IN_PLACE_TILE - (IN_PLACE_TILE % bl.nr));
    } else {
      // C goes back through scratch: tiles that stay in cache.
      const full = bl.tileM * bl.tileN;
      tileShape(bl, m, n, Math.min(full, Math.max(SCRATCH_TILE_ELEMENTS, SCRATCH_TILE_MIN_ROWS * roundUp(n, bl.nr))), shape);
      tm = shape.tm;
      tn = shape.tn;
    }
    const kcMax = Math.min(k, bl.kc);
    // Layout in elements, after the resident region:
    // [C tile tm×tn, or the edge strips in place][A block tm×kc][B block kc×tn][staged A][staged B].
    const cBase = layout.resident / es;
    const aBase = cBase + (direct ? tm * bl.nr + bl.mr * tn : tm * tn);
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
    // Where the packer reads each operand in memory (element index of its array's start), or -1.
    let aSrc = packer === undefined || aPanels >= 0 ? -1 : aAt, bSrc = packer === undefined || bPanels >= 0 ? -1 : bAt;
    if (packer !== undefined && aAt < 0 && stageable(a, transA ? spanOf(k, m, lda) : spanOf(m, k, lda))) {
      aSrc = need;
      need += a.length;
    }
    if (packer !== undefined && bAt < 0 && stageable(b, transB ? spanOf(n, k, ldb) : spanOf(k, n, ldb))) {
      bSrc = need;
      need += b.length;
    }
    const unstaged = bBase + kcMax * tn;
    if (need * es > maxBytes) {
      // Staging does not fit a bounded (shared) memory: pack from JS.
      need = unstaged;
      aSrc = aAt >= 0 && aPanels < 0 && packer !== undefined ? aAt : -1;
      bSrc = bAt >= 0 && bPanels < 0 && packer !== undefined ? bAt : -1;
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
        aSrc = aAt >= 0 && aPanels < 0 && packer !== undefined ? aAt : -1;
        bSrc = bAt >= 0 && bPanels < 0 && packer !== undefined ? bAt : -1;
        reserve(need * es);
      }
    }
    const view = isF32 ? f32 : f64;
    // Resident operands are read (and C written) through the fresh whole-memory view.
    if (aAt >= 0) {
      a = view;
      aOff += aAt;
      if (aSrc >= 0) aSrc = 0;
    } else if (aSrc >= 0) view.set(a, aSrc);
    if (bAt >= 0) {
      b = view;
      bOff += bAt;
      if (bSrc >= 0) bSrc = 0;
    } else if (bSrc >= 0) view.set(b, bSrc);
    if (cAt >= 0) {
      c = view;
      cOff += cAt;
    }
    for (let i0 = 0; i0 < m; i0 += tm) {
      const mb = Math.min(tm, m - i0);
      const mp = roundUp(mb, bl.mr);
      for (let j0 = 0; j0 < n; j0 += tn) {
        const nb = Math.min(tn, n - j0);
        const np = roundUp(nb, bl.nr);
        // In place, the tile's whole register tiles go straight into C; a padded last row or
        // column panel would overwrite C's neighbours, so those strips go through scratch:
        // the right strip (all rows) first, then the bottom strip under the in-place block.
        const mIn = direct ? mb - (mb % bl.mr) : 0;
        const nIn = direct ? nb - (nb % bl.nr) : 0;
        const inPlace = mIn > 0 && nIn > 0;
        const right = inPlace ? np - nIn : np;
        const bottom = inPlace ? mp - mIn : 0;
        for (let p0 = 0; p0 < k; p0 += bl.kc) {
          const kb = Math.min(bl.kc, k - p0);
          // Byte addresses of this block's A and B panels: packed here, or prepacked (one
          // k-block, so rows i0… start at panel i0/MR, i0·k elements in).
          let pa = aBase * es, pb = bBase * es;
          if (aPanels >= 0) pa = (aPanels + i0 * k) * es;
          else if (aSrc >= 0) packer!((aSrc + aOff + i0 * ars + p0 * aks) * es, ars * es, aks * es, mb, kb, bl.mr, pa);
          else packA(transA, a, aOff, lda, i0, mb, p0, kb, bl.mr, view, aBase);
          if (bPanels >= 0) pb = (bPanels + j0 * k) * es;
          else if (bSrc >= 0) packer!((bSrc + bOff + p0 * bks + j0 * bcs) * es, bcs * es, bks * es, nb, kb, bl.nr, pb);
          else packB(transB, b, bOff, ldb, j0, nb, p0, kb, bl.nr, view, bBase);
          const acc = p0 === 0 ? 0 : 1;
          if (inPlace) {
            kernel(mIn, nIn, kb, pa, pb, (cOff + i0 * ldc + j0) * es, ldc * es, bl.mc, bl.nc, p0 === 0 && beta === 0 ? 0 : 1);
            if (bottom > 0) kernel(bottom, nIn, kb, pa + mIn * kb * es, pb, (cBase + mp * right) * es, nIn * es, bl.mc, bl.nc, acc);
          }
          if (right > 0) kernel(mp, right, kb, pa, pb + (np - right) * kb * es, cBase * es, right * es, bl.mc, bl.nc, acc);
        }
        if (inPlace) {
          if (right > 0) storeC(mb, nb - nIn, alpha, view, cBase, right, beta, c, cOff + i0 * ldc + j0 + nIn, ldc);
          if (bottom > 0) storeC(mb - mIn, nIn, alpha, view, cBase + mp * right, nIn, beta, c, cOff + (i0 + mIn) * ldc + j0, ldc);
          continue;
        }
        if (alpha === 1 && beta === 0 && nb === np && ldc === nb) c.set(tileView(isF32, cBase, mb * np), cOff + i0 * ldc);
        else storeC(mb, nb, alpha, view, cBase, np, beta, c, cOff + i0 * ldc + j0, ldc);
      }
    }
  };
  return {
    gemm: (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) =>
      run(0, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc),
    gemmPrepacked: (prepacked, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) =>
      run(prepacked, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc),
    blockingFor: (isF32, m) => (isF32 && m >= wideMin ? F32w : isF32 ? F32b : F64b),
    prepackedProducts: () => prepackedProducts,
  };
}
