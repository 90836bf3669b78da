// contractPath: opt_einsum's contract_path for tnc. An equation and shapes in, the linear
// path, its exact costs and a per-step explanation out. Costs are numbers when exactly
// representable and bigints beyond 2^53 (never rounded); log2/log10 forms are given beside.
// Bad equations and shapes throw a TncError whose message shows the equation and a caret.

import { error, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import { einsumNetwork } from '../ir/einsum.js';
import type { TensorNetwork } from '../ir/network.js';
import { exactNumber, log2Big, productBig, treeSteps } from './cost.js';
import { planContraction, type PathOptions, type SlicePlan } from './plan-contraction.js';
import type { ContractionProblem } from './problem.js';
import type { ContractionTree, LinearPath } from './tree.js';

/** One pairwise step of a path. */
export interface PathStep {
  /** Positions in the current operand list (linear form), as in `path`. */
  pair: number[];
  /** The step as an einsum, e.g. `ab,bc->ac` (the last step's output is the requested order). */
  einsum: string;
  flops: number | bigint;
  /** Elements of the step's result. */
  size: number | bigint;
  /** Indices involved in the step (opt_einsum's per-step scaling). */
  scaling: number;
  /** Indices summed at this step. */
  summed: string[];
}

/** What contractPath returns. */
export interface PathInfo {
  /** The equation with the output made explicit, e.g. `ab,bc->ac`. */
  equation: string;
  /** Linear path: pairs of positions; the pair is removed and its result appended. */
  path: LinearPath;
  /** Total flops, opt_einsum convention. */
  flops: number | bigint;
  /** Largest intermediate (elements), the final result included. */
  size: number | bigint;
  /** Elements written over all steps. */
  write: number | bigint;
  log2Flops: number;
  log10Flops: number;
  log2Size: number;
  /** Flops of one single loop nest over every index (opt_einsum's naive cost). */
  naiveFlops: number | bigint;
  /** naiveFlops / flops. */
  speedup: number;
  /** Most indices involved in one step. */
  scaling: number;
  /** The optimizer that produced the path (canonical name). */
  optimizer: string;
  /** True when the optimizer proved the path optimal for its objective. */
  exhaustive: boolean;
  steps: PathStep[];
  /** The contraction tree (SSA). */
  tree: ContractionTree;
  /** Sliced indices, when a memory limit required slicing. */
  slices?: SlicePlan;
  /** True when a memory limit was given and the largest intermediate exceeds it. */
  overLimit?: boolean;
}

function checkShapes(eq: string, shapes: unknown): Diagnostic | undefined {
  const whole = { start: 0, end: Math.max(1, eq.length) };
  if (!Array.isArray(shapes)) return error('einsum/bad-shape', 'shapes must be an array with one shape (an array of sizes) per operand', whole);
  for (let t = 0; t < shapes.length; t++) {
    const s: unknown = shapes[t];
    if (!Array.isArray(s)) return error('einsum/bad-shape', `shape of operand ${t} must be an array of sizes, got ${JSON.stringify(s)}`, whole);
    for (const d of s) {
      if (typeof d !== 'number') return error('einsum/bad-shape', `shape of operand ${t} has a non-numeric size ${JSON.stringify(d)}`, whole);
    }
  }
  return undefined;
}

/**
 * Parses an equation with its shapes into a network, throwing a TncError (equation, caret)
 * on any problem. Exported for the CLI and the batch mode.
 */
export function equationNetwork(eq: string, shapes: readonly (readonly number[])[]): TensorNetwork {
  if (typeof eq !== 'string') throw new TncError([error('einsum/syntax', 'the equation must be a string', { start: 0, end: 1 })], SourceFile.from('equation', String(eq)));
  const file = SourceFile.from('equation', eq);
  const bad = checkShapes(eq, shapes);
  if (bad) throw new TncError([bad], file);
  const { value, diagnostics } = einsumNetwork(eq, shapes);
  if (!value || diagnostics.some((d) => d.severity === 'error')) throw new TncError(diagnostics, file);
  return value;
}

/** Explains a planned tree step by step, in linear-path positions. */
export function describeSteps(problem: ContractionProblem, tree: ContractionTree, path: LinearPath): PathStep[] {
  const steps = treeSteps(problem, tree);
  const n = problem.inputs.length;
  const label = (ids: readonly number[]): string => ids.map((i) => problem.names[i]).join('');
  const terms: string[] = problem.inputs.map(label);
  return steps.map((s, k) => {
    const last = k === steps.length - 1;
    const result = last ? label(problem.output) : label(s.result);
    const lhs = s.operands.map((o) => terms[o]).join(',');
    terms[n + k] = result;
    return {
      pair: path[k],
      einsum: `${lhs}->${result}`,
      flops: exactNumber(s.flops),
      size: exactNumber(last ? productBig(problem.output, problem.sizes) : s.size),
      scaling: s.involved.length,
      summed: s.removed.map((i) => problem.names[i]),
    };
  });
}

/**
 * The contraction path of an einsum equation. Example:
 * `contractPath('ab,bc,cd->ad', [[10,20],[20,30],[30,40]])` gives path `[[0,1],[0,1]]` and
 * flops 36000 (2·10·20·30 + 2·10·30·40).
 */
export function contractPath(eq: string, shapes: readonly (readonly number[])[], options: PathOptions = {}): PathInfo {
  return networkPath(equationNetwork(eq, shapes), options);
}

/** contractPath for a network given directly (e.g. read from a benchmark file). */
export function networkPath(net: TensorNetwork, options: PathOptions = {}): PathInfo {
  const plan = planContraction(net, options);
  const { problem, tree, path, cost } = plan;
  const steps = describeSteps(problem, tree, path);
  const all = problem.sizes.map((_, i) => i);
  const n = problem.inputs.length;
  const inner = problem.sizes.some((_, i) => !problem.output.includes(i));
  const naive = productBig(all, problem.sizes) * BigInt(Math.max(1, n - 1) + (inner ? 1 : 0));
  const info: PathInfo = {
    equation: `${net.tensors.map((t) => t.indices.join('')).join(',')}->${net.output.join('')}`,
    path,
    flops: exactNumber(cost.flops),
    size: exactNumber(cost.size),
    write: exactNumber(cost.write),
    log2Flops: cost.log2Flops,
    log10Flops: cost.log2Flops * Math.LOG10E * Math.LN2,
    log2Size: cost.log2Size,
    naiveFlops: exactNumber(naive),
    speedup: cost.flops > 0n ? 2 ** (log2Big(naive) - cost.log2Flops) : 1,
    scaling: steps.reduce((m, s) => Math.max(m, s.scaling), 0),
    optimizer: plan.optimizer,
    exhaustive: tree.exhaustive === true,
    steps,
    tree,
  };
  if (plan.slices) info.slices = plan.slices;
  if (plan.overLimit) info.overLimit = true;
  return info;
}
