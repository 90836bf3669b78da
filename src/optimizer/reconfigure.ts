// Subtree reconfiguration (cotengra's idea, our code): walk the tree's most expensive nodes,
// cut out a subtree of up to k frontier tensors below each, and replace it with the optimal
// sub-tree for those k tensors (exhaustive dynamic programming over subsets, 3^k). The
// frontier tensors and the subtree root's indices form an ordinary ContractionProblem, so
// hyperedges and kept indices are exact. The result is never worse than the input tree.

import { InternalError } from '../diagnostics.js';
import { treeSteps } from './cost.js';
import { makeProblem, type ContractionProblem } from './problem.js';
import { compareScores, greedyRun, scoreTree } from './random-greedy.js';
import type { Objective, OptimizeOptions, Optimizer } from './registry.js';
import type { ContractionTree, TreeNode } from './tree.js';

/** Largest input count `optimalSubsetTree` accepts (3^k splits; 16 is about 21 million). */
export const MAX_SUBSET_TENSORS = 16;

/** Number of set bits in a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Per-subtree score under an objective: [primary, secondary], floats, smaller is better. */
interface SubScore {
  primary: number;
  secondary: number;
}

/** Combines two children's scores with one step (flops, result size) under an objective. */
function combine(minimize: Objective, a: SubScore, b: SubScore, flops: number, size: number): SubScore {
  switch (minimize) {
    case 'size':
      return { primary: Math.max(a.primary, b.primary, size), secondary: a.secondary + b.secondary + flops };
    case 'combo':
      return { primary: a.primary + b.primary + flops + 64 * size, secondary: a.secondary + b.secondary + flops };
    default:
      return { primary: a.primary + b.primary + flops, secondary: Math.max(a.secondary, b.secondary, size) };
  }
}

/**
 * The optimal tree of a small problem (at most MAX_SUBSET_TENSORS inputs) by dynamic
 * programming over all subsets and all their splits, outer products included. Costs are
 * compared in float64; the tree is marked exhaustive when they are exact (< 2^53).
 * `minimize: 'scaling'` minimises the highest symbolic degree of any step (the polynomial's
 * degree), then flops at the planning sizes. With a `sizeLimit`, steps
 * whose result exceeds it are avoided (unless no tree avoids them). `connectedOnly` skips
 * outer-product splits where a split sharing an index exists: much faster, no longer exact.
 */
export function optimalSubsetTree(problem: ContractionProblem, minimize: Objective = 'flops', sizeLimit = Infinity, connectedOnly = false): ContractionTree {
  const tree = subsetTreeBy(problem, minimize, sizeLimit, connectedOnly, Infinity);
  if (!tree) throw new InternalError('optimalSubsetTree stopped without a deadline');
  return tree;
}

/**
 * optimalSubsetTree, giving up (undefined) once `performance.now()` passes `deadline`: one
 * 16-tensor subset DP takes seconds, so reconfiguration under a time budget must be able to
 * abandon a re-solve midway rather than finish it.
 */
