// `tnc run FILE.tn`: compile for the CPU in memory, fill params (initParams) and inputs with
// seeded random values, bind symbolic dims (their planning hints unless --dim is given), run
// every `out` function and print a short summary of each result. A smoke test for a model.

import { compile } from '../api/compile.js';
import { setCpuThreads } from '../api/threads.js';
import { initParams } from '../ir/init-params.js';
import type { ModuleSpec } from '../backends/module-spec.js';
import { parseFlags, UsageError, type CliIO, type Command } from './io.js';
import { totalmem } from 'node:os';
import { CPU_MAX_ELEMENTS } from '../build.js';

const HELP = `usage: tnc run FILE.tn [--dtype f32|f64] [--seed N] [--dim NAME=SIZE ...] [--repeat N] [--threads N|auto]

Compiles FILE.tn for the CPU, fills every param with seeded random values scaled to unit
variance (initParams) and every input with seeded uniform values in [-1, 1), binds symbolic
dims to their planning hints (or to --dim values), runs each 'out' function and prints the
shape, the sum and the first values of each result, and the time per call. Sizes whose
inputs and outputs alone would take more than half of this machine's memory are refused.

options:
  --dtype f32|f64     element type (default f64)
  --seed N            seed for params and inputs (default 0)
  --dim NAME=SIZE     value of a symbolic dim; repeat or separate with commas (b=32,t=8)
  --repeat N          calls to time after the first (default 3)
  --threads N|auto    threads for large matrix products (default 1; 'auto' = the
                      machine's cores, at most 4); same results, Node worker_threads

examples:
  tnc run examples/tt-layer.tn
  tnc run examples/tt-layer.tn --dim b=256 --dtype f32
  tnc run examples/tt-layer.tn --dim b=256 --threads auto`;

function parseDims(text: string | undefined, into: Record<string, number>): void {
  if (text === undefined) return;
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--dim expects NAME=SIZE, got '${part}'`);
    const size = Number(m[2]);
    if (!Number.isSafeInteger(size) || size < 1) throw new UsageError(`--dim ${m[1]}: size must be a positive integer, got ${m[2]}`);
    // A second value is a mistake to report, not an override to apply silently.
    if (Object.hasOwn(into, m[1])) throw new UsageError(`--dim ${m[1]} is given twice (${m[1]}=${into[m[1]]}, then ${m[1]}=${size}); give each dim once`);
    into[m[1]] = size;
  }
}

/** --threads: a positive integer or 'auto' (undefined when absent). */
function parseThreads(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined || text === 'auto') return text;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--threads must be a positive integer or 'auto', got '${text}'`);
  return n;
}

/**
 * Runs `f`, turning a RangeError (a typed array too long for the --dim values, or the CPU
 * runtime's element cap) into a user error: the sizes are the user's, not a bug in tnc.
 */
function tooLargeAsUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`the model does not fit at these sizes: ${e.message}`);
    throw e;
  }
}

