// Fast GEMM for the CPU runtime: a cache-blocked, register-tiled kernel in plain TypeScript,
// the WebAssembly SIMD128 kernel (./wasm) where the runtime validates it, and `fastGemm`,
// which picks between them (and a direct loop for tiny products) by size, plus opt-in
// worker threads for large products (`setGemmThreads`, `enableGemmThreads`).
// Inlinable into generated modules: no top-level await, no Node API outside the opt-in
// thread pool (which loads worker_threads by dynamic import behind a capability check).

import { gemmWithoutProduct, packA, packB, roundUp, scaleC, storeC, type FloatArray, type GemmFn } from './gemm-pack.js';
import { createGemmThreads, type GemmThreads } from './wasm/gemm-threads.js';
import { createWasmGemm, type WasmGemm } from './wasm/gemm-wasm.js';

export type { FloatArray, GemmFn };

// Plain kernel blocking (elements). Operands are packed into Float64Array panels whatever the
// input dtype, so the micro-kernel stays monomorphic; f32 results round once on store.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const TILE = 512;

/**
 * Micro-kernel sweep over one k-block: C[mp×np] += A·B, with A in MR-row panels and B in
 * NR-column panels (both kc deep). MC rows of A stay hot in L2 while each B panel is reused.
 */
function kernelPlain(mp: number, np: number, kc: number, pa: Float64Array, aBase: number,
  pb: Float64Array, bBase: number, pc: Float64Array, cBase: number, ldc: number): void {
  for (let ic = 0; ic < mp; ic += MC) {
    const iEnd = Math.min(ic + MC, mp);
    for (let jr = 0; jr < np; jr += NR) {
      const bPanel = bBase + jr * kc;
      for (let ir = ic; ir < iEnd; ir += MR) {
        let ia = aBase + ir * kc;
        let ib = bPanel;
        const c0 = cBase + ir * ldc + jr;
        const c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        let c00 = pc[c0], c01 = pc[c0 + 1], c02 = pc[c0 + 2], c03 = pc[c0 + 3];
        let c10 = pc[c1], c11 = pc[c1 + 1], c12 = pc[c1 + 2], c13 = pc[c1 + 3];
        let c20 = pc[c2], c21 = pc[c2 + 1], c22 = pc[c2 + 2], c23 = pc[c2 + 3];
        let c30 = pc[c3], c31 = pc[c3 + 1], c32 = pc[c3 + 2], c33 = pc[c3 + 3];
        for (let p = 0; p < kc; p++) {
          const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
          let a = pa[ia];
          c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
          a = pa[ia + 1];
          c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
          a = pa[ia + 2];
          c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
          a = pa[ia + 3];
          c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
          ia += MR;
          ib += NR;
        }
        pc[c0] = c00; pc[c0 + 1] = c01; pc[c0 + 2] = c02; pc[c0 + 3] = c03;
        pc[c1] = c10; pc[c1 + 1] = c11; pc[c1 + 2] = c12; pc[c1 + 3] = c13;
        pc[c2] = c20; pc[c2 + 1] = c21; pc[c2 + 2] = c22; pc[c2 + 3] = c23;
        pc[c3] = c30; pc[c3 + 1] = c31; pc[c3 + 2] = c32; pc[c3 + 3] = c33;
      }
    }
  }
}

