// `tnc path`: contraction paths for an einsum equation, a JSONL batch of equations, or a
// benchmark network file (cotengra or OMEinsum JSON). Human output is a step table with
// totals; --json output writes integers beyond 2^53 as exact digits.

import { countNoun, error, SourceFile, TncError } from '../diagnostics.js';
import { equationNetwork, networkPath, type PathInfo } from '../optimizer/contract-path.js';
import { listOptimizers, getOptimizer } from '../optimizer/index.js';
import { parseNetworkJson } from '../optimizer/networks-json.js';
import { checkOptimizerName, type PathOptions } from '../optimizer/plan-contraction.js';
import { printTree } from '../optimizer/tree.js';
import type { Objective } from '../optimizer/registry.js';
import { EXIT_OK, parseFlags, UsageError, type CliIO, type Command } from './io.js';

const OBJECTIVES: readonly Objective[] = ['flops', 'size', 'combo', 'scaling'];

function helpText(): string {
  const optimizers = listOptimizers()
    .map((n) => `    ${n.padEnd(14)} ${getOptimizer(n).description}`)
    .join('\n');
  return `usage: tnc path EQ --shapes SHAPES [options]
       tnc path --batch FILE.jsonl [options]
       tnc path --network FILE.json [options]

Finds a contraction order (a path) for an einsum equation and reports its cost in
opt_einsum's convention (per pairwise step, the product of the sizes of every index
involved, doubled when an index is summed).

  EQ                   an einsum equation, e.g. 'ab,bc,cd->ad'; any Unicode letter is an
                       index; without '->' the output is the indices that appear once
  --shapes SHAPES      one shape per operand: sizes joined by 'x', operands by ','
                       (e.g. 10x20,20x30; an empty shape is a scalar: 3,,3); or JSON
                       such as '[[10,20],[20,30]]'
  --batch FILE.jsonl   one JSON object per line: {"id", "eq", "shapes": [[...], ...]};
                       prints one line per input: {"id","path","flops","size","time_ms"},
                       or {"id","error"} for a line that fails (the batch goes on; exit 0)
  --network FILE.json  a network in cotengra's JSON ({inputs, output, size_dict}) or
                       OMEinsum's ({einsum: {ixs, iy}, size}); labels other than single
                       characters are renamed to letters (--json maps them back in
                       "labels"; sliced indices are shown by the file's labels)
  --optimizer NAME     default auto; one of:
${optimizers}
  --minimize OBJ       flops (default), size (largest intermediate), combo
                       (flops + 64 x elements written), scaling (most expensive step)
  --memory-limit N     largest intermediate allowed (elements): indices are sliced and a
                       tree searched for the slices (within --max-time, else 1000 ms;
                       fixed work with --deterministic); the overhead is reported
  --max-time MS        time budget for searching optimizers (auto defaults to 500 ms up to
                       12 tensors, 800 ms up to 60, 1000 ms beyond; optimal, dp, branch-2
                       and branch-all to 10000 ms, then return their best tree, unproven)
  --deterministic      fixed amounts of search work instead of time budgets: the same
                       input gives the same path on any machine (default with --batch
                       unless --max-time is given; builds always plan this way)
  --seed N             seed for randomized optimizers (same seed, same path)
  --repeats N          greedy runs of random-greedy
  --subtree-size N     largest subtree re-solved by the +reconfigure optimizers
  --width N            pairs expanded per step by the branch optimizers
  --json               machine-readable output (path, flops, size, steps, ...)
  --tree               also print the contraction tree (in --json: a "tree" field)

Paths are in opt_einsum's linear format: pairs of positions in the current operand list;
the two operands are removed and their result is appended at the end.

examples:
  tnc path 'ab,bc,cd->ad' --shapes 10x20,20x30,30x40
  tnc path 'ab,bc,cd->ad' --shapes 10x20,20x30,30x40 --json
  tnc path 'ij,jk,kl,lm->im' --shapes 8x64,64x8,8x64,64x8 --optimizer dp --minimize size
  tnc path --batch problems.jsonl --optimizer greedy
  tnc path 'ab,bc,cd,de->ae' --shapes 4x8,8x4,4x8,8x4 --optimizer random-greedy --repeats 32 --seed 7
  tnc path --network rand_50_5_a.json --max-time 2000 --json`;
}

