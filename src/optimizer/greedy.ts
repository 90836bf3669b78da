// The greedy optimizer: repeatedly contract the pair of tensors that share an index and whose
// result is smallest relative to its inputs (opt_einsum's heuristic: result size minus the
// sizes of the two inputs). Candidate pairs live in a heap with lazy invalidation; a popped
// pair whose key went stale (a hyperedge lost a member) is re-keyed and pushed back. Indices
// shared by very many tensors do not generate candidates (that would be quadratic); tensors
// left unconnected at the end are merged by the same rule over all pairs when few remain,
// otherwise smallest first.

import { PairHeap } from './pair-heap.js';
import type { ContractionProblem } from './problem.js';
import type { Optimizer, OptimizeOptions } from './registry.js';
import { prepareSearch } from './search-problem.js';
import type { ContractionTree, TreeNode } from './tree.js';

/**
 * Key of a candidate pair from the log2 sizes of the result and the two inputs; smaller is
 * better. Sizes are passed as log2 because products over big networks overflow doubles.
 */
export type GreedyKey = (log2Result: number, log2A: number, log2B: number, a: number, b: number) => number;

export interface GreedySettings {
  /** Replaces the default key (e.g. randomized greedy adds noise here). Must be deterministic per call. */
  key?: GreedyKey;
  /** Indices carried by more tensors than this do not generate candidate pairs (default 64). */
  maxFanout?: number;
  /** When at most this many unconnected tensors remain, all their pairs are ranked (default 128). */
  maxAllPairs?: number;
}

/**
 * The default key: opt_einsum's greedy cost x = result size − input sizes, as the monotone
 * sign(x)·log2(1 + |x|) so that it stays finite (and exact ties stay ties) at any size.
 */
export const greedyCost: GreedyKey = (lr, la, lb) => {
  const top = Math.max(lr, la, lb);
  if (top < 1000) {
    const x = 2 ** lr - 2 ** la - 2 ** lb;
    return x === 0 ? 0 : Math.sign(x) * Math.log2(1 + Math.abs(x));
  }
  const k = 2 ** (lr - top) - 2 ** (la - top) - 2 ** (lb - top);
  return k === 0 ? 0 : Math.sign(k) * (top + Math.log2(Math.abs(k)));
};

/**
 * A greedy contraction tree. `options.minimize === 'size'` ranks pairs by their result size
 * first. Deterministic: ties go to the pair with the smallest ids.
 */
