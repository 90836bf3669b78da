// Randomized greedy: a fast greedy core (int index ids, binary heap, hyperedge-aware
// counting) run many times with Boltzmann (Gumbel) noise on the pair costs and a sampled
// cost modifier, keeping the best tree by the objective. Repeat 0 is always the plain,
// deterministic greedy, so random-greedy is never worse than its own greedy.

import { treeCost } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { Objective, OptimizeOptions, Optimizer } from './registry.js';
import { symbolicCost, scalingKey } from './symbolic.js';
import type { ContractionTree, TreeNode } from './tree.js';

/** A small seeded PRNG (mulberry32): same seed, same stream; values in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weight of elements written in the `combo` objective (flops + 64 · write), as in cotengra. */
export const COMBO_WRITE_WEIGHT = 64n;

/**
 * A lexicographic score of a tree under an objective (smaller is better), exact bigints.
 * flops: [flops, size]; size: [size, flops]; combo: [flops + 64·write, flops];
 * scaling: the symbolic polynomial's key (degree, then per-degree sums at the hints), then flops.
 */
export function scoreTree(problem: ContractionProblem, tree: ContractionTree, minimize: Objective = 'flops'): bigint[] {
  const c = treeCost(problem, tree);
  switch (minimize) {
    case 'size':
      return [c.size, c.flops];
    case 'combo':
      return [c.flops + COMBO_WRITE_WEIGHT * c.write, c.flops];
    case 'scaling':
      return [...scalingKey(symbolicCost(problem, tree)), c.flops];
    default:
      return [c.flops, c.size];
  }
}

