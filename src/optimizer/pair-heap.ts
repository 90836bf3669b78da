// A binary min-heap of candidate pairs keyed by two floats, in typed arrays so that greedy
// searches over tens of thousands of tensors allocate little. Ties are broken by the pair's
// ids, so the pop order (and hence every greedy tree) is deterministic.

/** Min-heap of `(key1, key2, a, b)` entries, ordered lexicographically. */
export class PairHeap {
  private k1 = new Float64Array(64);
  private k2 = new Float64Array(64);
  private as = new Int32Array(64);
  private bs = new Int32Array(64);
  private n = 0;

  get length(): number {
    return this.n;
  }

  private less(i: number, j: number): boolean {
    const { k1, k2, as, bs } = this;
    if (k1[i] !== k1[j]) return k1[i] < k1[j];
    if (k2[i] !== k2[j]) return k2[i] < k2[j];
    if (as[i] !== as[j]) return as[i] < as[j];
    return bs[i] < bs[j];
  }

  private swap(i: number, j: number): void {
    const { k1, k2, as, bs } = this;
    let t = k1[i];
    k1[i] = k1[j];
    k1[j] = t;
    t = k2[i];
    k2[i] = k2[j];
    k2[j] = t;
    let u = as[i];
    as[i] = as[j];
    as[j] = u;
    u = bs[i];
    bs[i] = bs[j];
    bs[j] = u;
  }

  private grow(): void {
    const cap = this.k1.length * 2;
    const k1 = new Float64Array(cap);
    k1.set(this.k1);
    const k2 = new Float64Array(cap);
    k2.set(this.k2);
    const as = new Int32Array(cap);
    as.set(this.as);
    const bs = new Int32Array(cap);
    bs.set(this.bs);
    this.k1 = k1;
    this.k2 = k2;
    this.as = as;
    this.bs = bs;
  }

  /** Adds a pair; `a < b` is expected so that ties order by the smaller id first. */
  push(key1: number, key2: number, a: number, b: number): void {
    if (this.n === this.k1.length) this.grow();
    let i = this.n++;
    this.k1[i] = key1;
    this.k2[i] = key2;
    this.as[i] = a;
    this.bs[i] = b;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the smallest entry and returns it. */
  pop(): { key1: number; key2: number; a: number; b: number } | undefined {
    if (this.n === 0) return undefined;
    const top = { key1: this.k1[0], key2: this.k2[0], a: this.as[0], b: this.bs[0] };
    const last = --this.n;
    if (last > 0) {
      this.swap(0, last);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < last && this.less(l, m)) m = l;
        if (r < last && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
