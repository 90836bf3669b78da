import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render, SourceFile } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import type { Family } from '../src/ir/families/types.js';
import { buildGraph, components, indexKey } from '../src/ir/graph.js';
import type { Program, Statement, TensorNetwork } from '../src/ir/network.js';
import { randomData } from './helpers/arbitraries.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

/** A test-local family: `pair(legs: [a, b], rank: r)` = X[a, r] Y[r, b]. Not registered globally. */
const pair: Family = {
  name: 'pair',
  signature: 'pair(legs, rank)',
  expand(call, ctx) {
    const legs = call.args.find((a) => a.name === 'legs')!.value;
    const rank = call.args.find((a) => a.name === 'rank')!.value;
    if (legs.kind !== 'list' || rank.kind !== 'number') return undefined;
    const names = legs.items.map((x) => (x.kind === 'name' ? x.name : ''));
    const r = ctx.freshDim(`${call.tensorName}.r`, rank.value);
    return { legs: names, factors: [{ suffix: 'X', dims: [names[0], r] }, { suffix: 'Y', dims: [r, names[1]] }] };
  },
};
const fakeFamilies = { getFamily: (n: string) => (n === 'pair' ? pair : undefined), familyNames: ['pair'] };

function program(text: string, options = {}): Program {
  const file = SourceFile.from('t.tn', text);
  const r = analyze(file, options);
  expect(r.diagnostics, render(file, r.diagnostics)).toEqual([]);
  return r.value!;
}

function statement(p: Program, name: string): Statement {
  return p.statements.find((s) => s.name === name)!;
}

/** Random data for every factor of a program, keyed by factor name. */
function factorData(p: Program, seed: number): Record<string, Float64Array> {
  const size = new Map(p.dims.map((d) => [d.name, d.size.kind === 'fixed' ? d.size.size : d.size.hint ?? 16]));
  const out: Record<string, Float64Array> = {};
  p.factors.forEach((f, k) => {
    const n = f.dims.reduce((a, d) => a * size.get(d)!, 1);
    out[f.name] = randomData(n, seed * 101 + k) as Float64Array;
  });
  return out;
}

/** Σ coefficient · network, each network evaluated by the reference einsum. */
function evaluate(s: Statement, data: Record<string, Float64Array>): Float64Array {
  let acc: Float64Array | undefined;
  for (const t of s.terms) {
    const net = t.network;
    const operands = net.tensors.map((x) => ({ shape: x.indices.map((ix) => net.sizes[ix]), data: data[x.name] }));
    const v = referenceEinsum(
      net.tensors.map((x) => x.indices),
      net.output,
      operands,
      net.sizes,
    );
    if (!acc) acc = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) acc[i] += t.coefficient * v[i];
  }
  return acc!;
}

