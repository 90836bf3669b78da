// Optional worker-thread GEMM: the wasm kernels run on one shared WebAssembly memory in the
// calling thread and in worker threads; the caller blocks until the product is done, so `gemm`
// stays synchronous.
//
// The shared memory is allocated whole at its maximum (never grown) and has its own one-thread
// engine (`engine`): the runtime keeps a threaded plan's temps there, so resident operands are
// packed where they are and a resident C (alpha 1, beta 0 or 1) is written in place by the
// kernels, its padded edges through strips, as the one-thread driver does: no copies in or out
// (copying a TT-layer's 16 MB operand in cost as much as its product). f32 products of many
// rows use the same 5×8 kernel as one thread.
//
// One job per C tile, shared out dynamically. The caller copies a non-resident B into the shared memory and
// posts the job, then copies A while the workers start; every thread (caller included) first
// claims groups of B's columns and packs them for all k-blocks, then, once all of B is packed
// and A is in place, claims (k-block, band of C's rows) pairs in k-block order: it packs that
// band of A's k-block into a private buffer and runs the kernel on it, after the band's earlier
// k-blocks (a band's rows accumulate block after block). Taking the k-blocks in turn keeps one
// packed block of B in every core's L2 (band by band over all of k, a 1024² f32 product
// re-read its 4 MB of packed B for every band). Claims are atomic counters, so a thread that the OS
// starts late (a busy machine, or a worker woken onto the caller's core) simply does less: the
// caller alone finishes any job. Measured on this 2-core machine, a fixed half-and-half split
// lost most of its speed-up whenever the woken worker ran only after the caller's half, and the
// serial packing on the caller was 3–5% of the time. Bands start at multiples of MR and every
// element is computed by the same kernel calls as on one thread, so results are bit-identical.
// Operands the single-threaded driver would pack from JS (too large to copy, or slices of a much
// larger array) keep that packing on the caller, one job per k-block that shares out only the
// kernel.
//
// Only where it can work: SharedArrayBuffer, Atomics, a shared-memory wasm module and Node's
// worker_threads (loaded by dynamic import, so this module stays inlinable and browsers just
// get null). Browsers' main threads may not block, so there is no Web Worker path.

import { gemmWithoutProduct, roundUp, storeC } from '../gemm-pack.js';
import {
  createWasmGemm, F32, F32_WIDE, F64, IN_PLACE_TILE, packersOf, preferredGemmBytes, spanOf, stageable, tileShape, WIDE_MIN_ROWS, wasmDriver,
  type Blocking, type BlockingOverrides, type GemmFn, type Kernel, type ScratchLayout, type WasmGemm,
} from './gemm-wasm.js';

/** A pool of worker threads sharing the GEMM kernels' memory. */
export interface GemmThreads {
  /** Same contract as the other kernels. */
  gemm: GemmFn;
  /** Threads taking part, the calling one included. */
  threads: number;
  /** Stops the workers; `gemm` must not be called afterwards. */
  close: () => void;
  /** Products `gemm` has run so far (the no-product cases excluded): shows tests that the pool was used. */
  readonly products: number;
  /**
   * The one-thread kernels on the pool's shared memory: while the pool runs, the runtime keeps
   * its temps there (`reserve`), so threaded products read and write them in place, as the
   * one-thread engine does in its own memory, with no copies in or out.
   */
  engine: WasmGemm;
}

// Control words (Int32Array over a SharedArrayBuffer). Workers sleep on SEQ; OPEN holds the
// sequence number of the job that may be joined (0 once closed); FAILED is set by a thread whose
// kernel threw. The claim/ready/done counters and the job's parameters follow; IN_JOB holds, per
// worker (16 words apart), the job it is inside; TABLE holds the row bands' boundaries and
// BAND_DONE, per band, how many of its k-blocks are done.
const SEQ = 0, OPEN = 1, FAILED = 2, B_CLAIM = 3, B_READY = 4, C_CLAIM = 5, C_DONE = 6;
const KIND = 8, DT = 9, A_SRC = 10, ARS = 11, AKS = 12, B_SRC = 13, BCS = 14, BKS = 15, NB = 16, NP = 17,
  K = 18, KC = 19, MR = 20, NR = 21, PB = 22, PC = 23, LDC = 24, MC = 25, NC = 26, A_BUF = 27, A_STRIDE = 28,
  N_B = 29, G_COLS = 30, N_C = 31, ACC0 = 32, DIRECT = 33, ACC_IN = 34, C_AT = 35, C_LD = 36, M_IN = 37, N_IN = 38,
  RIGHT = 39, BOTTOM = 40;
