import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { assignIntervals, type SlotRequest } from '../src/backends/slot-assign.js';

/** The plain rule, slot by slot: best fit among slots free before the start, ties lowest. */
function naive(requests: readonly SlotRequest[]): { slots: number[]; sizes: number[] } {
  const freeAfter: number[] = [];
  const sizes: number[] = [];
  const slots = requests.map((r) => {
    let slot = -1;
    for (let s = 0; s < freeAfter.length; s++) {
      if (freeAfter[s] >= r.start) continue;
      if (slot < 0) slot = s;
      else {
        const fits = sizes[s] >= r.need;
        const bestFits = sizes[slot] >= r.need;
        if (fits ? !bestFits || sizes[s] < sizes[slot] : !bestFits && sizes[s] > sizes[slot]) slot = s;
      }
    }
    if (slot < 0) {
      slot = freeAfter.length;
      sizes.push(0);
    }
    freeAfter[slot] = r.end;
    sizes[slot] = Math.max(sizes[slot], r.need);
    return slot;
  });
  return { slots, sizes };
}

const requests = fc
  .array(fc.record({ start: fc.nat(60), length: fc.nat(12), need: fc.constantFrom(1, 2, 3, 4, 8, 16, 100) }), { maxLength: 60 })
  .map((rs) => rs.map((r) => ({ start: r.start, end: r.start + r.length, need: r.need })).sort((a, b) => a.start - b.start));

describe('slot assignment', () => {
  test('same slots and sizes as the plain best-fit scan on random intervals', () => {
    fc.assert(
      fc.property(requests, (rs) => {
        expect(assignIntervals(rs)).toEqual(naive(rs));
      }),
    );
  });

  test('no two temps whose intervals overlap share a slot', () => {
    fc.assert(
      fc.property(requests, (rs) => {
        const { slots, sizes } = assignIntervals(rs);
        for (let i = 0; i < rs.length; i++) {
          expect(sizes[slots[i]]).toBeGreaterThanOrEqual(rs[i].need);
          for (let j = 0; j < i; j++) {
            if (slots[i] === slots[j]) expect(rs[j].end < rs[i].start || rs[i].end < rs[j].start).toBe(true);
          }
        }
      }),
    );
  });

  test('100k chained temps place in well under a second (the scan was quadratic)', () => {
    // A balanced pairwise chain: half the temps stay live at once.
    const n = 100_000;
    const rs = Array.from({ length: n }, (_, i) => ({ start: i, end: i < n / 2 ? n / 2 + 2 * i : i + 1, need: 64 }));
    const t0 = performance.now();
    const { sizes } = assignIntervals(rs);
    expect(sizes.length).toBeLessThanOrEqual(n / 2 + 1);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
