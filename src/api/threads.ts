// setCpuThreads(n | 'auto'): how many threads the CPU backend's large matrix products use in
// this process. One setting for everything the library runs on the CPU (compile()'s functions
// and einsum share one runtime and one pool); each generated module has its own (its
// `setThreads` export). Off (1) by default: see docs/CPU-BACKEND.md, "Worker threads".

import { error, SourceFile, TncError } from '../diagnostics.js';
import { setGemmThreads, threadsProblem } from '../backends/cpu/gemm.js';

/** A bad thread count as a TncError with a caret under the value, like compile()'s option checks. */
function threadsError(threads: unknown, problem: string): TncError {
  const text = typeof threads === 'string' ? threads : String(threads);
  return new TncError([error('options/threads', problem, { start: 0, end: Math.max(1, text.length) })], SourceFile.from('threads', text));
}

/**
 * Sets how many threads (the calling one included) the CPU backend uses for large matrix
 * products: a positive integer, or `'auto'` for the machine's cores (Node's
 * `availableParallelism()`, at most 4); `1` turns the worker pool off (the default). Resolves,
 * once the workers run, to the count in use: 1 where worker threads are unavailable (browsers,
 * no SharedArrayBuffer or wasm SIMD). Only products that pay for it are split (at least 2²³
 * multiply-adds, 8 rows per thread and k ≥ 8; see threadsPay in backends/cpu/gemm.ts);
 * results are bit-identical to one thread, and the workers never keep the process alive.
 * Rejects with a TncError (code `options/threads`) for anything else: 0, -1, 2.5, 'x'.
 *
 * Example: `await setCpuThreads('auto')` → 2 on a two-core machine; `await setCpuThreads(1)` → 1.
 */
export async function setCpuThreads(threads: number | 'auto'): Promise<number> {
  const problem = threadsProblem(threads);
  if (problem !== undefined) throw threadsError(threads, problem);
  return setGemmThreads(threads);
}