const IN_JOB = 48, TABLE = 48 + 16 * 64, MAX_BANDS = 1024, BAND_DONE = TABLE + MAX_BANDS + 1;
/** Job kinds: pack B and A from staged copies; kernel only (A and B packed by the caller); stop. */
const STAGED = 0, PACKED = 1, STOP = 2;
/** Most threads a pool takes (IN_JOB has room for 64 workers). */
const MAX_THREADS = 65;
/**
 * How long an idle worker, or a thread waiting for the others, polls before sleeping (ms):
 * back-to-back GEMMs (tiles, batched steps, a plan's consecutive steps) then find the worker
 * still running on its own core instead of waking it, which the OS may place on the caller's.
 */
const SPIN_MS = 0.3;
/**
 * Pages of the shared memory (the shared module's maximum): allocated whole at the start, so
 * it never grows and views of it stay valid; untouched pages take no physical memory.
 */
const MAX_PAGES = 16384;
/**
 * Most bytes of one packed k-block of B in a threaded tile whose C is written in place: every
 * row band streams the whole block, so it should stay in L2 (a 128×16384 C read a 16 MB
 * packed B once per band).
 */
const B_BLOCK_BYTES = 2 ** 20;

/**
 * The job every thread runs, as JavaScript text: the workers evaluate it in their module and
 * the caller imports it from a data: URL, so both run the same code. `t` numbers the thread
 * (the caller is 0) and picks its private A buffer.
 */
