// Which merges of disconnected subsets an optimal tree can contain: the rule that lets dp's
// capped search beyond ALL_PAIRS_MAX cover every tree (outer products included) without
// storing most of the disconnected subsets that outer products create.
//
// Setting: one connected component of the network in which every index has size ≥ 2 and
// belongs to at least two tensors or to the output (no "private" index: a leaf presents one
// until its first step, so restricting a subtree could expose it), and the flops objective
// (opt_einsum convention: a step costs the product of the sizes of the union of its
// operands' indices, twice that when it sums an index away). A leaf set S "presents" the
// indices of its tensors that have a carrier outside S or are outputs: a node's result, and
// (no private indices) a leaf's indices, so it depends on the set alone. A node costs
// f·|union of its children's presented sets|, f ∈ {1, 2}.
//
// Rule (components): let Q = (X, Y) be a node of an optimal tree that sums an index
// (f_Q = 2), and K a connected component of X's leaf set with X ≠ K (X disconnected). Then
// Y shares an index with K. Proof: suppose not. Let R = X \ K and T_K, T_R the restrictions
// of X's subtree to K and to R (drop the other leaves, splice out nodes left with one
// child). K and R carry disjoint index sets (K is a component of X), so each node N of X's
// subtree has union u = u_K ⊔ u_R, and the restricted node (when it exists) has union u_K
// (resp. u_R) with a factor ≤ f_N. Every nonempty proper subset of the connected component
// presents an index that crosses its boundary, of size ≥ 2, so both parts of a node that has
// both have |u_K|, |u_R| ≥ 2 and f|u_K||u_R| ≥ f|u_K| + f|u_R|; hence
// cost(T_K) + cost(T_R) ≤ cost(X's subtree). Replace X's subtree and Q by ((T_R, Y), T_K).
// Indices summed at Q are not presented by K (K's indices have carriers outside X and not in
// Y, so they outlive Q), hence all are summed at (R, Y): that step costs
// ≤ 2|u_Q|/|k| ≤ |u_Q| (|k| ≥ 2: K presents a crossing index), and the last step is an outer
// product whose union is exactly Q's result, so it costs |result(Q)| ≤ |u_Q|/2 (Q sums an
// index of size ≥ 2). Total ≤ the original minus |u_Q|/2: strictly cheaper, a
// contradiction. The rule depends only on the leaf sets of X and Y (and on whether Q sums,
// also a function of them), so a search that skips the merges breaking it stays exact:
// every optimal tree is made of merges it keeps, and under a cost cap every subtree of such a
// tree fits too. With private indices it can fail (test/dp-outer.test.ts has a network whose
// only optimal tree breaks it), so dp applies it only without them.

/**
 * Connected components of the subsets of one dp round, kept for the disconnected ones only,
 * and the component rule above as a merge test.
 */
export class SubsetComponents {
  /** Components per subset id (1: connected). */
  private count: Int32Array = new Int32Array(1024);
  /** Per disconnected subset: its components' leaf words, W per component. */
  private readonly masks = new Map<number, Int32Array>();
  private readonly touched: Int32Array;
  private readonly queue: Int32Array;
  private readonly seen: Uint8Array;

  /** `neighbours[l]`: local leaves sharing an index with leaf l. */
  constructor(
    private readonly k: number,
    private readonly w: number,
    private readonly neighbours: Int32Array[],
  ) {
    this.touched = new Int32Array(w);
    this.queue = new Int32Array(k);
    this.seen = new Uint8Array(k);
  }

  /** Components of subset `id`. */
  components(id: number): number {
    return this.count[id];
  }

  /**
   * Records subset `id` (leaf words at `words[id·W ..]`), built from `s1` and `s2`
   * (-1 for a leaf); `shared`: whether the two share an index.
   */
  record(id: number, words: Int32Array, s1: number, s2: number, shared: boolean): void {
    if (id >= this.count.length) {
      const grown = new Int32Array(Math.max(id + 1, this.count.length * 2));
      grown.set(this.count);
      this.count = grown;
    }
    // Two connected halves that share an index make a connected subset.
    if (s1 < 0 || (shared && this.count[s1] === 1 && this.count[s2] === 1)) {
      this.count[id] = 1;
      return;
    }
    const { k, w, queue, seen } = this;
    const base = id * w;
    const inSet = (l: number): boolean => (words[base + (l >>> 5)] & (1 << (l & 31))) !== 0;
    seen.fill(0);
    const comps: number[] = [];
    for (let start = 0; start < k; start++) {
      if (!inSet(start) || seen[start]) continue;
      let head = 0;
      let tail = 0;
      queue[tail++] = start;
      seen[start] = 1;
      while (head < tail) {
        const l = queue[head++];
        for (const x of this.neighbours[l]) {
          if (!seen[x] && inSet(x)) {
            seen[x] = 1;
            queue[tail++] = x;
          }
        }
      }
      comps.push(tail);
      for (let z = 0; z < tail; z++) comps.push(queue[z]);
    }
    let n = 0;
    for (let z = 0; z < comps.length; z += comps[z] + 1) n++;
    this.count[id] = n;
    if (n === 1) return;
    const masks = new Int32Array(n * w);
    for (let z = 0, c = 0; z < comps.length; z += comps[z] + 1, c++) {
      for (let t = 1; t <= comps[z]; t++) {
        const l = comps[z + t];
        masks[c * w + (l >>> 5)] |= 1 << (l & 31);
      }
    }
    this.masks.set(id, masks);
  }

