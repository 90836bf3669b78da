// Slicing: when a tree's largest intermediate exceeds a memory limit, fix ("slice") some
// indices and run the same tree once per combination of their values, summing the results.
// Each slice is the original problem with the sliced indices removed, so its cost is the
// tree's cost on that smaller problem; the total is that times the number of slices.
// Indices are chosen greedily (most size reduction above the limit per unit of extra cost),
// then refined by dropping and swapping choices while the plan still fits.

import { treeSteps } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { Objective } from './registry.js';
import type { ContractionTree } from './tree.js';
import { randomGreedyTree } from './random-greedy.js';
import { reconfigure } from './reconfigure.js';

/** The chosen slicing of a tree. */
export interface SlicePlan {
  /**
   * The tree the slices are for: the input tree, or another one with a lower total cost
   * over all slices (its every step fits the limit). Execute this tree. Note `count` can be
   * 1 with a tree other than the input: that tree fits the limit without any slicing.
   */
  tree: ContractionTree;
  /** Sliced index ids, in the order chosen. */
  indices: number[];
  /** Number of slices: the product of the sliced indices' sizes. */
  count: number;
  /** Total flops over all slices (opt_einsum convention per slice), exact. */
  slicedCost: bigint;
  /** Flops of the unsliced tree, exact. */
  unslicedCost: bigint;
  /** slicedCost / unslicedCost. */
  overhead: number;
  /** Largest intermediate of one slice (elements). */
  sliceSize: bigint;
}

/** Options of chooseSlices. */
export interface SliceOptions {
  /** 'size' prefers fewer slices; every other objective prefers the least extra flops. */
  minimize?: Objective;
  /**
   * Re-solve subtrees of the sliced problem under the limit to lower the sliced cost
   * (default true); the returned `tree` may then differ from the input tree.
   */
  reconfigure?: boolean;
  /** Time budget for that improvement in ms (default 200). */
  maxTimeMs?: number;
}

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
  let maxSize = steps.length === 0 ? 0 : -Infinity;
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
    if (r > maxSize) maxSize = r;
    // Linear overshoot, so the largest intermediates dominate the choice.
    if (r > logLimit) excess += 2 ** (r - logLimit) - 1;
  }
  return { logTotal: Math.log2(total) + logCount, maxSize, excess, logCount };
}

/** The problem with the given indices removed everywhere: one slice of it. */
export function slicedProblem(problem: ContractionProblem, indices: Iterable<number>): ContractionProblem {
  const cut = new Set(indices);
  return {
    ...problem,
    inputs: problem.inputs.map((t) => t.filter((i) => !cut.has(i))),
    output: problem.output.filter((i) => !cut.has(i)),
  };
}

/**
 * Chooses indices to slice so that every intermediate has at most `memoryLimit` elements,
 * keeping the total cost over all slices low: slices are chosen for `tree`, then (unless
 * `reconfigure: false`) the tree is re-solved subtree by subtree on the sliced problem
 * under the limit and the slices re-chosen, while that lowers the total. Returns an empty
 * plan (count 1) when the tree already fits. Throws when the limit is below 1.
 * Example: a 6×6 PEPS norm with the limit at 1/16 of its largest intermediate needs a few
 * bond indices sliced at an overhead near 1.
 */
export function chooseSlices(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, options: SliceOptions = {}): SlicePlan {
  let best = slicesForTree(problem, tree, memoryLimit, options);
  if (options.reconfigure === false || best.count === 1) return best;
  const deadline = performance.now() + (options.maxTimeMs ?? 200);
  // Trees that keep intermediates small often slice far better than the flops-best tree.
  const alternate = randomGreedyTree(problem, { minimize: 'size', repeats: 16, seed: 1, maxTimeMs: (options.maxTimeMs ?? 200) / 3 });
  const bySize = reconfigure(tree, problem, { minimize: 'size', maxTimeMs: (options.maxTimeMs ?? 200) / 4 });
  for (const alternateTree of [alternate, bySize]) {
    const alt = slicesForTree(problem, alternateTree, memoryLimit, options);
    if (alt.slicedCost < best.slicedCost) best = { ...alt, unslicedCost: best.unslicedCost, overhead: ratio(alt.slicedCost, best.unslicedCost) };
  }
  for (let round = 0; round < 4 && performance.now() < deadline; round++) {
    const sub = slicedProblem(problem, best.indices);
    const left = Math.max(1, deadline - performance.now());
    const improved = reconfigure(best.tree, sub, { minimize: 'flops', sizeLimit: memoryLimit, maxTimeMs: left });
    if (improved === best.tree) break;
    const plan = slicesForTree(problem, improved, memoryLimit, options);
    const better = options.minimize === 'size' ? plan.count < best.count || (plan.count === best.count && plan.slicedCost < best.slicedCost) : plan.slicedCost < best.slicedCost;
    if (!better) break;
    best = { ...plan, unslicedCost: best.unslicedCost, overhead: ratio(plan.slicedCost, best.unslicedCost) };
  }
  return best;
}

const ratio = (a: bigint, b: bigint): number => (b === 0n ? 1 : Number((a * 1_000_000n) / b) / 1_000_000);

/** Slices for a fixed tree: greedy choice, then refinement. */
function slicesForTree(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, options: SliceOptions): SlicePlan {
  if (!(memoryLimit >= 1)) throw new Error(`memory limit must be at least 1 element, got ${memoryLimit}`);
  const steps: StepData[] = treeSteps(problem, tree).map((s) => ({ involved: s.involved, removed: s.removed, result: s.result }));
  const sizes = problem.sizes;
  const logSize = sizes.map((s) => Math.log2(s));
  const logLimit = Math.log2(memoryLimit);
  const preferCount = options.minimize === 'size';
  const limitBig = BigInt(Math.floor(memoryLimit));
  const unsliced = evaluate(steps, sizes, new Set());
  const fits = (set: ReadonlySet<number>): boolean => evaluate(steps, sizes, set).size <= limitBig;
  const chosen = new Set<number>();
  const score = (set: ReadonlySet<number>) => evaluateLog(steps, logSize, set, logLimit);
  // Greedy: add the index with the best excess reduction per unit of extra (log) cost.
  let current = score(chosen);
  while (!fits(chosen)) {
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
      // No single index lowers the excess (cannot happen with sizes > 1); slice the largest.
      const all = [...candidates];
      if (all.length === 0) break;
      best = all.reduce((a, b) => (sizes[b] > sizes[a] ? b : a));
    }
    chosen.add(best);
    current = score(chosen);
  }
  refine(chosen, steps, sizes, logSize, logLimit, fits, preferCount);
  const final = evaluate(steps, sizes, chosen);
  const count = Number(final.count);
  const overhead = ratio(final.flops, unsliced.flops);
  return {
    tree,
    indices: [...chosen],
    count,
    slicedCost: final.flops,
    unslicedCost: unsliced.flops,
    overhead,
    sliceSize: final.size,
  };
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
  let improved = true;
  let rounds = 0;
  while (improved && rounds++ < 8) {
    improved = false;
    let base = cost(chosen);
    for (const j of [...chosen]) {
      for (const i of [...involvedAnywhere].sort((a, b) => a - b)) {
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