/** A plain-TypeScript GEMM with its own grow-only scratch (packed panels and a C tile). */
export function createPlainGemm(): GemmFn {
  let scratch = new Float64Array(0);
  return (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
    if (gemmWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) return;
    const tm = Math.min(roundUp(m, MR), TILE);
    const tn = Math.min(roundUp(n, NR), TILE);
    const kcMax = Math.min(k, KC);
    const aBase = tm * tn;
    const bBase = aBase + tm * kcMax;
    const need = bBase + kcMax * tn;
    if (scratch.length < need) scratch = new Float64Array(need);
    const w = scratch;
    for (let i0 = 0; i0 < m; i0 += tm) {
      const mb = Math.min(tm, m - i0);
      const mp = roundUp(mb, MR);
      for (let j0 = 0; j0 < n; j0 += tn) {
        const nb = Math.min(tn, n - j0);
        const np = roundUp(nb, NR);
        w.fill(0, 0, mp * np);
        for (let p0 = 0; p0 < k; p0 += KC) {
          const kb = Math.min(KC, k - p0);
          packA(transA, a, aOff, lda, i0, mb, p0, kb, MR, w, aBase);
          packB(transB, b, bOff, ldb, j0, nb, p0, kb, NR, w, bBase);
          kernelPlain(mp, np, kb, w, aBase, w, bBase, w, 0, np);
        }
        storeC(mb, nb, alpha, w, 0, np, beta, c, cOff + i0 * ldc + j0, ldc);
      }
    }
  };
}

/**
 * Direct loops on the caller's arrays (no packing): the cheapest path for tiny products,
 * where packing and tile set-up would dominate. Every element of C is one dot product over
 * k, accumulated in a double (also for f32) and written once; beta 0 never reads C.
 */
export function gemmDirect(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
  beta: number, c: FloatArray, cOff: number, ldc: number): void {
  // Dot products over k, four columns of C at a time (one load of A per four multiply-adds,
  // C written once): 2–3× the axpy form on the 4…16-sized steps of small MPS sweeps, which
  // spent most of their time here.
  const ars = transA ? 1 : lda, aks = transA ? lda : 1;
  const bcs = transB ? ldb : 1, bks = transB ? 1 : ldb;
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const cr = cOff + i * ldc;
    const ar = aOff + i * ars;
    let j = 0;
    for (; j < n4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let ap = ar, bp = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        const x = a[ap];
        s0 += x * b[bp];
        s1 += x * b[bp + bcs];
        s2 += x * b[bp + 2 * bcs];
        s3 += x * b[bp + 3 * bcs];
        ap += aks;
        bp += bks;
      }
      const cj = cr + j;
      if (beta === 0) {
        c[cj] = alpha * s0;
        c[cj + 1] = alpha * s1;
        c[cj + 2] = alpha * s2;
        c[cj + 3] = alpha * s3;
      } else {
        c[cj] = alpha * s0 + beta * c[cj];
        c[cj + 1] = alpha * s1 + beta * c[cj + 1];
        c[cj + 2] = alpha * s2 + beta * c[cj + 2];
        c[cj + 3] = alpha * s3 + beta * c[cj + 3];
      }
    }
    for (; j < n; j++) {
      let s = 0;
      let ap = ar, bp = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        s += a[ap] * b[bp];
        ap += aks;
        bp += bks;
      }
      c[cr + j] = beta === 0 ? alpha * s : alpha * s + beta * c[cr + j];
    }
  }
}

/** The kernels `fastGemm` dispatches to, created once per runtime instance. */
interface Engines {
  plain: GemmFn;
  wasm: WasmGemm | null;
  /** Worker-thread pool, present only after `enableGemmThreads` / `setGemmThreads`. */
  threads: GemmThreads | null;
  /** The last thread-count change: changes run one after another, so no pool is ever orphaned. */
  threadsChange: Promise<unknown>;
}

// Lazily created engines: scratch memory is reused across calls (grow-only), which is what
// keeps the steady state allocation-free. Results never depend on this state.
let engines: Engines | null = null;

function getEngines(): Engines {
  if (engines === null) engines = { plain: createPlainGemm(), wasm: createWasmGemm(), threads: null, threadsChange: Promise.resolve() };
  return engines;
}

/**
 * Size thresholds in multiply-adds (m·n·k), from timing the paths on V8 here: with SIMD the
 * wasm kernel beats the direct loop from about 200 multiply-adds on, with operands in JS
 * arrays (copied in) as well as resident in wasm memory (8³ f64: 0.39 vs 0.73 µs; 4·4·8:
 * 0.30 vs 0.19 µs); without SIMD the plain kernel needs more work (around 16³) to pay for
 * its packing.
 */