/** Plain dense helpers for direct computations. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let l = 0; l < k; l++) c[i * m + j] += a[i * k + l] * b[l * m + j];
  return c;
}

describe('expand: networks', () => {
  it('an MPS written with prod(...) and written out by hand expand to the same network', () => {
    const decl = 'const N = 4\ndim p{n in 1..N} = 2\ndim m{1} = 1, m{n in 2..N} = 3, m{N+1} = 1\nparam A{n in 1..N}[m{n}, p{n}, m{n+1}]\n';
    const byProd = program(`${decl}out psi[p{1}, p{2}, p{3}, p{4}] = prod(n in 1..N) A{n}[m{n}, p{n}, m{n+1}]\n`);
    const byHand = program(
      `${decl}out psi[p{1}, p{2}, p{3}, p{4}] = A{1}[m{1}, p{1}, m{2}] A{2}[m{2}, p{2}, m{3}] A{3}[m{3}, p{3}, m{4}] A{4}[m{4}, p{4}, m{5}]\n`,
    );
    expect(byProd.statements).toEqual(byHand.statements.map((s) => ({ ...s, span: byProd.statements[0].span })));
    const net = byProd.statements[0].terms[0].network;
    expect(net.tensors.map((t) => t.name)).toEqual(['A{1}', 'A{2}', 'A{3}', 'A{4}']);
    expect(net.sizes['m{2}']).toBe(3);
    expect(byProd.factors.map((f) => [f.name, f.dims])).toEqual([
      ['A{1}', ['m{1}', 'p{1}', 'm{2}']],
      ['A{2}', ['m{2}', 'p{2}', 'm{3}']],
      ['A{3}', ['m{3}', 'p{3}', 'm{4}']],
      ['A{4}', ['m{4}', 'p{4}', 'm{5}']],
    ]);
  });

  it('sum(...) over a range expands like the written-out linear combination', () => {
    const decl = 'const K = 3\ndim i = 2, j = 3\nparam A{k in 1..K}[i, j], x[j]\n';
    const bySum = program(`${decl}out y[i] = 0.5 * sum(k in 1..K) A{k}[i, j] x[j] - x[j] A{1}[i, j]\n`);
    const byHand = program(`${decl}out y[i] = 0.5 * (A{1}[i, j] x[j] + A{2}[i, j] x[j] + A{3}[i, j] x[j]) - x[j] A{1}[i, j]\n`);
    expect(bySum.statements.map((s) => s.terms)).toEqual(byHand.statements.map((s) => s.terms));
    expect(bySum.statements[0].terms.map((t) => t.coefficient)).toEqual([0.5, 0.5, 0.5, -1]);
    // A site-dependent choice with integer arithmetic: O{1} at site s, O{0} elsewhere.
    const local = program(
      'const N = 3\ndim p{n in 1..N} = 2\nparam O{k in 0..1}[p{1}], v{n in 1..N}[p{n}]\n' +
        'out E[] = sum(s in 1..N) prod(n in 1..N) (v{n}[p{n}] O{1/(1+(n-s)*(n-s))}[p{n}])\n',
    );
    const E = statement(local, 'E');
    expect(E.terms.map((t) => t.network.tensors.filter((x) => x.name.startsWith('O')).map((x) => x.name))).toEqual([
      ['O{1}', 'O{0}', 'O{0}'],
      ['O{0}', 'O{1}', 'O{0}'],
      ['O{0}', 'O{0}', 'O{1}'],
    ]);
    const data = factorData(local, 9);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => a[0] * b[0] + a[1] * b[1];
    const d = [1, 2, 3].map((n) => [dot(data[`v{${n}}`], data['O{0}']), dot(data[`v{${n}}`], data['O{1}'])]);
    const want = d[0][1] * d[1][0] * d[2][0] + d[0][0] * d[1][1] * d[2][0] + d[0][0] * d[1][0] * d[2][1];
    expect(evaluate(E, data)[0]).toBeCloseTo(want, 12);
  });

  it('a 2x3 lattice with two-dimensional indexed names', () => {
    const p = program(
      [
        'const R = 2',
        'const C = 3',
        '# open boundaries: the dims outside the lattice have size 1',
        'dim h{r in 1..R, c in 1..C-1} = 2, h{r in 1..R, c in 0..0} = 1, h{r in 1..R, c in C..C} = 1',
        'dim v{r in 1..R-1, c in 1..C} = 2, v{r in 0..0, c in 1..C} = 1, v{r in R..R, c in 1..C} = 1',
        'param S{r in 1..R, c in 1..C}[h{r, c-1}, h{r, c}, v{r-1, c}, v{r, c}]',
        'out Z[] = prod(r in 1..R, c in 1..C) S{r, c}[h{r, c-1}, h{r, c}, v{r-1, c}, v{r, c}]',
      ].join('\n'),
    );
    const net = p.statements[0].terms[0].network;
    expect(net.tensors).toHaveLength(6);
    expect(net.tensors[4]).toEqual({ name: 'S{2,2}', indices: ['h{2,1}', 'h{2,2}', 'v{1,2}', 'v{2,2}'] });
  });

  it('traces, diagonals, hyperedges, scalars and outer products keep einsum semantics', () => {
    const p = program(
      'dim i = 3, j = 2, r = 2\nparam A[i, i], B[i, j], u[r], v[r], w[r]\nout d[i] = A[i, i]\nout t[] = A[i, i]\nout h[] = u[r] v[r] w[r]\nout o[i, j, r] = A[i, i] B[i, j] u[r]\n',
    );
    const data = factorData(p, 1);
    const A = data.A;
    const d = evaluate(statement(p, 'd'), data);
    expect([...d]).toEqual([A[0], A[4], A[8]]);
    expect(evaluate(statement(p, 't'), data)[0]).toBeCloseTo(A[0] + A[4] + A[8], 12);
    let h = 0;
    for (let r = 0; r < 2; r++) h += data.u[r] * data.v[r] * data.w[r];
    expect(evaluate(statement(p, 'h'), data)[0]).toBeCloseTo(h, 12);
    const o = evaluate(statement(p, 'o'), data);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let r = 0; r < 2; r++) expect(o[(i * 2 + j) * 2 + r]).toBeCloseTo(A[i * 4] * data.B[i * 2 + j] * data.u[r], 12);
  });

  it('an intermediate is inlined with fresh summed indices per use, and matches computing it first', () => {
    const p = program(
      'dim i = 3, j = 4, k = 2\nparam A[i, j], B[j, i], C[i, k]\nlet T[i, k] = A[i, j] C[i, k]\nout U[j, k] = B[j, i] T[i, k] + 2 * T[i, k] B[j, i]\n',
    );
    const T = statement(p, 'T');
    expect(T.kind).toBe('let');
    const U = statement(p, 'U');
    expect(U.terms.map((t) => t.coefficient)).toEqual([1, 2]);
    // T's summed j becomes a fresh index pointing at dim j in each use.
    const fresh = U.terms[0].network.tensors[1].indices;
    expect(fresh[1]).toMatch(/^j#\d+$/);
    expect(U.terms[0].network.indexDims![fresh[1]]).toBe('j');
    expect(U.terms[0].network.sizes[fresh[1]]).toBe(4);
    expect(U.terms[1].network.tensors[0].indices[1]).not.toBe(fresh[1]);
    const data = factorData(p, 2);
    // Direct: T = rowsum_j(A) ⊙ C, then U = 3 · B T.
    const t = new Float64Array(6);
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) for (let j = 0; j < 4; j++) t[i * 2 + k] += data.A[i * 4 + j] * data.C[i * 2 + k];
    const want = matmul(data.B, t, 4, 3, 2).map((x) => 3 * x);
    expect(maxRelError(evaluate(U, data), want)).toBeLessThan(1e-12);
  });

  it('a factorization machine pairwise term as a linear combination', () => {
    const p = program(
      'dim b = 2, i = 3, j = 3, f = 2\ninput x[b, i]\nparam V[i, f]\nout y[b] = 0.5 * (x[b, i] V[i, f] V[j, f] x[b, j] - x[b, i] x[b, i] V[i, f] V[i, f])\n',
    );
    const y = statement(p, 'y');
    expect(y.terms.map((t) => t.coefficient)).toEqual([0.5, -0.5]);
    const { x, V } = factorData(p, 3);
    for (let b = 0; b < 2; b++) {
      let want = 0;
      for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (let f = 0; f < 2; f++) want += V[i * 2 + f] * V[j * 2 + f] * x[b * 3 + i] * x[b * 3 + j];
      expect(evaluate(y, { x, V })[b]).toBeCloseTo(want, 12);
    }
  });

  it('a residual form A x + x', () => {
    const p = program('dim i = 3, j = 3\nparam A[i, j], x[j]\nout y[i] = A[i, j] x[j] + x[i]\n');
    const { A, x } = factorData(p, 4);
    const want = matmul(A, x, 3, 3, 1).map((v, i) => v + x[i]);
    expect(maxRelError(evaluate(statement(p, 'y'), { A, x }), want)).toBeLessThan(1e-12);
  });

  it('a family tensor is inlined with legs renamed positionally and bonds fresh per use', () => {
    const p = program('dim a = 2, b = 2\nparam W = pair(legs: [a, b], rank: 3)\nout Y[a] = W[a, b] W[b, a]\nout D[a, b] = W[a, b]\n', fakeFamilies);
    expect(p.factors.map((f) => [f.name, f.dims, f.of, f.family])).toEqual([
      ['W_X', ['a', 'W.r'], 'W', 'pair'],
      ['W_Y', ['W.r', 'b'], 'W', 'pair'],
    ]);
    expect(p.dims.map((d) => d.name)).toEqual(['a', 'b', 'W.r']);
    expect(p.factorized[0]).toMatchObject({ name: 'W', family: 'pair', legs: ['a', 'b'], factors: ['W_X', 'W_Y'] });
    const y = statement(p, 'Y').terms[0].network;
    expect(y.tensors.map((t) => t.name)).toEqual(['W_X', 'W_Y', 'W_X', 'W_Y']);
    const [r1, r2] = [y.tensors[0].indices[1], y.tensors[2].indices[1]];
    expect(r1).not.toBe(r2);
    expect([y.indexDims![r1], y.indexDims![r2], y.sizes[r1]]).toEqual(['W.r', 'W.r', 3]);
    const data = factorData(p, 5);
    const W = matmul(data.W_X, data.W_Y, 2, 3, 2);
    expect(maxRelError(evaluate(statement(p, 'D'), data), W)).toBeLessThan(1e-12);
    // Y[a] = Σ_b W[a, b] W[b, a]
    const want = [0, 1].map((a) => W[a * 2] * W[a] + W[a * 2 + 1] * W[2 + a]);
    expect(maxRelError(evaluate(statement(p, 'Y'), data), want)).toBeLessThan(1e-12);
  });

  it('per-use copies never collide with dims a family made under a repeated base name', () => {
    // A family asking twice for the base `W.r` gets `W.r` and `W.r~2`.
    const twice: Family = {
      name: 'twice',
      signature: 'twice(a, b)',
      expand(call, ctx) {
        const [a, b] = call.args.map((x) => (x.value.kind === 'name' ? x.value.name : ''));
        const r1 = ctx.freshDim(`${call.tensorName}.r`, 2);
        const r2 = ctx.freshDim(`${call.tensorName}.r`, 3);
        return { legs: [a, b], factors: [{ suffix: 'X', dims: [a, r1, r2] }, { suffix: 'Y', dims: [r1, r2, b] }] };
      },
    };
    const p = program('dim a = 2, b = 2\nparam W = twice(a, b)\nout Y[a, b] = W[a, b]\nout Z[a] = W[a, b] W[b, a]\n', {
      getFamily: (n: string) => (n === 'twice' ? twice : undefined),
    });
    expect(p.dims.map((d) => d.name)).toEqual(['a', 'b', 'W.r', 'W.r~2']);
    const dimSize = new Map(p.dims.map((d) => [d.name, d.size.kind === 'fixed' ? d.size.size : -1]));
    for (const s of p.statements) {
      for (const t of s.terms) {
        const indices = new Set(t.network.tensors.flatMap((x) => x.indices));
        for (const ix of indices) expect(t.network.sizes[ix]).toBe(dimSize.get(t.network.indexDims![ix]));
        // 2 legs + 2 bonds per use of W.
        expect(indices.size).toBe(s.name === 'Y' ? 4 : 2 + 4);
      }
    }
  });

  it('symbolic dims: planning sizes are the hint or the default, listed in symbolic', () => {
    const p = program('dim b ~ 8, c, i = 2\ninput x[b, c, i]\nout y[b, c] = x[b, c, i]\n');
    const net = p.statements[0].terms[0].network;
    expect(net.sizes).toEqual({ b: 8, c: 16, i: 2 });
    expect(net.symbolic).toEqual(['b', 'c']);
    expect(net.indexDims).toEqual({ b: 'b', c: 'c', i: 'i' });
  });

  it('expanded output is deterministic', () => {
    const text = 'dim i = 2, j = 2\nparam A[i, j]\nlet T[i, j] = A[i, j] + A[j, i]\nout U[i, j] = T[i, j] T[j, i]\n';
    expect(JSON.stringify(program(text))).toBe(JSON.stringify(program(text)));
  });
});

/** A network with tensors and indices renamed canonically (by position / first occurrence). */
function canonical(net: TensorNetwork): { tensors: string[][]; output: string[]; sizes: number[] } {
  const names = new Map<string, string>();
  const name = (ix: string): string => {
    if (!names.has(ix)) names.set(ix, `x${names.size}`);
    return names.get(ix)!;
  };
  const tensors = net.tensors.map((t) => t.indices.map(name));
  const output = net.output.map(name);
  return { tensors, output, sizes: [...names.keys()].map((ix) => net.sizes[ix]) };
}