/** JSON text in which bigints are written as exact integer digits. */
export function exactJson(value: unknown, indent = 0, depth = 0): string {
  const pad = indent > 0 ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
  const end = indent > 0 ? '\n' + ' '.repeat(indent * depth) : '';
  const sep = indent > 0 ? ': ' : ':';
  if (typeof value === 'bigint') return value.toString();
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // Short arrays of numbers (path pairs, shapes) stay on one line.
    if (value.every((v) => typeof v === 'number' || typeof v === 'bigint')) return `[${value.map((v) => exactJson(v)).join(',')}]`;
    if (value.length === 0) return '[]';
    return `[${value.map((v) => pad + exactJson(v, indent, depth + 1)).join(',')}${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}${sep}${exactJson(v, indent, depth + 1)}`).join(',')}${end}}`;
}

/** Parses `10x20,20x30` (or JSON) into shapes; errors point into the text with a caret. */
export function parseShapes(text: string): number[][] {
  const file = SourceFile.from('--shapes', text);
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch {
      throw new TncError([error('shapes/syntax', 'not valid JSON shapes; expected e.g. [[2,3],[3,4]]', { start: 0, end: Math.max(1, text.length) })], file);
    }
    if (!Array.isArray(data) || !data.every((s) => Array.isArray(s) && s.every((d) => typeof d === 'number'))) {
      throw new TncError([error('shapes/syntax', 'JSON shapes must be a list of lists of sizes, e.g. [[2,3],[3,4]]', { start: 0, end: Math.max(1, text.length) })], file);
    }
    return data as number[][];
  }
  const shapes: number[][] = [];
  let offset = 0;
  for (const part of text.split(',')) {
    const shape: number[] = [];
    if (part.trim() !== '') {
      let o = offset;
      for (const dim of part.split(/[x×]/)) {
        const t = dim.trim();
        const start = o + dim.indexOf(t);
        if (!/^\d+$/.test(t)) {
          throw new TncError([error('shapes/syntax', `'${t}' is not a size; write shapes like 10x20,20x30`, { start, end: start + Math.max(1, t.length) })], file);
        }
        const v = Number(t);
        if (!Number.isSafeInteger(v) || v < 1) {
          throw new TncError([error(v < 1 ? 'shapes/bad-size' : 'limit/unsafe-integer', `size ${t} is not a positive safe integer`, { start, end: start + t.length })], file);
        }
        shape.push(v);
        o += dim.length + 1;
      }
    }
    shapes.push(shape);
    offset += part.length + 1;
  }
  return shapes;
}

function numberFlag(flags: Record<string, string | boolean>, name: string, integer: boolean): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n))) {
    throw new UsageError(`--${name} needs a non-negative ${integer ? 'integer' : 'number'}, got '${String(v)}'`);
  }
  return n;
}

/** Longest integer printed in full in text mode; longer ones are summarised (--json is exact). */
const MAX_TEXT_DIGITS = 40;

function fmt(x: number | bigint): string {
  if (typeof x === 'number') return x.toLocaleString('en-US');
  if (x <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(x).toLocaleString('en-US');
  const digits = x.toString();
  if (digits.length <= MAX_TEXT_DIGITS) return digits;
  return `${digits[0]}.${digits.slice(1, 4)}e+${digits.length - 1} (${digits.length} digits; --json gives every digit)`;
}

/** The human-readable report: a step table and totals. */
export function formatPathReport(info: PathInfo, opts: { tree?: boolean } = {}): string {
  const rows = info.steps.map((s, k) => [String(k + 1), `(${s.pair.join(',')})`, s.einsum, fmt(s.flops), fmt(s.size)]);
  const head = ['step', 'pair', 'einsum', 'flops', 'size'];
  // A loop, not Math.max(...rows): networks of ~100k tensors would overflow the call stack.
  const widths = head.map((h, c) => rows.reduce((w, r) => Math.max(w, [...r[c]].length), h.length));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c >= 3 || c === 0 ? cell.padStart(widths[c]) : cell + ' '.repeat(widths[c] - [...cell].length)))
      .join('  ')
      .trimEnd();
  const out = [
    `equation      ${info.equation}`,
    `optimizer     ${info.optimizer}${info.exhaustive ? ' (proven optimal)' : ''}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    `total flops   ${fmt(info.flops)} (log10 ${info.log10Flops.toFixed(3)})`,
    `naive flops   ${fmt(info.naiveFlops)} (speedup ${info.speedup >= 1e6 ? info.speedup.toExponential(3) : info.speedup.toFixed(1)}x)`,
    `largest intermediate ${countNoun(fmt(info.size), 'element')} (log2 ${info.log2Size.toFixed(2)})`,
    `scaling       ${countNoun(info.scaling, 'index', 'indices')} in the largest step`,
    `path          ${JSON.stringify(info.path)}`,
  ];
  if (info.slices) {
    const { indices, count, overhead, cost } = info.slices;
    // The totals above are one pass of the tree; what runs is `count` passes of its slices.
    out.push(`sliced        ${indices.join(', ')} (${fmt(count)} slices, overhead ${overhead.toFixed(3)}x)`);
    out.push(`  all slices  ${fmt(cost.flops)} flops, largest intermediate ${countNoun(fmt(cost.size), 'element')} per slice`);
  } else if (info.overLimit) out.push('memory limit  exceeded by the largest intermediate (no slicing available)');
  if (opts.tree) out.push(`tree          ${printTree(info.tree)}`);
  return out.join('\n');
}

