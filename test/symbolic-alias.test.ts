// Dims declared as another symbolic dim (`dim a{n in 1..5} = D`): many distinct indices that
// all range over one symbolic dim, so an MPS norm with a symbolic bond compiles, binds `D`
// once at call time, matches the reference evaluator, and reports its cost as a polynomial in D.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/api/compile.js';
import { reportProgram } from '../src/viz/info-report.js';
import { formatInfoText } from '../src/viz/info-text.js';
import { referenceEinsum } from './helpers/reference-einsum.js';
import { analyzeOk, analyzeText, maxRelError, seededData } from './helpers/tn-program.js';

/** The one error of `text`, with the source text under its span. */
function oneError(text: string): { code: string; message: string; at: string } {
  const errors = analyzeText(text).diagnostics.filter((d) => d.severity === 'error');
  expect(errors).toHaveLength(1);
  const [d] = errors;
  return { code: d.code, message: d.message, at: text.slice(d.span.start, d.span.end) };
}

/** A 4-site open MPS norm: ket bonds a{n}, bra bonds c{n}, physical p{n}, all aliases. */
const MPS4 = `dim D ~ 8, d ~ 2
dim a{n in 1..3} = D, c{n in 1..3} = D
dim p{n in 1..4} = d
param L[p{1}, a{1}], B{n in 2..3}[a{n-1}, p{n}, a{n}], R[a{3}, p{4}]
let E[a{1}, c{1}] = L[p{1}, a{1}] L[p{1}, c{1}]
out norm[] = E[a{1}, c{1}] prod(n in 2..3) (B{n}[a{n-1}, p{n}, a{n}] B{n}[c{n-1}, p{n}, c{n}]) R[a{3}, p{4}] R[c{3}, p{4}]
out edge[a{1}, c{3}] = L[p{1}, a{1}] B{2}[a{1}, p{2}, a{2}] B{3}[a{2}, p{3}, c{3}]
`;

/** The same contractions written by hand for the reference, with D and d bound. */
function referenceMps4(data: Record<string, Float64Array>, D: number, d: number): { norm: Float64Array; edge: Float64Array } {
  const L = { shape: [d, D], data: data.L };
  const B2 = { shape: [D, d, D], data: data['B{2}'] };
  const B3 = { shape: [D, d, D], data: data['B{3}'] };
  const R = { shape: [D, d], data: data.R };
  const norm = referenceEinsum(
    [['p1', 'a1'], ['p1', 'c1'], ['a1', 'p2', 'a2'], ['c1', 'p2', 'c2'], ['a2', 'p3', 'a3'], ['c2', 'p3', 'c3'], ['a3', 'p4'], ['c3', 'p4']],
    [],
    [L, L, B2, B2, B3, B3, R, R],
  );
  const edge = referenceEinsum([['p1', 'a1'], ['a1', 'p2', 'a2'], ['a2', 'p3', 'c3']], ['a1', 'c3'], [L, B2, B3]);
  return { norm, edge };
}

