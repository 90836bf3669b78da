// Slot assignment for a plan's temps: intervals of use, in order of first write, each given a
// slot whose previous holder was last used strictly before the interval starts. Among free
// slots the best fit wins (the smallest that holds the temp, else the largest), ties to the
// lowest slot, so the arena stays small and the result is deterministic.
//
// Free slots are kept by size (a sorted list of distinct sizes, each with a min-heap of slot
// numbers) and busy ones in a min-heap by release position: O(log) per temp where the plain
// scan over all slots per temp was quadratic (a 100k-tensor chain spent seconds there).

/** One temp to place: its first and last event positions and its size at planning sizes. */
export interface SlotRequest {
  start: number;
  end: number;
  need: number;
}

/** A binary min-heap of numbers ordered by `less`. */
class Heap {
  private readonly items: number[] = [];
  constructor(private readonly less: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0];
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Slots for `requests` taken in the given order (callers sort by start, then id): returns
 * each request's slot and the slot sizes (the maximum need each slot held).
 */
export function assignIntervals(requests: readonly SlotRequest[]): { slots: number[]; sizes: number[] } {
  const freeAfter: number[] = [];
  const sizes: number[] = [];
  const busy = new Heap((a, b) => freeAfter[a] < freeAfter[b] || (freeAfter[a] === freeAfter[b] && a < b));
  const distinct: number[] = []; // sizes of free slots, ascending
  const bySize = new Map<number, Heap>();
  const release = (s: number): void => {
    let h = bySize.get(sizes[s]);
    if (h === undefined) {
      h = new Heap((a, b) => a < b);
      bySize.set(sizes[s], h);
      distinct.splice(lowerBound(distinct, sizes[s]), 0, sizes[s]);
    }
    h.push(s);
  };
  const take = (size: number): number => {
    const h = bySize.get(size)!;
    const s = h.pop();
    if (h.size === 0) {
      bySize.delete(size);
      distinct.splice(lowerBound(distinct, size), 1);
    }
    return s;
  };
  const slots = requests.map((r) => {
    while (busy.size > 0 && freeAfter[busy.top()] < r.start) release(busy.pop());
    let slot: number;
    if (distinct.length === 0) {
      slot = sizes.length;
      sizes.push(0);
      freeAfter.push(0);
    } else {
      const i = lowerBound(distinct, r.need);
      slot = take(i < distinct.length ? distinct[i] : distinct[distinct.length - 1]);
    }
    freeAfter[slot] = r.end;
    sizes[slot] = Math.max(sizes[slot], r.need);
    busy.push(slot);
    return slot;
  });
  return { slots, sizes };
}

/** First position in ascending `a` whose value is ≥ x. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