function subsetTreeBy(problem: ContractionProblem, minimize: Objective, sizeLimit: number, connectedOnly: boolean, deadline: number): ContractionTree | undefined {
  const k = problem.inputs.length;
  if (k > MAX_SUBSET_TENSORS) throw new Error(`optimalSubsetTree: ${k} tensors is more than ${MAX_SUBSET_TENSORS}`);
  if (k <= 1) return { leaves: k, nodes: [], exhaustive: true };
  // Local numbering of the indices that occur.
  const local = new Map<number, number>();
  const ids: number[] = [];
  const see = (i: number): number => {
    let l = local.get(i);
    if (l === undefined) {
      l = ids.length;
      local.set(i, l);
      ids.push(i);
    }
    return l;
  };
  const leafLocal = problem.inputs.map((t) => [...new Set(t.map(see))]);
  const isOut = new Set(problem.output.map(see));
  const m = ids.length;
  const W = Math.max(1, Math.ceil(m / 32));
  const holdMask = new Array<number>(m).fill(0);
  leafLocal.forEach((t, v) => t.forEach((l) => (holdMask[l] |= 1 << v)));
  const size = ids.map((i) => problem.sizes[i]);
  const full = 2 ** k;
  const open = new Uint32Array(full * W);
  const openSize = new Float64Array(full);
  for (let S = 1; S < full; S++) {
    let p = 1;
    // A single leaf keeps all its indices: ones only it carries are summed at its first step.
    const single = (S & (S - 1)) === 0;
    for (let l = 0; l < m; l++) {
      const h = holdMask[l];
      if ((h & S) === 0) continue;
      if (!single && !isOut.has(l) && (h & ~S) === 0) continue;
      open[S * W + (l >> 5)] |= 1 << (l & 31);
      p *= size[l];
    }
    openSize[S] = p;
  }
  // Scores per subset: primary P and secondary Q (see `combine`), in flat arrays.
  const P = new Float64Array(full);
  const Q = new Float64Array(full);
  const choice = new Int32Array(full);
  const mode = minimize === 'size' ? 1 : minimize === 'combo' ? 2 : minimize === 'scaling' ? 3 : 0;
  // Symbolic indices, for 'scaling': a step's degree is how many of them it involves.
  const sym = new Uint32Array(W);
  ids.forEach((i, l) => {
    if (problem.symbolic?.[i]) sym[l >> 5] |= 1 << (l & 31);
  });
  for (let S = 1; S < full; S++) {
    if ((S & (S - 1)) === 0) continue;
    // Every 64 subsets: at most ~2^15 splits each, so the budget is overrun by milliseconds.
    if ((S & 63) === 0 && deadline !== Infinity && performance.now() > deadline) return undefined;
    const low = S & -S;
    const resultSize = openSize[S];
    let found = false;
    let bp = Infinity;
    let bq = Infinity;
    let bestA = 0;
    // First only splits whose halves share an index; outer products only when none does.
    for (let pass = connectedOnly ? 0 : 1; pass < 2 && !found; pass++) {
      for (let A = (S - 1) & S; A > 0; A = (A - 1) & S) {
        if ((A & low) === 0) continue;
        const B = S ^ A;
        // The step involves open(A) ∪ open(B): its size is |A|·|B| / |shared|.
        let shared = 1;
        let any = false;
        let summed = false;
        let degree = 0;
        for (let w = 0; w < W; w++) {
          const oa = open[A * W + w];
          const ob = open[B * W + w];
          if (((oa | ob) & ~open[S * W + w]) !== 0) summed = true;
          if (mode === 3) degree += popcount((oa | ob) & sym[w]);
          let bits = oa & ob;
          if (bits !== 0) any = true;
          while (bits !== 0) {
            const t = bits & -bits;
            shared *= size[w * 32 + 31 - Math.clz32(t)];
            bits ^= t;
          }
        }
        if (pass === 0 && !any) continue;
        let flops = (openSize[A] * openSize[B]) / shared;
        if (summed) flops *= 2;
        let p: number;
        let q: number;
        if (mode === 0) {
          p = P[A] + P[B] + flops;
          q = Math.max(Q[A], Q[B], resultSize);
        } else if (mode === 1) {
          p = Math.max(P[A], P[B], resultSize);
          q = Q[A] + Q[B] + flops;
        } else if (mode === 2) {
          p = P[A] + P[B] + flops + 64 * resultSize;
          q = Q[A] + Q[B] + flops;
        } else {
          // Netcon-style: the highest symbolic degree of any step, then flops at the hints.
          p = Math.max(P[A], P[B], degree);
          q = Q[A] + Q[B] + flops;
        }
        if (resultSize > sizeLimit) p = Infinity;
        if (!found || p < bp || (p === bp && q < bq)) {
          found = true;
          bp = p;
          bq = q;
          bestA = A;
        }
      }
    }
    P[S] = bp;
    Q[S] = bq;
    choice[S] = bestA;
  }
  const nodes: TreeNode[] = [];
  const build = (S: number): number => {
    if ((S & (S - 1)) === 0) return 31 - Math.clz32(S);
    const a = build(choice[S]);
    const b = build(S ^ choice[S]);
    nodes.push({ left: a, right: b });
    return k + nodes.length - 1;
  };
  build(full - 1);
  const exact = !connectedOnly && P[full - 1] < 2 ** 53 && minimize === 'flops';
  return { leaves: k, nodes, exhaustive: exact };
}

/** Settings of subtree reconfiguration. */
export interface ReconfigureOptions {
  /** Frontier size of each re-solved subtree (default 8; at most MAX_SUBSET_TENSORS). */
  subtreeSize?: number;
  minimize?: Objective;
  /** Time budget in ms (default: unlimited, stops when a pass finds no improvement). */
  maxTimeMs?: number;
  /** Maximum number of passes over the tree (default 8). */
  maxPasses?: number;
  /**
   * Largest intermediate allowed in re-solved subtrees (elements). A subtree is only
   * replaced by one that respects it, so a tree that fits keeps fitting.
   */
  sizeLimit?: number;
  /**
   * How a subtree grows below its root (default 'cost'): 'cost' opens the most expensive
   * internal frontier node first; 'breadth' opens them level by level (oldest first), so
   * cheap sibling blocks are split open too. Trees that absorb pre-merged blocks into a
   * long chain (pairs of MPS sites, say) keep those blocks shut under 'cost', because the
   * chain is always the expensive side; 'breadth' re-solves them.
   */
  frontier?: 'cost' | 'breadth';
}