function jsonReport(info: PathInfo, timeMs: number, withTree: boolean): Record<string, unknown> {
  return {
    equation: info.equation,
    path: info.path,
    flops: info.flops,
    size: info.size,
    write: info.write,
    log2Flops: info.log2Flops,
    log10Flops: info.log10Flops,
    log2Size: info.log2Size,
    naiveFlops: info.naiveFlops,
    speedup: info.speedup,
    scaling: info.scaling,
    optimizer: info.optimizer,
    exhaustive: info.exhaustive,
    time_ms: timeMs,
    steps: info.steps,
    slices: info.slices,
    overLimit: info.overLimit,
    tree: withTree ? info.tree.nodes.map((n) => [n.left, n.right]) : undefined,
  };
}

function runBatch(text: string, options: PathOptions, io: CliIO): void {
  // A byte-order mark before the first line (Windows editors write one) is not part of it.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, k) => {
    if (raw.trim() === '') return;
    let id: unknown = null;
    try {
      let item: unknown;
      try {
        item = JSON.parse(raw);
      } catch (e) {
        throw new Error(`line ${k + 1}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`line ${k + 1}: expected an object {"id","eq","shapes"}`);
      const rec = item as Record<string, unknown>;
      id = rec.id ?? null;
      if (typeof rec.eq !== 'string') throw new Error(`line ${k + 1}: "eq" must be an equation string`);
      const t0 = performance.now();
      const info = networkPath(equationNetwork(rec.eq, rec.shapes as number[][]), options);
      const time = Math.round((performance.now() - t0) * 1000) / 1000;
      io.stdout(exactJson({ id, path: info.path, flops: info.flops, size: info.size, time_ms: time }));
    } catch (e) {
      io.stdout(exactJson({ id, error: e instanceof Error ? e.message : String(e) }));
    }
  });
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    strings: ['shapes', 'optimizer', 'minimize', 'memory-limit', 'max-time', 'seed', 'batch', 'network', 'repeats', 'subtree-size', 'width'],
    booleans: ['json', 'tree', 'deterministic'],
  });
  const options: PathOptions = {};
  if (typeof flags.optimizer === 'string') {
    checkOptimizerName(flags.optimizer);
    options.optimizer = flags.optimizer;
  }
  if (typeof flags.minimize === 'string') {
    if (!OBJECTIVES.includes(flags.minimize as Objective)) throw new UsageError(`--minimize must be one of ${OBJECTIVES.join(', ')}, got '${flags.minimize}'`);
    options.minimize = flags.minimize as Objective;
  }
  const memoryLimit = numberFlag(flags, 'memory-limit', true);
  // As for tnc build and contractPath: no plan fits in zero elements.
  if (memoryLimit === 0) throw new UsageError(`--memory-limit must be a positive integer (elements), got '${String(flags['memory-limit'])}'`);
  if (memoryLimit !== undefined) options.memoryLimit = memoryLimit;
  const maxTime = numberFlag(flags, 'max-time', false);
  if (maxTime !== undefined) options.maxTimeMs = maxTime;
  // Batches are compared run to run: plan them with fixed work unless a budget is asked for.
  if (flags.deterministic === true || (typeof flags.batch === 'string' && maxTime === undefined)) options.deterministic = true;
  const seed = numberFlag(flags, 'seed', true);
  if (seed !== undefined) options.seed = seed;
  // Optimizer-specific settings, passed through to whichever optimizer reads them.
  // Below these minimums the settings mean nothing (no run, no pair, no subtree to re-solve).
  const atLeast = (name: string, min: number): number | undefined => {
    const n = numberFlag(flags, name, true);
    if (n !== undefined && n < min) throw new UsageError(`--${name} must be an integer of at least ${min}, got '${String(flags[name])}'`);
    return n;
  };
  const repeats = atLeast('repeats', 1);
  if (repeats !== undefined) options.repeats = repeats;
  const subtreeSize = atLeast('subtree-size', 2);
  if (subtreeSize !== undefined) options.subtreeSize = subtreeSize;
  const width = atLeast('width', 1);
  if (width !== undefined) options.width = width;
  const modes = ['batch', 'network'].filter((m) => typeof flags[m] === 'string').length + (positionals.length > 0 ? 1 : 0);
  if (modes !== 1) throw new UsageError('give exactly one of: an equation (with --shapes), --batch FILE.jsonl, --network FILE.json');

  if (typeof flags.batch === 'string') {
    runBatch(io.readFile(flags.batch), options, io);
    return EXIT_OK;
  }
  let net;
  let labels: Record<string, string> | undefined;
  if (typeof flags.network === 'string') {
    ({ network: net, labels } = parseNetworkJson(io.readFile(flags.network), flags.network));
  } else {
    if (positionals.length > 1) throw new UsageError(`expected one equation, got ${positionals.length} arguments (quote the equation)`);
    if (typeof flags.shapes !== 'string') throw new UsageError('an equation needs --shapes, e.g. --shapes 10x20,20x30');
    net = equationNetwork(positionals[0], parseShapes(flags.shapes));
  }
  const t0 = performance.now();
  let info = networkPath(net, options);
  const time = Math.round((performance.now() - t0) * 1000) / 1000;
  // Sliced indices are reported by the file's labels (the equation keeps the renamed ones).
  if (labels && info.slices) info = { ...info, slices: { ...info.slices, indices: info.slices.indices.map((l) => labels[l] ?? l) } };
  const report = flags.json ? { ...jsonReport(info, time, flags.tree === true), ...(labels ? { labels } : {}) } : undefined;
  io.stdout(report ? exactJson(report, 2) : formatPathReport(info, { tree: flags.tree === true }));
  return EXIT_OK;
}

/** The `tnc path` command. */
export const pathCommand: Command = {
  name: 'path',
  summary: 'contraction order and cost of an einsum equation, a batch, or a network file',
  get help() {
    return helpText();
  },
  run,
};