describe('aliases of a symbolic dim: numerics', () => {
  const mod = compile(MPS4, { dtype: 'f64' });
  const call = (D: number, d: number, seed: number): void => {
    const shapes: Record<string, number[]> = { L: [d, D], 'B{2}': [D, d, D], 'B{3}': [D, d, D], R: [D, d] };
    const data: Record<string, Float64Array> = {};
    Object.entries(shapes).forEach(([name, shape], k) => (data[name] = seededData(shape.reduce((p, x) => p * x, 1), seed + k)));
    const want = referenceMps4(data, D, d);
    const norm = mod.functions.norm(data, { D, d });
    const edge = mod.functions.edge(data, { D, d });
    expect(edge.length).toBe(D * D);
    expect(maxRelError(norm, want.norm)).toBeLessThan(1e-10);
    expect(maxRelError(edge, want.edge)).toBeLessThan(1e-10);
  };

  it('an MPS norm with aliased bonds matches the reference at D=3 and D=5', () => {
    call(3, 2, 11);
    call(5, 2, 29);
  });

  it('matches the reference for any bound D and d', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.nat(1000), (D, d, seed) => call(D, d, seed)),
      { numRuns: 15 },
    );
  });

  it('sliced plans (memory limit) over several indices of D stay right', () => {
    const sliced = compile(MPS4.replace('d ~ 2', 'd ~ 1'), { dtype: 'f64', memoryLimit: 4 });
    const edge = sliced.spec.statements.find((s) => s.name === 'edge')!.terms[0];
    expect(edge.sliced).toEqual(['a{1}', 'c{3}']);
    for (const [D, seed] of [[3, 5], [5, 7]]) {
      const d = 2;
      const shapes: Record<string, number[]> = { L: [d, D], 'B{2}': [D, d, D], 'B{3}': [D, d, D], R: [D, d] };
      const data: Record<string, Float64Array> = {};
      Object.entries(shapes).forEach(([name, shape], k) => (data[name] = seededData(shape.reduce((p, x) => p * x, 1), seed + k)));
      const want = referenceMps4(data, D, d);
      expect(maxRelError(sliced.functions.norm(data, { D, d }), want.norm)).toBeLessThan(1e-10);
      expect(maxRelError(sliced.functions.edge(data, { D, d }), want.edge)).toBeLessThan(1e-10);
    }
  });

  it('rejects data whose length disagrees with the bound D', () => {
    const data = { L: seededData(6, 1), 'B{2}': seededData(18, 2), 'B{3}': seededData(18, 3), R: seededData(5, 4) };
    expect(() => mod.functions.norm(data, { D: 3, d: 2 })).toThrow(RangeError);
  });
});

describe('aliases of a symbolic dim: family legs', () => {
  it('a family over aliased legs takes D once and matches the reference', () => {
    const mod = compile('dim D ~ 4\ndim u = D, v = D\nparam E = cp(legs: [u, v], rank: 3)\nout m[v, u] = E[v, u]\nout t[] = E[u, u]\n', { dtype: 'f64' });
    expect(mod.spec.dims.filter((x) => x.symbolic).map((x) => x.name)).toEqual(['D']);
    expect(mod.spec.inputs.map((i) => i.shape)).toEqual([['D', 3], ['D', 3]]);
    for (const D of [2, 5]) {
      const A = { shape: [D, 3], data: seededData(D * 3, D) };
      const B = { shape: [D, 3], data: seededData(D * 3, D + 100) };
      const data = { [mod.spec.inputs[0].name]: A.data, [mod.spec.inputs[1].name]: B.data };
      expect(maxRelError(mod.functions.m(data, { D }), referenceEinsum([['x', 'k'], ['y', 'k']], ['x', 'y'], [A, B]))).toBeLessThan(1e-12);
      expect(maxRelError(mod.functions.t(data, { D }), referenceEinsum([['x', 'k'], ['x', 'k']], [], [A, B]))).toBeLessThan(1e-12);
    }
  });
});

describe('aliases of a symbolic dim: spec and program', () => {
  it('the spec lists D once; shapes and outputs name D, never the aliases', () => {
    const { spec } = compile(MPS4, { dtype: 'f64' });
    expect(spec.dims).toEqual([
      { name: 'D', symbolic: true, hint: 8 },
      { name: 'd', symbolic: true, hint: 2 },
    ]);
    expect(spec.inputs.map((i) => i.shape)).toEqual([['d', 'D'], ['D', 'd', 'D'], ['D', 'd', 'D'], ['D', 'd']]);
    const edge = spec.outputs.find((o) => o.name === 'edge')!;
    expect(edge.shape).toEqual(['D', 'D']);
    expect([...edge.symbolicDims].sort()).toEqual(['D', 'd']);
  });

  it('every index of an alias maps to the dim it ranges over', () => {
    const program = analyzeOk(MPS4);
    const net = program.statements.find((s) => s.name === 'norm')!.terms[0].network;
    for (const ix of Object.keys(net.sizes)) {
      expect(['D', 'd']).toContain(net.indexDims![ix]);
      expect(net.sizes[ix]).toBe(net.indexDims![ix] === 'D' ? 8 : 2);
    }
    expect(new Set(net.symbolic)).toEqual(new Set(Object.keys(net.sizes)));
    expect(program.dims.map((x) => x.name)).toEqual(['D', 'd']);
  });
});

