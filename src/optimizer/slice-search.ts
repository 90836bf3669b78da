// The search behind chooseSlices: which indices to slice and which tree to run per slice.
// The best tree for the sliced network is rarely the best unsliced tree, so slices and tree
// are chosen together: (1) slice trees that keep intermediates small; (2) slice one index at
// a time, re-solving the sliced network's subtrees under the limit after each choice; (3)
// re-plan the network with a chosen slice set removed, from scratch and by reconfiguration,
// then re-slice that tree starting from the set, while the total falls; (4) on small
// networks, solve the best sets' sliced networks exactly under the limit (slice-dp.ts) and
// descend over nearby sets. Each stage runs first on the best plan so far, then wider; (5) on
// networks of up to 24 tensors and 32 indices, an exact search over slice sets and trees
// (slice-exact.ts) within a work budget.
// Plans are compared by exact bigint totals. The work is bounded by fixed repeat, round
// and pair counts, so the result depends only on the input; a deadline (non-deterministic
// mode) can only cut it short.

import { log2Big, treeSteps } from './cost.js';
import { partitionTree } from './partition.js';
import type { ContractionProblem } from './problem.js';
import { randomGreedyTree } from './random-greedy.js';
import { reconfigure } from './reconfigure.js';
import { LIMITED_DP_MAX_TENSORS, limitedOptimalTree } from './slice-dp.js';
import { exactSlicing } from './slice-exact.js';
import { sliceFixedTree, slicedTreeCost, type FixedSlicing } from './slice-fixed.js';
import type { ContractionTree } from './tree.js';

