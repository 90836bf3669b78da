// Dynamic programming over subsets of inputs (Pfeifer et al.'s idea, with our own cost
// rules). A subset's result indices depend only on the subset, so the best tree of a subset
// is the best split into two earlier subsets plus the cost of their merge; this is exact
// under the opt_einsum convention (×2 for summed steps, hyperedges, kept indices).
//
// Up to ALL_PAIRS_MAX inputs every split is tried (outer products included): the result is
// the proven optimum. Beyond that the search runs per connected component (components are
// then joined by outer products, smallest first) under a cost cap that starts below the best
// heuristic tree's score and rises by CAP_FACTOR until a tree fits: subsets costing more
// than the cap are never stored, and every subtree of a tree that fits fits too, so a round
// that considers every merge of stored subsets that fits is exact. Subsets are multi-word
// bitsets in one typed pool, found through an open-addressing hash table.
//
// Which merges beyond ALL_PAIRS_MAX: halves that share an index always. Outer products
// (halves sharing none; they sometimes pay even in connected scalar networks whose indices
// each join two tensors, see test/dp-outer.test.ts) by default on plain components under the
// flops objective (every index of size ≥ 2, on exactly two tensors and summed or an open leg:
// MPS, PEPS, lattices, chains), where the rules proven in dp-outer.ts allow storing connected
// subsets only and
// forming each outer product as a cluster of pieces inside a covering merge (formClusters):
// the result is the optimum over all trees at the cost of the index-sharing search (4×4 PEPS
// norm 7,991 subsets, 40-site MPS expectation 22,817). Elsewhere the default is the optimum over
// trees without outer products inside a component; `outerProducts: true` makes it exact
// there too by also merging stored partners that share no index (a list bucketed by result
// size: an outer product costs r1·r2, so partners up to (cap − p1)/r1 are read), at the price
// of storing the disconnected subsets they create (the component rule of dp-outer.ts prunes
// their summing merges; a first pass without them sets the cap). `outerProducts: false`
// searches index-sharing splits only, everywhere; `outerProducts: 'pairs'` searches all trees
// without cluster merges, plain components included (slow there; a cross-check of them).
//
// A subset meets its index-sharing partners through partner lists keyed by
// (index, carrier leaf) and filtered by prefix weight (see solveSubset): a merge costs at
// least the subset's size times the product of the partner's indices it lacks, so a partner
// whose lowest (or highest) shared index comes after heavy indices of its own is skipped
// unread. Indices are numbered along the network first (alongNetwork), which makes those
// prefixes the partner's far side on chains and lattices.

import { clusterCost, SubsetComponents } from './dp-outer.js';
import { greedyTree } from './greedy.js';
import { randomGreedyTree } from './random-greedy.js';
import type { ContractionProblem } from './problem.js';
import type { Optimizer, OptimizeOptions } from './registry.js';
import { accumulate, deadlineOf, lexLess, objectiveModel, prepareSearch, type ObjectiveModel, type SearchProblem } from './search-problem.js';
import { validateTree, type ContractionTree, type TreeNode } from './tree.js';

/** Inputs up to which dp tries every split (outer products included) and proves optimality. */
export const ALL_PAIRS_MAX = 12;
/** Factor by which the cost cap rises after a round finds no tree. */
export const CAP_FACTOR = 2;
/** Most pieces in a cluster that dp forms (plain components; see formClusters). */
export const CLUSTER_MAX = 10;
/** Clusters a round forms per stored subset (beyond a fixed allowance) before it stops forming them. */
export const CLUSTER_WORK = 4;
/** Default bound on stored subsets before dp gives up and returns its heuristic tree. */
export const DEFAULT_MAX_SUBSETS = 3_000_000;

/** Work done by one dp round (one cost cap over one connected component). */
export interface DpRound {
  /** Leaves in the component. */
  leaves: number;
  cap: number;
  /** True when the round found a tree for the whole component. */
  found: boolean;
  /** Subsets stored (leaves included). */
  subsets: number;
  /** Partner-list entries read. */
  scanned: number;
  /** Disjoint pairs whose merge was costed. */
  considered: number;
  /** Merges that fit under the cap (stored or compared with a stored subset). */
  accepted: number;
  /** Outer-product partner entries read (partners sharing no index; beyond ALL_PAIRS_MAX, outside plain components). */
  outer: number;
  /** True when a cluster of more than CLUSTER_MAX pieces would have fit: the round is not exact. */
  clustersCut?: boolean;
}

/** Work counters of one dpTree call, filled in when passed (for benchmarks and tests). */
export interface DpStats {
  rounds: DpRound[];
}

interface DpResult {
  /** Nodes in SSA order over local leaf ids 0..k-1 (ids k.. are the nodes). */
  nodes: TreeNode[];
  found: boolean;
  /** The tree's primary score (when found). */
  score: number;
}

/** A subset's best tree when it is a cluster merge: pieces, their outer-product tree, the cover. */
interface ClusterMerge {
  cover: number;
  pieces: number[];
  /** Per mask over pieces: one side of its best split (clusterCost). */
  split: Int32Array;
}

/** A subset table over k local leaves: words, scores, splits and result indices per subset. */
class SubsetTable {
  readonly w: number;
  words: Int32Array;
  prim: Float64Array;
  sec: Float64Array;
  /** Elements of the subset's result tensor. */
  rsize: Float64Array;
  /** The least flops of any merge involving the subset (its size, or twice that; see leastFlops). */
  least: Float64Array;
  /** Leaves in the subset. */
  card: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** Result indices of subset id: idxPool[idxOff[id] .. idxOff[id] + idxLen[id]), ascending. */
  idxOff: Int32Array;
  idxLen: Int32Array;
  /** One flat pool instead of a typed array per subset: the merge tests read it hot. */
  idxPool: Int32Array;
  poolUsed = 0;
  count = 0;
  slots: Int32Array;
  mask: number;

  constructor(readonly k: number) {
    this.w = Math.ceil(k / 32) || 1;
    const cap = 1024;
    this.words = new Int32Array(cap * this.w);
    this.prim = new Float64Array(cap);
    this.sec = new Float64Array(cap);
    this.rsize = new Float64Array(cap);
    this.least = new Float64Array(cap);
    this.card = new Int32Array(cap);
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.idxOff = new Int32Array(cap);
    this.idxLen = new Int32Array(cap);
    this.idxPool = new Int32Array(cap * 4);
    this.slots = new Int32Array(4096);
    this.mask = 4095;
  }

  hash(buf: Int32Array, off: number): number {
    let h = 0x811c9dc5;
    for (let t = 0; t < this.w; t++) {
      h = Math.imul(h ^ buf[off + t], 0x01000193);
      h ^= h >>> 15;
    }
    return h & this.mask;
  }