const JOB_SOURCE = `
function waitAtLeast(ctl, idx, target, spinMs) {
  let v = Atomics.load(ctl, idx);
  if (v >= target) return;
  const end = performance.now() + spinMs;
  for (let i = 1; ; i++) {
    v = Atomics.load(ctl, idx);
    if (v >= target) return;
    if (Atomics.load(ctl, ${FAILED}) !== 0) throw new Error('tnc internal error: a GEMM worker thread failed');
    if ((i & 63) === 0 && performance.now() > end) break;
  }
  for (;;) {
    v = Atomics.load(ctl, idx);
    if (v >= target) return;
    if (Atomics.load(ctl, ${FAILED}) !== 0) throw new Error('tnc internal error: a GEMM worker thread failed');
    Atomics.wait(ctl, idx, v, 2);
  }
}
function runJob(ex, ctl, t, spinMs, onBand) {
  const dt = ctl[${DT}], es = dt === 1 ? 8 : 4;
  const pack = dt === 1 ? ex.pack_f64 : ex.pack_f32, gemm = dt === 0 ? ex.gemm_f32 : dt === 1 ? ex.gemm_f64 : ex.gemm_f32_wide;
  const direct = ctl[${DIRECT}] !== 0, accIn = ctl[${ACC_IN}], cAt = ctl[${C_AT}], cLd = ctl[${C_LD}];
  const mIn = ctl[${M_IN}], nIn = ctl[${N_IN}], right = ctl[${RIGHT}], bottom = ctl[${BOTTOM}];
  const staged = ctl[${KIND}] === ${STAGED};
  const aSrc = ctl[${A_SRC}], ars = ctl[${ARS}], aks = ctl[${AKS}], bSrc = ctl[${B_SRC}], bcs = ctl[${BCS}], bks = ctl[${BKS}];
  const nb = ctl[${NB}], np = ctl[${NP}], k = ctl[${K}], kc = ctl[${KC}], mr = ctl[${MR}], nr = ctl[${NR}];
  const pb = ctl[${PB}], pc = ctl[${PC}], ldc = ctl[${LDC}], mc = ctl[${MC}], nc = ctl[${NC}];
  const aBuf = ctl[${A_BUF}] + t * ctl[${A_STRIDE}], nB = ctl[${N_B}], gCols = ctl[${G_COLS}], nC = ctl[${N_C}], acc0 = ctl[${ACC0}];
  for (;;) {
    const g = Atomics.add(ctl, ${B_CLAIM}, 1);
    if (g >= nB) break;
    const j0 = g * gCols, cols = Math.min(gCols, nb - j0);
    for (let p0 = 0; p0 < k; p0 += kc) {
      const kb = Math.min(kc, k - p0);
      pack(bSrc + p0 * bks + j0 * bcs, bcs, bks, cols, kb, nr, pb + (p0 * np + j0 * kb) * es);
    }
    Atomics.add(ctl, ${B_READY}, 1);
    Atomics.notify(ctl, ${B_READY});
  }
  waitAtLeast(ctl, ${B_READY}, nB + 1, spinMs);
  const nK = Math.ceil(k / kc), total = nK * nC;
  for (;;) {
    const q = Atomics.add(ctl, ${C_CLAIM}, 1);
    if (q >= total) break;
    const blk = (q / nC) | 0, i = q - blk * nC, p0 = blk * kc, kb = Math.min(kc, k - p0);
    if (blk > 0) waitAtLeast(ctl, ${BAND_DONE} + i, blk, spinMs);
    const r0 = ctl[${TABLE} + i], rows = ctl[${TABLE} + i + 1] - r0, rp = Math.ceil(rows / mr) * mr;
    let pa = aSrc + r0 * kb * es;
    if (staged) {
      pack(aSrc + r0 * ars + p0 * aks, ars, aks, rows, kb, mr, aBuf);
      pa = aBuf;
    }
    const pbk = pb + p0 * np * es;
    if (!direct) {
      gemm(rp, np, kb, pa, pbk, pc + r0 * ldc, ldc, mc, nc, blk === 0 ? acc0 : 1);
    } else {
      // C in place: the band's whole register tiles go straight into C; its padded column
      // panel goes to the right strip and a padded last row panel to the bottom strip.
      const inRows = Math.max(0, Math.min(r0 + rows, mIn) - r0);
      if (inRows > 0) gemm(inRows, nIn, kb, pa, pbk, cAt + r0 * cLd, cLd, mc, nc, blk === 0 ? accIn : 1);
      if (rp > inRows && nIn > 0) gemm(rp - inRows, nIn, kb, pa + inRows * kb * es, pbk, bottom, nIn * es, mc, nc, blk === 0 ? 0 : 1);
      if (np > nIn) gemm(rp, np - nIn, kb, pa, pbk + nIn * kb * es, right + r0 * (np - nIn) * es, (np - nIn) * es, mc, nc, blk === 0 ? 0 : 1);
    }
    Atomics.store(ctl, ${BAND_DONE} + i, blk + 1);
    Atomics.notify(ctl, ${BAND_DONE} + i);
    Atomics.add(ctl, ${C_DONE}, 1);
    Atomics.notify(ctl, ${C_DONE});
    if (onBand && blk === nK - 1) onBand(i);
  }
}
`;

