// Branch and bound with a beam: at each state only the `width` most promising pairs (by
// opt_einsum's greedy key, result size minus input sizes) that share an index are expanded,
// and any partial sequence already costing as much as the best tree is cut. `branch-1`
// follows a single greedy-like line with full cost accounting, `branch-all` expands every
// index-sharing pair. The search starts from greedy's score, so it is never worse.

import { searchTree } from './optimal.js';
import type { Optimizer } from './registry.js';

/** A branch-and-bound optimizer expanding `width` pairs per state (Infinity: all). */
export function createBranch(name: string, width: number): Optimizer {
  const beam = width === Infinity ? 'every index-sharing pair' : `the ${width} best pair${width === 1 ? '' : 's'}`;
  return {
    name,
    description: `branch and bound expanding ${beam} per step (honours --max-time)`,
    optimize: (problem, options) => {
      const w = typeof options.width === 'number' && options.width >= 1 ? options.width : width;
      return searchTree(problem, options, { width: w, connectedOnly: true });
    },
  };
}

/** branch-1, branch-2 and branch-all. */
export const branchOptimizers: readonly Optimizer[] = [createBranch('branch-1', 1), createBranch('branch-2', 2), createBranch('branch-all', Infinity)];
