// Partition-based trees for large networks: recursive hypergraph bisection (tensors are
// vertices, indices are nets weighted by log2 of their size), each bisection by our own
// multilevel partitioner (heavy-edge matching, region-growing initial cuts, Fiduccia–
// Mattheyses refinement under an imbalance bound); groups of at most `groupSize` tensors
// are solved exactly. Several seeds and imbalances are tried; the best tree is kept.

import { treeSteps } from './cost.js';
import type { ContractionProblem } from './problem.js';
import { makeProblem } from './problem.js';
import { compareScores, greedyRun, mulberry32, scoreTree } from './random-greedy.js';
import { optimalSubsetTree, MAX_SUBSET_TENSORS } from './reconfigure.js';
import type { OptimizeOptions, Optimizer } from './registry.js';
import type { ContractionTree, TreeNode } from './tree.js';

/** A weighted hypergraph over vertices 0..nv-1. */
export interface Hypergraph {
  nv: number;
  vertexWeight: number[];
  /** Pins of each net (distinct vertices, at least two). */
  nets: number[][];
  netWeight: number[];
}

const vertexNets = (h: Hypergraph): number[][] => {
  const vn: number[][] = Array.from({ length: h.nv }, () => []);
  h.nets.forEach((pins, e) => pins.forEach((v) => vn[v].push(e)));
  return vn;
};

/** Total weight of the nets a bisection cuts. */
export function cutWeight(h: Hypergraph, side: ArrayLike<number>): number {
  let cut = 0;
  h.nets.forEach((pins, e) => {
    const s = side[pins[0]];
    if (pins.some((v) => side[v] !== s)) cut += h.netWeight[e];
  });
  return cut;
}

