// Slicing: when a tree's largest intermediate exceeds a memory limit, fix ("slice") some
// indices and run a tree once per combination of their values, summing the results. Each
// slice is the original problem with the sliced indices removed, so its cost is the tree's
// cost on that smaller problem; the total is that times the number of slices. The slices
// and the tree run per slice are searched together (slice-search.ts): the best tree for the
// sliced network is rarely the best unsliced one. Fixed-tree slicing is slice-fixed.ts.

import type { ContractionProblem } from './problem.js';
import type { Objective } from './registry.js';
import { sliceFixedTree, type FixedSlicing } from './slice-fixed.js';
import { searchSlices } from './slice-search.js';
import type { ContractionTree } from './tree.js';
import { treeCost } from './cost.js';

export { slicedProblem } from './slice-search.js';

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
  /** Flops of the unsliced input tree, exact. */
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
   * Search other trees for the sliced network (default true); the returned `tree` may then
   * differ from the input tree. `false` slices the input tree as it is.
   */
  reconfigure?: boolean;
  /**
   * Time budget of that search in ms (default 1000); ignored when `deterministic`. The
   * search's work is bounded by fixed counts either way; the budget can only cut it short.
   */
  maxTimeMs?: number;
  /** Run the whole search regardless of time, so the same input gives the same plan (builds). */
  deterministic?: boolean;
}

/** Default time budget of the search (ms) when neither a budget nor determinism is asked for. */
export const DEFAULT_SLICE_TIME_MS = 1000;

/**
 * Chooses indices to slice so that every intermediate has at most `memoryLimit` elements,
 * keeping the total cost over all slices low, and the tree to run per slice (see
 * SliceOptions.reconfigure). Returns an empty plan (count 1) when the tree already fits.
 * Throws when the limit is below 1.
 * Example: with the limit at 1/16 of the largest intermediate of a flops-optimised tree, a
 * 5×5 PEPS norm gets 3 bonds sliced at 1.84× the unsliced cost, and a 6×6 one a tree that
 * fits unsliced (0.71×: cheaper than the input tree).
 */
export function chooseSlices(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, options: SliceOptions = {}): SlicePlan {
  if (!(memoryLimit >= 1)) throw new Error(`memory limit must be at least 1 element, got ${memoryLimit}`);
  const preferCount = options.minimize === 'size';
  const unsliced = treeCost(problem, tree);
  let plan: FixedSlicing;
  if (unsliced.size <= BigInt(Math.floor(memoryLimit)) || options.reconfigure === false) plan = sliceFixedTree(problem, tree, memoryLimit, preferCount);
  else {
    const deadline = options.deterministic ? Infinity : performance.now() + (options.maxTimeMs ?? DEFAULT_SLICE_TIME_MS);
    plan = searchSlices(problem, tree, memoryLimit, { deadline, preferCount });
  }
  return {
    tree: plan.tree,
    indices: plan.indices,
    count: Number(plan.count),
    slicedCost: plan.flops,
    unslicedCost: unsliced.flops,
    overhead: ratio(plan.flops, unsliced.flops),
    sliceSize: plan.size,
  };
}

const ratio = (a: bigint, b: bigint): number => (b === 0n ? 1 : Number((a * 1_000_000n) / b) / 1_000_000);