describe('expand: custom networks against built-in families', () => {
  it('a tensor ring written with prod(...) and the built-in tt(..., ring: true) expand to isomorphic networks', () => {
    const text = [
      'const N = 4',
      'dim p{n in 1..N} = 2',
      'dim b{n in 1..N} = 3',
      'param G{n in 1..N}[b{(n+N-2)%N+1}, p{n}, b{n}]',
      'param T = tt(legs: [p{1}, p{2}, p{3}, p{4}], rank: 3, ring: true)',
      'out byHand[p{1}, p{2}, p{3}, p{4}] = prod(n in 1..N) G{n}[b{(n+N-2)%N+1}, p{n}, b{n}]',
      'out builtIn[p{1}, p{2}, p{3}, p{4}] = T[p{1}, p{2}, p{3}, p{4}]',
    ].join('\n');
    const p = program(text);
    const hand = statement(p, 'byHand').terms[0].network;
    const built = statement(p, 'builtIn').terms[0].network;
    expect(hand.tensors.map((t) => t.name)).toEqual(['G{1}', 'G{2}', 'G{3}', 'G{4}']);
    expect(built.tensors.map((t) => t.name)).toEqual(['T_core1', 'T_core2', 'T_core3', 'T_core4']);
    expect(canonical(hand)).toEqual(canonical(built));
    // Same data under both names gives the same values.
    const data = factorData(p, 7);
    for (let k = 1; k <= 4; k++) data[`T_core${k}`] = data[`G{${k}}`];
    expect(maxRelError(evaluate(statement(p, 'builtIn'), data), evaluate(statement(p, 'byHand'), data))).toBeLessThan(1e-12);
  });
});

