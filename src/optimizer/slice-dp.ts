// The cheapest tree whose every step result fits a memory limit, by dynamic programming over
// connected subsets of tensors (Pfeifer-style, by subset size). The limit is what makes this
// affordable on small networks: a subset whose open indices exceed it is never an
// intermediate, so it is never stored, and on a lattice with a few indices sliced the valid
// subsets are mostly the small ones and their complements. Splits are connected (no outer
// products inside a connected component); components are joined smallest first at the end.
// Costs are compared as floats here; callers recompute the winner exactly.

import type { ContractionProblem } from './problem.js';
import { emitMerges, type ContractionTree, type TreeNode } from './tree.js';

/** Work caps: the search gives up (returns undefined) rather than exceed them. */
export interface LimitedDpCaps {
  /** Most subsets stored over all components (default 60,000). */
  maxSets?: number;
  /** Most pairs of subsets examined over all components (default 4,000,000). */
  maxPairs?: number;
  /** When given, the pairs examined are added to `used.pairs` (callers share one budget). */
  used?: { pairs: number };
}

/** Largest network the subset masks cover (two words: 32 + 21 bits keep keys exact). */
export const LIMITED_DP_MAX_TENSORS = 53;

interface SetRecord {
  lo: number;
  hi: number;
  /** Tensors adjacent to the set (sharing an index), as a mask. */
  nlo: number;
  nhi: number;
  /** Indices the set exposes as an operand (for a leaf: all its distinct indices). */
  inv: number[];
  /** Open indices of the set's result (carried outside it, or output). */
  open: number[];
  cost: number;
  left: number;
  right: number;
}

const TWO32 = 2 ** 32;

/**
 * Returns the minimum-flops tree (connected splits) with every step result at most `limit`
 * elements, or undefined when none exists or the caps are reached.
 * Example: a 4×4 PEPS norm with a few bond indices removed and a limit of a few hundred
 * elements solves in well under a second.
 */
export function limitedOptimalTree(problem: ContractionProblem, limit: number, caps: LimitedDpCaps = {}): ContractionTree | undefined {
  const counter = { pairs: 0 };
  try {
    return solve(problem, limit, caps, counter);
  } finally {
    if (caps.used) caps.used.pairs += counter.pairs;
  }
}

/** The search itself; `counter.pairs` counts the pairs examined. */
function solve(problem: ContractionProblem, limit: number, caps: LimitedDpCaps, counter: { pairs: number }): ContractionTree | undefined {
  const n = problem.inputs.length;
  if (n > LIMITED_DP_MAX_TENSORS) return undefined;
  if (n <= 1) return { leaves: n, nodes: [] };
  const maxSets = caps.maxSets ?? 60_000;
  const maxPairs = caps.maxPairs ?? 4_000_000;
  const sizes = problem.sizes;
  const m = sizes.length;
  const isOut = new Uint8Array(m);
  for (const i of problem.output) isOut[i] = 1;
  // Holders of each index, as masks.
  const hlo = new Array<number>(m).fill(0);
  const hhi = new Array<number>(m).fill(0);
  const uniq = problem.inputs.map((t) => [...new Set(t)].sort((a, b) => a - b));
  const bit = (v: number): [number, number] => (v < 32 ? [(1 << v) >>> 0, 0] : [0, (1 << (v - 32)) >>> 0]);
  uniq.forEach((t, v) => {
    const [l, h] = bit(v);
    for (const i of t) {
      hlo[i] = (hlo[i] | l) >>> 0;
      hhi[i] = (hhi[i] | h) >>> 0;
    }
  });
  const inside = (i: number, lo: number, hi: number): boolean => ((hlo[i] & ~lo) >>> 0) === 0 && ((hhi[i] & ~hi) >>> 0) === 0;
  const openOf = (idx: readonly number[], lo: number, hi: number): number[] => idx.filter((i) => isOut[i] === 1 || !inside(i, lo, hi));
  const records: SetRecord[] = [];
  const leaves: number[] = [];
  for (let v = 0; v < n; v++) {
    const [lo, hi] = bit(v);
    let nlo = 0;
    let nhi = 0;
    for (const i of uniq[v]) {
      nlo = (nlo | hlo[i]) >>> 0;
      nhi = (nhi | hhi[i]) >>> 0;
    }
    nlo = (nlo & ~lo) >>> 0;
    nhi = (nhi & ~hi) >>> 0;
    leaves.push(records.length);
    records.push({ lo, hi, nlo, nhi, inv: uniq[v], open: openOf(uniq[v], lo, hi), cost: 0, left: -1, right: -1 });
  }
  const components = componentsOf(records, n);
  const roots: number[] = [];
  for (const comp of components) {
    if (comp.length === 1) {
      roots.push(leaves[comp[0]]);
      continue;
    }
    let flo = 0;
    let fhi = 0;
    for (const v of comp) {
      flo = (flo | records[v].lo) >>> 0;
      fhi = (fhi | records[v].hi) >>> 0;
    }
    const levels: number[][] = [[], comp.map((v) => leaves[v])];
    const byKey = new Map<number, number>();
    let level: number[] = [];
    // Merges two disjoint adjacent sets; false once the set cap is reached.
    const tryPair = (ai: number, bi: number): boolean => {
      const A = records[ai];
      const B = records[bi];
      const lo = (A.lo | B.lo) >>> 0;
      const hi = (A.hi | B.hi) >>> 0;
      const involved = mergeSorted(A.inv, B.inv);
      const open = openOf(involved, lo, hi);
      let size = 1;
      for (const i of open) size *= sizes[i];
      if (size > limit) return true;
      let flops = 1;
      for (const i of involved) flops *= sizes[i];
      if (open.length < involved.length) flops *= 2;
      const cost = A.cost + B.cost + flops;
      const key = hi * TWO32 + lo;
      const at = byKey.get(key);
      if (at === undefined) {
        if (records.length >= maxSets + n) return false;
        byKey.set(key, records.length);
        level.push(records.length);
        records.push({ lo, hi, nlo: ((A.nlo | B.nlo) & ~lo) >>> 0, nhi: ((A.nhi | B.nhi) & ~hi) >>> 0, inv: open, open, cost, left: ai, right: bi });
      } else if (cost < records[at].cost) {
        const r = records[at];
        r.cost = cost;
        r.left = ai;
        r.right = bi;
      }
      return true;
    };
    for (let k = 2; k <= comp.length; k++) {
      level = [];
      // One side a single tensor: walk each set's neighbours instead of every tensor.
      for (const bi of levels[k - 1]) {
        const B = records[bi];
        for (let word = 0; word < 2; word++) {
          let w = (word === 0 ? B.nlo : B.nhi) | 0;
          while (w !== 0) {
            const t = w & -w;
            w ^= t;
            const v = 31 - Math.clz32(t) + 32 * word;
            if (k === 2 && v < bi) continue;
            if (++counter.pairs > maxPairs || !tryPair(v, bi)) return undefined;
          }
        }
      }
      for (let a = 2; a <= k >> 1; a++) {
        const As = levels[a];
        const Bs = levels[k - a];
        for (let x = 0; x < As.length; x++) {
          const A = records[As[x]];
          for (let y = a === k - a ? x + 1 : 0; y < Bs.length; y++) {
            if (++counter.pairs > maxPairs) return undefined;
            const B = records[Bs[y]];
            if (((A.lo & B.lo) | (A.hi & B.hi)) !== 0) continue;
            if (((A.nlo & B.lo) | (A.nhi & B.hi)) === 0) continue;
            if (!tryPair(As[x], Bs[y])) return undefined;
          }
        }
      }
      levels.push(level);
    }
    const root = byKey.get(fhi * TWO32 + flo);
    if (root === undefined) return undefined;
    roots.push(root);
  }
  return emitTree(records, roots, n, sizes, limit);
}

