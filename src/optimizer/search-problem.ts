// What every search shares: a ContractionProblem prepared for fast cost evaluation (unique
// sorted index sets per leaf, appearance counts, the leaves carrying each index, float
// sizes) and the objective as a pair of scores. Searches compare float scores; the exact
// bigint cost of the winner is recomputed by cost.ts, so rounding can only make a search
// choose a slightly different tree, never report a wrong cost.

import type { ContractionProblem } from './problem.js';
import type { Objective, OptimizeOptions } from './registry.js';

/** A problem in the array form searches use. */
export interface SearchProblem {
  /** Number of leaves (inputs). */
  n: number;
  /** Number of index ids. */
  m: number;
  /** Per leaf: its unique index ids, ascending. */
  leafIndices: Int32Array[];
  /** Per index: input tensors carrying it, plus one when it is an output index. */
  total: Int32Array;
  /** Per index: 1 when it is an output index. */
  isOutput: Uint8Array;
  /** Per index: its size as a float. */
  size: Float64Array;
  /** Per index: the leaves carrying it, ascending. */
  leavesOf: Int32Array[];
}

/** Prepares a problem for searching. Example: `ab,bc->ac` gives total [2,2,2] and leavesOf [[0],[0,1],[1]]. */
export function prepareSearch(problem: ContractionProblem): SearchProblem {
  const n = problem.inputs.length;
  const m = problem.sizes.length;
  const total = new Int32Array(m);
  const isOutput = new Uint8Array(m);
  const size = Float64Array.from(problem.sizes);
  const lists: number[][] = Array.from({ length: m }, () => []);
  const leafIndices = problem.inputs.map((t, leaf) => {
    const u = Int32Array.from(new Set(t)).sort();
    for (const i of u) {
      total[i]++;
      lists[i].push(leaf);
    }
    return u;
  });
  for (const i of problem.output) {
    total[i]++;
    isOutput[i] = 1;
  }
  return { n, m, leafIndices, total, isOutput, size, leavesOf: lists.map((l) => Int32Array.from(l)) };
}

/**
 * An objective as two scores combined per step: the primary decides, the secondary breaks
 * ties. `max` scores take the largest step value, the others add step values up.
 */
export interface ObjectiveModel {
  name: Objective;
  primaryIsMax: boolean;
  secondaryIsMax: boolean;
  /**
   * True when a step's primary score is at least its flops, so a cap on the primary score
   * also caps every step's flops (searches prune merges by their flops with it).
   */
  primaryCoversFlops: boolean;
  /** Primary score of one step with the given flops and result size. */
  primary(flops: number, size: number): number;
  secondary(flops: number, size: number): number;
}

/** cotengra's default weight of written elements in the combo objective. */
export const DEFAULT_COMBO_FACTOR = 64;

/**
 * The objective of a search. `flops`: total flops, then largest intermediate. `size`:
 * largest intermediate, then flops. `combo`: flops + α·(elements written), α from
 * `options.comboFactor` (default 64). `scaling`: the most expensive single step (the
 * leading power at the planning sizes), then total flops.
 */
export function objectiveModel(options: OptimizeOptions): ObjectiveModel {
  const name = options.minimize ?? 'flops';
  switch (name) {
    case 'flops':
      return { name, primaryIsMax: false, secondaryIsMax: true, primaryCoversFlops: true, primary: (f) => f, secondary: (_f, s) => s };
    case 'size':
      return { name, primaryIsMax: true, secondaryIsMax: false, primaryCoversFlops: false, primary: (_f, s) => s, secondary: (f) => f };
    case 'combo': {
      const alpha = typeof options.comboFactor === 'number' ? options.comboFactor : DEFAULT_COMBO_FACTOR;
      return { name, primaryIsMax: false, secondaryIsMax: true, primaryCoversFlops: alpha >= 0, primary: (f, s) => f + alpha * s, secondary: (_f, s) => s };
    }
    case 'scaling':
      return { name, primaryIsMax: true, secondaryIsMax: false, primaryCoversFlops: true, primary: (f) => f, secondary: (f) => f };
    default:
      throw new Error(`unknown objective '${String(name)}'; valid objectives: flops, size, combo, scaling`);
  }
}

/** Adds one step's value to an accumulated score. */
export function accumulate(isMax: boolean, acc: number, step: number): number {
  return isMax ? (acc > step ? acc : step) : acc + step;
}

/** Lexicographic "strictly better" on (primary, secondary). */
export function lexLess(p1: number, s1: number, p2: number, s2: number): boolean {
  return p1 < p2 || (p1 === p2 && s1 < s2);
}

/** A deadline from a time budget; `Infinity` when there is none. */
export function deadlineOf(options: OptimizeOptions): number {
  const t = options.maxTimeMs;
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 ? performance.now() + t : Infinity;
}
