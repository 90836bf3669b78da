// Depth-first search over pairwise merge sequences with cost pruning. `optimal` tries every
// pair (outer products included), so when it finishes within its time budget its tree is
// proven optimal for the objective's primary score. The same search with a beam of the most
// promising pairs is branch and bound (branch.ts). The search starts from the greedy tree's
// score, so it never returns anything worse than greedy, and a state (the set of current
// nodes) reached again at no lower cost is not expanded twice.

import { greedyTree } from './greedy.js';
import type { ContractionProblem } from './problem.js';
import type { Optimizer, OptimizeOptions } from './registry.js';
import { accumulate, deadlineOf, lexLess, objectiveModel, prepareSearch, type ObjectiveModel } from './search-problem.js';
import { MAX_MASK_LEAVES, SubsetCosts } from './subset-costs.js';
import type { ContractionTree, TreeNode } from './tree.js';

export interface SearchSettings {
  /** How many candidate pairs to expand at each state (Infinity: all). */
  width: number;
  /** Only pairs that share an index (all pairs when none does). */
  connectedOnly: boolean;
}

/** Primary and secondary score of a tree under an objective, using mask costs. */
export function maskTreeScore(costs: SubsetCosts, model: ObjectiveModel, tree: ContractionTree): [number, number] {
  const masks: number[] = Array.from({ length: tree.leaves }, (_, i) => 1 << i);
  let p = 0;
  let s = 0;
  for (const nd of tree.nodes) {
    const a = masks[nd.left];
    const b = masks[nd.right];
    const [sp, ss] = costs.stepScores(model, a, b);
    p = accumulate(model.primaryIsMax, p, sp);
    s = accumulate(model.secondaryIsMax, s, ss);
    masks.push(a | b);
  }
  return [p, s];
}

/**
 * Searches merge sequences depth first. Returns the best tree found (the greedy tree when
 * nothing beats it, and always beyond MAX_MASK_LEAVES inputs); `exhaustive` is set when
 * every pair was eligible and the search ended before its deadline.
 */
export function searchTree(problem: ContractionProblem, options: OptimizeOptions, settings: SearchSettings): ContractionTree {
  const n = problem.inputs.length;
  const start = greedyTree(problem, options);
  if (n <= 2) return { ...start, exhaustive: true };
  if (n > MAX_MASK_LEAVES) return start;
  const sp = prepareSearch(problem);
  const model = objectiveModel(options);
  const costs = new SubsetCosts(sp);
  const deadline = deadlineOf(options);
  let [bestP, bestS] = maskTreeScore(costs, model, start);
  let bestNodes: TreeNode[] = start.nodes;
  let timedOut = false;
  let ticks = 0;
  const memo = new Map<string, [number, number]>();
  const masks: number[] = [];
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    masks.push(1 << i);
    ids.push(i);
  }
  const path: TreeNode[] = [];

  const dfs = (p: number, s: number): void => {
    if (timedOut) return;
    if (++ticks % 512 === 0 && performance.now() > deadline) {
      timedOut = true;
      return;
    }
    const k = masks.length;
    if (k === 1) {
      if (lexLess(p, s, bestP, bestS)) {
        bestP = p;
        bestS = s;
        bestNodes = path.slice();
      }
      return;
    }
    // Candidate pairs with their accumulated scores, best first.
    const cands: { i: number; j: number; p: number; s: number; f: number }[] = [];
    let anyConnected = false;
    if (settings.connectedOnly) {
      for (let i = 0; i < k && !anyConnected; i++) for (let j = i + 1; j < k; j++) if (costs.connected(masks[i], masks[j])) anyConnected = true;
    }
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const a = masks[i];
        const b = masks[j];
        if (anyConnected && !costs.connected(a, b)) continue;
        const [stepP, stepS] = costs.stepScores(model, a, b);
        const np = accumulate(model.primaryIsMax, p, stepP);
        const ns = accumulate(model.secondaryIsMax, s, stepS);
        if (!lexLess(np, ns, bestP, bestS)) continue;
        const f = costs.node(a | b).size - costs.node(a).size - costs.node(b).size;
        cands.push({ i, j, p: np, s: ns, f });
      }
    }
    if (settings.width !== Infinity) cands.sort((x, y) => x.f - y.f || x.p - y.p || x.i - y.i || x.j - y.j);
    else cands.sort((x, y) => x.p - y.p || x.s - y.s || x.i - y.i || x.j - y.j);
    const limit = Math.min(cands.length, settings.width);
    for (let c = 0; c < limit; c++) {
      const { i, j, p: np, s: ns } = cands[c];
      if (!lexLess(np, ns, bestP, bestS)) continue;
      const a = masks[i];
      const b = masks[j];
      const merged = a | b;
      const key = masks
        .filter((_, t) => t !== i && t !== j)
        .concat(merged)
        .sort((x, y) => x - y)
        .join(',');
      const seen = memo.get(key);
      if (seen && seen[0] <= np && seen[1] <= ns) continue;
      memo.set(key, [np, ns]);
      const idA = ids[i];
      const idB = ids[j];
      // Remove j then i (j > i), append the merged node, recurse, restore.
      masks.splice(j, 1);
      masks.splice(i, 1);
      ids.splice(j, 1);
      ids.splice(i, 1);
      masks.push(merged);
      ids.push(n + path.length);
      path.push(idA < idB ? { left: idA, right: idB } : { left: idB, right: idA });
      dfs(np, ns);
      path.pop();
      masks.pop();
      ids.pop();
      masks.splice(i, 0, a);
      masks.splice(j, 0, b);
      ids.splice(i, 0, idA);
      ids.splice(j, 0, idB);
      if (timedOut) return;
    }
  };
  dfs(0, 0);
  const exhaustive = !timedOut && settings.width === Infinity && !settings.connectedOnly;
  return { leaves: n, nodes: bestNodes, exhaustive };
}

/** Exhaustive depth-first search with pruning; proven optimal when it ends within `maxTimeMs`. */
export const optimal: Optimizer = {
  name: 'optimal',
  description: 'exhaustive depth-first search over all pairs with pruning (small networks; honours --max-time)',
  optimize: (problem, options) => searchTree(problem, options, { width: Infinity, connectedOnly: false }),
};