export const DIRECT_MAX_WORK = 192;
/** Direct-loop limit when only the plain kernel is available. */
export const DIRECT_MAX_WORK_NO_SIMD = 4096;

/**
 * From this many multiply-adds a GEMM may be split across the worker threads, when enabled
 * (see threadsPay): 2²³ take about 1 ms on one thread. Measured on the busy 2-core machine
 * here, a step of 2²² (Tucker 64³'s last, 4096×64×16, ~0.5 ms) ran slower on two threads
 * inside its model: waking a worker that slept since the last call, and a worker the OS
 * preempts mid-job, cost more than half the step.
 */
export const THREADS_MIN_WORK = 2 ** 23;

/**
 * Whether a GEMM of this shape pays for `threads` threads: enough multiply-adds
 * (THREADS_MIN_WORK), enough rows for every thread's bands (8 per thread), and a k of at
 * least THREADS_MIN_K (below it every C element gets a handful of multiply-adds, so the step
 * is bound by writing C, which one core already saturates). A pure function of the shape.
 */
export function threadsPay(m: number, n: number, k: number, threads: number): boolean {
  return threads >= 2 && m * n * k >= THREADS_MIN_WORK && m >= 8 * threads && k >= THREADS_MIN_K;
}

/** Smallest k of a threaded GEMM (see threadsPay). */
export const THREADS_MIN_K = 8;

/** Which kernel `fastGemm` uses for a problem size (exposed for tests and the benchmark). */
export function chooseGemm(m: number, n: number, k: number): 'direct' | 'plain' | 'wasm' | 'threads' {
  const work = m * n * k;
  const e = getEngines();
  const simd = e.wasm !== null;
  // Outer products (k = 1: Khatri–Rao products, CP reconstructions) still take the wasm
  // kernel when large: 2.3× the direct loop on 32 products of 128×128 (SIMD stores).
  if (work <= (simd ? DIRECT_MAX_WORK : DIRECT_MAX_WORK_NO_SIMD) || k < 1 || (k === 1 && !simd)) return 'direct';
  if (e.threads !== null && threadsPay(m, n, k, e.threads.threads)) return 'threads';
  return simd ? 'wasm' : 'plain';
}

/**
 * Lets `fastGemm` split large GEMMs across `threads` threads (the caller included) with
 * worker_threads and shared wasm memory. Resolves to the thread count in use: 1 where that
 * is unavailable (browsers, no SharedArrayBuffer) or not asked for. Calling it again replaces
 * the pool; `enableGemmThreads(1)` stops it.
 */
export function enableGemmThreads(threads: number): Promise<number> {
  return changeThreads(() => threads);
}

/** Runs a thread-count change after the previous one (each awaits a pool start or stop). */
function changeThreads(count: () => number | Promise<number>): Promise<number> {
  const e = getEngines();
  const change = e.threadsChange.then(async () => {
    const threads = await count();
    e.threads?.close();
    e.threads = null;
    if (e.wasm === null || !(threads >= 2)) return 1;
    e.threads = await createGemmThreads(Math.floor(threads));
    return e.threads?.threads ?? 1;
  });
  e.threadsChange = change.catch(() => undefined);
  return change;
}

/**
 * Most threads `'auto'` asks for. Two threads measured 1.5–1.9× one on n ≥ 256 products; more
 * were not measured, and each extra worker polls briefly after every product, so 'auto' stays
 * modest on large machines (an explicit count may go higher).
 */
export const AUTO_THREADS_MAX = 4;

/** Why `threads` is not a valid thread request (a positive integer or 'auto'), or undefined when it is. */
export function threadsProblem(threads: unknown): string | undefined {
  if (threads === 'auto' || (typeof threads === 'number' && Number.isInteger(threads) && threads >= 1)) return undefined;
  const shown = typeof threads === 'string' ? `'${threads}'` : typeof threads === 'number' || typeof threads === 'bigint' ? String(threads) : threads === null ? 'null' : typeof threads;
  return `threads must be a positive integer or 'auto', got ${shown}`;
}

