// Optional worker-thread GEMM: the wasm kernels run on one shared WebAssembly memory in the
// calling thread and in worker threads. The calling thread packs each k-block (as in the
// single-threaded driver), then every thread multiplies its own band of C rows; the caller
// blocks with Atomics.wait until the workers are done, so `gemm` stays synchronous.
//
// Only where it can work: SharedArrayBuffer, Atomics, a shared-memory wasm module and Node's
// worker_threads (loaded by dynamic import, so this module stays inlinable and browsers just
// get null). Browsers' main threads may not block, so there is no Web Worker path.

import { createWasmGemm, packersOf, preferredGemmBytes, wasmDriver, type BlockingOverrides, type GemmFn, type Kernel } from './gemm-wasm.js';

/** A pool of worker threads sharing the GEMM kernels' memory. */
export interface GemmThreads {
  /** Same contract as the other kernels. */
  gemm: GemmFn;
  /** Threads taking part, the calling one included. */
  threads: number;
  /** Stops the workers; `gemm` must not be called afterwards. */
  close: () => void;
}

/** Int32 slots per worker in the control array. */
const SLOT = 16;
// Slot layout: SEQ (bumped to start a job), CMD (0 f32, 1 f64, 2 stop), ten kernel
// arguments, DONE (0 running, 1 done, 2 failed).
const SEQ = 0, CMD = 1, ARGS = 2, DONE = 12;
/** Pages of the shared memory's maximum (matches the shared module's import). */
const MAX_PAGES = 16384;

/**
 * Worker body, a constant ES module started from a data: URL: instantiate, report ready,
 * then serve jobs. No user text ever reaches it; its only inputs are posted numbers.
 */
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
const { module, memory, control, base } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, base + ${SEQ}, seen);
  const seq = Atomics.load(ctl, base + ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  const cmd = ctl[base + ${CMD}];
  if (cmd === 2) break;
  const a = base + ${ARGS};
  try {
    (cmd === 0 ? ex.gemm_f32 : ex.gemm_f64)(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7], ctl[a + 8], ctl[a + 9]);
    Atomics.store(ctl, base + ${DONE}, 1);
  } catch (e) {
    Atomics.store(ctl, base + ${DONE}, 2);
  }
  Atomics.notify(ctl, base + ${DONE});
}
`;

/** Whether this runtime has what worker-thread GEMM needs (not counting worker_threads). */
export function threadsSupported(): boolean {
  try {
    return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && preferredGemmBytes(true) !== null;
  } catch {
    return false;
  }
}

/**
 * Starts `threads − 1` workers (the caller is the last thread). Resolves to null where worker
 * threads or shared wasm memory are unavailable, or for fewer than two threads. Workers are
 * unref'd: they never keep a process alive.
 */
export async function createGemmThreads(threads: number, blocking: BlockingOverrides = {}): Promise<GemmThreads | null> {
  if (!(threads >= 2) || !threadsSupported()) return null;
  let wt: typeof import('node:worker_threads');
  try {
    // A computed specifier keeps bundlers of browser code from trying to resolve it.
    const specifier = ['node', 'worker_threads'].join(':');
    wt = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
  } catch {
    return null;
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const module = new WebAssembly.Module(preferredGemmBytes(true)!.bytes);
  const own = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const nWorkers = threads - 1;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * nWorkers));
  const workers = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < nWorkers; w++) {
    const url = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);
    const worker = new wt.Worker(url, { workerData: { module, memory, control: ctl.buffer, base: w * SLOT } });
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

  /** Splits one kernel call into bands of rows (multiples of MR = 4), one per thread. */
  const split = (cmd: number, local: Kernel): Kernel => (mp, np, kc, pa, pb, pc, ldc, mc, nc, accumulate) => {
    const es = cmd === 0 ? 4 : 8;
    const band = Math.ceil(mp / threads / 4) * 4;
    let started = 0;
    for (let w = 0; w < nWorkers; w++) {
      const i0 = band * (w + 1);
      if (i0 >= mp) break;
      const rows = Math.min(band, mp - i0);
      const s = w * SLOT;
      ctl[s + CMD] = cmd;
      ctl[s + ARGS] = rows; ctl[s + ARGS + 1] = np; ctl[s + ARGS + 2] = kc;
      ctl[s + ARGS + 3] = pa + i0 * kc * es; ctl[s + ARGS + 4] = pb; ctl[s + ARGS + 5] = pc + i0 * ldc;
      ctl[s + ARGS + 6] = ldc; ctl[s + ARGS + 7] = mc; ctl[s + ARGS + 8] = nc; ctl[s + ARGS + 9] = accumulate;
      Atomics.store(ctl, s + DONE, 0);
      Atomics.add(ctl, s + SEQ, 1);
      Atomics.notify(ctl, s + SEQ);
      started++;
    }
    local(Math.min(band, mp), np, kc, pa, pb, pc, ldc, mc, nc, accumulate);
    let failed = false;
    for (let w = 0; w < started; w++) {
      const s = w * SLOT;
      while (Atomics.load(ctl, s + DONE) === 0) Atomics.wait(ctl, s + DONE, 0);
      if (ctl[s + DONE] === 2) failed = true;
    }
    if (failed) throw new Error('tnc internal error: a GEMM worker thread failed');
  };

  // A GEMM too big for the shared memory's maximum runs single-threaded on private memory.
  const single = createWasmGemm(undefined, blocking)!.gemm;
  const gemm = wasmDriver(memory, split(0, own.gemm_f32 as Kernel), split(1, own.gemm_f64 as Kernel), blocking, MAX_PAGES * 65536, single,
    packersOf(own));
  const close = (): void => {
    for (let w = 0; w < nWorkers; w++) {
      ctl[w * SLOT + CMD] = 2;
      Atomics.add(ctl, w * SLOT + SEQ, 1);
      Atomics.notify(ctl, w * SLOT + SEQ);
    }
  };
  return { gemm, threads, close };
}