/**
 * Improves a tree by repeatedly replacing subtrees of up to k frontier tensors (most
 * expensive nodes first) with their optimal sub-trees. Returns a tree whose exact score
 * under `minimize` is never worse than the input's.
 */
export function reconfigure(tree: ContractionTree, problem: ContractionProblem, options: ReconfigureOptions = {}): ContractionTree {
  const n = tree.leaves;
  if (n <= 2) return tree;
  const k0 = Math.max(3, Math.min(options.subtreeSize ?? 8, MAX_SUBSET_TENSORS));
  const minimize = options.minimize ?? 'flops';
  const maxPasses = options.maxPasses ?? 8;
  const breadth = options.frontier === 'breadth';
  const deadline = options.maxTimeMs !== undefined ? performance.now() + options.maxTimeMs : Infinity;
  const total = 2 * n - 1;
  const L = new Int32Array(total).fill(-1);
  const R = new Int32Array(total).fill(-1);
  const openIdx: number[][] = new Array(total);
  const flops = new Float64Array(total);
  const nsize = new Float64Array(total);
  const steps = treeSteps(problem, tree);
  for (let v = 0; v < n; v++) openIdx[v] = [...new Set(problem.inputs[v])].sort((a, b) => a - b);
  steps.forEach((s, j) => {
    const v = n + j;
    L[v] = tree.nodes[j].left;
    R[v] = tree.nodes[j].right;
    openIdx[v] = s.result;
    flops[v] = Number(s.flops);
    nsize[v] = Number(s.size);
  });
  const isInternal = (v: number): boolean => v >= n;
  // Re-solves the subtree of up to k frontier tensors below v; true when it improved.
  const tryNode = (v: number, k: number): boolean => {
    const frontier = [L[v], R[v]];
    const internal = [v];
    while (frontier.length < k) {
      let pick = -1;
      for (let f = 0; f < frontier.length; f++) {
        const u = frontier[f];
        if (!isInternal(u)) continue;
        if (breadth) {
          pick = f;
          break;
        }
        if (pick < 0 || flops[u] > flops[frontier[pick]]) pick = f;
      }
      if (pick < 0) break;
      const u = frontier[pick];
      // Breadth order queues the children last, so nodes open in order of depth.
      if (breadth) {
        frontier.splice(pick, 1);
        frontier.push(L[u], R[u]);
      } else frontier.splice(pick, 1, L[u], R[u]);
      internal.push(u);
    }
    if (frontier.length < 3) return false;
    let current: SubScore = { primary: 0, secondary: 0 };
    // Children before parents is not needed for sums and maxima.
    for (const u of internal) current = combine(minimize, current, { primary: 0, secondary: 0 }, flops[u], nsize[u]);
    const sub = makeProblem(
      frontier.map((f) => openIdx[f]),
      openIdx[v],
      problem.sizes,
    );
    // Up to 8 tensors the DP stays exact; larger subtrees skip outer products for speed.
    // 'scaling' is judged on the whole tree at the end; locally, flops decide.
    const local = minimize === 'scaling' ? 'flops' : minimize;
    const subTree = subsetTreeBy(sub, local, options.sizeLimit ?? Infinity, frontier.length > 8, deadline);
    if (!subTree) return false;
    const subSteps = treeSteps(sub, subTree);
    let candidate: SubScore = { primary: 0, secondary: 0 };
    for (const s of subSteps) candidate = combine(minimize, candidate, { primary: 0, secondary: 0 }, Number(s.flops), Number(s.size));
    const margin = 1e-12;
    if (options.sizeLimit !== undefined && subSteps.some((st) => Number(st.size) > options.sizeLimit!)) return false;
    const gain =
      candidate.primary < current.primary * (1 - margin) ||
      (candidate.primary <= current.primary && candidate.secondary < current.secondary * (1 - margin));
    if (!gain) return false;
    // Rewire: the sub-tree's root keeps id v, its other nodes reuse the old internal ids.
    const freeIds = internal.slice(1);
    const assigned: number[] = subTree.nodes.map((_, j) => (j === subTree.nodes.length - 1 ? v : freeIds[j]));
    const mapId = (sid: number): number => (sid < frontier.length ? frontier[sid] : assigned[sid - frontier.length]);
    subTree.nodes.forEach((nd, j) => {
      const id = assigned[j];
      L[id] = mapId(nd.left);
      R[id] = mapId(nd.right);
      openIdx[id] = subSteps[j].result;
      flops[id] = Number(subSteps[j].flops);
      nsize[id] = Number(subSteps[j].size);
    });
    return true;
  };
  let improvedAny = false;
  // With a time budget, a converged search continues with larger subtrees (k + 2, …, 12).
  const ladder = [k0];
  if (options.maxTimeMs !== undefined) for (let k = k0 + 2; k <= 12; k += 2) ladder.push(k);
  for (const k of ladder) {
    if (performance.now() > deadline) break;
    for (let pass = 0; pass < maxPasses; pass++) {
      let improved = false;
      const order = Array.from({ length: n - 1 }, (_, j) => n + j).sort((a, b) => flops[b] - flops[a] || a - b);
      // Steps this much cheaper than the most expensive one cannot matter for flops.
      const floor = minimize === 'size' ? 0 : flops[order[0]] * 1e-12;
      for (const v of order) {
        if (performance.now() > deadline || flops[v] < floor) break;
        if (tryNode(v, k)) improved = true;
      }
      improvedAny ||= improved;
      if (!improved || performance.now() > deadline) break;
    }
  }
  if (!improvedAny) return tree;
  const result = ssaFromChildren(n, L, R, total - 1);
  return compareScores(scoreTree(problem, result, minimize), scoreTree(problem, tree, minimize)) <= 0 ? result : tree;
}

