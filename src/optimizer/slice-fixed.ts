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

/** Log2 total flops (all slices), overshoot above the limit, and log2 slice count. */
interface LogScore {
  logTotal: number;
  excess: number;
  logCount: number;
}

/**
 * Float (log2) scoring of slice sets for one tree, for ranking candidates. Changing a few
 * indices only revisits the steps that involve them, so scoring a candidate costs about
 * the depth of the tree rather than its size.
 */
class SliceScorer {
  private readonly stepsWith: number[][];
  private readonly f: Float64Array;
  private readonly r: Float64Array;
  private readonly stamp: Int32Array;
  private tick = 0;
  private total = 0;
  private excess = 0;

  constructor(
    private readonly steps: readonly StepData[],
    private readonly logSize: readonly number[],
    private readonly logLimit: number,
    readonly chosen: Set<number>,
  ) {
    this.stepsWith = logSize.map(() => []);
    steps.forEach((st, k) => {
      for (const i of st.involved) this.stepsWith[i].push(k);
    });
    this.f = new Float64Array(steps.length);
    this.r = new Float64Array(steps.length);
    this.stamp = new Int32Array(steps.length);
    for (let k = 0; k < steps.length; k++) [this.f[k], this.r[k]] = this.stepValue(k, (i) => chosen.has(i));
    this.sum();
  }

  /** Log2 flops (×2 when an unsliced index is summed) and log2 result size of one step. */
  private stepValue(k: number, has: (i: number) => boolean): [number, number] {
    const st = this.steps[k];
    let f = 0;
    for (const i of st.involved) if (!has(i)) f += this.logSize[i];
    if (st.removed.some((i) => !has(i))) f += 1;
    let r = 0;
    for (const i of st.result) if (!has(i)) r += this.logSize[i];
    return [f, r];
  }

  // Linear overshoot, so the largest intermediates dominate the choice.
  private over(r: number): number {
    return r > this.logLimit ? 2 ** (r - this.logLimit) - 1 : 0;
  }

  private sum(): void {
    this.total = 0;
    this.excess = 0;
    for (let k = 0; k < this.steps.length; k++) {
      this.total += 2 ** this.f[k];
      this.excess += this.over(this.r[k]);
    }
  }

  private logCount(has: (i: number) => boolean, extra: readonly number[]): number {
    let c = 0;
    for (const i of this.chosen) if (has(i)) c += this.logSize[i];
    for (const i of extra) if (!this.chosen.has(i)) c += this.logSize[i];
    return c;
  }

  /** Score of the current set with `add` sliced and `remove` unsliced. */
  scoreChange(add: readonly number[], remove: readonly number[]): LogScore {
    const has = (i: number): boolean => (this.chosen.has(i) && !remove.includes(i)) || add.includes(i);
    let total = this.total;
    let excess = this.excess;
    const t = ++this.tick;
    for (const x of [...add, ...remove]) {
      for (const k of this.stepsWith[x]) {
        if (this.stamp[k] === t) continue;
        this.stamp[k] = t;
        const [f, r] = this.stepValue(k, has);
        total += 2 ** f - 2 ** this.f[k];
        excess += this.over(r) - this.over(this.r[k]);
      }
    }
    return { logTotal: Math.log2(Math.max(total, 0)) + this.logCount(has, add), excess: Math.max(excess, 0), logCount: this.logCount(has, add) };
  }

  /** Slices `add` and unslices `remove`. */
  apply(add: readonly number[], remove: readonly number[]): void {
    for (const i of remove) this.chosen.delete(i);
    for (const i of add) this.chosen.add(i);
    const has = (i: number): boolean => this.chosen.has(i);
    const t = ++this.tick;
    for (const x of [...add, ...remove]) {
      for (const k of this.stepsWith[x]) {
        if (this.stamp[k] === t) continue;
        this.stamp[k] = t;
        [this.f[k], this.r[k]] = this.stepValue(k, has);
      }
    }
    // Re-summed from the per-step values, so no rounding accumulates.
    this.sum();
  }
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
  const scorer = new SliceScorer(steps, logSize, logLimit, chosen);
  let current = scorer.scoreChange([], []);
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
      const next = scorer.scoreChange([i], []);
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
    scorer.apply([best], []);
    current = scorer.scoreChange([], []);
  }
  refine(scorer, steps, sizes, logSize, logLimit, fits, preferCount);
  const final = evaluate(steps, sizes, chosen);
  return { tree, indices: [...chosen], count: final.count, flops: final.flops, size: final.size };
}

/** Most indices refinement tries swapping in (its work is |chosen| × this × steps per round). */
const MAX_SWAP_CANDIDATES = 64;

/** Drops unneeded slices, then tries single swaps that lower the cost and still fit. */
function refine(
  scorer: SliceScorer,
  steps: readonly StepData[],
  sizes: readonly number[],
  logSize: readonly number[],
  logLimit: number,
  fits: (s: ReadonlySet<number>) => boolean,
  preferCount: boolean,
): void {
  const chosen = scorer.chosen;
  const cost = (add: readonly number[], remove: readonly number[]): number => {
    const e = scorer.scoreChange(add, remove);
    return preferCount ? e.logCount * 1e6 + e.logTotal : e.logTotal + e.logCount * 1e-9;
  };
  // Earliest choices first: a starting set from another tree is the likeliest to be unneeded.
  for (const i of [...chosen]) {
    chosen.delete(i);
    const fitsWithout = fits(chosen);
    chosen.add(i);
    if (fitsWithout) scorer.apply([], [i]);
  }
  // Swap candidates: indices of the intermediates that exceed the limit unsliced, those in
  // the most (and largest) of them first; a bounded number, so large networks stay fast.
  const weight = new Map<number, number>();
  for (const s of steps) {
    let r = 0;
    for (const i of s.result) r += logSize[i];
    if (r > logLimit) for (const i of s.result) if (sizes[i] > 1) weight.set(i, (weight.get(i) ?? 0) + (r - logLimit));
  }
  const pool = [...weight.keys()].sort((a, b) => weight.get(b)! - weight.get(a)! || a - b).slice(0, MAX_SWAP_CANDIDATES);
  let improved = true;
  let rounds = 0;
  while (improved && rounds++ < 8) {
    improved = false;
    let base = cost([], []);
    for (const j of [...chosen]) {
      for (const i of pool) {
        if (chosen.has(i)) continue;
        const c = cost([i], [j]);
        if (!(c < base - 1e-9)) continue;
        chosen.delete(j);
        chosen.add(i);
        const ok = fits(chosen);
        chosen.delete(i);
        chosen.add(j);
        if (!ok) continue;
        scorer.apply([i], [j]);
        base = cost([], []);
        improved = true;
        break;
      }
    }
  }
}

/** Exact flops (over all slices) and per-slice largest step result of a tree with the given indices sliced. */
export function slicedTreeCost(problem: ContractionProblem, tree: ContractionTree, indices: Iterable<number>): { flops: bigint; size: bigint; count: bigint } {
  return evaluate(stepsOf(problem, tree), problem.sizes, new Set(indices));
}