describe('expand: fixtures', () => {
  const fixture = (name: string): string => readFileSync(`test/fixtures/${name}`, 'utf8');

  it('every fixture analyzes without diagnostics', () => {
    for (const name of readdirSync('test/fixtures').filter((n) => n.endsWith('.tn'))) program(fixture(name));
  });

  it('the MERA fixture: periodic index arithmetic wires every inner index to exactly two tensors', () => {
    const p = program(fixture('mera.tn'));
    const net = statement(p, 'psi').terms[0].network;
    expect(net.tensors.map((t) => t.name)).toEqual(['Top', 'W{1}', 'U{1}', 'W{2}', 'U{2}', 'W{3}', 'U{3}', 'W{4}', 'U{4}']);
    expect(net.tensors[8]).toEqual({ name: 'U{4}', indices: ['p{8}', 'p{1}', 'q{8}', 'q{1}'] });
    const g = buildGraph(net);
    for (let n = 1; n <= 8; n++) {
      expect(g.degree(indexKey(`q{${n}}`))).toBe(2);
      expect(g.degree(indexKey(`p{${n}}`))).toBe(2); // one disentangler + the output
    }
    for (let k = 1; k <= 4; k++) expect(g.degree(indexKey(`t{${k}}`))).toBe(2);
    expect(components(g)).toHaveLength(1);
  });

  it('the factorization machine fixture: an intermediate inside a linear combination', () => {
    const p = program(fixture('factorization-machine.tn'));
    const y = statement(p, 'y');
    expect(y.terms.map((t) => t.coefficient)).toEqual([1, 0.5, -0.5, 1, -1]);
    expect(y.terms[0].network.sizes.b).toBe(32);
    const data = factorData(p, 11);
    const { x, w, V, w0 } = data;
    const B = 32;
    const I = 16;
    const F = 4;
    const want = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let lin = 0;
      for (let i = 0; i < I; i++) lin += x[b * I + i] * w[i];
      let pair = 0;
      for (let i = 0; i < I; i++) for (let j = i + 1; j < I; j++) for (let f = 0; f < F; f++) pair += x[b * I + i] * x[b * I + j] * V[i * F + f] * V[j * F + f];
      want[b] = pair + w0[0] * lin;
    }
    expect(maxRelError(evaluate(y, data), want)).toBeLessThan(1e-12);
  });
});