function uniform(n: number, seed: number, dtype: 'f32' | 'f64'): Float32Array | Float64Array {
  const out = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

function concreteShape(shape: readonly (number | string)[], dims: Record<string, number>): number[] {
  return shape.map((s) => (typeof s === 'number' ? s : dims[s]));
}

/**
 * Refuses sizes whose inputs and outputs alone would take more than half of this machine's
 * memory: each tensor may be below the runtime's element cap while all of them together
 * would run the process out of memory (killed by the OS, no message).
 */
export function checkMemory(shapes: number[][], bytesPerElement: number, total = totalmem()): void {
  const counts = shapes.map((shape) => shape.reduce((p, s) => p * s, 1));
  // A tensor past the runtime's element cap gets that (more precise) error from the call.
  if (counts.some((n) => n > CPU_MAX_ELEMENTS)) return;
  const bytes = counts.reduce((sum, n) => sum + n * bytesPerElement, 0);
  const limit = total / 2;
  if (bytes > limit) {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
    throw new UsageError(`the model does not fit at these sizes: its inputs and outputs alone take ${gib(bytes)} GiB, more than half of this machine's ${gib(total)} GiB; give smaller --dim values`);
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'compile a .tn file in memory and run it on seeded random data',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    // --dim may repeat: collect every occurrence before the generic flag parser sees them.
    // No prototype: a name such as __proto__ must land as a key (and be reported as no dim).
    const dims: Record<string, number> = Object.create(null) as Record<string, number>;
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--dim') parseDims(args[++i] ?? '', dims);
      else if (args[i].startsWith('--dim=')) parseDims(args[i].slice(6), dims);
      else rest.push(args[i]);
    }
    const { flags, positionals } = parseFlags(rest, { strings: ['dtype', 'seed', 'repeat', 'threads'] });
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE.tn');
    const dtype = (flags.dtype ?? 'f64') as string;
    if (dtype !== 'f32' && dtype !== 'f64') throw new UsageError(`--dtype must be f32 or f64, got '${dtype}'`);
    const seed = Number(flags.seed ?? 0);
    const repeat = Number(flags.repeat ?? 3);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got '${flags.seed}'`);
    if (!Number.isSafeInteger(repeat) || repeat < 0) throw new UsageError(`--repeat must be a non-negative integer, got '${flags.repeat}'`);
    const threads = parseThreads(flags.threads as string | undefined);
    const path = positionals[0];
    let text: string;
    try {
      text = io.readFile(path);
    } catch {
      throw new UsageError(`cannot read '${path}'`);
    }
    const mod = compile(text, { path, dtype });
    const threadsInUse = threads === undefined ? undefined : await setCpuThreads(threads);
    const spec: ModuleSpec = mod.spec;
    for (const d of spec.dims) {
      if (d.symbolic && dims[d.name] === undefined) dims[d.name] = d.hint ?? 16;
    }
    for (const name of Object.keys(dims)) {
      if (!spec.dims.some((d) => d.name === name && d.symbolic)) {
        throw new UsageError(`--dim ${name}: '${name}' is not a symbolic dim of ${path}`);
      }
    }
    const factors = spec.inputs.map((f) => ({ name: f.name, role: f.role, shape: concreteShape(f.shape, dims), of: f.of }));
    checkMemory([...factors.map((f) => f.shape), ...spec.outputs.map((o) => concreteShape(o.shape, dims))], dtype === 'f32' ? 4 : 8);
    const data: Record<string, Float32Array | Float64Array> = {
      ...tooLargeAsUsage(() => initParams({ factors, factorized: spec.factorized as never }, { seed, dtype })),
    };
    factors.forEach((f, k) => {
      if (f.role === 'input') data[f.name] = tooLargeAsUsage(() => uniform(f.shape.reduce((p, s) => p * s, 1), seed * 7919 + k + 1, dtype));
    });
    const dimText = Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(', ');
    const threadText = threadsInUse === undefined ? '' : `, threads ${threadsInUse}`;
    io.stdout(`${path}: ${spec.outputs.length} output(s), dtype ${dtype}${dimText ? `, ${dimText}` : ''}${threadText}`);
    for (const out of spec.outputs) {
      const fn = mod.functions[out.export];
      const t0 = performance.now();
      const result = tooLargeAsUsage(() => fn(data, dims));
      const first = performance.now() - t0;
      const t1 = performance.now();
      for (let r = 0; r < repeat; r++) fn(data, dims, result);
      const per = repeat > 0 ? (performance.now() - t1) / repeat : first;
      let sum = 0;
      for (let i = 0; i < result.length; i++) sum += result[i];
      const head = Array.from(result.slice(0, 4), (v) => v.toPrecision(6)).join(', ');
      const shape = concreteShape(out.shape, dims);
      io.stdout(
        `  ${out.name}[${shape.join('x') || 'scalar'}]  sum ${sum.toPrecision(8)}  first [${head}${result.length > 4 ? ', …' : ''}]  ` +
          `first call ${first.toFixed(2)} ms, then ${per.toFixed(3)} ms/call`,
      );
    }
    return 0;
  },
};
