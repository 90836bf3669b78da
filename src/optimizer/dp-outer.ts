// Which merges of disconnected subsets an optimal tree can contain: the rule that lets dp's
// capped search beyond ALL_PAIRS_MAX cover every tree (outer products included) without
// storing most of the disconnected subsets that outer products create.
//
// Setting: one connected component of the network, every index of it of size ≥ 2, the flops
// objective (opt_einsum convention: a step costs the product of the sizes of the union of
// its operands' indices, twice that when it sums an index away). A node's "presented" set is
// its result (for a leaf: all its indices). Cost of a node = f·|union of its children's
// presented sets|, f ∈ {1, 2}. A leaf set S's presented set depends on S only.
//
// Rule (components): let Q = (X, Y) be a node of an optimal tree that sums an index
// (f_Q = 2), and K a connected component of X's leaf set with X ≠ K (X disconnected). Then
// Y shares an index with K, unless K is a single leaf carrying an index no other tensor
// carries and the output lacks (a "private" index). Proof: suppose not. Let R = X \ K and
// T_K, T_R the restrictions of X's subtree to K and to R (drop the other leaves, splice out
// nodes left with one child). K and R carry disjoint index sets (K is a component of X), so
// each node N of X's subtree has union u = u_K ⊔ u_R, and the restricted node (when it
// exists) has union u_K (resp. u_R) with a factor ≤ f_N. Every nonempty proper subset of the
// connected component presents an index that crosses its boundary, of size ≥ 2, so both
// parts of a node that has both have |u_K|, |u_R| ≥ 2 and f|u_K||u_R| ≥ f|u_K| + f|u_R|;
// hence cost(T_K) + cost(T_R) ≤ cost(X's subtree). Replace X's subtree and Q by
// ((T_R, Y), T_K). Indices summed at Q are not presented by K (K's indices have carriers
// outside X and not in Y, so they outlive Q), hence all are summed at (R, Y): that step
// costs ≤ 2|u_Q|/|k| ≤ |u_Q| (|k| ≥ 2: K presents a crossing index), and the last step is an
// outer product with exactly Q's result, summing nothing (K presents no private index), so
// it costs |result(Q)| ≤ |u_Q|/2 (Q sums an index of size ≥ 2). Total ≤ the original minus
// |u_Q|/2: strictly cheaper, a contradiction. The rule depends only on the leaf sets of X
// and Y (and on whether Q sums, also a function of them), so a search that skips the merges
// breaking it stays exact: every optimal tree is made of merges it keeps, and under a cost
// cap every subtree of such a tree fits too.

/**
 * Connected components of the subsets of one dp round, kept for the disconnected ones only,
 * and the component rule above as a merge test.
 */
export class SubsetComponents {
  /** Components per subset id (1: connected). */
  private count: Int32Array = new Int32Array(1024);
  /** Per disconnected subset: its components' leaf words, W per component. */
  private readonly masks = new Map<number, Int32Array>();
  /** Per disconnected subset: 1 per component that the rule applies to (not a single leaf with a private index). */
  private readonly clean = new Map<number, Uint8Array>();
  private readonly touched: Int32Array;
  private readonly queue: Int32Array;
  private readonly seen: Uint8Array;

  /**
   * `neighbours[l]`: local leaves sharing an index with leaf l; `hasPrivate[l]`: 1 when leaf
   * l carries an index no other tensor carries and the output lacks.
   */
  constructor(
    private readonly k: number,
    private readonly w: number,
    private readonly neighbours: Int32Array[],
    private readonly hasPrivate: Uint8Array,
  ) {
    this.touched = new Int32Array(w);
    this.queue = new Int32Array(k);
    this.seen = new Uint8Array(k);
  }

  /** Components of subset `id`. */
  components(id: number): number {
    return this.count[id];
  }

  /** The component of disconnected subset `id` that holds leaf `l` (-1 when none does). */
  componentOf(id: number, l: number): number {
    const masks = this.masks.get(id)!;
    const { w } = this;
    for (let c = 0; c * w < masks.length; c++) if ((masks[c * w + (l >>> 5)] & (1 << (l & 31))) !== 0) return c;
    return -1;
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
    const clean = new Uint8Array(n);
    for (let z = 0, c = 0; z < comps.length; z += comps[z] + 1, c++) {
      const size = comps[z];
      for (let t = 1; t <= size; t++) {
        const l = comps[z + t];
        masks[c * w + (l >>> 5)] |= 1 << (l & 31);
      }
      clean[c] = size === 1 && this.hasPrivate[comps[z + 1]] ? 0 : 1;
    }
    this.masks.set(id, masks);
    this.clean.set(id, clean);
  }

  /**
   * Whether subset `x` has a component the rule applies to that shares no index with the
   * presented indices `y` (idx[from..to)) of its partner: a summing merge of the two is then
   * in no optimal tree. `carriers[q]` lists the local leaves carrying index q (-1 outside).
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
    const clean = this.clean.get(x)!;
    for (let c = 0; c < clean.length; c++) {
      if (!clean[c]) continue;
      let hit = 0;
      for (let t = 0; t < w; t++) hit |= masks[c * w + t] & touched[t];
      if (hit === 0) return true;
    }
    return false;
  }
}