/** Renumbers a child-array tree rooted at `root` into SSA order (post-order, left first). */
function ssaFromChildren(n: number, L: Int32Array, R: Int32Array, root: number): ContractionTree {
  const newId = new Int32Array(L.length).fill(-1);
  for (let v = 0; v < n; v++) newId[v] = v;
  const nodes: TreeNode[] = [];
  const stack: number[] = [root];
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    const a = L[v];
    const b = R[v];
    if (newId[a] < 0) {
      stack.push(a);
      continue;
    }
    if (newId[b] < 0) {
      stack.push(b);
      continue;
    }
    stack.pop();
    newId[v] = n + nodes.length;
    nodes.push({ left: newId[a], right: newId[b] });
  }
  return { leaves: n, nodes };
}

/** Options of a `<base>+reconfigure` optimizer: the base's plus `subtreeSize` and `frontier`. */
export interface ReconfiguredOptions extends OptimizeOptions {
  subtreeSize?: number;
  frontier?: ReconfigureOptions['frontier'];
}

/**
 * Wraps an optimizer so that its tree is then improved by subtree reconfiguration; the
 * time budget is split half and half. Name: `<base>+reconfigure`.
 */
export function withReconfigure(base: Optimizer): Optimizer {
  return {
    name: `${base.name}+reconfigure`,
    description: `${base.name}, then subtree reconfiguration (re-solves subtrees of up to --subtree-size tensors optimally)`,
    optimize(problem, options) {
      const o = options as ReconfiguredOptions;
      const start = performance.now();
      const half = o.maxTimeMs !== undefined ? o.maxTimeMs / 2 : undefined;
      const tree = base.optimize(problem, { ...options, maxTimeMs: half });
      const left = o.maxTimeMs !== undefined ? Math.max(0, o.maxTimeMs - (performance.now() - start)) : undefined;
      return reconfigure(tree, problem, { subtreeSize: o.subtreeSize, minimize: o.minimize, maxTimeMs: left, frontier: o.frontier });
    },
  };
}

/**
 * The `reconfigure` optimizer: refines `options.initialTree` when given (auto passes its
 * best tree so), else a greedy tree. Settings: subtreeSize, minimize, maxTimeMs.
 */
export const reconfigureOptimizer: Optimizer = {
  name: 'reconfigure',
  description: 'improves a tree (auto\'s best, or greedy\'s) by re-solving subtrees of up to --subtree-size tensors optimally',
  optimize(problem, options) {
    const o = options as ReconfiguredOptions & { initialTree?: ContractionTree };
    const start = o.initialTree ?? greedyRun(problem)!.tree;
    return reconfigure(start, problem, { subtreeSize: o.subtreeSize, minimize: o.minimize, maxTimeMs: o.maxTimeMs, frontier: o.frontier });
  },
};
