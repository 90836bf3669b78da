// The least total sliced cost under a memory limit, proven, on small networks: which indices
// to slice and which tree to run per slice, both exact. Definitions are chooseSlices's: a
// slice is the problem with the sliced indices removed everywhere (inputs and output); its
// cost is the opt_einsum cost of the tree on that problem; the total is that times the number
// of slices (the product of the sliced sizes); the limit applies to every step result of one
// slice, the final result included, never to the inputs (nor their per-slice copies). Only
// indices of size 2 or more are sliced, as chooseSlices does.
//
// The search is branch and bound over the indices (each unsliced or sliced, unsliced tried
// first), with per-node bounds that hold for every completion:
//  - total ≥ (product of the sliced sizes) × (steps + Σ over unsliced summed indices of size
//    s ≥ 2 of 2s − 1): every step costs at least 1, and a step summing indices R costs at
//    least 2·∏R ≥ 1 + Σ_R (2s − 1);
//  - feasibility: an unsliced index larger than the limit is never open in any step result,
//    so the tensors it links must meet in one step of two leaves; tensors linked by such
//    indices therefore form groups of at most 2 whose merged result must itself fit, and the
//    unsliced output must fit. An undecided index that cannot stay unsliced is counted as
//    sliced in the bound.
// At a complete assignment the best tree under the limit is found by dynamic programming over
// the subsets that fit (every split, outer products included), pruned by the best total so
// far. Everything is bounded by a work count, so the answer depends only on the input; a
// search cut short still returns a proven lower bound (the least bound of the unexplored part).

import type { ContractionProblem } from './problem.js';
import { slicedTreeCost } from './slice-fixed.js';
import { emitMerges, type ContractionTree, type TreeNode } from './tree.js';

/** Largest networks the exact search accepts (tensor and index sets are 32-bit masks). */
export const EXACT_SLICING_MAX_TENSORS = 24;
/** Most distinct indices the exact search accepts. */
export const EXACT_SLICING_MAX_INDICES = 32;

/** Options of exactSlicing. */
export interface ExactSlicingOptions {
  /**
   * Total of a plan known to exist (e.g. chooseSlices's): only cheaper plans are searched
   * for, and when none exists this is the optimum. Must be the total of a valid plan.
   */
  upperBound?: bigint;
  /** Most search nodes plus subset pairs examined (default 20,000,000). */
  maxWork?: number;
  /**
   * performance.now() value after which the search stops as if its work cap were reached
   * (default none; the result then depends on the clock, but the bound stays valid).
   */
  deadline?: number;
}

/** A slice set with its best tree under the limit. */
export interface ExactPlan {
  indices: number[];
  tree: ContractionTree;
  /** Number of slices (product of the sliced sizes). */
  count: bigint;
  /** Total flops over all slices, exact. */
  flops: bigint;
  /** Largest step result of one slice. */
  size: bigint;
}

/** What the exact search established. */
export interface ExactSlicingResult {
  /** The least plan found below `upperBound` (absent when none is cheaper). */
  plan?: ExactPlan;
  /** True when the search finished: no plan is cheaper than `plan` (or than `upperBound`). */
  proven: boolean;
  /** A proven lower bound on the least total of any plan; the optimum itself when proven. */
  lowerBound: bigint;
  /** Work spent (search nodes plus subset pairs). */
  work: number;
}

/** Default work cap of exactSlicing. */
export const DEFAULT_EXACT_SLICING_WORK = 20_000_000;

/** One buildable subset in the per-slice dynamic programming. */
interface SubsetRecord {
  mask: number;
  /** Indices this operand carries into its parent step (a leaf: all of its indices). */
  ind: number;
  cost: number;
  left: number;
  right: number;
}

const bitCount = (x: number): number => {
  let c = 0;
  for (let w = x; w !== 0; w &= w - 1) c++;
  return c;
};

/**
 * The least total sliced cost with every step result of one slice at most `memoryLimit`
 * elements, over every set of indices of size ≥ 2 to slice and every tree. Returns undefined when the network is
 * outside the exact search's range (over 24 tensors, over 32 indices, or costs beyond 2^53).
 * Example: a 10-node 3-regular graph of bond 2 at a 1-element limit: the unsliced edges must
 * form a matching, and the optimum slices all edges outside a perfect matching.
 */
