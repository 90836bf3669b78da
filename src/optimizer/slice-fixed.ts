// Slicing one fixed tree: which indices to fix so that every step result of that tree fits a
// memory limit, at the least total cost over all slices. Each slice is the original problem
// with the sliced indices removed, so its cost is the tree's cost on that smaller problem and
// the total is that times the number of slices. Indices are added greedily (most size
// reduction above the limit per unit of extra cost), starting from an optional set, then the
// set is refined by dropping and swapping choices while the plan still fits.

import { treeSteps } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { ContractionTree } from './tree.js';

/** A slice set for one tree, with its exact totals. */
export interface FixedSlicing {
  tree: ContractionTree;
  /** Sliced index ids, in the order chosen. */
  indices: number[];
  /** Product of the sliced indices' sizes (exact). */
  count: bigint;
  /** Flops of one slice times `count` (opt_einsum convention per slice), exact. */
  flops: bigint;
  /** Largest step result of one slice (elements). */
  size: bigint;
}

/** The per-step data slicing needs (index ids). */
interface StepData {
  involved: number[];
  removed: number[];
  result: number[];
}

/** Exact sliced cost and largest per-slice intermediate of a tree's steps. */
function evaluate(steps: readonly StepData[], sizes: readonly number[], sliced: ReadonlySet<number>): { flops: bigint; size: bigint; count: bigint } {
  let flops = 0n;
  let size = steps.length === 0 ? 1n : 0n;
  let count = 1n;
  for (const i of sliced) count *= BigInt(sizes[i]);
  for (const s of steps) {
    let f = 1n;
    for (const i of s.involved) if (!sliced.has(i)) f *= BigInt(sizes[i]);
    if (s.removed.some((i) => !sliced.has(i))) f *= 2n;
    flops += f;
    let r = 1n;
    for (const i of s.result) if (!sliced.has(i)) r *= BigInt(sizes[i]);
    if (r > size) size = r;
  }
  return { flops: flops * count, size, count };
}

/** Float (log2) view of the same quantities, for fast candidate scoring. */
function evaluateLog(steps: readonly StepData[], logSize: readonly number[], sliced: ReadonlySet<number>, logLimit: number) {
  let total = 0;
  let excess = 0;
  let logCount = 0;
  for (const i of sliced) logCount += logSize[i];
  for (const s of steps) {
    let f = 0;
    for (const i of s.involved) if (!sliced.has(i)) f += logSize[i];
    if (s.removed.some((i) => !sliced.has(i))) f += 1;
    total += 2 ** f;
    let r = 0;
    for (const i of s.result) if (!sliced.has(i)) r += logSize[i];
    // Linear overshoot, so the largest intermediates dominate the choice.
    if (r > logLimit) excess += 2 ** (r - logLimit) - 1;
  }
  return { logTotal: Math.log2(total) + logCount, excess, logCount };
}

/** The steps of a tree as slicing sees them. */
function stepsOf(problem: ContractionProblem, tree: ContractionTree): StepData[] {
  return treeSteps(problem, tree).map((s) => ({ involved: s.involved, removed: s.removed, result: s.result }));
}

/**
 * Slices `tree` so that every step result fits `memoryLimit` (elements), starting from the
 * indices in `initial` (kept unless refinement finds them unneeded). `preferCount` ranks
 * plans by the number of slices first (the 'size' objective), otherwise by total flops.
 * Example: a matrix chain whose middle product is too large gets its shared index sliced.
 */
export function sliceFixedTree(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, preferCount: boolean, initial: readonly number[] = []): FixedSlicing {
  const steps = stepsOf(problem, tree);
  const sizes = problem.sizes;
  const logSize = sizes.map((s) => Math.log2(s));
  const logLimit = Math.log2(memoryLimit);
  const limitBig = BigInt(Math.floor(memoryLimit));
  const fits = (set: ReadonlySet<number>): boolean => evaluate(steps, sizes, set).size <= limitBig;
  const chosen = new Set<number>(initial.filter((i) => sizes[i] > 1));
  const score = (set: ReadonlySet<number>) => evaluateLog(steps, logSize, set, logLimit);
  let current = score(chosen);
  while (!fits(chosen)) {
    // Candidates: the indices of the step results that are still too large.
    const candidates = new Set<number>();
    for (const s of steps) {
      let r = 0;
      for (const i of s.result) if (!chosen.has(i)) r += logSize[i];
      if (r > logLimit) for (const i of s.result) if (!chosen.has(i) && sizes[i] > 1) candidates.add(i);
    }
    let best = -1;
    let bestScore = -Infinity;
    for (const i of [...candidates].sort((a, b) => a - b)) {
      chosen.add(i);
      const next = score(chosen);
      chosen.delete(i);
      const gain = current.excess - next.excess;
      if (gain <= 0) continue;
      const extra = preferCount ? logSize[i] : Math.max(0, next.logTotal - current.logTotal);
      const sc = gain / (extra + 0.01);
      if (sc > bestScore) {
        bestScore = sc;
        best = i;
      }
    }
    if (best < 0) {
      // No single index lowers the (float) excess; slice the largest candidate.
      const all = [...candidates].sort((a, b) => a - b);
      if (all.length === 0) break;
      best = all.reduce((a, b) => (sizes[b] > sizes[a] ? b : a));
    }
    chosen.add(best);
    current = score(chosen);
  }
  refine(chosen, steps, sizes, logSize, logLimit, fits, preferCount);
  const final = evaluate(steps, sizes, chosen);
  return { tree, indices: [...chosen], count: final.count, flops: final.flops, size: final.size };
}

/** Drops unneeded slices, then tries single swaps that lower the cost and still fit. */
function refine(
  chosen: Set<number>,
  steps: readonly StepData[],
  sizes: readonly number[],
  logSize: readonly number[],
  logLimit: number,
  fits: (s: ReadonlySet<number>) => boolean,
  preferCount: boolean,
): void {
  const cost = (set: ReadonlySet<number>): number => {
    const e = evaluateLog(steps, logSize, set, logLimit);
    return preferCount ? e.logCount * 1e6 + e.logTotal : e.logTotal + e.logCount * 1e-9;
  };
  // Earliest choices first: a starting set from another tree is the likeliest to be unneeded.
  for (const i of [...chosen]) {
    chosen.delete(i);
    if (!fits(chosen)) chosen.add(i);
  }
  // Swap candidates: indices of the intermediates that exceed the limit unsliced.
  const involvedAnywhere = new Set<number>();
  for (const s of steps) {
    let r = 0;
    for (const i of s.result) r += logSize[i];
    if (r > logLimit) for (const i of s.result) if (sizes[i] > 1) involvedAnywhere.add(i);
  }
  const pool = [...involvedAnywhere].sort((a, b) => a - b);
  let improved = true;
  let rounds = 0;
  while (improved && rounds++ < 8) {
    improved = false;
    let base = cost(chosen);
    for (const j of [...chosen]) {
      for (const i of pool) {
        if (chosen.has(i)) continue;
        chosen.delete(j);
        chosen.add(i);
        const c = cost(chosen);
        if (c < base - 1e-9 && fits(chosen)) {
          base = c;
          improved = true;
          break;
        }
        chosen.delete(i);
        chosen.add(j);
      }
    }
  }
}

/** Exact flops (over all slices) and per-slice largest step result of a tree with the given indices sliced. */
export function slicedTreeCost(problem: ContractionProblem, tree: ContractionTree, indices: Iterable<number>): { flops: bigint; size: bigint; count: bigint } {
  return evaluate(stepsOf(problem, tree), problem.sizes, new Set(indices));
}