  /** Id of the subset in `buf` (W words), or -1. */
  find(buf: Int32Array): number {
    const { w, words } = this;
    for (let h = this.hash(buf, 0); ; h = (h + 1) & this.mask) {
      const s = this.slots[h];
      if (s === 0) return -1;
      const id = s - 1;
      let same = true;
      for (let t = 0; t < w; t++) {
        if (words[id * w + t] !== buf[t]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  private growPool(): void {
    const cap = this.prim.length * 2;
    const words = new Int32Array(cap * this.w);
    words.set(this.words);
    this.words = words;
    for (const key of ['prim', 'sec', 'rsize', 'least'] as const) {
      const a = new Float64Array(cap);
      a.set(this[key]);
      this[key] = a;
    }
    for (const key of ['left', 'right', 'card', 'idxOff', 'idxLen'] as const) {
      const a = new Int32Array(cap);
      a.set(this[key]);
      this[key] = a;
    }
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let h = this.hash(this.words, id * this.w);
      while (this.slots[h] !== 0) h = (h + 1) & this.mask;
      this.slots[h] = id + 1;
    }
  }

  /** Adds a new subset and returns its id. */
  insert(buf: Int32Array, card: number, idx: ArrayLike<number>, rsize: number, least: number, prim: number, sec: number, left: number, right: number): number {
    if (this.count === this.prim.length) this.growPool();
    if (this.count * 2 >= this.slots.length) this.rehash();
    const id = this.count++;
    this.words.set(buf.subarray(0, this.w), id * this.w);
    this.prim[id] = prim;
    this.sec[id] = sec;
    this.rsize[id] = rsize;
    this.least[id] = least;
    this.card[id] = card;
    this.left[id] = left;
    this.right[id] = right;
    if (this.poolUsed + idx.length > this.idxPool.length) {
      const pool = new Int32Array(Math.max(this.idxPool.length * 2, this.poolUsed + idx.length));
      pool.set(this.idxPool);
      this.idxPool = pool;
    }
    this.idxOff[id] = this.poolUsed;
    this.idxLen[id] = idx.length;
    for (let t = 0; t < idx.length; t++) this.idxPool[this.poolUsed++] = idx[t];
    let h = this.hash(buf, 0);
    while (this.slots[h] !== 0) h = (h + 1) & this.mask;
    this.slots[h] = id + 1;
    return id;
  }
}

/** Buckets per partner list: prefix weights in [2^b, 2^(b+1)), the last one open-ended. */
const BUCKETS = 64;
/** Numbers per entry ahead of its leaf words: id, prefix weight, reach, cost, leaf count. */
const HEAD = 5;

/**
 * Partner lists of a dp round. Per key, entries are bucketed by the binary order of their
 * prefix weight, so a scan reads only the buckets that can hold a weight within its bound
 * (and checks the exact weight per entry). Each entry copies its subset's cost, reach, leaf
 * count and leaf bitset: the scan rejects most entries on those, reading one bucket array in
 * order instead of the subset table at random. Buckets only grow (plain arrays of numbers,
 * HEAD + W per entry: cheaper to append to than typed arrays), so finalizing a class costs
 * its own entries only.
 */
class PartnerLists {
  /** Per key: its buckets by binary order (undefined until used). */
  readonly buckets: ((number[] | undefined)[] | undefined)[];

  constructor(
    keys: number,
    private readonly table: SubsetTable,
  ) {
    this.buckets = new Array(keys);
  }

  /** The bucket of a prefix weight. */
  static bucketOf(pre: number): number {
    if (pre < 2) return 0;
    const b = pre < 2 ** 31 ? 31 - Math.clz32(pre) : Math.floor(Math.log2(pre));
    return b < BUCKETS - 1 ? b : BUCKETS - 1;
  }

  /** Appends subset `id` to the list of `key` with its prefix weight and reach. */
  push(key: number, id: number, pre: number, reach: number): void {
    const { table } = this;
    const W = table.w;
    const b = PartnerLists.bucketOf(pre);
    let list = this.buckets[key];
    if (list === undefined) list = this.buckets[key] = [];
    let bucket = list[b];
    if (bucket === undefined) {
      // Start as an array of doubles (then empty it), so every bucket has the same element
      // kind and the scan loop stays monomorphic however its first entries look.
      bucket = [0.5];
      bucket.pop();
      while (list.length < b) list.push(undefined);
      list[b] = bucket;
    }
    bucket.push(id, pre, reach, table.prim[id], table.card[id]);
    for (let t = 0; t < W; t++) bucket.push(table.words[id * W + t]);
  }

  /** Entries of `key` in buckets that can hold a prefix weight of at most `maxPre`. */
  countUpTo(key: number, maxPre: number): number {
    const list = this.buckets[key];
    if (list === undefined) return 0;
    const top = Math.min(list.length - 1, PartnerLists.bucketOf(maxPre));
    let total = 0;
    for (let b = 0; b <= top; b++) total += list[b]?.length ?? 0;
    return total / (HEAD + this.table.w);
  }
}

/**
 * One DP over the local leaves of `sp` restricted to `leaves` (global ids), with every
 * index of those leaves either wholly inside them or in the output.
 */
function solveSubset(
  sp: SearchProblem,
  leaves: number[],
  model: ObjectiveModel,
  allPairs: boolean,
  outer: boolean,
  pairsOnly: boolean,
  cap: number,
  deadline: number,
  maxSubsets: number,
  work: DpRound,
): DpResult | 'timeout' {
  const k = leaves.length;
  const local = new Map<number, number>();
  leaves.forEach((g, l) => local.set(g, l));
  const table = new SubsetTable(k);
  const W = table.w;
  // Local leaves of each index (only indices of these leaves matter).
  const leavesOfIdx = new Map<number, number[]>();
  for (const g of leaves) {
    for (const i of sp.leafIndices[g]) {
      if (!leavesOfIdx.has(i)) leavesOfIdx.set(i, Array.from(sp.leavesOf[i], (x) => local.get(x) ?? -1));
    }
  }
  const lof: Int32Array[] = new Array(sp.m);
  for (const [i, ls] of leavesOfIdx) lof[i] = Int32Array.from(ls);
  const bySize: number[][] = Array.from({ length: k + 1 }, () => []);
  // Partner lists, keyed by (index q, carrier leaf l): the final subsets whose result carries
  // q and that hold l. A partner of s1 through q must hold one of q's carriers outside s1, so
  // s1 scans only those lists. Each entry is keyed by its prefix weight: the product of the
  // subset's result indices numbered below q. Why: a merge of s1 and s2 costs at least
  // least1·∏(I2 \ I1) flops (least1: r1, or 2·r1 when every merge of s1 sums an index), and
  // when q is the lowest-numbered index the two share, every index of s2 below q lies
  // outside I1. So a partner that can fit under the cap is found in the list of its lowest
  // shared index with a prefix weight of at most (cap − p1)/least1, and entries with a larger
  // weight are skipped (prefix filtering, as in set-similarity joins). Entries also carry
  // their reach: the subset's cost plus, for additive objectives, its least merge (the least
  // any merge involving it adds).
  // Two families of lists, one with prefixes taken in ascending index order and one in
  // descending order (a suffix filter): each alone finds every partner that fits, so each
  // subset scans the family with fewer candidates. With indices numbered along the network
  // (see dpTree), a partner on one side of s1 escapes it in one of the two orders.
  const ascLists = new PartnerLists(sp.m * k, table);
  const descLists = new PartnerLists(sp.m * k, table);
  // Outer-product partners: every final subset of at most k/2 leaves in one list (key 0),
  // keyed by its result size instead of a prefix weight. Merging s1 with a partner that
  // shares none of its indices sums nothing and costs r1·r2 (flops and result size alike),
  // so a partner that fits has r2 ≤ (cap − p1)/r1 and only buckets up to that are read.
  // Under a cap, the best tree's every subtree fits, so the index-sharing lists plus this
  // one consider every merge of that tree: the round is exact over all trees.
  const outerList = new PartnerLists(1, table);
  const inSet = (id: number, l: number): boolean => (table.words[id * W + (l >>> 5)] & (1 << (l & 31))) !== 0;
  const finalize = (ids: readonly number[]): void => {
    for (const id of ids) {
      // A partner is never larger than the subset scanning for it, and the two fit in k
      // leaves: a subset of more than k/2 leaves is nobody's partner.
      if (2 * table.card[id] > k) continue;
      const reach = model.primaryIsMax ? table.prim[id] : table.prim[id] + model.primary(table.least[id], 1);
      const pool = table.idxPool;
      const off = table.idxOff[id];
      const end = off + table.idxLen[id];
      let pre = 1;
      for (let t = off; t < end; t++) {
        const q = pool[t];
        const ls = lof[q];
        for (let z = 0; z < ls.length; z++) {
          const l = ls[z];
          if (l >= 0 && inSet(id, l)) ascLists.push(q * k + l, id, pre, reach);
        }
        pre *= sp.size[q];
      }
      pre = 1;
      for (let t = end - 1; t >= off; t--) {
        const q = pool[t];
        const ls = lof[q];
        for (let z = 0; z < ls.length; z++) {
          const l = ls[z];
          if (l >= 0 && inSet(id, l)) descLists.push(q * k + l, id, pre, reach);
        }
        pre *= sp.size[q];
      }
      if (outerPairs) outerList.push(0, id, table.rsize[id], table.prim[id]);
    }
  };
  let seen = new Int32Array(1024);
  let scanned = 0;
  let outerRead = 0;
  let considered = 0;
  // Whether an outer-product step scores at least r1·r2 (its flops and its result size).
  const outerScored = model.primaryCoversFlops || model.name === 'size';
  // The scanning subset's leaf words.
  const wd1 = new Int32Array(W);
  let clusterTicks = 0;
  let clustersCut = false;
  let clustersOff = false;
  const coversFlops = model.primaryCoversFlops;
  let visit = 0;
  // Indices of the subset being extended carry the current visit number.
  const marked = new Int32Array(sp.m);
  const buf = new Int32Array(W);
  const size = sp.size;
  const isOutput = sp.isOutput;
  // The smallest index size of the component: a proper subset of a connected component
  // keeps an index that crosses its boundary, so every outer-product partner has a result of
  // at least this many elements.
  let minSize = Infinity;
  for (const i of leavesOfIdx.keys()) if (size[i] < minSize) minSize = size[i];
  const outerFactor = outer ? Math.min(2, minSize) : 2;
  // Plain components (dp-outer.ts) under the flops objective: only connected subsets are
  // stored, and outer products enter only as clusters under a merge with a cover (formClusters).
  const clusters = outer && !pairsOnly && model.name === 'flops' && plainComponent(sp, leaves);
  // Where outer products are merges of two stored subsets (found through outerList).
  const outerPairs = outer && !clusters;
  // Elsewhere the component rule (dp-outer.ts) holds for the flops objective on components
  // whose indices all have size ≥ 2; it only matters where disconnected subsets arise.
  let comps: SubsetComponents | undefined;
  let privateIndex = false;
  for (const [q, ls] of leavesOfIdx) if (ls.length === 1 && !isOutput[q]) privateIndex = true;
  if (outerPairs && model.name === 'flops' && minSize >= 2 && !privateIndex) {
    const neighbours: Int32Array[] = [];
    for (let l = 0; l < k; l++) {
      const near = new Set<number>();
      for (const q of sp.leafIndices[leaves[l]]) for (const x of lof[q]) if (x >= 0 && x !== l) near.add(x);
      neighbours.push(Int32Array.from(near));
    }
    comps = new SubsetComponents(k, W, neighbours);
  }
  // Subsets whose best tree is a cluster under a merge with a cover (formClusters).
  const clusterOf = new Map<number, ClusterMerge>();
  // The least flops of any merge involving the subset in `buf` (result indices idx, size r).
  // A merge with a partner holding one of its indices, when each of those indices has at
  // most one carrier outside it, sums that index and is doubled (an index only one leaf
  // carries is summed at that leaf's first step); a merge with a partner sharing no index
  // costs r·r2 with r2 ≥ minSize. So such a subset's least merge is r·min(2, minSize).
  const leastFlops = (idx: ArrayLike<number>, r: number): number => {
    if (allPairs) return r;
    for (let t = 0; t < idx.length; t++) {
      const q = idx[t];
      if (isOutput[q]) return r;
      const ls = lof[q];
      let outside = 0;
      for (let z = 0; z < ls.length; z++) {
        const l = ls[z];
        if (l < 0 || (buf[l >>> 5] & (1 << (l & 31))) === 0) outside++;
      }
      if (outside > 1) return r;
    }
    return outerFactor * r;
  };
  for (let l = 0; l < k; l++) {
    buf.fill(0);
    buf[l >>> 5] |= 1 << (l & 31);
    let r = 1;
    for (const i of sp.leafIndices[leaves[l]]) r *= sp.size[i];
    const id = table.insert(buf, 1, sp.leafIndices[leaves[l]], r, leastFlops(sp.leafIndices[leaves[l]], r), 0, 0, -1, -1);
    comps?.record(id, table.words, -1, -1, false);
    bySize[1].push(id);
  }
  const words = (): Int32Array => table.words;
  const kept: number[] = [];
  let ticks = 0;
  let timedOut = false;

  // Considers merging subsets s1 and s2 (disjoint) of total cardinality m.
  const consider = (s1: number, s2: number, m: number): void => {
    const p1 = table.prim[s1];
    const p2 = table.prim[s2];
    if (model.primaryIsMax) {
      if (p1 > cap || p2 > cap) return;
    } else {
      // The step involves every index of both halves: at least the larger half's size.
      const r1 = table.rsize[s1];
      const r2 = table.rsize[s2];
      const rest = cap - p1 - p2;
      if (model.primary(r1 > r2 ? r1 : r2, 1) > rest) return;
      // The step's flops are r1 times the product of s2's indices that s1 lacks (s1's
      // indices are marked); when the primary score covers flops, stop once that is too much.
      const stop = model.primaryCoversFlops ? rest / r1 : Infinity;
      let escape = 1;
      const pool = table.idxPool;
      for (let z = table.idxOff[s2], e = z + table.idxLen[s2]; z < e; z++) {
        if (marked[pool[z]] !== visit) {
          escape *= size[pool[z]];
          if (escape > stop) return;
        }
      }
      if (model.primary(r1 * escape, 1) > rest) return;
    }
    const wd = words();
    for (let t = 0; t < W; t++) buf[t] = wd[s1 * W + t] | wd[s2 * W + t];
    const pool = table.idxPool;
    let i = table.idxOff[s1];
    let j = table.idxOff[s2];
    const xEnd = i + table.idxLen[s1];
    const yEnd = j + table.idxLen[s2];
    let f = 1;
    let r = 1;
    let involved = 0;
    let shared = false;
    kept.length = 0;
    // Additive objectives score a step at least its flops, which only grow over the loop.
    const budget = model.primaryIsMax ? Infinity : cap - p1 - p2;
    while (i < xEnd || j < yEnd) {
      const u = i < xEnd ? pool[i] : 0x7fffffff;
      const v = j < yEnd ? pool[j] : 0x7fffffff;
      const q = u < v ? u : v;
      if (u === q) i++;
      if (v === q) j++;
      if (u === v) shared = true;
      involved++;
      f *= size[q];
      if (f > budget) return;
      let keep = isOutput[q] === 1;
      if (!keep) {
        const ls = lof[q];
        for (let z = 0; z < ls.length; z++) {
          const l = ls[z];
          if (l < 0 || (buf[l >>> 5] & (1 << (l & 31))) === 0) {
            keep = true;
            break;
          }
        }
      }
      if (keep) {
        kept.push(q);
        r *= size[q];
      }
    }
    if (kept.length < involved) f *= 2;
    const p = accumulate(model.primaryIsMax, accumulate(model.primaryIsMax, p1, p2), model.primary(f, r));
    if (p > cap) return;
    // A subset short of the whole still has to meet a partner: a step involving at least its
    // own indices, so with additive objectives that step's primary score adds at least this.
    const least = leastFlops(kept, r);
    if (!model.primaryIsMax && m < k && p + model.primary(least, 1) > cap) return;
    // A summing merge that strands a component of a disconnected half is in no optimal tree.
    if (comps !== undefined && kept.length < involved) {
      const o1 = table.idxOff[s1];
      const o2 = table.idxOff[s2];
      if (comps.strands(s1, pool, o2, o2 + table.idxLen[s2], lof) || comps.strands(s2, pool, o1, o1 + table.idxLen[s1], lof)) return;
    }
    const s = accumulate(model.secondaryIsMax, accumulate(model.secondaryIsMax, table.sec[s1], table.sec[s2]), model.secondary(f, r));
    work.accepted++;
    const found = table.find(buf);
    if (found >= 0) {
      if (lexLess(p, s, table.prim[found], table.sec[found])) {
        table.prim[found] = p;
        table.sec[found] = s;
        table.left[found] = s1;
        table.right[found] = s2;
        clusterOf.delete(found);
      }
      return;
    }
    const id = table.insert(buf, m, kept, r, least, p, s, s1, s2);
    comps?.record(id, table.words, s1, s2, shared);
    bySize[m].push(id);
  };

  const disjoint = (a: number, b: number): boolean => {
    const wd = words();
    for (let t = 0; t < W; t++) if ((wd[a * W + t] & wd[b * W + t]) !== 0) return false;
    return true;
  };

  // Entries a scan of s1 would read in one family.
  const candidates = (lists: PartnerLists, s1: number, off1: number, end1: number, maxPre: number): number => {
    let total = 0;
    for (let t = off1; t < end1; t++) {
      const q = table.idxPool[t];
      const ls = lof[q];
      for (let w = 0; w < ls.length; w++) {
        const l = ls[w];
        if (l >= 0 && !inSet(s1, l)) total += lists.countUpTo(q * k + l, maxPre);
      }
    }
    return total;
  };

  // Cluster merges of plain components (dp-outer.ts): Q = (cluster of pieces P1..Pm, W),
  // m ≥ 2, with every piece's indices inside w (so the pieces are pairwise disjoint and share
  // no index), costing the pieces, W, the cheapest outer-product tree over the pieces, and
  // 2|w| for the merge, which leaves w minus the pieces' indices. Each such merge is formed
  // when its largest member scans (all members are final then): as W (case A), or as a
  // piece P0 with more leaves than W (case B; W holds all of p0). Pieces are stored, hence
  // connected, subsets (see collectPieces).
  const seenLeaf = new Int32Array(k);
  let leafStamp = 0;
  const leafQueue = new Int32Array(k);
  const leafNeighbours: Int32Array[] = [];
  // Leaves with an open leg (an output index only they carry).
  const openLeg = new Uint8Array(k);
  if (clusters) {
    for (let l = 0; l < k; l++) {
      const near = new Set<number>();
      for (const q of sp.leafIndices[leaves[l]]) {
        if (isOutput[q]) openLeg[l] = 1;
        for (const x of lof[q]) if (x !== l) near.add(x);
      }
      leafNeighbours.push(Int32Array.from(near));
    }
  }
  const pmark = new Uint8Array(sp.m);
  const cand: number[] = [];
  const chosen: number[] = [];
  const qbuf = new Int32Array(W);
  const keptQ: number[] = [];
  const clusterMemo = new Map<string, ReturnType<typeof clusterCost>>();
  // Pieces for cover w: a piece is connected and all its neighbour leaves lie in w (its
  // indices are inside w), so it is a whole connected component of the leaves outside w. The
  // candidates are those components (p0's excluded when p0 ≥ 0) of at most c leaves that are
  // stored and cost at most budget; a search from each leaf across w's boundary gives up on
  // its component past c leaves.
  const collectPieces = (w: number, c: number, p0: number, budget: number): void => {
    cand.length = 0;
    // Leaves of w and p0 carry stamp `base`; each search its own later stamp. A search that
    // meets an earlier one's leaf is in a component that earlier search gave up on.
    const base = ++leafStamp;
    const words = table.words;
    for (let u = 0; u < W; u++) {
      for (let bits = words[w * W + u] | (p0 >= 0 ? words[p0 * W + u] : 0); bits !== 0; bits &= bits - 1) {
        seenLeaf[u * 32 + 31 - Math.clz32(bits & -bits)] = base;
      }
    }
    const pool = table.idxPool;
    for (let t = table.idxOff[w], e = t + table.idxLen[w]; t < e; t++) {
      const ls = lof[pool[t]];
      if (ls.length < 2) continue;
      const start = inSet(w, ls[0]) ? ls[1] : ls[0];
      if (seenLeaf[start] >= base) continue;
      const mine = ++leafStamp;
      seenLeaf[start] = mine;
      let head = 0;
      let tail = 0;
      leafQueue[tail++] = start;
      // A component with an open leg is no piece (its indices are not all inside w).
      let closed = openLeg[start] === 0;
      while (closed && head < tail) {
        const l = leafQueue[head++];
        for (const x of leafNeighbours[l]) {
          const st = seenLeaf[x];
          if (st === base || st === mine) continue;
          if (st > base || tail === c || openLeg[x]) {
            closed = false;
            break;
          }
          seenLeaf[x] = mine;
          leafQueue[tail++] = x;
        }
      }
      if (!closed) continue;
      qbuf.fill(0);
      for (let z = 0; z < tail; z++) qbuf[leafQueue[z] >>> 5] |= 1 << (leafQueue[z] & 31);
      const id = table.find(qbuf);
      if (id >= 0 && table.prim[id] <= budget) cand.push(id);
    }
  };

  // Forms Q = (cluster of `chosen`, w) when it fits under the cap.
  const formCluster = (w: number): void => {
    work.considered++;
    const m = chosen.length;
    // The cheapest outer-product tree depends on the pieces' sizes only: memoized per sorted
    // size list (one entry per distinct list), pieces kept in that order for the splits.
    const pieces = chosen.slice().sort((a, b) => table.rsize[a] - table.rsize[b] || a - b);
    const key = pieces.map((id) => table.rsize[id]).join(',');
    let cl = clusterMemo.get(key);
    if (cl === undefined) {
      cl = clusterCost(pieces.map((id) => table.rsize[id]));
      clusterMemo.set(key, cl);
    }
    const rW = table.rsize[w];
    let p = table.prim[w] + cl.cost + 2 * rW;
    let sec = accumulate(model.secondaryIsMax, table.sec[w], model.secondary(cl.product[(1 << m) - 1], cl.product[(1 << m) - 1]));
    let card = table.card[w];
    for (let t = 0; t < W; t++) qbuf[t] = table.words[w * W + t];
    for (const id of chosen) {
      p += table.prim[id];
      sec = accumulate(model.secondaryIsMax, sec, table.sec[id]);
      card += table.card[id];
      for (let t = 0; t < W; t++) qbuf[t] |= table.words[id * W + t];
    }
    if (p > cap) return;
    keptQ.length = 0;
    let r = 1;
    for (let t = table.idxOff[w], e = t + table.idxLen[w]; t < e; t++) {
      const q = table.idxPool[t];
      if (pmark[q]) continue;
      keptQ.push(q);
      r *= size[q];
    }
    for (let t = 0; t < W; t++) buf[t] = qbuf[t];
    const least = leastFlops(keptQ, r);
    if (card < k && p + least > cap) return;
    sec = accumulate(model.secondaryIsMax, sec, model.secondary(2 * rW, r));
    work.accepted++;
    const found = table.find(buf);
    const merge: ClusterMerge = { cover: w, pieces, split: cl.split };
    if (found >= 0) {
      if (lexLess(p, sec, table.prim[found], table.sec[found])) {
        table.prim[found] = p;
        table.sec[found] = sec;
        clusterOf.set(found, merge);
      }
      return;
    }
    const id = table.insert(buf, card, keptQ, r, least, p, sec, w, -1);
    clusterOf.set(id, merge);
    bySize[card].push(id);
  };
  // Every set of at least two candidates (with the chosen ones) whose costs and cluster root
  // fit the budget: the root of a cluster costs the product of its pieces' sizes, a lower
  // bound of its whole cost that only grows with more pieces. Candidates are distinct
  // components outside the cover, so any of them are leaf-disjoint and share no index.
  // Clusters of more than CLUSTER_MAX pieces are not formed (clusterCost is exponential in
  // them), and a round forms at most CLUSTER_WORK clusters per stored subset (beyond
  // 100,000): a cover's pieces can be many (a tensor with a dozen vectors attached has
  // thousands of covers, each with thousands of piece sets, where the index-sharing search
  // stores each subset once). A round that cuts either short says so (clustersCut) and is
  // not exact; it is still at least as good as the index-sharing search.
  const enumerate = (w: number, from: number, cost: number, product: number, budget: number): void => {
    if (chosen.length >= 2) {
      formCluster(w);
      if (++clusterTicks > 100_000 + CLUSTER_WORK * table.count) {
        clustersCut = true;
        clustersOff = true;
        return;
      }
      if ((clusterTicks & 1023) === 0 && (performance.now() > deadline || table.count > maxSubsets)) timedOut = true;
    }
    for (let i = from; i < cand.length && !timedOut && !clustersOff; i++) {
      const id = cand[i];
      const c2 = cost + table.prim[id];
      const p2 = product * table.rsize[id];
      if (c2 + (chosen.length >= 1 ? p2 : 0) > budget) continue;
      if (chosen.length === CLUSTER_MAX) {
        clustersCut = true;
        return;
      }
      for (let t = table.idxOff[id], e = t + table.idxLen[id]; t < e; t++) pmark[table.idxPool[t]] = 1;
      chosen.push(id);
      enumerate(w, i + 1, c2, p2, budget);
      chosen.pop();
      for (let t = table.idxOff[id], e = t + table.idxLen[id]; t < e; t++) pmark[table.idxPool[t]] = 0;
    }
  };
  const formClusters = (s1: number, c: number): void => {
    const pool = table.idxPool;
    // Case A: s1 is the cover.
    const budgetA = cap - table.prim[s1] - 2 * table.rsize[s1];
    if (budgetA > 0) {
      collectPieces(s1, c, -1, budgetA);
      if (cand.length >= 2) enumerate(s1, 0, 0, 1, budgetA);
    }
    // Case B: s1 is a piece with more leaves than the cover (case A forms the others). The
    // cover holds all of s1's indices, hence all of s1's neighbour leaves: with as many
    // neighbours as leaves, s1 is no such piece. Otherwise the cover is listed under any one
    // of s1's indices with a prefix weight of at most |w|, and 2|w| fits the cap.
    const p0 = table.prim[s1];
    const r0 = table.rsize[s1];
    const maxW = ((cap - p0 - 2 * r0) / 2) * (1 + 1e-9);
    if (maxW < 2 * r0) return;
    const off1 = table.idxOff[s1];
    const end1 = off1 + table.idxLen[s1];
    leafStamp++;
    let neighbours = 0;
    for (let t = off1; t < end1; t++) {
      const ls = lof[pool[t]];
      // An open leg stays outside every cover: s1 is then no piece.
      if (ls.length < 2) return;
      const l = inSet(s1, ls[0]) ? ls[1] : ls[0];
      if (seenLeaf[l] !== leafStamp) {
        seenLeaf[l] = leafStamp;
        neighbours++;
      }
    }
    if (neighbours >= c) return;
    let bestKey = -1;
    let bestCount = Infinity;
    for (let t = off1; t < end1; t++) {
      const q = pool[t];
      const ls = lof[q];
      const key = q * k + (inSet(s1, ls[0]) ? ls[1] : ls[0]);
      const count = ascLists.countUpTo(key, maxW);
      if (count < bestCount) {
        bestCount = count;
        bestKey = key;
      }
    }
    const list = bestKey >= 0 ? ascLists.buckets[bestKey] : undefined;
    if (list === undefined) return;
    const top = Math.min(list.length - 1, PartnerLists.bucketOf(maxW));
    const stride = HEAD + W;
    const covers: number[] = [];
    const coverLimit = (cap - p0 - 2 * r0) * (1 + 1e-9);
    for (let bk = 0; bk <= top; bk++) {
      const bucket = list[bk];
      if (bucket === undefined) continue;
      for (let o = 0; o < bucket.length; o += stride) {
        // An entry's reach (cost plus least merge, at most 2|w|) bounds cost(W) + 2|w| below.
        if (bucket[o + 4] >= c || bucket[o + 1] > maxW || bucket[o + 2] > coverLimit) continue;
        const w = bucket[o];
        const rW = table.rsize[w];
        if (rW > maxW || p0 + table.prim[w] + 2 * rW + 2 * r0 > cap * (1 + 1e-9)) continue;
        if (!disjoint(s1, w)) continue;
        let held = 0;
        for (let t = table.idxOff[w], e = t + table.idxLen[w]; t < e; t++) if (marked[pool[t]] === visit) held++;
        if (held === end1 - off1) covers.push(w);
      }
    }
    for (const w of covers) {
      const budgetB = cap - table.prim[w] - 2 * table.rsize[w];
      collectPieces(w, c, s1, budgetB - p0);
      if (cand.length === 0) continue;
      // Read the pool afresh: forming clusters inserts subsets, which can move it.
      for (let t = off1; t < end1; t++) pmark[table.idxPool[t]] = 1;
      chosen.push(s1);
      enumerate(w, 0, p0, r0, budgetB);
      chosen.pop();
      for (let t = off1; t < end1; t++) pmark[table.idxPool[t]] = 0;
    }
  };

  // Class c is final once every smaller class has been merged into it. Each pair is
  // considered once, when the larger half's class becomes final (ties: by id).
  for (let c = 1; c < k && !timedOut; c++) {
    const list1 = bySize[c];
    if (!allPairs) finalize(list1);
    if (performance.now() > deadline) {
      timedOut = true;
      break;
    }
    for (let a = 0; a < list1.length; a++) {
      // Each subset scans many partners, so the clock is read often enough to stop in time.
      if ((++ticks & 15) === 0 && (performance.now() > deadline || table.count > maxSubsets)) {
        timedOut = true;
        break;
      }
      const s1 = list1[a];
      visit++;
      const off1 = table.idxOff[s1];
      const end1 = off1 + table.idxLen[s1];
      for (let t = off1; t < end1; t++) marked[table.idxPool[t]] = visit;
      if (allPairs) {
        for (let c2 = 1; c2 <= c && c + c2 <= k; c2++) {
          for (const s2 of bySize[c2]) {
            if (c2 === c && s2 <= s1) continue;
            if (disjoint(s1, s2)) {
              work.considered++;
              consider(s1, s2, c + c2);
            }
          }
        }
        continue;
      }
      // Partners: stored subsets carrying one of s1's indices, each once.
      if (seen.length < table.count) {
        const grown = new Int32Array(table.count * 2);
        grown.set(seen);
        seen = grown;
      }
      // Partners whose reach exceeds limit2, or whose cost exceeds limit1, cannot fit under the cap.
      const limit2 = model.primaryIsMax ? cap : cap - table.prim[s1];
      const limit1 = model.primaryIsMax ? cap : cap - table.prim[s1] - model.primary(table.least[s1], 1);
      // The largest prefix weight a partner can have in the list of its lowest shared index
      // (see the partner lists above); the slack keeps float rounding from dropping a
      // partner that fits.
      const maxPre = coversFlops ? (limit2 / table.least[s1]) * (1 + 1e-9) : Infinity;
      const p1 = table.prim[s1];
      const least1 = table.least[s1];
      const pool = table.idxPool;
      for (let t = 0; t < W; t++) wd1[t] = table.words[s1 * W + t];
      const lists = maxPre === Infinity || candidates(ascLists, s1, off1, end1, maxPre) <= candidates(descLists, s1, off1, end1, maxPre) ? ascLists : descLists;
      const bucketMax = PartnerLists.bucketOf(maxPre);
      for (let t = off1; t < end1; t++) {
        const q = table.idxPool[t];
        const ls = lof[q];
        for (let w = 0; w < ls.length; w++) {
          const l = ls[w];
          if (l < 0 || inSet(s1, l)) continue;
          const list = lists.buckets[q * k + l];
          if (list === undefined) continue;
          const top = Math.min(list.length - 1, bucketMax);
          for (let bk = 0; bk <= top; bk++) {
            const bucket = list[bk];
            if (bucket === undefined) continue;
            const stride = HEAD + W;
            const len = bucket.length;
            scanned += len / stride;
            for (let o = 0; o < len; o += stride) {
              // Checks on the entry's own copies first: they read the bucket in order.
              if (bucket[o + 1] > maxPre || bucket[o + 2] > limit2 || bucket[o + 3] > limit1) continue;
              const c2 = bucket[o + 4];
              if (c2 > c || c + c2 > k) continue;
              let overlap = 0;
              for (let t = 0; t < W; t++) overlap |= wd1[t] & bucket[o + HEAD + t];
              if (overlap !== 0) continue;
              const s2 = bucket[o];
              if (c2 === c && s2 <= s1) continue;
              if (seen[s2] === visit) continue;
              seen[s2] = visit;
              if (coversFlops) {
                // The escape test of consider, inlined: most pairs fail it. The step's flops are
                // r1 times the product of s2's indices that s1 lacks (s1's indices are marked),
                // doubled when s1's least merge is.
                const stop = (model.primaryIsMax ? cap : cap - p1 - bucket[o + 3]) / least1;
                let escape = 1;
                let t2 = table.idxOff[s2];
                const e2 = t2 + table.idxLen[s2];
                for (; t2 < e2; t2++) {
                  const i2 = pool[t2];
                  if (marked[i2] !== visit) {
                    escape *= size[i2];
                    if (escape > stop) break;
                  }
                }
                if (t2 < e2) continue;
              }
              considered++;
              consider(s1, s2, c + c2);
            }
          }
        }
      }
      // Partners sharing no index with s1 (those sharing one were all reachable above): the
      // merge costs r1·r2 and scores at least that (flops and result size are both r1·r2),
      // except under a combo objective with a negative weight, which reads them all.
      const r1 = table.rsize[s1];
      const outerBudget = model.primaryIsMax ? cap : cap - p1;
      const maxR2 = outerScored ? (outerBudget / r1) * (1 + 1e-9) : Infinity;
      if (clusters && !clustersOff) formClusters(s1, c);
      if (!outerPairs) continue;
      const olist = outerList.buckets[0];
      if (olist === undefined) continue;
      const otop = Math.min(olist.length - 1, PartnerLists.bucketOf(maxR2));
      const stride = HEAD + W;
      for (let bk = 0; bk <= otop; bk++) {
        const bucket = olist[bk];
        if (bucket === undefined) continue;
        const len = bucket.length;
        outerRead += len / stride;
        for (let o = 0; o < len; o += stride) {
          const r2 = bucket[o + 1];
          if (r2 > maxR2) continue;
          // The partner's own cost plus the step (slack as above; consider decides exactly).
          if (outerScored && !model.primaryIsMax && bucket[o + 3] + r1 * r2 > outerBudget * (1 + 1e-9)) continue;
          const c2 = bucket[o + 4];
          if (c2 > c || c + c2 > k) continue;
          let overlap = 0;
          for (let t = 0; t < W; t++) overlap |= wd1[t] & bucket[o + HEAD + t];
          if (overlap !== 0) continue;
          const s2 = bucket[o];
          if (c2 === c && s2 <= s1) continue;
          let shares = false;
          for (let t2 = table.idxOff[s2], e2 = t2 + table.idxLen[s2]; t2 < e2; t2++) {
            if (marked[pool[t2]] === visit) {
              shares = true;
              break;
            }
          }
          if (shares) continue;
          considered++;
          consider(s1, s2, c + c2);
        }
      }
    }
  }
  work.subsets = table.count;
  work.outer = outerRead;
  work.scanned = scanned;
  work.considered += considered;
  work.clustersCut = clustersCut;
  if (timedOut) return 'timeout';
  const full = bySize[k].length > 0 ? bySize[k][0] : -1;
  if (full < 0) return { nodes: [], found: false, score: Infinity };
  // Emit the winning tree bottom-up; leaf ids are their local indices.
  const nodes: TreeNode[] = [];
  const emit = (id: number): number => {
    if (id < k) return id;
    const merge = clusterOf.get(id);
    if (merge !== undefined) {
      const cover = emit(merge.cover);
      const emitCluster = (mask: number): number => {
        if ((mask & (mask - 1)) === 0) return emit(merge.pieces[31 - Math.clz32(mask)]);
        const a = emitCluster(merge.split[mask]);
        const b = emitCluster(mask ^ merge.split[mask]);
        nodes.push(a < b ? { left: a, right: b } : { left: b, right: a });
        return k + nodes.length - 1;
      };
      const z = emitCluster((1 << merge.pieces.length) - 1);
      nodes.push(z < cover ? { left: z, right: cover } : { left: cover, right: z });
      return k + nodes.length - 1;
    }
    const l = emit(table.left[id]);
    const r = emit(table.right[id]);
    nodes.push(l < r ? { left: l, right: r } : { left: r, right: l });
    return k + nodes.length - 1;
  };
  emit(full);
  return { nodes, found: true, score: table.prim[full] };
}

/**
 * The problem with its indices renumbered along the network: leaves in breadth-first order
 * from a far leaf (one breadth-first pass to find it, one to order), each index placed by
 * its first and last carrier in that order. Trees are over leaves, so they carry over
 * unchanged. Why: the prefix filters of the partner lists prune a partner by the indices it
 * holds before (or after) the shared ones, which on chains and lattices are the indices on
 * its far side.
 */
export function alongNetwork(problem: ContractionProblem): ContractionProblem {
  const n = problem.inputs.length;
  const m = problem.sizes.length;
  const carriers: number[][] = Array.from({ length: m }, () => []);
  problem.inputs.forEach((t, l) => {
    for (const i of new Set(t)) carriers[i].push(l);
  });
  const bfs = (first: number): number[] => {
    const order: number[] = [];
    const seen = new Uint8Array(n);
    const usedIndex = new Uint8Array(m);
    for (let root = first, r = 0; order.length < n; root = r++) {
      if (seen[root]) continue;
      seen[root] = 1;
      order.push(root);
      for (let head = order.length - 1; head < order.length; head++) {
        for (const i of problem.inputs[order[head]]) {
          if (usedIndex[i]) continue;
          usedIndex[i] = 1;
          for (const l of carriers[i]) {
            if (!seen[l]) {
              seen[l] = 1;
              order.push(l);
            }
          }
        }
      }
    }
    return order;
  };
  const order = n > 0 ? bfs(bfs(0)[n - 1]) : [];
  const rank = new Int32Array(n);
  order.forEach((l, r) => (rank[l] = r));
  const first = (i: number): number => (carriers[i].length ? Math.min(...carriers[i].map((l) => rank[l])) : n);
  const last = (i: number): number => (carriers[i].length ? Math.max(...carriers[i].map((l) => rank[l])) : n);
  const byPlace = Array.from({ length: m }, (_, i) => i).sort((a, b) => first(a) - first(b) || last(a) - last(b) || a - b);
  const renamed = new Array<number>(m);
  byPlace.forEach((old, id) => (renamed[old] = id));
  return {
    inputs: problem.inputs.map((t) => t.map((i) => renamed[i])),
    output: problem.output.map((i) => renamed[i]),
    sizes: byPlace.map((old) => problem.sizes[old]),
    names: byPlace.map((old) => problem.names[old]),
  };
}

/**
 * Whether the leaves form a plain component (dp-outer.ts): every index of theirs has size
 * ≥ 2 and either joins exactly two of them and is summed, or is an open leg (one tensor, in
 * the output).
 */
export function plainComponent(sp: SearchProblem, leaves: readonly number[]): boolean {
  for (const g of leaves) {
    for (const i of sp.leafIndices[g]) {
      if (sp.size[i] < 2 || sp.leavesOf[i].length !== (sp.isOutput[i] ? 1 : 2)) return false;
    }
  }
  return true;
}

/** Connected components of the leaves (sharing any index), each ascending, ordered by first leaf. */
export function leafComponents(sp: SearchProblem): number[][] {
  const parent = Int32Array.from({ length: sp.n }, (_, i) => i);
  const root = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const ls of sp.leavesOf) for (let z = 1; z < ls.length; z++) parent[root(ls[z])] = root(ls[0]);
  const groups = new Map<number, number[]>();
  for (let l = 0; l < sp.n; l++) {
    const r = root(l);
    const g = groups.get(r);
    if (g) g.push(l);
    else groups.set(r, [l]);
  }
  return [...groups.values()];
}

function treeScore(sp: SearchProblem, model: ObjectiveModel, tree: ContractionTree): number {
  // Replays the tree with per-node index-holder counts (floats; only used as a cap).
  const counts: Map<number, number>[] = sp.leafIndices.map((u) => new Map(Array.from(u, (i) => [i, 1] as [number, number])));
  let p = 0;
  for (const nd of tree.nodes) {
    const merged = new Map(counts[nd.left]);
    for (const [i, c] of counts[nd.right]) merged.set(i, (merged.get(i) ?? 0) + c);
    let f = 1;
    let r = 1;
    let removed = false;
    for (const [i, c] of merged) {
      f *= sp.size[i];
      if (sp.isOutput[i] || c < sp.total[i]) r *= sp.size[i];
      else {
        removed = true;
        merged.delete(i);
      }
    }
    if (removed) f *= 2;
    p = accumulate(model.primaryIsMax, p, model.primary(f, r));
    counts.push(merged);
  }
  return p;
}

/**
 * The dp tree. Exhaustive (proven optimal over all trees for the primary objective) when the
 * search ends within `maxTimeMs` and the network has at most ALL_PAIRS_MAX inputs
 * (`options.allPairsMax`, for tests), or is connected and either plain (each index of size
 * ≥ 2 on exactly two tensors and summed, or an open leg) under the flops objective or searched with
 * `options.outerProducts: true`; otherwise the best tree over splits into index-sharing
 * halves (proven optimal among trees without outer products inside a connected component;
 * all beyond ALL_PAIRS_MAX with `outerProducts: false`), or the best heuristic
 * tree (greedy, a few seeded random-greedy runs, `options.initialTree`) when that is better
 * or the budget (`maxTimeMs`, `maxSubsets`) runs out. `stats`, when given, receives the work
 * of each round.
 */
export function dpTree(problem: ContractionProblem, options: OptimizeOptions = {}, stats?: DpStats): ContractionTree {
  const n = problem.inputs.length;
  // The deadline counts from entry: the heuristic start trees spend the same budget.
  const deadline = deadlineOf(options);
  const greedy = greedyTree(problem, options);
  if (n <= 2) return { ...greedy, exhaustive: true };
  const sp = prepareSearch(alongNetwork(problem));
  const model = objectiveModel(options);
  const maxSubsets = typeof options.maxSubsets === 'number' ? options.maxSubsets : DEFAULT_MAX_SUBSETS;
  // The best heuristic tree is the fallback and caps the search: any tree worth finding
  // costs less, so its score bounds the cap from above.
  let start = greedy;
  let greedyScore = treeScore(sp, model, greedy);
  const candidates: ContractionTree[] = [];
  const init = options.initialTree as ContractionTree | undefined;
  if (init && validateTree(init, problem) === undefined) candidates.push(init);
  // Tests lower the all-pairs limit to check the index-sharing search on small networks.
  const allPairsMax = typeof options.allPairsMax === 'number' ? options.allPairsMax : ALL_PAIRS_MAX;
  if (n > allPairsMax) {
    const left = deadline - performance.now();
    if (left > 0) candidates.push(randomGreedyTree(problem, { minimize: options.minimize, repeats: 16, seed: 1, maxTimeMs: Number.isFinite(left) ? left / 4 : undefined }));
  }
  for (const t of candidates) {
    const sc = treeScore(sp, model, t);
    if (sc < greedyScore) {
      start = t;
      greedyScore = sc;
    }
  }
  const allPairs = n <= allPairsMax;
  // Beyond allPairsMax, outer products are searched (exactly) where that is cheap: plain
  // components under the flops objective, whose rounds store connected subsets only (see
  // solveSubset). `outerProducts: true` searches them everywhere (slower elsewhere: the
  // subsets they create are stored), `false` nowhere (optimal among index-sharing trees).
  const setting = options.outerProducts;
  // `'pairs'`: as `true`, but never with cluster merges (a cross-check of them, and an escape hatch).
  const pairs = setting === 'pairs';
  const outerIn = (group: number[]): boolean =>
    !allPairs && setting !== false && (setting === true || pairs || (model.name === 'flops' && plainComponent(sp, group)));
  const groups = allPairs ? [Array.from({ length: n }, (_, i) => i)] : leafComponents(sp);
  // A lower bound on any tree's primary score: every leaf and the output are touched by a step.
  let lower = 1;
  for (let l = 0; l < n; l++) {
    let s = 1;
    for (const i of sp.leafIndices[l]) s *= sp.size[i];
    lower = Math.max(lower, s);
  }
  const nodes: TreeNode[] = [];
  const roots: number[] = [];
  // Whether a round cut a cluster short (CLUSTER_MAX): its tree is then not proven optimal.
  let clustersCut = false;
  for (const group of groups) {
    if (group.length === 1) {
      roots.push(group[0]);
      continue;
    }
    // Start two doublings below the heuristic's score: rounds far below it rarely find a
    // tree (heuristic trees on MPS and PEPS are within 4-5x of the optimum), yet cost a third
    // of the round that does.
    let cap = Math.max(Math.min(lower, greedyScore), greedyScore / 4);
    let result: DpResult | 'timeout';
    // With outer products, the rising caps run without them first (far fewer subsets), and
    // one round with them then runs at the best score found: every tree that scores at most
    // that has all its subtrees under the cap, so the round finds the optimum over all trees.
    // Plain components need no such first pass: their rounds store connected subsets only.
    const outer = outerIn(group);
    let shared = outer && (pairs || !(model.name === 'flops' && plainComponent(sp, group)));
    for (;;) {
      if (performance.now() > deadline) {
        result = 'timeout';
        break;
      }
      const work: DpRound = { leaves: group.length, cap, found: false, subsets: 0, scanned: 0, considered: 0, accepted: 0, outer: 0 };
      result = solveSubset(sp, group, model, allPairs, outer && !shared, pairs, cap, deadline, maxSubsets, work);
      if (work.clustersCut) clustersCut = true;
      work.found = result !== 'timeout' && result.found;
      stats?.rounds.push(work);
      if (result === 'timeout') break;
      if (shared && (result.found || cap >= greedyScore)) {
        shared = false;
        const bound = result.found ? Math.min(result.score, greedyScore) : greedyScore;
        cap = Math.max(cap / CAP_FACTOR, bound * (1 + 1e-9));
        continue;
      }
      if (result.found) break;
      // With one group, no tree within the heuristic's score means that tree is the best.
      if (cap >= greedyScore && groups.length === 1) break;
      const next = cap * CAP_FACTOR;
      cap = cap < greedyScore && next >= greedyScore ? greedyScore * (1 + 1e-9) : next;
      if (!Number.isFinite(cap)) break;
    }
    if (result === 'timeout' || !result.found) return { leaves: n, nodes: start.nodes, exhaustive: false };
    // Re-number: local leaf l is global group[l]; local node k+t becomes a global node.
    const map: number[] = group.slice();
    for (const nd of result.nodes) {
      nodes.push({ left: map[nd.left], right: map[nd.right] });
      map.push(n + nodes.length - 1);
    }
    roots.push(map[map.length - 1]);
  }
  // Join components by outer products, smallest result first (ids break ties). A
  // component's result carries exactly its output indices.
  const sizeOf = new Map<number, number>();
  groups.forEach((group, gi) => {
    const seen = new Set<number>();
    for (const g of group) for (const i of sp.leafIndices[g]) if (sp.isOutput[i]) seen.add(i);
    let s = 1;
    for (const i of seen) s *= sp.size[i];
    sizeOf.set(roots[gi], s);
  });
  const queue = roots.slice();
  while (queue.length > 1) {
    queue.sort((a, b) => sizeOf.get(a)! - sizeOf.get(b)! || a - b);
    const a = queue.shift()!;
    const b = queue.shift()!;
    nodes.push(a < b ? { left: a, right: b } : { left: b, right: a });
    const c = n + nodes.length - 1;
    sizeOf.set(c, sizeOf.get(a)! * sizeOf.get(b)!);
    queue.push(c);
  }
  // With outer products every tree of a connected network is covered; components joined
  // afterwards are not proven to be joined optimally.
  const tree: ContractionTree = { leaves: n, nodes, exhaustive: allPairs || (groups.length === 1 && outerIn(groups[0]) && !clustersCut) };
  if (!allPairs && treeScore(sp, model, tree) > greedyScore) return { leaves: n, nodes: start.nodes, exhaustive: false };
  return tree;
}

/** Dynamic programming over subsets; exact up to 12 inputs and on plain networks, cost-capped beyond. */
export const dp: Optimizer = {
  name: 'dp',
  description: `dynamic programming over subsets under a rising cost cap: proven optimal over all trees up to ${ALL_PAIRS_MAX} inputs, and beyond for flops on networks whose indices each join two tensors and are summed or are open legs (MPS, PEPS, lattices, chains; outer products as clusters); elsewhere optimal among trees without outer products (all trees with the outerProducts setting)`,
  optimize: (problem, options) => dpTree(problem, options),
};