export function exactSlicing(problem: ContractionProblem, memoryLimit: number, options: ExactSlicingOptions = {}): ExactSlicingResult | undefined {
  const n = problem.inputs.length;
  const m = problem.sizes.length;
  if (n < 1 || n > EXACT_SLICING_MAX_TENSORS || m > EXACT_SLICING_MAX_INDICES) return undefined;
  if (!(memoryLimit >= 1)) throw new Error(`memory limit must be at least 1 element, got ${memoryLimit}`);
  const sizes = problem.sizes;
  let all = 1;
  for (const s of sizes) all *= s;
  // Per-slice costs stay exact as floats: no step exceeds 2·∏sizes and there are < n steps.
  if (!(all * 2 * n < 2 ** 53)) return undefined;
  const limit = Math.floor(memoryLimit);
  let maxWork = options.maxWork ?? DEFAULT_EXACT_SLICING_WORK;
  const deadline = options.deadline ?? Infinity;
  let nextClock = 1 << 16;
  // Past the deadline the work cap drops to the work done, so every loop stops at once.
  const overWork = (): boolean => {
    if (work > maxWork) return true;
    if (work >= nextClock) {
      nextClock = work + (1 << 16);
      if (performance.now() > deadline) maxWork = work - 1;
    }
    return work > maxWork;
  };
  const holders = new Array<number>(m).fill(0);
  const tind = problem.inputs.map((t, v) => {
    let mask = 0;
    for (const i of t) {
      mask |= 1 << i;
      holders[i] |= 1 << v;
    }
    return mask;
  });
  let outMask = 0;
  for (const i of problem.output) outMask |= 1 << i;
  const isOut = (i: number): boolean => ((outMask >>> i) & 1) === 1;
  const full = (1 << n) - 1;
  const prod = (mask: number): number => {
    let p = 1;
    for (let w = mask; w !== 0; w &= w - 1) p *= sizes[31 - Math.clz32(w & -w)];
    return p;
  };
  // Indices of a tensor set that are open (output, or carried by a tensor outside it).
  const openOf = (cand: number, set: number): number => {
    let open = 0;
    for (let w = cand; w !== 0; w &= w - 1) {
      const b = w & -w;
      const i = 31 - Math.clz32(b);
      if (isOut(i) || (holders[i] & ~set) !== 0) open |= b;
    }
    return open;
  };
  const indAll = (set: number): number => {
    let ind = 0;
    for (let w = set; w !== 0; w &= w - 1) ind |= tind[31 - Math.clz32(w & -w)];
    return ind;
  };
  const steps = Math.max(n - 1, 1);
  const gain = sizes.map((s, i) => (s >= 2 && !isOut(i) && holders[i] !== 0 ? 2 * s - 1 : 0));
  let work = 0;
  let best: bigint | undefined = options.upperBound;
  let bestPlan: ExactPlan | undefined;
  let abandoned: bigint | undefined;
  let exhausted = false;

  /** Best tree for slice set `sliced` with per-slice cost at most `maxCost`, as [cost, tree]. */
  const solveSlice = (sliced: number, maxCost: number): [number, ContractionTree] | undefined => {
    const keep = ~sliced;
    if (n === 1) {
      const ind = tind[0];
      const open = openOf(ind, full);
      if (prod(open & keep) > limit) return undefined;
      const cost = prod(ind & keep) * ((ind & ~open & keep) !== 0 ? 2 : 1);
      return cost <= maxCost ? [cost, { leaves: 1, nodes: [] }] : undefined;
    }
    const records: SubsetRecord[] = [];
    const levels: number[][] = [[], []];
    for (let v = 0; v < n; v++) {
      levels[1].push(records.length);
      records.push({ mask: 1 << v, ind: tind[v], cost: 0, left: -1, right: -1 });
    }
    const byMask = new Map<number, number>();
    for (let k = 2; k <= n; k++) {
      const level: number[] = [];
      for (let a = 1; a <= k >> 1; a++) {
        const As = levels[a];
        const Bs = levels[k - a];
        for (let x = 0; x < As.length; x++) {
          const A = records[As[x]];
          for (let y = a === k - a ? x + 1 : 0; y < Bs.length; y++) {
            work++;
            if (overWork()) return undefined;
            const B = records[Bs[y]];
            if ((A.mask & B.mask) !== 0) continue;
            const set = A.mask | B.mask;
            const cand = A.ind | B.ind;
            const open = openOf(cand, set);
            if (prod(open & keep) > limit) continue;
            const cost = A.cost + B.cost + prod(cand & keep) * ((cand & ~open & keep) !== 0 ? 2 : 1);
            if (cost > maxCost) continue;
            const at = byMask.get(set);
            if (at === undefined) {
              byMask.set(set, records.length);
              level.push(records.length);
              records.push({ mask: set, ind: open, cost, left: As[x], right: Bs[y] });
            } else if (cost < records[at].cost) {
              records[at].cost = cost;
              records[at].left = As[x];
              records[at].right = Bs[y];
            }
          }
        }
      }
      levels.push(level);
    }
    const root = byMask.get(full);
    if (root === undefined) return undefined;
    const nodes: TreeNode[] = [];
    emitMerges(records, root, n, nodes);
    return [records[root].cost, { leaves: n, nodes }];
  };

  // Decision order: indices by their first and second holder, so neighbouring decisions share
  // tensors and feasibility propagates early.
  const order = sizes
    .map((_, i) => i)
    .filter((i) => holders[i] !== 0 && sizes[i] > 1)
    .sort((a, b) => lowBit(holders[a]) - lowBit(holders[b]) || holders[a] - holders[b] || a - b);
  // Size-1 indices stay unsliced, as in chooseSlices: slicing one leaves the count as it is
  // and only drops a ×2 summation factor, which no execution gains from. Indices no tensor
  // carries are never sliced either (they would only multiply the count).
  const status = new Int8Array(m); // 0 undecided, 1 sliced, 2 unsliced
  let slicedMask = 0;
  let keptMask = 0;
  for (let i = 0; i < m; i++) if (sizes[i] === 1) keptMask |= 1 << i;
  const compOf = new Int32Array(n);
  const compMask = new Array<number>(n).fill(0);
  const pairProd = new Array<number>(n).fill(0);
  let outProd = 1;

  // Groups of tensors linked by unsliced over-limit indices, and the kept product of each
  // 2-tensor group's result; false when the kept set is already infeasible.
  const analyze = (): boolean => {
    outProd = prod(outMask & keptMask);
    if (outProd > limit) return false;
    for (let v = 0; v < n; v++) {
      compOf[v] = v;
      compMask[v] = 1 << v;
    }
    for (let w = keptMask; w !== 0; w &= w - 1) {
      const i = 31 - Math.clz32(w & -w);
      if (sizes[i] <= limit) continue;
      let merged = 0;
      for (let h = holders[i]; h !== 0; h &= h - 1) merged |= compMask[compOf[31 - Math.clz32(h & -h)]];
      if (bitCount(merged) > 2) return false;
      const root = lowBit(merged);
      for (let h = merged; h !== 0; h &= h - 1) compOf[31 - Math.clz32(h & -h)] = root;
      compMask[root] = merged;
    }
    for (let v = 0; v < n; v++) {
      if (compOf[v] !== v || bitCount(compMask[v]) !== 2) continue;
      const c = compMask[v];
      pairProd[v] = prod(openOf(indAll(c), c) & keptMask);
      if (pairProd[v] > limit) return false;
    }
    return true;
  };

  // Whether index i may stay unsliced given the current kept set (analyze() ran).
  const canKeep = (i: number): boolean => {
    const s = sizes[i];
    if (isOut(i) && outProd * s > limit) return false;
    if (s > limit) {
      let merged = 0;
      for (let h = holders[i]; h !== 0; h &= h - 1) merged |= compMask[compOf[31 - Math.clz32(h & -h)]];
      const c = bitCount(merged);
      if (c > 2) return false;
      if (c === 2) return prod(openOf(indAll(merged), merged) & (keptMask | (1 << i))) <= limit;
      return true;
    }
    let seen = 0;
    for (let h = holders[i]; h !== 0; h &= h - 1) {
      const r = compOf[31 - Math.clz32(h & -h)];
      if ((seen >>> r) & 1 || bitCount(compMask[r]) !== 2) continue;
      seen |= 1 << r;
      const openInPair = isOut(i) || (holders[i] & ~compMask[r]) !== 0;
      if (openInPair && pairProd[r] * s > limit) return false;
    }
    return true;
  };

  const dfs = (k: number, count: number, summed: number): void => {
    if (!analyze()) return;
    let forced = 1;
    for (let j = k; j < order.length; j++) if (!canKeep(order[j])) forced *= sizes[order[j]];
    const bound = BigInt(count * forced) * BigInt(steps + summed);
    if (best !== undefined && bound >= best) return;
    work++;
    if (overWork()) {
      exhausted = true;
      if (abandoned === undefined || bound < abandoned) abandoned = bound;
      return;
    }
    if (k === order.length) {
      const maxCost = best === undefined ? Infinity : Number((best - 1n) / BigInt(count));
      const got = solveSlice(slicedMask, maxCost);
      if (work > maxWork) {
        exhausted = true;
        if (abandoned === undefined || bound < abandoned) abandoned = bound;
        return;
      }
      if (got === undefined) return;
      const total = BigInt(count) * BigInt(got[0]);
      if (best === undefined || total < best) {
        best = total;
        const indices = order.filter((i) => status[i] === 1);
        const exact = slicedTreeCost(problem, got[1], indices);
        bestPlan = { indices, tree: got[1], count: exact.count, flops: exact.flops, size: exact.size };
      }
      return;
    }
    const i = order[k];
    if (canKeep(i)) {
      status[i] = 2;
      keptMask |= 1 << i;
      dfs(k + 1, count, summed + gain[i]);
      keptMask &= ~(1 << i);
    }
    status[i] = 1;
    slicedMask |= 1 << i;
    dfs(k + 1, count * sizes[i], summed);
    slicedMask &= ~(1 << i);
    status[i] = 0;
  };
  dfs(0, 1, 0);
  // Cut short: the least bound of the unexplored part, unless the best found is lower.
  let lowerBound = best ?? abandoned ?? 0n;
  if (exhausted && abandoned !== undefined && abandoned < lowerBound) lowerBound = abandoned;
  return { plan: bestPlan, proven: !exhausted, lowerBound, work };
}

const lowBit = (x: number): number => 31 - Math.clz32(x & -x);