/** Heavy-edge matching: pairs each vertex with the neighbour it shares most net weight with. */
function coarsen(h: Hypergraph, rng: () => number, maxVertexWeight: number): { coarse: Hypergraph; map: Int32Array } | undefined {
  const vn = vertexNets(h);
  const match = new Int32Array(h.nv).fill(-1);
  const order = Array.from({ length: h.nv }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rating = new Float64Array(h.nv);
  const touched: number[] = [];
  let coarseCount = 0;
  const map = new Int32Array(h.nv).fill(-1);
  for (const v of order) {
    if (map[v] >= 0) continue;
    for (const e of vn[v]) {
      const pins = h.nets[e];
      // Very large nets say little about which pair belongs together; skip them for speed.
      if (pins.length > 64) continue;
      const r = h.netWeight[e] / (pins.length - 1);
      for (const u of pins) {
        if (u === v || map[u] >= 0) continue;
        if (rating[u] === 0) touched.push(u);
        rating[u] += r;
      }
    }
    let best = -1;
    for (const u of touched) {
      if (h.vertexWeight[u] + h.vertexWeight[v] > maxVertexWeight) continue;
      if (best < 0 || rating[u] > rating[best] || (rating[u] === rating[best] && u < best)) best = u;
    }
    for (const u of touched) rating[u] = 0;
    touched.length = 0;
    map[v] = coarseCount;
    if (best >= 0) {
      map[best] = coarseCount;
      match[v] = best;
    }
    coarseCount++;
  }
  if (coarseCount > 0.9 * h.nv) return undefined;
  const vertexWeight = new Array<number>(coarseCount).fill(0);
  for (let v = 0; v < h.nv; v++) vertexWeight[map[v]] += h.vertexWeight[v];
  const nets: number[][] = [];
  const netWeight: number[] = [];
  h.nets.forEach((pins, e) => {
    const cp = [...new Set(pins.map((v) => map[v]))];
    if (cp.length >= 2) {
      nets.push(cp);
      netWeight.push(h.netWeight[e]);
    }
  });
  return { coarse: { nv: coarseCount, vertexWeight, nets, netWeight }, map };
}

/** Region growing from a random vertex until half the weight is reached. */
function growBisection(h: Hypergraph, vn: number[][], rng: () => number, target: number): Uint8Array {
  const side = new Uint8Array(h.nv).fill(1);
  const start = Math.floor(rng() * h.nv);
  const queue = [start];
  const seen = new Uint8Array(h.nv);
  seen[start] = 1;
  let w = 0;
  let head = 0;
  while (w < target) {
    if (head >= queue.length) {
      // Disconnected: continue from any unvisited vertex.
      const u = seen.indexOf(0);
      if (u < 0) break;
      seen[u] = 1;
      queue.push(u);
    }
    const v = queue[head++];
    if (w + h.vertexWeight[v] > target && w > 0) continue;
    side[v] = 0;
    w += h.vertexWeight[v];
    for (const e of vn[v]) {
      for (const u of h.nets[e]) {
        if (!seen[u]) {
          seen[u] = 1;
          queue.push(u);
        }
      }
    }
  }
  return side;
}

/** A binary max-heap of (gain, vertex) in typed arrays; ties go to the lower vertex. */
class GainHeap {
  private g = new Float64Array(64);
  private v = new Int32Array(64);
  size = 0;

  private above(a: number, b: number): boolean {
    return this.g[a] > this.g[b] || (this.g[a] === this.g[b] && this.v[a] < this.v[b]);
  }

  private swap(a: number, b: number): void {
    const g = this.g[a];
    this.g[a] = this.g[b];
    this.g[b] = g;
    const v = this.v[a];
    this.v[a] = this.v[b];
    this.v[b] = v;
  }

  push(gain: number, vertex: number): void {
    if (this.size === this.g.length) {
      const g = new Float64Array(this.size * 2);
      g.set(this.g);
      this.g = g;
      const v = new Int32Array(this.size * 2);
      v.set(this.v);
      this.v = v;
    }
    let i = this.size++;
    this.g[i] = gain;
    this.v[i] = vertex;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  topGain(): number {
    return this.g[0];
  }

  /** Removes the top entry and returns its vertex. */
  pop(): number {
    const top = this.v[0];
    this.size--;
    if (this.size > 0) {
      this.g[0] = this.g[this.size];
      this.v[0] = this.v[this.size];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.size && this.above(l, m)) m = l;
        if (r < this.size && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Fiduccia–Mattheyses refinement of a bisection in place: passes of single-vertex moves by
 * best gain (moves that keep both sides ≤ maxSide), rolled back to the best prefix.
 */
function refine(h: Hypergraph, vn: number[][], side: Uint8Array, maxSide: number, passes = 4): void {
  const nNets = h.nets.length;
  const pc0 = new Int32Array(nNets);
  const pc1 = new Int32Array(nNets);
  const weight = [0, 0];
  for (let v = 0; v < h.nv; v++) weight[side[v]] += h.vertexWeight[v];
  for (let pass = 0; pass < passes; pass++) {
    pc0.fill(0);
    pc1.fill(0);
    h.nets.forEach((pins, e) => {
      for (const v of pins) {
        if (side[v] === 0) pc0[e]++;
        else pc1[e]++;
      }
    });
    const gainOf = (v: number): number => {
      let g = 0;
      const from = side[v] === 0 ? pc0 : pc1;
      const to = side[v] === 0 ? pc1 : pc0;
      for (const e of vn[v]) {
        if (from[e] === 1) g += h.netWeight[e];
        if (to[e] === 0) g -= h.netWeight[e];
      }
      return g;
    };
    const gain = new Float64Array(h.nv);
    const locked = new Uint8Array(h.nv);
    // One max-heap of (gain, vertex) with lazy invalidation through `gain`.
    const heap = new GainHeap();
    const push = (g: number, v: number): void => heap.push(g, v);
    for (let v = 0; v < h.nv; v++) {
      gain[v] = gainOf(v);
      push(gain[v], v);
    }
    const moves: number[] = [];
    const touched: number[] = [];
    const seenAt = new Int32Array(h.nv).fill(-1);
    let cum = 0;
    let bestCum = 0;
    let bestLen = 0;
    const deferred: number[] = [];
    while (heap.size > 0) {
      const g = heap.topGain();
      const v = heap.pop();
      if (locked[v] || g !== gain[v]) continue;
      const from = side[v];
      const to = 1 - from;
      if (weight[to] + h.vertexWeight[v] > maxSide) {
        // Cannot move now without breaking balance; retry after the next move.
        deferred.push(v);
        continue;
      }
      locked[v] = 1;
      side[v] = to;
      weight[from] -= h.vertexWeight[v];
      weight[to] += h.vertexWeight[v];
      cum += g;
      moves.push(v);
      const fromPc = from === 0 ? pc0 : pc1;
      const toPc = from === 0 ? pc1 : pc0;
      // Classic FM gain updates, net by net, before and after the pin counts change.
      touched.length = 0;
      const bump = (u: number, d: number): void => {
        gain[u] += d;
        if (seenAt[u] !== moves.length) {
          seenAt[u] = moves.length;
          touched.push(u);
        }
      };
      for (const e of vn[v]) {
        const w = h.netWeight[e];
        const pins = h.nets[e];
        if (toPc[e] === 0) {
          for (const u of pins) if (!locked[u]) bump(u, w);
        } else if (toPc[e] === 1) {
          for (const u of pins) if (!locked[u] && side[u] === to) bump(u, -w);
        }
        fromPc[e]--;
        toPc[e]++;
        if (fromPc[e] === 0) {
          for (const u of pins) if (!locked[u]) bump(u, -w);
        } else if (fromPc[e] === 1) {
          for (const u of pins) if (!locked[u] && side[u] === from) bump(u, w);
        }
      }
      for (const u of touched) push(gain[u], u);
      for (const u of deferred) if (!locked[u]) push(gain[u], u);
      deferred.length = 0;
      if (cum > bestCum + 1e-12) {
        bestCum = cum;
        bestLen = moves.length;
      }
      // Long runs without improvement rarely pay off.
      if (moves.length - bestLen > 50 + h.nv / 10) break;
    }
    for (let j = moves.length - 1; j >= bestLen; j--) {
      const v = moves[j];
      const from = side[v];
      side[v] = 1 - from;
      weight[from] -= h.vertexWeight[v];
      weight[1 - from] += h.vertexWeight[v];
    }
    if (bestLen === 0) break;
  }
}

/**
 * Bisects a hypergraph (multilevel): coarsen, try several region-growing cuts at the
 * coarsest level, then project back refining with FM at every level. Returns 0/1 per vertex;
 * each side weighs at most max(⌈W/2⌉, (1+imbalance)·W/2).
 */
export function bisect(h: Hypergraph, imbalance: number, rng: () => number): Uint8Array {
  const W = h.vertexWeight.reduce((s, w) => s + w, 0);
  const maxSide = Math.max(Math.ceil(W / 2), Math.floor(((1 + imbalance) * W) / 2));
  const levels: { graph: Hypergraph; map: Int32Array }[] = [];
  let g = h;
  while (g.nv > 24) {
    const c = coarsen(g, rng, Math.max(1, W / 16));
    if (!c) break;
    levels.push({ graph: g, map: c.map });
    g = c.coarse;
  }
  const vn = vertexNets(g);
  let best: Uint8Array | undefined;
  let bestCut = Infinity;
  for (let t = 0; t < 6; t++) {
    const side = growBisection(g, vn, rng, W / 2);
    refine(g, vn, side, maxSide);
    const cut = cutWeight(g, side);
    if (cut < bestCut) {
      bestCut = cut;
      best = side;
    }
  }
  let side = best!;
  for (let l = levels.length - 1; l >= 0; l--) {
    const { graph, map } = levels[l];
    const fine = new Uint8Array(graph.nv);
    for (let v = 0; v < graph.nv; v++) fine[v] = side[map[v]];
    refine(graph, vertexNets(graph), fine, maxSide);
    side = fine;
  }
  return side;
}

/** Settings of the partition optimizer. */
export interface PartitionOptions extends OptimizeOptions {
  /** Groups of at most this many tensors are solved exactly (default 8, at most 16). */
  groupSize?: number;
  /** Imbalances tried in turn (default [0.05, 0.2, 0.1, 0.4, 0.3, 0.6]). */
  imbalances?: number[];
  /** Number of trials (default 10, or as many as fit in maxTimeMs, at most 2n + 10, when that is set). */
  trials?: number;
}

/** A subtree over global leaf ids: a leaf, or a pair of subtrees. */
type Sub = number | [Sub, Sub];

/** SSA nodes of a subtree (post-order, left first), without recursion. */
function emit(root: Sub, n: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  const idOf = new Map<Sub, number>();
  const stack: Sub[] = [root];
  while (stack.length > 0) {
    const s = stack[stack.length - 1];
    if (typeof s === 'number') {
      stack.pop();
      continue;
    }
    const [l, r] = s;
    if (typeof l !== 'number' && !idOf.has(l)) {
      stack.push(l);
      continue;
    }
    if (typeof r !== 'number' && !idOf.has(r)) {
      stack.push(r);
      continue;
    }
    stack.pop();
    const left = typeof l === 'number' ? l : idOf.get(l)!;
    const right = typeof r === 'number' ? r : idOf.get(r)!;
    idOf.set(s, n + nodes.length);
    nodes.push({ left, right });
  }
  return nodes;
}

/**
 * One partition tree: recursive bisection with exact leaves. Every group also gets a greedy
 * tree, and the cheaper of the two (by flops) is kept, so chain-like parts (where balanced
 * cuts are poor) are not forced through bisection. Past `deadline`, groups not yet split
 * are finished by the greedy alone, so a trial on a huge network still ends soon.
 */
export function partitionTrial(problem: ContractionProblem, imbalance: number, rng: () => number, groupSize: number, deadline = Infinity): ContractionTree {
  const n = problem.inputs.length;
  if (n <= 1) return { leaves: n, nodes: [] };
  const holderCount = new Int32Array(problem.sizes.length);
  const unique = problem.inputs.map((t) => [...new Set(t)]);
  for (const t of unique) for (const i of t) holderCount[i]++;
  const isOut = new Uint8Array(problem.sizes.length);
  for (const i of problem.output) isOut[i] = 1;
  const logSize = problem.sizes.map((s) => Math.log2(Math.max(s, 1)));
  const localCount = new Int32Array(problem.sizes.length);

  /** The group's open indices: carried outside it or kept in the output. */
  const openOf = (group: number[]): number[] => {
    for (const v of group) for (const i of unique[v]) localCount[i]++;
    const out = new Set<number>();
    for (const v of group) for (const i of unique[v]) if (isOut[i] || localCount[i] < holderCount[i]) out.add(i);
    for (const v of group) for (const i of unique[v]) localCount[i] = 0;
    return [...out].sort((x, y) => x - y);
  };
  const toSub = (group: number[], t: ContractionTree): Sub => {
    const ids: Sub[] = [...group];
    for (const nd of t.nodes) ids.push([ids[nd.left], ids[nd.right]]);
    return ids[ids.length - 1];
  };
  interface Solved {
    sub: Sub;
    flops: number;
    open: number[];
  }

  const solve = (group: number[]): Solved => {
    const open = openOf(group);
    if (group.length === 1) return { sub: group[0], flops: 0, open };
    const sp = makeProblem(
      group.map((v) => problem.inputs[v]),
      open,
      problem.sizes,
    );
    if (group.length <= groupSize) {
      const t = optimalSubsetTree(sp);
      let flops = 0;
      for (const st of treeSteps(sp, t)) flops += Number(st.flops);
      return { sub: toSub(group, t), flops, open };
    }
    const g = greedyRun(sp)!;
    const greedy: Solved = { sub: toSub(group, g.tree), flops: g.flops, open };
    if (performance.now() > deadline) return greedy;
    const pos = new Map(group.map((v, k) => [v, k]));
    const pinsOf = new Map<number, number[]>();
    for (const v of group) {
      for (const i of unique[v]) {
        let p = pinsOf.get(i);
        if (!p) pinsOf.set(i, (p = []));
        p.push(pos.get(v)!);
      }
    }
    const nets: number[][] = [];
    const netWeight: number[] = [];
    for (const [i, pins] of pinsOf) {
      if (pins.length < 2) continue;
      nets.push(pins);
      // A tiny floor keeps size-1 indices as (weak) structure.
      netWeight.push(logSize[i] + 0.01);
    }
    const h: Hypergraph = { nv: group.length, vertexWeight: group.map(() => 1), nets, netWeight };
    let side = bisect(h, imbalance, rng);
    const count0 = side.reduce((s, x) => s + (x === 0 ? 1 : 0), 0);
    if (count0 === 0 || count0 === group.length) {
      // Degenerate cut (e.g. no nets): split by position.
      side = Uint8Array.from(group, (_, k) => (k < group.length / 2 ? 0 : 1));
    }
    const a = solve(group.filter((_, k) => side[k] === 0));
    const b = solve(group.filter((_, k) => side[k] === 1));
    // The merge step involves open(A) ∪ open(B) and sums what the group does not keep.
    const union = new Set([...a.open, ...b.open]);
    const keep = new Set(open);
    let step = 1;
    let summed = false;
    for (const i of union) {
      step *= problem.sizes[i];
      if (!keep.has(i)) summed = true;
    }
    const flops = a.flops + b.flops + (summed ? 2 * step : step);
    return flops < greedy.flops ? { sub: [a.sub, b.sub], flops, open } : greedy;
  };
  return { leaves: n, nodes: emit(solve(Array.from({ length: n }, (_, i) => i)).sub, n) };
}

/** The best of several partition trees over seeds and imbalances (same seed → same tree). */
export function partitionTree(problem: ContractionProblem, options: PartitionOptions = {}): ContractionTree {
  const minimize = options.minimize ?? 'flops';
  const groupSize = Math.max(2, Math.min(options.groupSize ?? 8, MAX_SUBSET_TENSORS));
  const imbalances = options.imbalances ?? [0.05, 0.2, 0.1, 0.4, 0.3, 0.6];
  const maxTime = options.maxTimeMs;
  // Under a time budget trials continue until it is spent (at most 2n + 10 for small networks).
  const trials = options.trials ?? (maxTime !== undefined ? 2 * problem.inputs.length + 10 : 10);
  const rng = mulberry32((options.seed ?? 0) ^ 0xbadc0de);
  const start = performance.now();
  let best: ContractionTree | undefined;
  let bestScore: bigint[] = [];
  for (let t = 0; t < trials; t++) {
    if (best && maxTime !== undefined && performance.now() - start >= maxTime) break;
    // The first trial always completes (greedy-finished past the budget); later ones must fit.
    const deadline = maxTime !== undefined ? start + maxTime : Infinity;
    const tree = partitionTrial(problem, imbalances[t % imbalances.length], mulberry32(Math.floor(rng() * 2 ** 32)), groupSize, deadline);
    const s = scoreTree(problem, tree, minimize);
    if (!best || compareScores(s, bestScore) < 0) {
      best = tree;
      bestScore = s;
    }
  }
  return best!;
}

/** The `partition` optimizer (settings: groupSize, imbalances, trials, seed, maxTimeMs). */
export const partitionOptimizer: Optimizer = {
  name: 'partition',
  description: 'recursive multilevel hypergraph bisection with exact small groups (for large networks)',
  optimize: (problem, options) => partitionTree(problem, options as PartitionOptions),
};
