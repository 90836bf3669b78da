// Outside-in checks of the CPU execution path that an outside differential fuzzer (einsum,
// compile(), built modules, threads, SIMD128 vs FMA kernels, against numpy) exercised and
// the unit tests did not: caller arrays that are views at odd offsets of one shared buffer
// (inputs and the output buffer disjoint parts of it), one array passed for two inputs, a
// symbolic dim going small → big → small (the wasm memory grows mid-run) with two compiled
// modules and einsum interleaved, and results returned earlier staying intact afterwards.
// Sizes reach the wasm GEMM (work > 512), its wide f32 tile (≥ 96 rows), prepacked operands
// and edge strips.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compile, einsum } from '../src/index.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

const SIZES = [1, 2, 3, 5, 8, 9, 16, 17, 33, 40, 64, 96, 100];

interface GemmCase {
  sizes: Record<string, number>;
  a: string[];
  b: string[];
  out: string[];
  dtype: 'f32' | 'f64';
  big: number;
}

/** A batched product A[b?, m.., k..] B[b?, k.., n..] in random axis orders; `i` (in m) is symbolic. */
const arbCase: fc.Arbitrary<GemmCase> = fc
  .record({
    batch: fc.boolean(),
    m2: fc.boolean(),
    k2: fc.boolean(),
    n: fc.integer({ min: 0, max: 2 }),
    size: fc.array(fc.constantFrom(...SIZES), { minLength: 7, maxLength: 7 }),
    big: fc.constantFrom(64, 96, 97, 130),
    dtype: fc.constantFrom<'f32' | 'f64'>('f32', 'f64'),
    seed: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  })
  .map(({ batch, m2, k2, n, size, big, dtype, seed }) => {
    const m = m2 ? ['i', 'j'] : ['i'];
    const k = k2 ? ['k', 'l'] : ['k'];
    const ns = ['p', 'q'].slice(0, n);
    const bs = batch ? ['b'] : [];
    const sizes: Record<string, number> = { i: big, j: size[1], k: size[2], l: size[3], p: size[4], q: size[5], b: Math.min(size[6], 3) };
    const shuffle = (xs: string[], s: number): string[] => xs.map((x, t) => [x, (s * 7919 + t * 104729) % 1009] as const).sort((u, v) => u[1] - v[1]).map((u) => u[0]);
    return { sizes, a: shuffle([...bs, ...m, ...k], seed[0]), b: shuffle([...bs, ...k, ...ns], seed[1]), out: shuffle([...bs, ...m, ...ns], seed[2]), dtype, big };
  })
  .filter((c) => [...new Set([...c.a, ...c.b])].reduce((p, ix) => p * c.sizes[ix], 1) <= 150_000);

function sourceOf(c: GemmCase, scale: number): string {
  const dims = Object.entries(c.sizes).map(([ix, s]) => (ix === 'i' ? `dim i ~ ${s}` : `dim ${ix} = ${s}`));
  return [
    ...dims,
    `param A[${c.a}], A2[${c.a}], B[${c.b}]`,
    `out Y[${c.out}] = A[${c.a}] B[${c.b}]`,
    `out Z[${c.out}] = ${scale} * A[${c.a}] B[${c.b}] + A2[${c.a}] B[${c.b}]`,
  ].join('\n');
}

function valuesFor(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, t) => Math.fround(Math.sin(t * 12.9898 + salt) * 0.9));
}

describe('CPU runtime from outside: views, aliasing, growth, interleaving', () => {
  test('inputs and output as disjoint views of one buffer, one array for two inputs, dims small → big → small, two modules and einsum interleaved', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const Arr = c.dtype === 'f32' ? Float32Array : Float64Array;
        const tol = c.dtype === 'f32' ? 1e-3 : 1e-9;
        const m1 = compile(sourceOf(c, 0.5), { dtype: c.dtype });
        const m2 = compile(sourceOf(c, -2), { dtype: c.dtype });
        const kept: { result: Float32Array | Float64Array; copy: Float32Array | Float64Array }[] = [];
        for (const i of [2, c.big, 1, c.big + 3]) {
          const sizes: Record<string, number> = { ...c.sizes, i };
          const len = (ixs: string[]): number => ixs.reduce((p, ix) => p * sizes[ix], 1);
          const [na, nb, no] = [len(c.a), len(c.b), len(c.out)];
          // One buffer: [pad][A][pad][B][pad][out][pad], the pads filled with a sentinel.
          const pool = new Arr(na + nb + no + 10).fill(-7.25);
          const A = pool.subarray(1, 1 + na);
          const B = pool.subarray(na + 4, na + 4 + nb);
          const out = pool.subarray(na + nb + 7, na + nb + 7 + no);
          A.set(valuesFor(na, i));
          B.set(valuesFor(nb, i + 0.5));
          const before = pool.slice();
          const ab = referenceEinsum([c.a, c.b], c.out, [{ shape: c.a.map((ix) => sizes[ix]), data: A }, { shape: c.b.map((ix) => sizes[ix]), data: B }], sizes);
          const inputs = { A, A2: A, B };
          const y = (m1.Y as (x: object, d: object, o?: unknown) => Float32Array | Float64Array)(inputs, { i }, out);
          const z2 = (m2.Z as (x: object, d: object) => Float32Array | Float64Array)(inputs, { i });
          const e = einsum(`${c.a.join('')},${c.b.join('')}->${c.out.join('')}`, { shape: c.a.map((ix) => sizes[ix]), data: A }, { shape: c.b.map((ix) => sizes[ix]), data: B });
          const z1 = (m1.Z as (x: object, d: object) => Float32Array | Float64Array)(inputs, { i });
          expect(y).toBe(out);
          expect(maxRelError(y, ab)).toBeLessThan(tol);
          expect(maxRelError(e.data, ab)).toBeLessThan(tol);
          expect(maxRelError(z1, ab.map((v) => 1.5 * v))).toBeLessThan(tol);
          expect(maxRelError(z2, ab.map((v) => -v))).toBeLessThan(tol);
          // Only the output part of the pool changed: inputs and the pads are untouched.
          pool.forEach((v, t) => {
            if (t < na + nb + 7 || t >= na + nb + 7 + no) expect(v).toBe(before[t]);
          });
          for (const r of [z1, z2, e.data]) kept.push({ result: r, copy: r.slice() });
        }
        for (const k of kept) expect(k.result).toEqual(k.copy);
      }),
      { numRuns: Math.min(fc.readConfigureGlobal().numRuns ?? 100, 15) },
    );
  }, 120_000);
});
