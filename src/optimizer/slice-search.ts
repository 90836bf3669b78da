// The search behind chooseSlices: which indices to slice and which tree to run per slice.
// The best tree for the sliced network is rarely the best unsliced tree, so slices and tree
// are chosen together: (1) slice trees that keep intermediates small; (2) slice one index at
// a time, re-solving the sliced network's subtrees under the limit after each choice; (3)
// re-plan the network with a chosen slice set removed, from scratch and by reconfiguration,
// then re-slice that tree starting from the set, while the total falls. Every comparison
// uses exact bigint totals. The work is bounded by fixed repeat and round counts, so the
// result depends only on the input; a deadline (non-deterministic mode) can cut it short.

import type { ContractionProblem } from './problem.js';
import { randomGreedyTree } from './random-greedy.js';
import { reconfigure } from './reconfigure.js';
import { sliceFixedTree, slicedTreeCost, type FixedSlicing } from './slice-fixed.js';
import type { ContractionTree } from './tree.js';
import { treeSteps } from './cost.js';

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

/** Networks above this many tensors skip the costlier stages (their work grows fast with n). */
const LARGE = 300;

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
  if (best.indices.length === 0 || n <= 2) return best;
  // (1) Trees that keep intermediates small often slice far better than the flops-best one.
  if (!timeUp()) consider(sliceFixedTree(problem, reconfigure(tree, problem, { minimize: 'size', maxPasses: 2 }), memoryLimit, preferCount));
  if (!timeUp()) consider(sliceFixedTree(problem, randomGreedyTree(problem, { minimize: 'size', repeats: 16, seed: 1 }), memoryLimit, preferCount));
  // (2) One index at a time, the sliced network re-solved after each choice.
  if (!timeUp() && n <= LARGE) consider(interleaved(problem, tree, memoryLimit, limits));
  // (3) Re-plan each of the best distinct slice sets found so far.
  const seeds = distinctBest(pool, limit, preferCount, 3);
  for (const start of seeds) {
    if (timeUp()) break;
    consider(replan(problem, start, memoryLimit, limits));
  }
  return best;
}

/** The k best plans with distinct slice sets. */
function distinctBest(pool: readonly FixedSlicing[], limit: bigint, preferCount: boolean, k: number): FixedSlicing[] {
  const sorted = [...pool].sort((a, b) => (betterSlicing(a, b, limit, preferCount) ? -1 : betterSlicing(b, a, limit, preferCount) ? 1 : 0));
  const seen = new Set<string>();
  const out: FixedSlicing[] = [];
  for (const p of sorted) {
    const key = [...p.indices].sort((a, b) => a - b).join(',');
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
  for (let round = 0; round < 4; round++) {
    if (performance.now() > limits.deadline) break;
    const sub = slicedProblem(problem, best.indices);
    const trees: ContractionTree[] = [reconfigure(best.tree, sub, { minimize: 'flops', sizeLimit: memoryLimit, maxPasses: 4 })];
    if (n <= LARGE) {
      const fresh = randomGreedyTree(sub, { minimize: 'flops', repeats: 32, seed: round + 1 });
      trees.push(reconfigure(fresh, sub, { minimize: 'flops', maxPasses: 4 }));
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
    const over = steps.filter((s) => Math.log2(Number(s.size)) > logLimit);
    if (over.length === 0 || performance.now() > limits.deadline) break;
    const base = measure(problem, current, chosen, logLimit);
    const candidates = [...new Set(over.flatMap((s) => s.result))].filter((i) => sizes[i] > 1).sort((a, b) => a - b);
    // Rank by the fixed tree first; only the top few are worth a re-solve.
    const ranked = candidates
      .map((i) => ({ i, score: gainRatio(base, measure(problem, current, [...chosen, i], logLimit), limits.preferCount, sizes[i]) }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 3);
    let pick = ranked[0].i;
    let pickTree = current;
    let pickScore = -Infinity;
    for (const { i } of ranked) {
      const set = [...chosen, i];
      const t = reconfigure(current, slicedProblem(problem, set), { minimize: 'flops', sizeLimit: memoryLimit, maxPasses: 2 });
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
  let total = 0;
  for (const s of treeSteps(sub, tree)) {
    total += Number(s.flops);
    const r = Math.log2(Number(s.size));
    if (r > logLimit) excess += 2 ** (r - logLimit) - 1;
  }
  let logCount = 0;
  for (const i of set) logCount += Math.log2(problem.sizes[i]);
  return { logTotal: Math.log2(total) + logCount, excess };
}

/** Overshoot removed per unit of extra log cost (higher is better). */
function gainRatio(base: { logTotal: number; excess: number }, next: { logTotal: number; excess: number }, preferCount: boolean, size: number): number {
  const gain = base.excess - next.excess;
  if (gain <= 0) return -Infinity;
  const extra = preferCount ? Math.log2(size) : Math.max(0, next.logTotal - base.logTotal);
  return gain / (extra + 0.01);
}

export { slicedTreeCost };
