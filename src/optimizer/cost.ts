// The cost convention, in one place. opt_einsum's: a step's flops are the product of the
// sizes of every index involved, doubled when any index is summed at that step. An index is
// summed once every tensor that carries it is inside the step's result and it is not an
// output index (so hyperedges stay until their last tensor is merged). Totals are exact
// bigints; searches may compare log2 values and recompute the winner here.

import type { ContractionProblem } from './problem.js';
import type { ContractionTree } from './tree.js';

/** Per-step record of a tree, in SSA order. */
export interface StepInfo {
  /** SSA ids of the two operands (one for a single-input problem). */
  operands: number[];
  /** Unique indices of each operand. */
  operandIndices: number[][];
  /** Indices of the result (sorted unique ids). */
  result: number[];
  /** Indices summed at this step. */
  removed: number[];
  /** Every index involved (union of the operands). */
  involved: number[];
  flops: bigint;
  /** Elements in the result. */
  size: bigint;
}

export interface Cost {
  /** Sum of the steps' flops (opt_einsum convention). */
  flops: bigint;
  /** Largest intermediate (elements), including the final result; 1 for no steps. */
  size: bigint;
  /** Elements written over all steps (cotengra's "write"). */
  write: bigint;
  log2Flops: number;
  log2Size: number;
}

export function productBig(ids: readonly number[], sizes: readonly number[]): bigint {
  let p = 1n;
  for (const i of ids) p *= BigInt(sizes[i]);
  return p;
}

export function log2Product(ids: readonly number[], sizes: readonly number[]): number {
  let s = 0;
  for (const i of ids) s += Math.log2(sizes[i]);
  return s;
}

export function log2Big(x: bigint): number {
  if (x <= 0n) return -Infinity;
  const bits = x.toString(2).length;
  if (bits <= 52) return Math.log2(Number(x));
  const shift = BigInt(bits - 52);
  return Math.log2(Number(x >> shift)) + Number(shift);
}

/** Number of appearances of each index over all inputs (each tensor counted once), +1 if in the output. */
export function indexCounts(problem: ContractionProblem): Int32Array {
  const counts = new Int32Array(problem.sizes.length);
  for (const t of problem.inputs) for (const i of new Set(t)) counts[i]++;
  for (const i of problem.output) counts[i]++;
  return counts;
}

/** Every step of a tree with its result indices and costs. */
export function treeSteps(problem: ContractionProblem, tree: ContractionTree): StepInfo[] {
  const n = problem.inputs.length;
  const total = indexCounts(problem);
  const outputSet = new Set(problem.output);
  // Per node: unique indices and, for each, how many inputs under the node carry it.
  const nodeCounts: Map<number, number>[] = problem.inputs.map((t) => {
    const m = new Map<number, number>();
    for (const i of new Set(t)) m.set(i, 1);
    return m;
  });
  const nodeIndices: number[][] = nodeCounts.map((m) => [...m.keys()].sort((a, b) => a - b));
  const steps: StepInfo[] = [];
  const finish = (operands: number[], merged: Map<number, number>): void => {
    const involved = [...merged.keys()].sort((a, b) => a - b);
    const result: number[] = [];
    const removed: number[] = [];
    for (const i of involved) {
      if (outputSet.has(i) || merged.get(i)! < total[i]) result.push(i);
      else removed.push(i);
    }
    for (const i of removed) merged.delete(i);
    const flops = productBig(involved, problem.sizes) * (removed.length > 0 ? 2n : 1n);
    steps.push({
      operands,
      operandIndices: operands.map((o) => nodeIndices[o]),
      result,
      removed,
      involved,
      flops,
      size: productBig(result, problem.sizes),
    });
    nodeCounts.push(merged);
    nodeIndices.push(result);
  };
  if (n === 1) {
    finish([0], new Map(nodeCounts[0]));
    return steps;
  }
  for (const nd of tree.nodes) {
    const a = nodeCounts[nd.left];
    const b = nodeCounts[nd.right];
    const merged = new Map(a);
    for (const [i, c] of b) merged.set(i, (merged.get(i) ?? 0) + c);
    finish([nd.left, nd.right], merged);
  }
  return steps;
}

/** Exact total cost of a tree. */
export function treeCost(problem: ContractionProblem, tree: ContractionTree): Cost {
  const steps = treeSteps(problem, tree);
  let flops = 0n;
  let size = steps.length === 0 ? 1n : 0n;
  let write = 0n;
  for (const s of steps) {
    flops += s.flops;
    write += s.size;
    if (s.size > size) size = s.size;
  }
  return { flops, size, write, log2Flops: log2Big(flops), log2Size: log2Big(size) };
}

/** A bigint as a number when exactly representable, else the bigint itself (never rounded). */
export function exactNumber(x: bigint): number | bigint {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}
