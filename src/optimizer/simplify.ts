// Simplification before search: forced merges are done first, as a prefix of SSA steps,
// and the search runs on the smaller problem that remains; `liftTree` turns the reduced
// problem's tree back into a full tree of the original problem.
//  - Duplicate hyperedges (always): indices carried by exactly the same tensors, all summed,
//    are fused into one index of the product size; this changes no cost of any tree.
//  - Absorption (opt-in, `absorb: true`): a tensor whose indices are all summed against one
//    neighbour (a vector on a bond, a matrix on a double bond) is merged into it first; the
//    result is smaller than the neighbour, but the optimum can rise (see SimplifyOptions).
//  - Repeated indices inside one operand (traces, diagonals) are deduplicated; the cost
//    convention already counts each index of an operand once.

import type { ContractionProblem } from './problem.js';
import type { OptimizeOptions, Optimizer } from './registry.js';
import type { ContractionTree, TreeNode } from './tree.js';

/** A simplified problem and how to map its trees back. */
export interface Simplification {
  original: ContractionProblem;
  /** The problem the search should solve (one input per surviving tensor). */
  problem: ContractionProblem;
  /** Forced merges, in SSA ids of the original problem (the prefix of every lifted tree). */
  forced: TreeNode[];
  /** For each input of `problem`, the original SSA id (a leaf or a forced merge) it is. */
  leafIds: number[];
}

/** Which simplifications to apply (all on by default). */
export interface SimplifyOptions {
  /**
   * Absorb tensors whose indices are all summed against one neighbour (default false). A
   * heuristic, not a guarantee, so it is off unless asked for: under the opt_einsum
   * convention it can raise the optimum, e.g. v[a]·M[a,b]·N[b,c]·w[c] costs 144 with both
   * vectors absorbed and 136 when w meets the reduced chain last.
   */
  absorb?: boolean;
}

/**
 * Simplifies a problem (see the module comment). Without `absorb` every lifted tree costs
 * exactly what it costs on the reduced problem, so the reduced optimum is the optimum.
 */
export function simplifyProblem(problem: ContractionProblem, options: SimplifyOptions = {}): Simplification {
  const n = problem.inputs.length;
  const m = problem.sizes.length;
  const total = new Int32Array(m);
  const isOut = new Uint8Array(m);
  for (const i of problem.output) isOut[i] = 1;
  const counts: Map<number, number>[] = problem.inputs.map((t) => new Map([...new Set(t)].map((i) => [i, 1])));
  for (const c of counts) for (const i of c.keys()) total[i]++;
  // Open indices of a node: still carried elsewhere or kept in the output.
  const openOf = (c: Map<number, number>): number[] =>
    [...c.entries()]
      .filter(([i, k]) => isOut[i] || k < total[i])
      .map(([i]) => i)
      .sort((a, b) => a - b);
  const live = new Map<number, Map<number, number>>();
  counts.forEach((c, v) => live.set(v, c));
  const forced: TreeNode[] = [];
  const holders = (): Map<number, number[]> => {
    const h = new Map<number, number[]>();
    for (const [v, c] of live) {
      for (const i of openOf(c)) {
        let l = h.get(i);
        if (!l) h.set(i, (l = []));
        l.push(v);
      }
    }
    return h;
  };
  const size = (ids: readonly number[]): number => ids.reduce((p, i) => p * problem.sizes[i], 1);
  let changed = live.size > 1 && options.absorb === true;
  while (changed && live.size > 1) {
    changed = false;
    const h = holders();
    for (const v of [...live.keys()].sort((a, b) => a - b)) {
      const cv = live.get(v)!;
      const ov = openOf(cv);
      // Only tensors that are fully reduced on their own (no local indices) are absorbed, so
      // the absorbing step never involves an index the neighbour does not carry.
      if (ov.length === 0 || ov.length !== cv.size) continue;
      // Every index of the absorbed tensor must be summed by the merge (shared with the
      // neighbour only, not kept): the result is then strictly smaller than the neighbour.
      if (!ov.every((i) => !isOut[i] && total[i] === 2 && problem.sizes[i] >= 2)) continue;
      let target = -1;
      for (const w of h.get(ov[0]) ?? []) {
        if (w === v || !live.has(w)) continue;
        const ow = new Set(openOf(live.get(w)!));
        if (!ov.every((i) => ow.has(i))) continue;
        if (size(ov) > size([...ow])) continue;
        if (target < 0 || w < target) target = w;
      }
      if (target < 0) continue;
      const merged = new Map(live.get(target)!);
      for (const [i, k] of cv) merged.set(i, (merged.get(i) ?? 0) + k);
      live.delete(v);
      live.delete(target);
      const id = n + forced.length;
      forced.push({ left: Math.min(v, target), right: Math.max(v, target) });
      live.set(id, merged);
      changed = true;
      break;
    }
  }
  const leafIds = [...live.keys()].sort((a, b) => a - b);
  let inputs = leafIds.map((v) => (v < n ? [...new Set(problem.inputs[v])] : openOf(live.get(v)!)));
  // Fuse indices with identical holder sets and output status into the first of them.
  const signature = new Map<number, string>();
  inputs.forEach((t, k) => {
    for (const i of t) signature.set(i, `${signature.get(i) ?? ''},${k}`);
  });
  const sizes = [...problem.sizes];
  const rep = new Map<string, number>();
  const drop = new Set<number>();
  for (const [i, sig] of [...signature.entries()].sort((a, b) => a[0] - b[0])) {
    if (isOut[i]) continue;
    const key = sig;
    const r = rep.get(key);
    if (r === undefined) rep.set(key, i);
    else if (Number.isSafeInteger(sizes[r] * sizes[i])) {
      sizes[r] *= sizes[i];
      drop.add(i);
    }
  }
  if (drop.size > 0) inputs = inputs.map((t) => t.filter((i) => !drop.has(i)));
  const reduced: ContractionProblem = { ...problem, inputs, sizes };
  return { original: problem, problem: reduced, forced, leafIds };
}

/** A full tree of the original problem from a tree of the simplified one. */
export function liftTree(s: Simplification, reducedTree: ContractionTree): ContractionTree {
  const n = s.original.inputs.length;
  const base = n + s.forced.length;
  const k = s.leafIds.length;
  const map = (id: number): number => (id < k ? s.leafIds[id] : base + (id - k));
  const nodes = [...s.forced, ...reducedTree.nodes.map((nd) => ({ left: map(nd.left), right: map(nd.right) }))];
  return { leaves: n, nodes };
}

/** Wraps an optimizer: simplify, search the reduced problem, lift. Name: `simplify+<base>`. */
export function withSimplify(base: Optimizer): Optimizer {
  return {
    name: `simplify+${base.name}`,
    description: `fuse duplicate hyperedges, then ${base.name}`,
    optimize(problem: ContractionProblem, options: OptimizeOptions) {
      const s = simplifyProblem(problem);
      return liftTree(s, base.optimize(s.problem, options));
    },
  };
}
