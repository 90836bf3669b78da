// Costs of merging sets of leaves, for searches over up to 30 inputs that name a node by the
// bitmask of the leaves under it. Under the opt_einsum convention a node's indices depend
// only on its leaf set (an index stays while some tensor outside still carries it, or it is
// an output index), so a merge's cost depends only on the two leaf sets: memoising by mask
// is exact, hyperedges included.

import type { ObjectiveModel, SearchProblem } from './search-problem.js';

/** The largest leaf count a 32-bit mask search accepts. */
export const MAX_MASK_LEAVES = 30;

export interface MaskNode {
  /** Unique index ids, ascending. */
  idx: Int32Array;
  /** Elements in the node's tensor. */
  size: number;
}

/** Per-problem cache of mask → node (documented cache keyed by input; one per search). */
export class SubsetCosts {
  private readonly cache = new Map<number, MaskNode>();
  /** Per index: the mask of the leaves carrying it. */
  readonly indexMask: Int32Array;

  constructor(readonly sp: SearchProblem) {
    this.indexMask = new Int32Array(sp.m);
    sp.leavesOf.forEach((ls, i) => {
      for (const l of ls) this.indexMask[i] |= 1 << l;
    });
  }

  /** The node covering the leaves in `mask`. */
  node(mask: number): MaskNode {
    let nd = this.cache.get(mask);
    if (nd) return nd;
    const { sp, indexMask } = this;
    if ((mask & (mask - 1)) === 0) {
      // A leaf keeps every index (even one only it carries) until its first step.
      const idx = sp.leafIndices[31 - Math.clz32(mask)];
      let size = 1;
      for (const i of idx) size *= sp.size[i];
      nd = { idx, size };
      this.cache.set(mask, nd);
      return nd;
    }
    const seen = new Set<number>();
    for (let l = 0; l < sp.n; l++) {
      if (mask & (1 << l)) for (const i of sp.leafIndices[l]) seen.add(i);
    }
    const kept: number[] = [];
    let size = 1;
    for (const i of seen) {
      if (sp.isOutput[i] || (indexMask[i] & ~mask) !== 0) kept.push(i);
    }
    kept.sort((a, b) => a - b);
    for (const i of kept) size *= sp.size[i];
    nd = { idx: Int32Array.from(kept), size };
    this.cache.set(mask, nd);
    return nd;
  }

  /** Flops of merging the leaf sets a and b (disjoint), opt_einsum convention. */
  flops(a: number, b: number): number {
    const x = this.node(a).idx;
    const y = this.node(b).idx;
    const r = this.node(a | b);
    let i = 0;
    let j = 0;
    let f = 1;
    let count = 0;
    while (i < x.length || j < y.length) {
      const u = i < x.length ? x[i] : 0x7fffffff;
      const v = j < y.length ? y[j] : 0x7fffffff;
      const w = u < v ? u : v;
      f *= this.sp.size[w];
      count++;
      if (u === w) i++;
      if (v === w) j++;
    }
    return count > r.idx.length ? 2 * f : f;
  }

  /** True when the two leaf sets share an index. */
  connected(a: number, b: number): boolean {
    const x = this.node(a).idx;
    const y = this.node(b).idx;
    let i = 0;
    let j = 0;
    while (i < x.length && j < y.length) {
      if (x[i] === y[j]) return true;
      if (x[i] < y[j]) i++;
      else j++;
    }
    return false;
  }

  /** Primary and secondary step scores of merging a and b. */
  stepScores(model: ObjectiveModel, a: number, b: number): [number, number] {
    const f = this.flops(a, b);
    const s = this.node(a | b).size;
    return [model.primary(f, s), model.secondary(f, s)];
  }
}