describe('expand: properties', () => {
  it('an MPS of random length and bond sizes: prod(...) and the written-out product expand identically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 8, maxLength: 8 }), (n, bonds) => {
        const dims = bonds
          .slice(0, n + 1)
          .map((d, k) => `a{${k + 1}} = ${d}`)
          .join(', ');
        const decl = `const N = ${n}\ndim p{k in 1..N} = 2\ndim ${dims}\nparam A{k in 1..N}[a{k}, p{k}, a{k+1}]\n`;
        const out = Array.from({ length: n }, (_, k) => `p{${k + 1}}`).join(', ');
        const hand = Array.from({ length: n }, (_, k) => `A{${k + 1}}[a{${k + 1}}, p{${k + 1}}, a{${k + 2}}]`).join(' ');
        const a = program(`${decl}out psi[a{1}, ${out}, a{N+1}] = prod(k in 1..N) A{k}[a{k}, p{k}, a{k+1}]\n`);
        const b = program(`${decl}out psi[a{1}, ${out}, a{N+1}] = ${hand}\n`);
        expect(a.statements[0].terms).toEqual(b.statements[0].terms);
        expect(a.statements[0].terms[0].network.sizes[`a{${n + 1}}`]).toBe(bonds[n]);
      }),
      { numRuns: 30 },
    );
  });

  it('random linear combinations through an intermediate equal computing the intermediate first', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          c: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 4, maxLength: 4 }),
          seed: fc.nat(),
        }),
        ({ n, c, seed }) => {
          const text =
            `dim i = ${n}, j = ${n}\nparam A[i, j], B[i, j], x[j]\n` +
            `let T[i, j] = ${c[0]} * A[i, j] + ${c[1]} * B[j, i]\n` +
            `out y[i] = T[i, j] x[j] - ${c[2]} * (T[j, i] x[j] + ${c[3]} * A[i, j] x[j])\n`;
          const p = program(text);
          const data = factorData(p, seed);
          const { A, B, x } = data;
          const T = new Float64Array(n * n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) T[i * n + j] = c[0] * A[i * n + j] + c[1] * B[j * n + i];
          const want = new Float64Array(n);
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) want[i] += T[i * n + j] * x[j] - c[2] * (T[j * n + i] * x[j] + c[3] * A[i * n + j] * x[j]);
          expect(statement(p, 'y').terms).toHaveLength(5);
          expect(maxRelError(evaluate(statement(p, 'y'), data), want)).toBeLessThan(1e-12);
        },
      ),
    );
  });
});