/** The machine's cores (Node's availableParallelism, else navigator.hardwareConcurrency), capped at AUTO_THREADS_MAX. */
async function autoThreadCount(): Promise<number> {
  let cores = 1;
  try {
    // A computed specifier keeps bundlers of browser code from trying to resolve it.
    const os = (await import(/* @vite-ignore */ ['node', 'os'].join(':'))) as { availableParallelism?: () => number; cpus: () => unknown[] };
    cores = os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(AUTO_THREADS_MAX, Math.floor(cores) || 1));
}

/**
 * Sets how many threads (the caller included) large GEMMs use: a positive integer, or 'auto'
 * for the machine's cores up to AUTO_THREADS_MAX; 1 turns the pool off. Resolves, once the
 * workers run, to the count in use: 1 where threads are unavailable (browsers, no
 * SharedArrayBuffer or wasm SIMD). Rejects with a RangeError for anything else (0, -1, 2.5,
 * 'x'). Workers never keep the process alive. Results are bit-identical whatever the count.
 */
export function setGemmThreads(threads: number | 'auto'): Promise<number> {
  const problem = threadsProblem(threads);
  if (problem !== undefined) return Promise.reject(new RangeError(problem));
  return changeThreads(() => (threads === 'auto' ? autoThreadCount() : threads));
}

/** Threads large GEMMs use now (1 when no pool runs) and the products the current pool has run. */
export function gemmThreadsInfo(): { threads: number; products: number } {
  const pool = engines?.threads;
  return { threads: pool?.threads ?? 1, products: pool?.products ?? 0 };
}

/**
 * The wasm engine's memory, where the runtime keeps its temps so GEMM and permute steps use
 * them in place (see WasmGemm.reserve), and its GEMM with prepacked operands (the runtime's
 * permutes that feed a GEMM write its panel layout); null where WebAssembly SIMD is
 * unavailable (the runtime then keeps JS arrays).
 */
export function residentMemory(shared = false): Pick<WasmGemm, 'memory' | 'reserve' | 'gemmPrepacked' | 'blockingFor' | 'prepackedProducts'> | null {
  const e = getEngines();
  return shared && e.threads !== null ? e.threads.engine : e.wasm;
}

/**
 * The running thread pool (an identity token: the runtime re-places its temps when it
 * changes), or null when large products run on one thread.
 */
export function gemmThreadPool(): object | null {
  return engines?.threads ?? null;
}

/**
 * The one-thread wasm engine for arrays that may live in wasm memory: the thread pool's
 * engine when one of them is a view of its shared memory, else the private one.
 */
function engineFor(e: Engines, x: FloatArray, y: FloatArray, z: FloatArray): WasmGemm | null {
  const pool = e.threads;
  if (pool !== null) {
    const shared = pool.engine.memory.buffer;
    if (x.buffer === shared || y.buffer === shared || z.buffer === shared) return pool.engine;
  }
  return e.wasm;
}

/**
 * The runtime's permute step in WebAssembly where available and worthwhile; returns false
 * (nothing done) otherwise, and the caller runs its JS loop.
 */
export function fastPermute(src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number,
  shape: ArrayLike<number>, strides: ArrayLike<number>): boolean {
  const permute = engineFor(getEngines(), src, dst, dst)?.permute;
  return permute !== undefined && permute(src, srcOff, dst, dstOff, shape, strides);
}

/**
 * Row-major C = alpha·op(A)·op(B) + beta·C for f32 or f64 (C's array type decides the
 * precision of the wasm kernel). Uses WebAssembly SIMD where available and the problem is
 * large enough, else the plain blocked kernel, else a direct loop. beta 0 never reads C.
 */
export const fastGemm: GemmFn = (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
  const which = chooseGemm(m, n, k);
  if (which === 'direct') {
    if (k <= 0 || alpha === 0) scaleC(m, n, beta, c, cOff, ldc);
    else gemmDirect(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  } else if (which === 'threads') {
    getEngines().threads!.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  } else if (which === 'wasm') {
    const e = getEngines();
    engineFor(e, a, b, c)!.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  } else {
    getEngines().plain(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }
};