  /**
   * Whether subset `x` has a component that shares no index with the presented indices `y`
   * (idx[from..to)) of its partner: a summing merge of the two is then in no optimal tree.
   * `carriers[q]` lists the local leaves carrying index q (-1 outside).
   */
  strands(x: number, idx: Int32Array, from: number, to: number, carriers: Int32Array[]): boolean {
    if (this.count[x] === 1) return false;
    const { w, touched } = this;
    touched.fill(0);
    for (let t = from; t < to; t++) {
      const ls = carriers[idx[t]];
      for (let z = 0; z < ls.length; z++) {
        const l = ls[z];
        if (l >= 0) touched[l >>> 5] |= 1 << (l & 31);
      }
    }
    const masks = this.masks.get(x)!;
    for (let c = 0; c * w < masks.length; c++) {
      let hit = 0;
      for (let t = 0; t < w; t++) hit |= masks[c * w + t] & touched[t];
      if (hit === 0) return true;
    }
    return false;
  }
}

// Plain components: every index has size ≥ 2 and either joins exactly two tensors of the
// component and is summed, or is an "open leg" (one tensor, in the output): MPS, PEPS,
// lattices, matrix chains, Tucker and tensor-train layers. There a merge of halves sharing
// an index sums it (f = 2; shared indices are never outputs), an outer product sums nothing
// (f = 1), open legs ride along to the end, and the rules below leave so few disconnected
// subsets that dp need not store any.
//
// A "cluster" is a maximal subtree of outer-product nodes; its "pieces" are the maximal
// subtrees below it whose top is not an outer product (leaves or index-sharing merges). A
// cluster's parent Q = (Z, W) is an index-sharing merge (the root of a connected component
// is no outer product). Its presented set z is the disjoint union of its pieces' sets.
//
// Rule (cover): in every optimal tree, every cluster Z with parent Q = (Z, W) has z ⊆ w.
// Proof: let (A, B) be Z's top split (a ∩ b = ∅). By the component rule W touches every
// component of Z, so W shares an index with A and with B. Write δ = |w \ (a ∪ b)|,
// α = |a ∩ w| ≥ 2, β = |b ∩ w| ≥ 2. The two steps cost |a||b| + 2|a||b|δ. Replace them by
// ((A, W), B): (A, W) has union a ∪ w of size |a|βδ and sums a ∩ w (each index has one
// carrier in A and one in W), leaving (a \ w) ⊔ (w \ a); with B the union is
// (a \ w) ∪ (w \ a) ∪ b of size |a||b|δ/α, and it sums b ∩ w. New − old =
// 2|a|βδ + 2|a||b|δ/α − |a||b| − 2|a||b|δ ≤ |a|(2βδ − |b| − |b|δ) (α ≥ 2). If b ⊄ w then
// |b| ≥ 2β and this is ≤ −2|a|β < 0: not optimal. So b ⊆ w, and a ⊆ w alike. (Open legs
// stay in the operands' sets throughout, so a piece with one is never inside a cluster.)
//
// Rule (root): some optimal tree has no root (Z1, Z2) with both halves clusters. By the
// cover rule z1 = z2 = u. With Z2 = (C, D), |c| ≥ |d|, the tree ((Z1, C), D) costs
// 2|u| + 2|d| for the last two steps instead of |c||d| + 2|u| (Z1 ∪ C sums c and keeps d),
// no more since |c| ≥ 2; that tree is optimal too, so it obeys every rule above, and its
// root is no such pair. (Only the root can be one: a merge of two clusters has result
// u \ u = ∅, and in a connected component only the whole component, without open legs, has
// an empty result.)
//
// Hence, by induction, a plain component has an optimal tree whose index-sharing nodes are
// all connected leaf sets, and whose clusters each sit under a merge Q = (Z, W) with W an
// index-sharing node (or leaf) and every piece's indices inside w. That merge costs 2|w|,
// leaves w minus the pieces' indices, and the cluster itself costs its cheapest outer-product
// tree over the pieces (clusterCost). A piece is connected, has no open leg, and all its
// neighbour leaves lie in W (each of its indices has its other carrier there), so it is a
// whole connected component of the leaves outside W. dp stores only connected subsets and forms those merges
// directly from W and the components outside it (see solveSubset).

/**
 * The cheapest outer-product tree over pieces of the given result sizes (a node costs the
 * product of its pieces' sizes): total cost, and per subset mask of pieces its best split
 * (one side's mask; 0 for single pieces). Exhaustive over splits; clusters have few pieces.
 */
export function clusterCost(sizes: readonly number[]): { cost: number; split: Int32Array; product: Float64Array } {
  const m = sizes.length;
  const full = (1 << m) - 1;
  const product = new Float64Array(full + 1);
  const best = new Float64Array(full + 1);
  const split = new Int32Array(full + 1);
  product[0] = 1;
  for (let mask = 1; mask <= full; mask++) {
    const low = mask & -mask;
    product[mask] = product[mask ^ low] * sizes[31 - Math.clz32(low)];
    if (mask === low) continue;
    let b = Infinity;
    // Splits with the lowest piece on the left side, each once.
    for (let sub = (mask - 1) & mask; sub > 0; sub = (sub - 1) & mask) {
      if ((sub & low) === 0) continue;
      const v = best[sub] + best[mask ^ sub];
      if (v < b) {
        b = v;
        split[mask] = sub;
      }
    }
    best[mask] = b + product[mask];
  }
  return { cost: best[full], split, product };
}