/** Compares two score keys lexicographically (negative when a is better). */
export function compareScores(a: readonly bigint[], b: readonly bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A binary min-heap of (key, a, b) triples; ties broken by a, then b, for determinism. */
class PairHeap {
  private key: number[] = [];
  private a: number[] = [];
  private b: number[] = [];

  get length(): number {
    return this.key.length;
  }

  private less(i: number, j: number): boolean {
    const ki = this.key[i];
    const kj = this.key[j];
    if (ki !== kj) return ki < kj;
    if (this.a[i] !== this.a[j]) return this.a[i] < this.a[j];
    return this.b[i] < this.b[j];
  }

  private swap(i: number, j: number): void {
    const k = this.key[i];
    this.key[i] = this.key[j];
    this.key[j] = k;
    const a = this.a[i];
    this.a[i] = this.a[j];
    this.a[j] = a;
    const b = this.b[i];
    this.b[i] = this.b[j];
    this.b[j] = b;
  }

  push(key: number, a: number, b: number): void {
    this.key.push(key);
    this.a.push(a);
    this.b.push(b);
    let i = this.key.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the minimum; returns [a, b]. */
  pop(): [number, number] {
    const top: [number, number] = [this.a[0], this.b[0]];
    const last = this.key.length - 1;
    this.swap(0, last);
    this.key.pop();
    this.a.pop();
    this.b.pop();
    const n = this.key.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

/** Removes v from a (short) holder list. */
function removeHolder(list: number[], v: number): void {
  const k = list.indexOf(v);
  if (k < 0) return;
  list[k] = list[list.length - 1];
  list.pop();
}

/** Knobs of one greedy run. */
export interface GreedyParams {
  /** Pair cost = size(result) − costmod · (size(a) + size(b)); 1 is opt_einsum's greedy. */
  costmod?: number;
  /** Boltzmann temperature on the (log-compressed) pair cost; 0 is deterministic. */
  temperature?: number;
  /** Noise source (required when temperature > 0). */
  rng?: () => number;
  /** Abandon the run (return undefined) once its flops exceed this (approximate, float). */
  flopsBound?: number;
}

/** Result of one greedy run: the tree and its approximate (float) flops. */
export interface GreedyRun {
  tree: ContractionTree;
  flops: number;
}

/**
 * One greedy run over a problem: repeatedly merges the pair of tensors that share an index
 * with the lowest pair cost; disconnected components are finally joined smallest first.
 * Hyperedges are exact: an index is summed when its last holder (and no output) is merged.
 */
export function greedyRun(problem: ContractionProblem, params: GreedyParams = {}): GreedyRun | undefined {
  const n = problem.inputs.length;
  if (n <= 1) {
    const tree = { leaves: n, nodes: [] };
    return { tree, flops: n === 1 ? Number(treeCost(problem, tree).flops) : 0 };
  }
  const costmod = params.costmod ?? 1;
  const temperature = params.temperature ?? 0;
  const rng = params.rng;
  const bound = params.flopsBound ?? Infinity;
  const sizes = problem.sizes;
  const m = sizes.length;
  const total = 2 * n - 1;
  // cnt[i]: live holders of index i, plus one when i is an output index.
  const cnt = new Int32Array(m);
  const holders: number[][] = Array.from({ length: m }, () => []);
  const isOut = new Uint8Array(m);
  for (const i of problem.output) isOut[i] = 1;
  const nodeIdx: Int32Array[] = new Array(total);
  const nodeSize = new Float64Array(total);
  const alive = new Uint8Array(total);
  const leafSets = problem.inputs.map((t) => [...new Set(t)]);
  for (const t of leafSets) for (const i of t) cnt[i]++;
  for (let i = 0; i < m; i++) if (isOut[i]) cnt[i]++;
  // Per leaf: the product of the sizes of indices only it carries (summed at its first step).
  const localProduct = new Float64Array(n).fill(1);
  const hasLocal = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    for (const i of leafSets[v]) {
      if (cnt[i] < 2) {
        localProduct[v] *= sizes[i];
        hasLocal[v] = 1;
      }
    }
  }
  for (let v = 0; v < n; v++) {
    // Indices only this leaf carries (and not output) are summed at its first step; the
    // greedy scores the leaf as already reduced.
    const kept = leafSets[v].filter((i) => cnt[i] >= 2).sort((x, y) => x - y);
    nodeIdx[v] = Int32Array.from(kept);
    let s = 1;
    for (const i of kept) {
      s *= sizes[i];
      holders[i].push(v);
    }
    nodeSize[v] = s;
    alive[v] = 1;
  }
  const noisy = temperature > 0 && rng !== undefined;
  const heap = new PairHeap();
  // mark[j] === v while the neighbours of v are scored: j is an index of v.
  const mark = new Int32Array(m).fill(-1);
  const pairKey = (v: number, w: number): number => {
    // Size of the result of merging v and w: shared indices count once, and not at all
    // when the merge sums them (no other holder and not output).
    let s = nodeSize[v] * nodeSize[w];
    const W = nodeIdx[w];
    for (let x = 0; x < W.length; x++) {
      const j = W[x];
      if (mark[j] === v) {
        s /= sizes[j];
        if (cnt[j] < 3) s /= sizes[j];
      }
    }
    let c = s - costmod * (nodeSize[v] + nodeSize[w]);
    // Sizes beyond float range (only in hopeless runs) must not poison the heap with NaN.
    if (c !== c) c = 0;
    if (!noisy) return c;
    // Log-compress so one temperature suits every scale, then add Gumbel noise.
    const lc = c >= 0 ? Math.log2(1 + c) : -Math.log2(1 - c);
    const u = rng!();
    return lc + temperature * Math.log(-Math.log(u > 0 ? u : 1e-300));
  };
  const stamp = new Int32Array(total).fill(-1);
  const pushNeighbours = (v: number, onlyHigher: boolean): void => {
    stamp[v] = v;
    const V = nodeIdx[v];
    for (let x = 0; x < V.length; x++) mark[V[x]] = v;
    for (let x = 0; x < V.length; x++) {
      const h = holders[V[x]];
      for (let y = 0; y < h.length; y++) {
        const w = h[y];
        if (stamp[w] === v || (onlyHigher && w < v)) continue;
        stamp[w] = v;
        if (v < w) heap.push(pairKey(v, w), v, w);
        else heap.push(pairKey(v, w), w, v);
      }
    }
  };
  for (let v = 0; v < n; v++) pushNeighbours(v, true);
  const nodes: TreeNode[] = [];
  let flops = 0;
  let next = n;
  const merge = (a: number, b: number): void => {
    const A = nodeIdx[a];
    const B = nodeIdx[b];
    const res: number[] = [];
    let involved = 1;
    let summed = false;
    let x = 0;
    let y = 0;
    while (x < A.length || y < B.length) {
      let i: number;
      let both = false;
      if (y >= B.length || (x < A.length && A[x] < B[y])) {
        i = A[x++];
        removeHolder(holders[i], a);
      } else if (x >= A.length || B[y] < A[x]) {
        i = B[y++];
        removeHolder(holders[i], b);
      } else {
        i = A[x++];
        y++;
        both = true;
        removeHolder(holders[i], a);
        removeHolder(holders[i], b);
      }
      involved *= sizes[i];
      if (both) cnt[i]--;
      if (cnt[i] >= 2) res.push(i);
      else {
        summed = true;
        cnt[i] = 0;
      }
    }
    // Leaf-local indices (dropped from the greedy's view) are still involved in the step.
    if (a < n && hasLocal[a]) {
      involved *= localProduct[a];
      summed = true;
    }
    if (b < n && hasLocal[b]) {
      involved *= localProduct[b];
      summed = true;
    }
    const c = next++;
    nodeIdx[c] = Int32Array.from(res);
    let s = 1;
    for (const i of res) {
      s *= sizes[i];
      holders[i].push(c);
    }
    nodeSize[c] = s;
    alive[a] = 0;
    alive[b] = 0;
    alive[c] = 1;
    flops += summed ? 2 * involved : involved;
    nodes.push({ left: a, right: b });
  };
  while (heap.length > 0) {
    const [a, b] = heap.pop();
    if (!alive[a] || !alive[b]) continue;
    merge(a, b);
    if (flops > bound) return undefined;
    pushNeighbours(next - 1, false);
  }
  // Disconnected components (or scalars): outer products, smallest first.
  const rest: number[] = [];
  for (let v = 0; v < next; v++) if (alive[v]) rest.push(v);
  if (rest.length > 1) {
    const outer = new PairHeap();
    for (const v of rest) outer.push(nodeSize[v], v, v);
    while (outer.length > 1) {
      const [a] = outer.pop();
      const [b] = outer.pop();
      merge(Math.min(a, b), Math.max(a, b));
      outer.push(nodeSize[next - 1], next - 1, next - 1);
    }
  }
  return { tree: { leaves: n, nodes }, flops };
}

/** Settings of random-greedy (all optional). */
export interface RandomGreedyOptions extends OptimizeOptions {
  /** Number of greedy runs (default 64, or up to max(64, 20·n²) within maxTimeMs when that is set). */
  repeats?: number;
  /** Fixed temperature, or a range sampled log-uniformly per run (default: adaptive grid). */
  temperature?: [number, number] | number;
  /** Fixed cost modifier, or a range sampled log-uniformly per run (default: adaptive grid). */
  costmod?: [number, number] | number;
}

const sampleLog = (r: [number, number] | number, u: number): number => {
  if (typeof r === 'number') return r;
  const [lo, hi] = r;
  if (lo <= 0) return lo + (hi - lo) * u;
  return Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u);
};

/**
 * The grid of (costmod, temperature) arms random-greedy samples from. Which pair works is
 * strongly network-dependent (large costmod suits circuits and lattices, costmod near 1
 * suits chains and random graphs), so runs are spread over arms and then concentrated on
 * the arms that have produced the best trees so far.
 */
const COSTMODS = [1, 4, 16, 2, 8, 0.5];
const TEMPERATURES = [0.1, 0.3, 0.03, 1];
const ABANDON_FACTOR = 8;

/** The best of many randomized greedy runs (same seed → same tree). */
export function randomGreedyTree(problem: ContractionProblem, options: RandomGreedyOptions = {}): ContractionTree {
  const minimize = options.minimize ?? 'flops';
  const seed = options.seed ?? 0;
  const rng = mulberry32(seed ^ 0x5eed);
  const maxTime = options.maxTimeMs;
  const n0 = problem.inputs.length;
  // Under a time budget the runs continue until it is spent, but small networks have few
  // distinct greedy trees, so their runs are also capped (20·n²).
  const repeats = options.repeats ?? (maxTime !== undefined ? Math.max(64, 20 * n0 * n0) : 64);
  const start = performance.now();
  let best = greedyRun(problem)!;
  // For flops the runs' own (float) totals rank them; other objectives need exact scores.
  const exactScores = minimize !== 'flops';
  let bestScore = exactScores ? scoreTree(problem, best.tree, minimize) : [];
  const n = problem.inputs.length;
  if (n <= 2) return best.tree;
  const arms: { costmod: number; temperature: number; best: number }[] = [];
  // Arms in an order that tries the usually-good settings first (small budgets may only
  // get through a few): one costmod per temperature sweep, alternating low and high.
  for (const temperature of TEMPERATURES) for (const costmod of COSTMODS) arms.push({ costmod, temperature, best: Infinity });
  const fixed = options.costmod !== undefined || options.temperature !== undefined;
  for (let r = 1; r < repeats; r++) {
    if (maxTime !== undefined && performance.now() - start >= maxTime) break;
    let arm: (typeof arms)[number] | undefined;
    let costmod: number;
    let temperature: number;
    if (fixed) {
      costmod = sampleLog(options.costmod ?? [0.5, 16], rng());
      temperature = sampleLog(options.temperature ?? [0.03, 1], rng());
    } else {
      // First one run per arm, then mostly the four best arms.
      if (r <= arms.length) arm = arms[r - 1];
      else if (rng() < 0.2) arm = arms[Math.floor(rng() * arms.length)];
      else {
        const ranked = [...arms].sort((x, y) => x.best - y.best);
        arm = ranked[Math.floor(rng() * 4)];
      }
      // Jitter within the arm so repeated draws explore its neighbourhood.
      costmod = arm.costmod * 2 ** (rng() - 0.5);
      temperature = arm.temperature * 2 ** (rng() - 0.5);
    }
    const params: GreedyParams = {
      costmod,
      temperature,
      rng: mulberry32(Math.floor(rng() * 2 ** 32)),
      // Runs far worse than the best are abandoned early (they still rank their arm).
      flopsBound: minimize === 'flops' ? best.flops * ABANDON_FACTOR : undefined,
    };
    const run = greedyRun(problem, params);
    if (!run) {
      if (arm) arm.best = Math.min(arm.best, Math.log2(best.flops * ABANDON_FACTOR));
      continue;
    }
    if (arm) arm.best = Math.min(arm.best, Math.log2(run.flops));
    if (!exactScores) {
      if (run.flops < best.flops) best = run;
      continue;
    }
    const s = scoreTree(problem, run.tree, minimize);
    if (compareScores(s, bestScore) < 0) {
      best = run;
      bestScore = s;
    }
  }
  return best.tree;
}

/** The `random-greedy` optimizer (settings: repeats, temperature, costmod, seed, maxTimeMs). */
export const randomGreedyOptimizer: Optimizer = {
  name: 'random-greedy',
  description: 'best of many greedy runs with Boltzmann-sampled pair costs (seeded; --max-time or repeats)',
  optimize: (problem, options) => randomGreedyTree(problem, options as RandomGreedyOptions),
};