describe('aliases of a symbolic dim: tnc info', () => {
  // Hints where the zipper order is the cheapest (with d ~ 2, contracting the ket into a
  // 2^5 state vector first wins at five sites).
  const MPS5 = `dim D ~ 16, d ~ 16
dim a{n in 1..4} = D, c{n in 1..4} = D, p{n in 1..5} = d
param L[p{1}, a{1}], B{n in 2..4}[a{n-1}, p{n}, a{n}], R[a{4}, p{5}]
out norm[] = L[p{1}, a{1}] L[p{1}, c{1}] prod(n in 2..4) (B{n}[a{n-1}, p{n}, a{n}] B{n}[c{n-1}, p{n}, c{n}]) R[a{4}, p{5}] R[c{4}, p{5}]
`;

  it('prints the cost of a 5-site MPS norm as a polynomial in D and d only', () => {
    const report = reportProgram(analyzeOk(MPS5));
    const term = report.terms[0];
    const symbolic = term.symbolic!;
    const symbols = new Set(symbolic.flops.match(/[A-Za-z_][\w{}]*/g));
    expect(symbols).toEqual(new Set(['D', 'd']));
    expect(symbolic.scaling).toBe('O(D^3 d)');
    const text = formatInfoText(report, 't.tn');
    expect(text).toContain(`symbolic flops        ${symbolic.flops}`);
    expect(text).toContain('dims: D~16 d~16');
    expect(text).not.toMatch(/a\{1\}~/);
  });
});

describe('aliases of a symbolic dim: checking', () => {
  it('an index over D stands at an axis declared with D or with another alias of D', () => {
    analyzeOk(`dim D ~ 4
dim a = D, b = D, c = a
param T[D, a]
out o[b, c] = T[b, c]
out p[] = T[c, D]`);
  });

  it('an alias of another symbolic dim conflicts, naming what it ranges over', () => {
    const e = oneError(`dim D ~ 4, E ~ 4
dim a = E
param T[D]
out o[a] = T[a]`);
    expect(e.code).toBe('check/size-conflict');
    expect(e.at).toBe('a');
    expect(e.message).toContain('ranges over symbolic `E`');
  });

  it('an alias does not match a fixed dim of the same size as its hint', () => {
    const e = oneError(`dim D ~ 4, f = 4
dim a = D
param T[f]
out o[a] = T[a]`);
    expect(e.code).toBe('check/size-conflict');
  });

  it('arithmetic on a symbolic dim is still check/symbolic-size, under the name', () => {
    const e = oneError('dim D ~ 8\ndim x = D + 1\n');
    expect(e).toMatchObject({ code: 'check/symbolic-size', at: 'D' });
    expect(oneError('dim D ~ 8\ndim x{n in 1..3} = 2 * D\n')).toMatchObject({ code: 'check/symbolic-size', at: 'D' });
  });

  it('`~ D` with a symbolic D is an error that suggests `= D`', () => {
    const e = oneError('dim D ~ 8\ndim x ~ D\n');
    expect(e).toMatchObject({ code: 'check/symbolic-size', at: 'D' });
    expect(e.message).toContain('`= D`');
  });

  it('an alias of an unknown dim is reported under the name, and uses do not cascade', () => {
    const e = oneError('dim D ~ 8\ndim x = Q\nparam T[x]\nout o[] = T[x]\n');
    expect(e.code).toBe('check/unknown-const');
    expect(e.at).toBe('Q');
  });

  it('a fixed dim as a size is a plain size, as before', () => {
    const program = analyzeOk('dim N = 4\ndim x = N, y ~ N\nparam T[x, N]\nout o[] = T[x, N] T[N, x]\n');
    expect(program.dims.find((x) => x.name === 'x')!.size).toEqual({ kind: 'fixed', size: 4 });
    expect(program.dims.find((x) => x.name === 'y')!.size).toEqual({ kind: 'symbolic', hint: 4 });
  });

  it('a const or range variable named like a dim is a number, not an alias', () => {
    const program = analyzeOk('const D = 3\ndim a = D\nparam T[a]\nout o[a] = T[a]\n');
    expect(program.dims.find((x) => x.name === 'a')!.size).toEqual({ kind: 'fixed', size: 3 });
  });
});