/** How far the search may go. */
export interface SliceSearchLimits {
  /** performance.now() value after which no new stage starts (Infinity: none). */
  deadline: number;
  /** Rank plans by slice count first ('size' objective). */
  preferCount: boolean;
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

/** True when plan a is better than plan b (fits first, then count or flops). */
export function betterSlicing(a: FixedSlicing, b: FixedSlicing, limit: bigint, preferCount: boolean): boolean {
  const fa = a.size <= limit;
  const fb = b.size <= limit;
  if (fa !== fb) return fa;
  if (preferCount && a.count !== b.count) return a.count < b.count;
  if (a.flops !== b.flops) return a.flops < b.flops;
  return a.count < b.count;
}

/** Networks above this many tensors get the input tree sliced as it is (as auto's greedy-only range). */
const HUGE = 1500;
/** Networks above this many tensors skip the costlier stages (their work grows fast with n). */
const LARGE = 300;
/** Networks above this many tensors get fewer rounds and repeats in each stage. */
const MEDIUM = 120;

/**
 * Searches slices and tree together (see the module comment) and returns the best plan
 * found, never worse than slicing `tree` as it is.
 */
export function searchSlices(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, limits: SliceSearchLimits): FixedSlicing {
  const limit = BigInt(Math.floor(memoryLimit));
  const { preferCount } = limits;
  const timeUp = (): boolean => performance.now() > limits.deadline;
  const n = problem.inputs.length;
  let best = sliceFixedTree(problem, tree, memoryLimit, preferCount);
  const pool: FixedSlicing[] = [best];
  const consider = (plan: FixedSlicing): void => {
    pool.push(plan);
    if (betterSlicing(plan, best, limit, preferCount)) best = plan;
  };
  if (best.indices.length === 0 || n <= 2 || n > HUGE) return best;
  // Two passes over the stages below: the first runs each on the best plan so far (what a
  // short time budget gets), the second widens every stage to more starting points.
  const small = n <= LARGE;
  const exact = n <= LIMITED_DP_MAX_TENSORS;
  const used = { pairs: 0, capped: false };
  const interleavedFrom = new Set<ContractionTree>();
  const replanned = new Set<string>();
  const polished = new Set<string>();
  const run = (width: number): void => {
    // (1) Trees that keep intermediates small (or cut the network in balanced halves)
    // often slice far better than the flops-best one; then a few different near-best trees,
    // since which indices are worth slicing depends much on the tree the choice starts from.
    const trials = n > MEDIUM ? 3 : 6;
    const varied = n <= MEDIUM ? DIVERSE_SEEDS.map((seed) => () => reconfigure(randomGreedyTree(problem, { repeats: 8, seed }), problem, { maxPasses: 1 })) : [];
    const starts: (() => ContractionTree)[] =
      width === 1
        ? [() => reconfigure(tree, problem, { minimize: 'size', maxPasses: 2 }), () => randomGreedyTree(problem, { minimize: 'size', repeats: 16, seed: 1 })]
        : [() => partitionTree(problem, { minimize: 'size', trials, seed: 1 }), () => partitionTree(problem, { minimize: 'flops', trials, seed: 2 }), ...varied];
    for (const make of starts) if (!timeUp()) consider(sliceFixedTree(problem, make(), memoryLimit, preferCount));
    // (2) One index at a time, the sliced network re-solved after each choice.
    if (small) {
      for (const start of distinctTrees(pool, limit, preferCount, width)) {
        if (timeUp() || interleavedFrom.has(start.tree)) continue;
        interleavedFrom.add(start.tree);
        consider(interleaved(problem, start.tree, memoryLimit, limits));
      }
    }
    // (3) Re-plan the network with the best distinct slice sets removed.
    for (const start of distinctBest(pool, limit, preferCount, width + 1)) {
      if (timeUp() || replanned.has(setKey(start.indices))) continue;
      replanned.add(setKey(start.indices));
      consider(replan(problem, start, memoryLimit, limits));
    }
    // (4) Small networks: the exact best tree under the limit for the best slice sets and
    // for sets near them.
    if (!exact) return;
    for (const start of distinctBest(pool, limit, preferCount, width + 1)) {
      if (timeUp() || used.capped || used.pairs >= EXACT_PAIR_BUDGET || polished.has(setKey(start.indices))) continue;
      polished.add(setKey(start.indices));
      consider(exactPolish(problem, start, memoryLimit, limits, used));
    }
  };
  run(1);
  run(2);
  // (5) Small networks: the proven least total (slice-exact.ts) within a fixed work budget,
  // pruned by the best plan so far; it replaces that plan only when strictly cheaper.
  if (!preferCount && best.size <= limit && !timeUp()) {
    const deadline = Number.isFinite(limits.deadline) ? limits.deadline : undefined;
    const found = exactSlicing(problem, memoryLimit, { upperBound: best.flops, maxWork: EXACT_SLICING_WORK, deadline })?.plan;
    if (found) consider({ tree: found.tree, indices: found.indices, count: found.count, flops: found.flops, size: found.size });
  }
  return best;
}

/** Work budget of the exact slicing stage (search nodes plus subset pairs; about 0.2 s at most). */
const EXACT_SLICING_WORK = 1_000_000;

/** Seeds of the varied flops-oriented starting trees of the second pass. */
const DIVERSE_SEEDS = [101, 102, 103, 104, 105, 106];

/** A slice set's identity (order-free). */
const setKey = (set: readonly number[]): string => [...set].sort((a, b) => a - b).join(',');

/** Pairs the exact stage may examine over all its subset searches (bounds its work). */
const EXACT_PAIR_BUDGET = 12_000_000;
/** Pairs one exact subset search may examine. */
const EXACT_PAIRS_PER_CALL = 3_000_000;

/**
 * Exact trees (limitedOptimalTree) for `start`'s slice set, then first-improvement descent
 * over sets with one index dropped, one swapped, or two replaced by one (new indices come
 * from the start tree's over-limit intermediates), each judged by its exact best tree.
 */
function exactPolish(problem: ContractionProblem, start: FixedSlicing, memoryLimit: number, limits: SliceSearchLimits, used: { pairs: number; capped: boolean }): FixedSlicing {
  const limit = BigInt(Math.floor(memoryLimit));
  const sizes = problem.sizes;
  const tried = new Set<string>();
  const evaluate = (set: readonly number[]): FixedSlicing | undefined => {
    const key = setKey(set);
    if (used.capped || tried.has(key) || used.pairs >= EXACT_PAIR_BUDGET || performance.now() > limits.deadline) return undefined;
    tried.add(key);
    const before = used.pairs;
    const cap = Math.min(EXACT_PAIRS_PER_CALL, EXACT_PAIR_BUDGET - used.pairs);
    const tree = limitedOptimalTree(slicedProblem(problem, set), memoryLimit, { maxPairs: cap, used });
    // A search that ran into its cap means sets like these are too large to solve exactly.
    if (used.pairs - before >= cap) used.capped = true;
    if (tree === undefined) return undefined;
    const c = slicedTreeCost(problem, tree, set);
    return { tree, indices: [...set], count: c.count, flops: c.flops, size: c.size };
  };
  let best = start;
  const first = evaluate(start.indices);
  if (first && betterSlicing(first, best, limit, limits.preferCount)) best = first;
  // Swap candidates: indices of the start tree's intermediates above the limit (unsliced).
  const pool = new Set<number>();
  for (const s of treeSteps(problem, start.tree)) if (s.size > limit) for (const i of s.result) if (sizes[i] > 1) pool.add(i);
  const candidates = [...pool].sort((a, b) => a - b);
  for (let improved = true; improved; ) {
    improved = false;
    const current = best.indices;
    const outside = candidates.filter((i) => !current.includes(i));
    const without = (...js: number[]): number[] => current.filter((x) => !js.includes(x));
    // Drops, then swaps, then two out and one in (a single move can stall where the best
    // set has one index fewer and another index).
    const moves: number[][] = current.map((j) => without(j));
    for (const j of current) for (const i of outside) moves.push([...without(j), i]);
    for (let a = 0; a < current.length; a++) {
      for (let b = a + 1; b < current.length; b++) for (const i of outside) moves.push([...without(current[a], current[b]), i]);
    }
    for (const set of moves) {
      const plan = evaluate(set);
      if (plan && betterSlicing(plan, best, limit, limits.preferCount)) {
        best = plan;
        improved = true;
        break;
      }
    }
  }
  return best;
}

/** The k best plans with distinct trees. */
function distinctTrees(pool: readonly FixedSlicing[], limit: bigint, preferCount: boolean, k: number): FixedSlicing[] {
  const sorted = [...pool].sort((a, b) => (betterSlicing(a, b, limit, preferCount) ? -1 : betterSlicing(b, a, limit, preferCount) ? 1 : 0));
  const out: FixedSlicing[] = [];
  for (const p of sorted) {
    if (out.some((o) => o.tree === p.tree)) continue;
    out.push(p);
    if (out.length === k) break;
  }
  return out;
}

/** The k best plans with distinct slice sets. */
function distinctBest(pool: readonly FixedSlicing[], limit: bigint, preferCount: boolean, k: number): FixedSlicing[] {
  const sorted = [...pool].sort((a, b) => (betterSlicing(a, b, limit, preferCount) ? -1 : betterSlicing(b, a, limit, preferCount) ? 1 : 0));
  const seen = new Set<string>();
  const out: FixedSlicing[] = [];
  for (const p of sorted) {
    const key = setKey(p.indices);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
    if (out.length === k) break;
  }
  return out;
}

/**
 * Re-plans the network with `start`'s slices removed (reconfiguration under the limit, and a
 * fresh randomized greedy tree refined by reconfiguration), re-slices each tree starting
 * from that set, and repeats while the total falls.
 */
function replan(problem: ContractionProblem, start: FixedSlicing, memoryLimit: number, limits: SliceSearchLimits): FixedSlicing {
  const limit = BigInt(Math.floor(memoryLimit));
  const n = problem.inputs.length;
  let best = start;
  const rounds = n > MEDIUM ? 2 : 4;
  for (let round = 0; round < rounds; round++) {
    if (performance.now() > limits.deadline) break;
    const sub = slicedProblem(problem, best.indices);
    const trees: ContractionTree[] = [reconfigure(best.tree, sub, { minimize: 'flops', sizeLimit: memoryLimit, maxPasses: 2 })];
    if (n <= LARGE && performance.now() <= limits.deadline) {
      const fresh = randomGreedyTree(sub, { minimize: 'flops', repeats: n > MEDIUM ? 16 : 32, seed: round + 1 });
      trees.push(reconfigure(fresh, sub, { minimize: 'flops', maxPasses: 2 }));
    }
    let improved = false;
    for (const t of trees) {
      for (const initial of [best.indices, []]) {
        const plan = sliceFixedTree(problem, t, memoryLimit, limits.preferCount, initial);
        if (betterSlicing(plan, best, limit, limits.preferCount)) {
          best = plan;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return best;
}

/**
 * Slices one index at a time: among the indices of the step results still over the limit,
 * the few that lower the overshoot most per unit of extra cost are each tried with the
 * sliced network's subtrees re-solved under the limit, and the best is kept. Ends with a
 * fixed-tree refinement of the final set.
 */
function interleaved(problem: ContractionProblem, tree: ContractionTree, memoryLimit: number, limits: SliceSearchLimits): FixedSlicing {
  const sizes = problem.sizes;
  const logLimit = Math.log2(memoryLimit);
  const chosen: number[] = [];
  let current = tree;
  const maxSlices = sizes.length;
  for (let k = 0; k < maxSlices; k++) {
    const sub = slicedProblem(problem, chosen);
    const steps = treeSteps(sub, current);
    const over = steps.filter((s) => log2Big(s.size) > logLimit);
    if (over.length === 0 || performance.now() > limits.deadline) break;
    const base = measure(problem, current, chosen, logLimit);
    const candidates = [...new Set(over.flatMap((s) => s.result))].filter((i) => sizes[i] > 1).sort((a, b) => a - b);
    // Rank by the fixed tree first; only the top few are worth a re-solve.
    const ranked = candidates
      .map((i) => ({ i, score: gainRatio(base, measure(problem, current, [...chosen, i], logLimit), limits.preferCount, sizes[i]) }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, problem.inputs.length > MEDIUM ? 2 : 3);
    let pick = ranked[0].i;
    let pickTree = current;
    let pickScore = -Infinity;
    for (const { i } of ranked) {
      const set = [...chosen, i];
      const t = reconfigure(current, slicedProblem(problem, set), { minimize: 'flops', sizeLimit: memoryLimit, maxPasses: 2, subtreeSize: 6 });
      const sc = gainRatio(base, measure(problem, t, set, logLimit), limits.preferCount, sizes[i]);
      if (sc > pickScore) {
        pickScore = sc;
        pick = i;
        pickTree = t;
      }
    }
    chosen.push(pick);
    current = pickTree;
  }
  return sliceFixedTree(problem, current, memoryLimit, limits.preferCount, chosen);
}

/** Log2 total flops and overshoot above the limit of a tree with `set` sliced. */
function measure(problem: ContractionProblem, tree: ContractionTree, set: readonly number[], logLimit: number): { logTotal: number; excess: number } {
  const sub = slicedProblem(problem, set);
  let excess = 0;
  let total = 0n;
  for (const s of treeSteps(sub, tree)) {
    total += s.flops;
    const r = log2Big(s.size);
    if (r > logLimit) excess += 2 ** (r - logLimit) - 1;
  }
  let logCount = 0;
  for (const i of set) logCount += Math.log2(problem.sizes[i]);
  return { logTotal: log2Big(total) + logCount, excess };
}

/** Overshoot removed per unit of extra log cost (higher is better). */
function gainRatio(base: { logTotal: number; excess: number }, next: { logTotal: number; excess: number }, preferCount: boolean, size: number): number {
  const gain = base.excess - next.excess;
  if (gain <= 0) return -Infinity;
  const extra = preferCount ? Math.log2(size) : Math.max(0, next.logTotal - base.logTotal);
  return gain / (extra + 0.01);
}