/**
 * Worker body, a constant ES module started from a data: URL: instantiate, report ready, then
 * serve jobs (polling briefly for the next before sleeping). No user text ever reaches it; its
 * only inputs are numbers in the control words.
 */
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
${JOB_SOURCE}
const { module, memory, control, index } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
const mine = ${IN_JOB} + 16 * index;
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  const end = performance.now() + ${SPIN_MS};
  for (let i = 1; Atomics.load(ctl, ${SEQ}) === seen; i++) {
    if ((i & 63) === 0 && performance.now() > end) break;
  }
  while (Atomics.load(ctl, ${SEQ}) === seen) Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  if (ctl[${KIND}] === ${STOP}) break;
  Atomics.store(ctl, mine, seen);
  if (Atomics.load(ctl, ${OPEN}) === seen) {
    try {
      runJob(ex, ctl, index + 1, ${SPIN_MS});
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
      Atomics.notify(ctl, ${B_READY});
      Atomics.notify(ctl, ${C_DONE});
    }
  }
  Atomics.store(ctl, mine, 0);
  Atomics.notify(ctl, mine);
}
`;

/** The job function the caller runs (the same text as the workers'). */
type RunJob = (ex: WebAssembly.Exports, ctl: Int32Array, t: number, spinMs: number, onBand?: (band: number) => void) => void;
type WaitAtLeast = (ctl: Int32Array, idx: number, target: number, spinMs: number) => void;

/** Whether this runtime has what worker-thread GEMM needs (not counting worker_threads). */
export function threadsSupported(): boolean {
  try {
    return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && preferredGemmBytes(true) !== null;
  } catch {
    return false;
  }
}

/**
 * Boundaries of the row bands of a `rows`-row job for `threads` threads into `out` from
 * `at`; returns the band count. Guided self-scheduling: each band takes 1/(2·threads) of the
 * rows left (at least 4·MR rows), so early bands are large and the last ones short enough to
 * even out the threads' finishing times. Inner boundaries are multiples of `mr`, so padded
 * bands never overlap.
 */
export function rowBands(rows: number, mr: number, threads: number, out: Int32Array | number[], at = 0): number {
  let minRows = 4 * mr;
  for (;;) {
    let r = 0, count = 0;
    out[at] = 0;
    while (r < rows && count < MAX_BANDS) {
      const rem = rows - r;
      let size = Math.max(minRows, roundUp(Math.ceil(rem / (2 * threads)), mr));
      if (size >= rem) size = rem;
      r += size;
      out[at + ++count] = r;
    }
    if (r === rows) return count;
    minRows *= 2;
  }
}

/**
 * Starts `threads − 1` workers (the caller is the last thread). Resolves to null where worker
 * threads or shared wasm memory are unavailable, or for fewer than two threads. Workers are
 * unref'd: they never keep a process alive.
 */
export async function createGemmThreads(threads: number, blocking: BlockingOverrides = {}): Promise<GemmThreads | null> {
  if (!(threads >= 2) || !threadsSupported()) return null;
  threads = Math.min(Math.floor(threads), MAX_THREADS);
  let wt: typeof import('node:worker_threads');
  let job: { runJob: RunJob; waitAtLeast: WaitAtLeast };
  try {
    // A computed specifier keeps bundlers of browser code from trying to resolve it.
    const specifier = ['node', 'worker_threads'].join(':');
    wt = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const jobUrl = `data:text/javascript,${encodeURIComponent(`${JOB_SOURCE}\nexport { runJob, waitAtLeast };`)}`;
    job = (await import(/* @vite-ignore */ jobUrl)) as typeof job;
  } catch {
    return null;
  }
  const { runJob, waitAtLeast } = job;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: MAX_PAGES, maximum: MAX_PAGES, shared: true });
  } catch {
    return null; // no room for the address range here
  }
  const memoryBytes = memory.buffer.byteLength;
  const module = new WebAssembly.Module(preferredGemmBytes(true)!.bytes);
  const ownExports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const packers = packersOf(ownExports)!;
  const hasWide = typeof ownExports.gemm_f32_wide === 'function';
  const nWorkers = threads - 1;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (BAND_DONE + MAX_BANDS)));
  const workers = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < nWorkers; w++) {
    const url = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);
    const worker = new wt.Worker(url, { workerData: { module, memory, control: ctl.buffer, index: w } });
    ready.push(new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    }));
    workers.push(worker);
  }
  try {
    await Promise.all(ready);
  } catch {
    for (const worker of workers) void worker.terminate();
    return null;
  }
  for (const worker of workers) worker.unref();

  /** Which bands of the running job the caller has written back. */
  const stored = new Uint8Array(MAX_BANDS);

  /**
   * Runs the job whose parameters are in `ctl` on every thread and returns once all of its
   * bands are done and no worker is still inside it. `beforeOwn` runs on the caller after the
   * job is posted (it stages A, then counts itself into B_READY). `store` writes one finished
   * band back to the caller's C: right after each band the caller computes, and for the other
   * threads' bands as they finish, so most of the write-back overlaps the workers' kernels.
   */
  const runPosted = (beforeOwn?: () => void, store?: (band: number) => void): void => {
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, B_CLAIM, 0);
    Atomics.store(ctl, B_READY, beforeOwn ? 0 : 1);
    Atomics.store(ctl, C_CLAIM, 0);
    Atomics.store(ctl, C_DONE, 0);
    const seq = (ctl[SEQ] % 0x3fffffff) + 1;
    Atomics.store(ctl, OPEN, seq);
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    let error: unknown;
    try {
      if (beforeOwn) {
        beforeOwn();
        Atomics.add(ctl, B_READY, 1);
        Atomics.notify(ctl, B_READY);
      }
      const nC = ctl[N_C], nK = Math.ceil(ctl[K] / ctl[KC]);
      if (store) {
        stored.fill(0, 0, nC);
        const own = (band: number): void => {
          stored[band] = 1;
          store(band);
        };
        runJob(ownExports, ctl, 0, SPIN_MS, own);
        for (let i = 0; i < nC; i++) {
          if (stored[i] !== 0) continue;
          for (;;) {
            const done = Atomics.load(ctl, C_DONE);
            if (Atomics.load(ctl, BAND_DONE + i) >= nK) break;
            waitAtLeast(ctl, C_DONE, done + 1, SPIN_MS);
          }
          store(i);
        }
      } else {
        runJob(ownExports, ctl, 0, SPIN_MS);
      }
      waitAtLeast(ctl, C_DONE, nC * nK, SPIN_MS);
    } catch (e) {
      error = e;
      Atomics.store(ctl, FAILED, 1);
      Atomics.notify(ctl, B_READY);
      Atomics.notify(ctl, C_DONE);
    }
    // Close the job: a worker that has not entered it yet will see OPEN changed and skip it;
    // one inside it is waited for, so the next job may rewrite the parameters.
    Atomics.store(ctl, OPEN, 0);
    for (let w = 0; w < nWorkers; w++) {
      const at = IN_JOB + 16 * w;
      while (Atomics.load(ctl, at) === seq) Atomics.wait(ctl, at, seq);
    }
    if (error !== undefined) throw error;
  };

  /** Sets the parameters shared by both job kinds. */
  const setJob = (kind: number, dt: number, bl: Blocking, rows: number, nb: number, np: number, k: number,
    pb: number, pc: number, ldc: number): void => {
    ctl[KIND] = kind; ctl[DT] = dt; ctl[DIRECT] = 0;
    ctl[NB] = nb; ctl[NP] = np; ctl[K] = k; ctl[KC] = bl.kc; ctl[MR] = bl.mr; ctl[NR] = bl.nr;
    ctl[PB] = pb; ctl[PC] = pc; ctl[LDC] = ldc; ctl[MC] = bl.mc; ctl[NC] = bl.nc;
    ctl[N_C] = rowBands(rows, bl.mr, threads, ctl, TABLE);
    ctl.fill(0, BAND_DONE, BAND_DONE + ctl[N_C]);
  };

  // Operands packed from JS (or a GEMM too big for the staged layout): the single-threaded
  // driver packs each k-block on the caller, and the kernel call is shared out by rows.
  const split = (dt: number, bl: Blocking): Kernel => (mp, np, kc, pa, pb, pc, ldc, mc, nc, accumulate) => {
    setJob(PACKED, dt, { ...bl, kc, mc, nc }, mp, np, np, kc, pb, pc, ldc);
    ctl[A_SRC] = pa; ctl[N_B] = 0; ctl[ACC0] = accumulate;
    runPosted();
  };
  const F32b: Blocking = { ...F32, ...blocking.f32 };
  const F64b: Blocking = { ...F64, ...blocking.f64 };
  // The one-thread driver's wide f32 kernel, from as many rows (same results in any tile shape).
  const F32w: Blocking = { ...F32_WIDE, ...blocking.f32Wide };
  const wideMin = hasWide ? blocking.f32Wide?.minRows ?? WIDE_MIN_ROWS : Infinity;
  // Scratch of every driver on the shared memory starts after the runtime's resident temps.
  const layout: ScratchLayout = { resident: 0 };
  // A GEMM too big for the shared memory runs single-threaded on private memory.
  const single = createWasmGemm(undefined, blocking)!.gemm;
  const unstaged = wasmDriver(memory, split(0, F32b), split(1, F64b), blocking, memoryBytes, single, packers, layout);
  const engine = createWasmGemm(undefined, blocking, { memory, module, layout, fallback: single })!;

  // Views of the whole shared memory (it never grows); band boundaries' scratch.
  const f32 = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const scratch = new Int32Array(MAX_BANDS + 1);
  const shape = { tm: 0, tn: 0 };
  let products = 0;
  const gemm: GemmFn = (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
    if (gemmWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) return;
    products++;
    const isF32 = c instanceof Float32Array;
    const wide = isF32 && m >= wideMin;
    const bl = wide ? F32w : isF32 ? F32b : F64b;
    const es = isF32 ? 4 : 8;
    // Operands in the shared memory (the runtime's temps while the pool runs) are packed where
    // they are, and such a C with alpha 1 and beta 0 or 1 is written in place, as the
    // one-thread driver does; others are staged (copied in whole) and C goes back through a tile.
    const buf = f32.buffer;
    const aAt = a.buffer === buf && (a instanceof Float32Array) === isF32 ? a.byteOffset / es : -1;
    const bAt = b.buffer === buf && (b instanceof Float32Array) === isF32 ? b.byteOffset / es : -1;
    const cAt = c.buffer === buf ? c.byteOffset / es : -1;
    if ((aAt < 0 && !stageable(a, transA ? spanOf(k, m, lda) : spanOf(m, k, lda))) || (bAt < 0 && !stageable(b, transB ? spanOf(n, k, ldb) : spanOf(k, n, ldb)))) {
      unstaged(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    const direct = cAt >= 0 && alpha === 1 && (beta === 0 || beta === 1);
    const kcMax = Math.min(k, bl.kc);
    let tm: number, tn: number;
    if (direct) {
      tm = Math.min(roundUp(m, bl.mr), IN_PLACE_TILE - (IN_PLACE_TILE % bl.mr));
      const bCols = Math.max(bl.nr, Math.floor(B_BLOCK_BYTES / (kcMax * es * bl.nr)) * bl.nr);
      tn = Math.min(roundUp(n, bl.nr), IN_PLACE_TILE - (IN_PLACE_TILE % bl.nr), bCols);
    } else {
      tileShape(bl, m, n, undefined, shape);
      tm = shape.tm;
      tn = shape.tn;
    }
    // Bands shrink from the first, so it is the largest (a tile's bands are those of tm or fewer rows).
    rowBands(tm, bl.mr, threads, scratch);
    const bandMax = roundUp(scratch[1], bl.mr);
    // Layout in elements, after the resident region: [C tile tm×tn, or in place the right
    // strip tm×NR and the bottom strip MR×tn][packed B k×tn][one A band buffer per thread]
    // [staged B][staged A].
    const base = layout.resident / es;
    const bottomAt = base + tm * bl.nr;
    const pbAll = base + (direct ? tm * bl.nr + bl.mr * tn : tm * tn);
    const aBufs = pbAll + k * tn;
    const bSrc = aBufs + threads * bandMax * kcMax;
    const aSrc = bSrc + (bAt < 0 ? b.length : 0);
    const need = aSrc + (aAt < 0 ? a.length : 0);
    if (need * es > memoryBytes) {
      unstaged(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    const view = isF32 ? f32 : f64;
    // op(A)[i][p] = a[aOff + i·ars + p·aks]; op(B)[p][j] = b[bOff + p·bks + j·bcs].
    const ars = transA ? 1 : lda, aks = transA ? lda : 1;
    const bcs = transB ? ldb : 1, bks = transB ? 1 : ldb;
    const aFrom = aAt >= 0 ? aAt : aSrc, bFrom = bAt >= 0 ? bAt : bSrc;
    if (bAt < 0) view.set(b, bSrc);
    let aStaged = aAt >= 0;
    const stageA = (): void => {
      view.set(a, aSrc);
      aStaged = true;
    };
    ctl[ARS] = ars * es; ctl[AKS] = aks * es; ctl[BCS] = bcs * es; ctl[BKS] = bks * es;
    ctl[A_BUF] = aBufs * es; ctl[A_STRIDE] = bandMax * kcMax * es; ctl[ACC0] = 0;
    const dt = wide ? 2 : isF32 ? 0 : 1;
    for (let i0 = 0; i0 < m; i0 += tm) {
      const mb = Math.min(tm, m - i0);
      const mp = roundUp(mb, bl.mr);
      for (let j0 = 0; j0 < n; j0 += tn) {
        const nb = Math.min(tn, n - j0);
        const np = roundUp(nb, bl.nr);
        setJob(STAGED, dt, bl, mb, nb, np, k, pbAll * es, base * es, np * es);
        const gCols = Math.max(4 * bl.nr, roundUp(Math.ceil(nb / (4 * threads)), bl.nr));
        ctl[N_B] = Math.ceil(nb / gCols); ctl[G_COLS] = gCols;
        ctl[A_SRC] = (aFrom + aOff + i0 * ars) * es;
        ctl[B_SRC] = (bFrom + bOff + j0 * bcs) * es;
        if (direct) {
          // As the one-thread driver in place: whole register tiles into C, padded edges
          // through the strips, stored once the tile is done.
          const mIn = mb - (mb % bl.mr), nIn = nb - (nb % bl.nr);
          const inPlace = mIn > 0 && nIn > 0;
          const right = inPlace ? np - nIn : np;
          ctl[DIRECT] = 1; ctl[ACC_IN] = beta === 0 ? 0 : 1;
          ctl[C_AT] = (cAt + cOff + i0 * ldc + j0) * es; ctl[C_LD] = ldc * es;
          ctl[M_IN] = inPlace ? mIn : 0; ctl[N_IN] = inPlace ? nIn : 0;
          ctl[RIGHT] = base * es; ctl[BOTTOM] = bottomAt * es;
          runPosted(aStaged ? undefined : stageA);
          const at = cAt + cOff + i0 * ldc + j0;
          if (right > 0) storeC(mb, nb - (inPlace ? nIn : 0), alpha, view, base, right, beta, view, at + (inPlace ? nIn : 0), ldc);
          if (inPlace && mp > mIn) storeC(mb - mIn, nIn, alpha, view, bottomAt, nIn, beta, view, at + mIn * ldc, ldc);
          continue;
        }
        const contiguous = alpha === 1 && beta === 0 && nb === np && ldc === nb;
        runPosted(aStaged ? undefined : stageA, (band) => {
          const r0 = ctl[TABLE + band], r1 = ctl[TABLE + band + 1];
          if (contiguous) c.set(view.subarray(base + r0 * np, base + r1 * np), cOff + (i0 + r0) * ldc);
          else storeC(r1 - r0, nb, alpha, view, base + r0 * np, np, beta, c, cOff + (i0 + r0) * ldc + j0, ldc);
        });
      }
    }
  };

  const close = (): void => {
    ctl[KIND] = STOP;
    Atomics.store(ctl, SEQ, (ctl[SEQ] % 0x3fffffff) + 1);
    Atomics.notify(ctl, SEQ);
  };
  return {
    gemm, threads, close, engine,
    get products() {
      return products;
    },
  };
}