/** Connected components of the leaves (tensors sharing an index), each sorted. */
function componentsOf(records: readonly SetRecord[], n: number): number[][] {
  const seen = new Uint8Array(n);
  const out: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    const comp: number[] = [];
    const stack = [s];
    seen[s] = 1;
    while (stack.length > 0) {
      const v = stack.pop()!;
      comp.push(v);
      const r = records[v];
      for (let w = 0; w < n; w++) {
        if (seen[w]) continue;
        const adjacent = w < 32 ? (r.nlo >>> w) & 1 : (r.nhi >>> (w - 32)) & 1;
        if (adjacent) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    out.push(comp.sort((a, b) => a - b));
  }
  return out;
}

/** Sorted union of two sorted index lists. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let x = 0;
  let y = 0;
  while (x < a.length || y < b.length) {
    if (y >= b.length || (x < a.length && a[x] < b[y])) out.push(a[x++]);
    else if (x >= a.length || b[y] < a[x]) out.push(b[y++]);
    else {
      out.push(a[x++]);
      y++;
    }
  }
  return out;
}

/**
 * SSA tree of the components' optimal subtrees, then the components joined cheapest operand
 * first (outer products; a lone tensor brings all its indices into its join, so it ranks by
 * their product, not by its result's); undefined when one of those joins exceeds the limit.
 */
function emitTree(records: readonly SetRecord[], roots: readonly number[], n: number, sizes: readonly number[], limit: number): ContractionTree | undefined {
  const nodes: TreeNode[] = [];
  const emit = (r: number): number => emitMerges(records, r, n, nodes);
  const sizeOf = (open: readonly number[]): number => open.reduce((p, i) => p * sizes[i], 1);
  let live = roots.map((r) => ({ id: emit(r), open: records[r].open, size: sizeOf(records[r].open), carry: sizeOf(records[r].inv) }));
  while (live.length > 1) {
    live.sort((a, b) => a.carry - b.carry || a.size - b.size || a.id - b.id);
    const [a, b] = live;
    const open = mergeSorted(a.open, b.open);
    const size = a.size * b.size;
    if (size > limit) return undefined;
    nodes.push({ left: Math.min(a.id, b.id), right: Math.max(a.id, b.id) });
    live = [{ id: n + nodes.length - 1, open, size, carry: size }, ...live.slice(2)];
  }
  return { leaves: n, nodes };
}