export function greedyTree(problem: ContractionProblem, options: OptimizeOptions = {}, settings: GreedySettings = {}): ContractionTree {
  const sp = prepareSearch(problem);
  const n = sp.n;
  if (n <= 1) return { leaves: n, nodes: [] };
  const key = settings.key ?? greedyCost;
  const bySize = options.minimize === 'size';
  const maxFanout = settings.maxFanout ?? 64;
  const maxAllPairs = settings.maxAllPairs ?? 128;
  const total = 2 * n - 1;
  const idx: Int32Array[] = new Array(total);
  const lsz = new Float64Array(total);
  const alive = new Uint8Array(total);
  const stamp = new Int32Array(total).fill(-1);
  const live = Int32Array.from(sp.total);
  const isOutput = sp.isOutput;
  const ldim = sp.size.map(Math.log2);
  const nodesOf: number[][] = Array.from(sp.leavesOf, (l) => Array.from(l));
  for (let i = 0; i < n; i++) {
    idx[i] = sp.leafIndices[i];
    let s = 0;
    for (const j of idx[i]) s += ldim[j];
    lsz[i] = s;
    alive[i] = 1;
  }
  const nodes: TreeNode[] = [];
  const heap = new PairHeap();

  // log2 of the result of merging a and b is lsz[a] + lsz[b] − lonely − Σ over shared
  // indices of (2·log2 size when the pair holds its last two copies, else 1·log2 size).
  // `shared` is that sum; both callers add it up in ascending index order, so the same
  // pair always gets bit-identical keys.
  const lonely = new Float64Array(total);
  for (let i = 0; i < n; i++) for (const j of idx[i]) if (live[j] === 1) lonely[i] += ldim[j];
  const weight = (i: number): number => (live[i] === 2 ? 2 * ldim[i] : ldim[i]);
  // The two keys of the last keysFrom call (kept in locals: no tuple per candidate).
  let key1 = 0;
  let key2 = 0;
  const keysFrom = (a: number, b: number, shared: number): void => {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const r = lsz[lo] + lsz[hi] - lonely[lo] - lonely[hi] - shared;
    const k = key(r, lsz[lo], lsz[hi], lo, hi);
    key1 = bySize ? r : k;
    key2 = bySize ? k : 0;
  };
  const keysOf = (a: number, b: number): void => {
    const x = idx[a];
    const y = idx[b];
    let i = 0;
    let j = 0;
    let shared = 0;
    while (i < x.length && j < y.length) {
      if (x[i] === y[j]) {
        shared += weight(x[i]);
        i++;
        j++;
      } else if (x[i] < y[j]) i++;
      else j++;
    }
    keysFrom(a, b, shared);
  };
  const pushPair = (a: number, b: number, shared?: number): void => {
    if (shared === undefined) keysOf(a, b);
    else keysFrom(a, b, shared);
    if (a < b) heap.push(key1, key2, a, b);
    else heap.push(key1, key2, b, a);
  };
  // Alive nodes sharing a low-fanout index with `a` (each once, compacting dead entries);
  // acc[d] collects the shared-index sum for neighbour d on the way.
  const acc = new Float64Array(total);
  const neighbours = (a: number): number[] => {
    const out: number[] = [];
    for (const i of idx[a]) {
      if (live[i] - isOutput[i] > maxFanout) continue;
      const w = weight(i);
      const list = nodesOf[i];
      let k = 0;
      for (let r = 0; r < list.length; r++) {
        const b = list[r];
        if (!alive[b]) continue;
        list[k++] = b;
        if (b === a) continue;
        if (stamp[b] !== a) {
          stamp[b] = a;
          acc[b] = w;
          out.push(b);
        } else acc[b] += w;
      }
      list.length = k;
    }
    return out;
  };
  const merge = (a: number, b: number): number => {
    const c = n + nodes.length;
    const x = idx[a];
    const y = idx[b];
    const res: number[] = [];
    let i = 0;
    let j = 0;
    let s = 0;
    while (i < x.length || j < y.length) {
      const u = i < x.length ? x[i] : 0x7fffffff;
      const v = j < y.length ? y[j] : 0x7fffffff;
      if (u === v) {
        if (live[u] > 2) {
          live[u]--;
          res.push(u);
          s += ldim[u];
        } else live[u] = 0;
        i++;
        j++;
      } else {
        const w = u < v ? u : v;
        if (live[w] > 1) {
          res.push(w);
          s += ldim[w];
        } else live[w] = 0;
        if (u < v) i++;
        else j++;
      }
    }
    idx[c] = Int32Array.from(res);
    lsz[c] = s;
    alive[a] = 0;
    alive[b] = 0;
    alive[c] = 1;
    for (const u of res) nodesOf[u].push(c);
    nodes.push(a < b ? { left: a, right: b } : { left: b, right: a });
    return c;
  };
  const drain = (all: boolean): void => {
    for (;;) {
      const top = heap.pop();
      if (!top) return;
      const { a, b } = top;
      if (!alive[a] || !alive[b]) continue;
      keysOf(a, b);
      if (key1 !== top.key1 || key2 !== top.key2) {
        heap.push(key1, key2, a, b);
        continue;
      }
      const c = merge(a, b);
      if (all) {
        for (let d = 0; d < c; d++) if (alive[d]) pushPair(d, c);
      } else {
        for (const d of neighbours(c)) pushPair(d, c, acc[d]);
      }
    }
  };

  for (let a = 0; a < n; a++) for (const b of neighbours(a)) if (b > a) pushPair(a, b, acc[b]);
  drain(false);

  let rest: number[] = [];
  for (let d = 0; d < total; d++) if (alive[d]) rest.push(d);
  if (rest.length > 1 && rest.length <= maxAllPairs) {
    for (let x = 0; x < rest.length; x++) for (let y = x + 1; y < rest.length; y++) pushPair(rest[x], rest[y]);
    drain(true);
    rest = [];
    for (let d = 0; d < total; d++) if (alive[d]) rest.push(d);
  }
  if (rest.length > 1) {
    // Smallest first: a heap on sizes (key2 and ids break ties).
    const bySmall = new PairHeap();
    for (const d of rest) bySmall.push(lsz[d], 0, d, d);
    while (bySmall.length > 1) {
      const a = bySmall.pop()!.a;
      const b = bySmall.pop()!.a;
      const c = merge(a, b);
      bySmall.push(lsz[c], 0, c, c);
    }
  }
  return { leaves: n, nodes };
}

/** The greedy optimizer (opt_einsum's heuristic; fast enough for 10,000 tensors). */
export const greedy: Optimizer = {
  name: 'greedy',
  description: 'pairwise greedy by result size minus input sizes; milliseconds for thousands of tensors',
  optimize: (problem, options) => greedyTree(problem, options),
};
