import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { einsum, EINSUM_CACHE_SIZE, withoutUnitSums } from '../src/api/einsum.js';
import { einsumNetwork } from '../src/ir/einsum.js';
import { TncError } from '../src/diagnostics.js';
import { arbEinsum, equationOf, randomData, shapesOf } from './helpers/arbitraries.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

const arb = arbEinsum({ maxOperands: 8, maxIndicesPerOperand: 6, maxSize: 5 });

function operandsFor(shapes: number[][], seed: number, ctor: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array) {
  return shapes.map((shape, t) => ({ shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + t, ctor) }));
}

describe('einsum', () => {
  test('random equations match the reference (f64)', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (e, seed) => {
        const ops = operandsFor(shapesOf(e), seed);
        const got = einsum(equationOf(e), ...ops);
        expect(got.shape).toEqual(e.output.map((ix) => e.sizes[ix]));
        expect(got.data).toBeInstanceOf(Float64Array);
        expect(maxRelError(got.data, referenceEinsum(e.inputs, e.output, ops, e.sizes))).toBeLessThan(1e-10);
      }),
    );
  });

  test('f32 operands give an f32 result close to the reference; mixed dtypes give f64', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (e, seed) => {
        const ops = operandsFor(shapesOf(e), seed, Float32Array);
        const got = einsum(equationOf(e), ...ops);
        expect(got.data).toBeInstanceOf(Float32Array);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        const absOps = ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) }));
        const scale = referenceEinsum(e.inputs, e.output, absOps, e.sizes);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.data[i] - want[i])).toBeLessThanOrEqual(1e-4 * (1 + scale[i]));
        if (ops.length > 1) {
          const mixed = ops.map((o, t) => (t === 0 ? { shape: o.shape, data: Float64Array.from(o.data) } : o));
          const m = einsum(equationOf(e), ...mixed);
          expect(m.data).toBeInstanceOf(Float64Array);
          expect(maxRelError(m.data, want)).toBeLessThan(1e-10);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('hand cases: matrix product, trace, diagonal, outer product, implicit output, scalar', () => {
    const A = { shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) };
    const B = { shape: [2, 2], data: new Float64Array([5, 6, 7, 8]) };
    expect(Array.from(einsum('ab,bc->ac', A, B).data)).toEqual([19, 22, 43, 50]);
    expect(Array.from(einsum('aa->', A).data)).toEqual([5]);
    expect(einsum('aa->', A).shape).toEqual([]);
    expect(Array.from(einsum('aa->a', A).data)).toEqual([1, 4]);
    expect(Array.from(einsum('a,b->ab', { shape: [2], data: new Float64Array([1, 2]) }, { shape: [2], data: new Float64Array([3, 4]) }).data)).toEqual([
      3, 4, 6, 8,
    ]);
    // Implicit output: 'ba,cb' keeps a and c in code-point order.
    expect(Array.from(einsum('ba,cb', A, B).data)).toEqual(Array.from(einsum('ba,cb->ac', A, B).data));
    expect(Array.from(einsum('ab,ab->', A, B).data)).toEqual([70]);
  });

  test('the path cache keeps results right when it overflows and when shapes change', () => {
    const v = (n: number) => ({ shape: [n], data: randomData(n, n) });
    const first = einsum('i,i->', v(3), v(3)).data[0];
    for (let n = 1; n <= EINSUM_CACHE_SIZE + 5; n++) einsum('i,i->', v(n), v(n));
    expect(einsum('i,i->', v(3), v(3)).data[0]).toBe(first);
    expect(einsum('i,i->', v(4), v(4)).data[0]).not.toBe(first);
  });

  test('repeated calls (the fast path without a cache key) stay right across shapes, dtypes and bad operands', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (e, seed) => {
        const eq = equationOf(e);
        const ops = operandsFor(shapesOf(e), seed);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        const first = einsum(eq, ...ops);
        // Same equation, same shapes: the plan found by comparing shapes.
        expect(Array.from(einsum(eq, ...ops).data)).toEqual(Array.from(first.data));
        expect(maxRelError(first.data, want)).toBeLessThan(1e-10);
        // f32 data of the same shapes: an f32 result.
        expect(einsum(eq, ...ops.map((o) => ({ shape: o.shape, data: Float32Array.from(o.data) }))).data).toBeInstanceOf(Float32Array);
        if (ops.length > 0) {
          // A wrong length or a lost operand after a good call still gets the precise error.
          const short = ops.map((o, t) => (t === 0 ? { shape: o.shape, data: new Float64Array(o.data.length + 1) } : o));
          expect(() => einsum(eq, ...short)).toThrow(/operand 0 has \d+ elements but its shape/);
          expect(() => einsum(eq, ...ops.slice(1))).toThrow(TncError);
          expect(() => einsum(eq, ...ops.map((o, t) => (t === 0 ? { shape: o.shape, data: Array.from(o.data) as unknown as Float64Array } : o)))).toThrow(/operand 0 must be/);
        }
        expect(Array.from(einsum(eq, ...ops).data)).toEqual(Array.from(first.data));
      }),
      { numRuns: 40 },
    );
    // One equation, shapes alternating between calls.
    const v = (n: number, seed: number) => ({ shape: [n, 2], data: randomData(2 * n, seed) });
    for (let i = 0; i < 6; i++) {
      const n = 1 + (i % 3);
      const a = v(n, i), b = v(n, i + 10);
      expect(Array.from(einsum('ij,ij->j', a, b).data)).toEqual(Array.from(referenceEinsum([['i', 'j'], ['i', 'j']], ['j'], [a, b], { i: n, j: 2 })));
    }
  });

  test('summed indices of size 1 leave the network before planning (no copy step), values unchanged', () => {
    // An MPS norm with boundary bonds of size 1 (a, e) on both layers.
    const shapes = [[1, 2, 3], [3, 2, 1], [1, 2, 3], [3, 2, 1]];
    const net = einsumNetwork('apb,bqe,cpd,dqf->', shapes).value!;
    const lean = withoutUnitSums(net);
    expect(lean.tensors.map((t) => t.indices)).toEqual([['p', 'b'], ['b', 'q'], ['p', 'd'], ['d', 'q']]);
    expect(lean.sizes.a).toBeUndefined();
    // Kept (output) indices of size 1 stay.
    expect(withoutUnitSums(einsumNetwork('ab,bc->ac', [[1, 2], [2, 1]]).value!).tensors.map((t) => t.indices)).toEqual([['a', 'b'], ['b', 'c']]);
    const ops = operandsFor(shapes, 7);
    const got = einsum('apb,bqe,cpd,dqf->', ...ops);
    expect(maxRelError(got.data, referenceEinsum([['a', 'p', 'b'], ['b', 'q', 'e'], ['c', 'p', 'd'], ['d', 'q', 'f']], [], ops, { a: 1, p: 2, b: 3, q: 2, e: 1, c: 1, d: 3, f: 1 }))).toBeLessThan(1e-12);
    // Size-1 diagonals and hyperedges.
    const x = operandsFor([[1, 1, 3], [1, 3], [3, 1]], 3);
    expect(maxRelError(einsum('aab,ab,ba->b', ...x).data, referenceEinsum([['a', 'a', 'b'], ['a', 'b'], ['b', 'a']], ['b'], x, { a: 1, b: 3 }))).toBeLessThan(1e-12);
  });

  test('errors are TncErrors with a caret under the offending term', () => {
    const A = { shape: [2, 3], data: new Float64Array(6) };
    const bad = { shape: [3, 4], data: new Float64Array(5) };
    let caught: unknown;
    try {
      einsum('ab,bc->ac', A, bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TncError);
    const msg = (caught as TncError).message;
    expect(msg).toContain('operand 1 has 5 elements but its shape [3, 4] needs 12');
    expect(msg).toContain('einsum:1:4');
    expect(msg).toContain('   ^^');
    expect(() => einsum('ab,bc->ac', A, { shape: [4, 4], data: new Float64Array(16) })).toThrow(/index 'b' has size 4/);
    expect(() => einsum('ab,bc->ac', A)).toThrow(TncError);
    expect(() => einsum('ab->ax', A)).toThrow(/output index 'x'/);
    expect(() => einsum('ab->a', { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] as unknown as Float64Array })).toThrow(/operand 0 must be/);
    const big = { shape: [70000], data: new Float64Array(70000) };
    expect(() => einsum('a,b,c->abc', big, big, big)).toThrow(/limit\/too-large/);
  });
});
