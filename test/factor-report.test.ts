// describeFactorized: exact counts and shapes per factorized tensor; initParams: seeded,
// deterministic, and scaled so the represented dense tensor has roughly the requested variance.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeFactorized, formatFactorReport } from '../src/ir/factor-report.js';
import type { FactorReport } from '../src/ir/factor-report.js';
import { factorSigma, initParams } from '../src/ir/init-params.js';
import type { InitSpec } from '../src/ir/init-params.js';
import type { DimInfo, Program } from '../src/ir/network.js';
import { expandText, toFactorized } from './helpers/family-call.js';
import { referenceEinsum } from './helpers/reference-einsum.js';

/** A Program holding one factorized param per (name, call text), over the given dims. */
function programOf(dims: Record<string, number | 'sym'>, decls: [string, string][]): Program {
  const program: Program = { dims: [], factors: [], factorized: [], statements: [] };
  const seen = new Map<string, DimInfo>();
  for (const [name, text] of decls) {
    const { expansion, diagnostics, sizes, dims: infos } = expandText(text, dims, name);
    expect(diagnostics).toEqual([]);
    const ft = toFactorized(name, text.slice(0, text.indexOf('(')), expansion!, sizes);
    program.factorized.push(ft);
    for (const f of expansion!.factors) program.factors.push({ name: `${name}_${f.suffix}`, role: 'param', dims: f.dims, of: name, family: ft.family });
    for (const [k, v] of infos) if (!seen.has(k)) seen.set(k, v);
  }
  program.dims = [...seen.values()];
  return program;
}

/** The spec initParams reads, built from a program and its reports. */
function specOf(program: Program, reports: FactorReport[]): InitSpec {
  const shapes = new Map(reports.flatMap((r) => r.factors.map((f) => [f.name, f.shape] as const)));
  return { factors: program.factors.map((f) => ({ name: f.name, role: f.role, shape: shapes.get(f.name)!, of: f.of })), factorized: reports };
}

describe('describeFactorized', () => {
  it('reports legs, factor shapes, parameters, dense size and compression for a TT-matrix layer', () => {
    const dims = { i1: 8, i2: 8, i3: 8, i4: 8, o1: 8, o2: 8, o3: 8, o4: 8 };
    const [r] = describeFactorized(programOf(dims, [['W', 'ttm(in: [i1, i2, i3, i4], out: [o1, o2, o3, o4], rank: 16)']]));
    expect(r.family).toBe('ttm');
    expect(r.legs.map((l) => l.name)).toEqual(['i1', 'i2', 'i3', 'i4', 'o1', 'o2', 'o3', 'o4']);
    expect(r.factors.map((f) => [f.name, f.shape])).toEqual([
      ['W_core1', [8, 8, 16]],
      ['W_core2', [16, 8, 8, 16]],
      ['W_core3', [16, 8, 8, 16]],
      ['W_core4', [16, 8, 8]],
    ]);
    expect(r.parameters).toBe(BigInt(2 * 8 * 8 * 16 + 2 * 16 * 64 * 16));
    expect(r.denseElements).toBe(4096n * 4096n);
    expect(r.bondAssignments).toBe(16n ** 3n);
    expect(r.compression).toBeCloseTo((4096 * 4096) / (2048 + 32768), 9);
    expect(r.symbolic).toBe(false);
    const text = formatFactorReport(r);
    expect(text).toContain('W_core2[W.b1, i2, o2, W.b2]');
    expect(text).toContain('parameters 34816, dense 16777216, compression 482x');
  });

  it('keeps counts exact beyond 2^53', () => {
    const legs = Array.from({ length: 12 }, (_, k) => `i${k + 1}`);
    const dims = Object.fromEntries(legs.map((l) => [l, 1000]));
    const [r] = describeFactorized(programOf(dims, [['T', `tt([${legs.join(', ')}], 7)`]]));
    expect(r.denseElements).toBe(10n ** 36n);
    expect(r.parameters).toBe(BigInt(2 * 1000 * 7 + 10 * 7 * 1000 * 7));
    expect(r.compression / (1e36 / 504000)).toBeCloseTo(1, 12);
  });

  it('flags symbolic legs and counts them at their planning size', () => {
    const [r] = describeFactorized(programOf({ b: 'sym', i: 4 }, [['X', 'cp([b, i], 2)']]));
    expect(r.symbolic).toBe(true);
    expect(r.legs).toEqual([
      { name: 'b', dim: 'b', size: 3, symbolic: true },
      { name: 'i', dim: 'i', size: 4, symbolic: false },
    ]);
    expect(r.parameters).toBe(BigInt(3 * 2 + 4 * 2));
    expect(formatFactorReport(r)).toContain('(at planning sizes)');
  });

  it('parameters are the sum of factor sizes and internal indices are listed once, for every family', () => {
    const dims = { a: 2, b: 3, c: 4, d: 5, y: 3 };
    const reports = describeFactorized(
      programOf(dims, [
        ['P', 'cp([a, b, c], 3, weights: true)'],
        ['Q', 'tucker([a, b, c], [2, 2, 3])'],
        ['R', 'tt([a, b, c, d], 2, ring: true)'],
        ['S', 'peps([[a, b], [c, d]], 2)'],
        ['U', 'ht(((a, b), (c, d)), 2)'],
        ['V', 'circuit(deep, [a, b, c, d], y, [2, 3])'],
      ]),
    );
    expect(reports.map((r) => r.internal.length)).toEqual([1, 3, 4, 4, 6, 6]);
    for (const r of reports) {
      expect(r.parameters).toBe(r.factors.reduce((s, f) => s + BigInt(f.shape.reduce((p, x) => p * x, 1)), 0n));
    }
    expect(reports[0].parameters).toBe(BigInt((2 + 3 + 4) * 3 + 3));
  });
});

/** Sample variance of the dense tensor represented by the factorized tensor with these factor values. */
function denseVariance(report: FactorReport, values: Record<string, Float64Array | Float32Array>): number {
  const sizes: Record<string, number> = {};
  for (const f of report.factors) f.indices.forEach((ix) => (sizes[ix.name] = ix.size));
  const dense = referenceEinsum(
    report.factors.map((f) => f.indices.map((i) => i.name)),
    report.legs.map((l) => l.name),
    report.factors.map((f) => ({ shape: f.shape, data: values[f.name] })),
    sizes,
  );
  let s = 0;
  for (const x of dense) s += x * x;
  return s / dense.length;
}

function meanSquare(xs: Float64Array | Float32Array): number {
  let s = 0;
  for (const x of xs) s += x * x;
  return s / xs.length;
}

describe('initParams', () => {
  const dims = { a: 4, b: 4, c: 4, d: 4, e: 3, y: 2 };
  const decls: [string, string][] = [
    ['CP', 'cp([a, b, c, d], 6, weights: true)'],
    ['TK', 'tucker([a, b, c], [3, 2, 3])'],
    ['TT', 'tt([a, b, c, d], 5)'],
    ['TR', 'tt([a, b, c], 3, ring: true)'],
    ['MP', 'ttm(in: [a, b], out: [c, d], rank: 6)'],
    ['PE', 'peps([[a, b], [c, e]], 3)'],
    ['HT', 'ht(((a, b), (c, d)), 2)'],
    ['CC', 'circuit(deep, [a, b, c, d], y, 2)'],
  ];
  const program = programOf(dims, decls);
  const reports = describeFactorized(program);
  const spec = specOf(program, reports);

  it('gives the represented tensors roughly unit-variance entries (averaged over seeds)', () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const inits = seeds.map((seed) => initParams(spec, { seed }));
    for (const r of reports) {
      const mean = inits.reduce((s, v) => s + denseVariance(r, v), 0) / seeds.length;
      // Products of normals are heavy-tailed; a factor of 2 either way is "roughly unit".
      expect(mean, `${r.name} (${r.family})`).toBeGreaterThan(0.5);
      expect(mean, `${r.name} (${r.family})`).toBeLessThan(2);
    }
  });

  it('each factor has mean square σ² with S·σ^(2F) = scale²', () => {
    const values = initParams(spec, { seed: 42, scale: 2 });
    for (const r of reports) {
      const sigma = factorSigma(2, r);
      expect(Number(r.bondAssignments) * sigma ** (2 * r.factors.length)).toBeCloseTo(4, 9);
      for (const f of r.factors) expect(meanSquare(values[f.name]) / sigma ** 2).toBeCloseTo(1, 5);
    }
  });

  it('scale sets the standard deviation of the represented entries', () => {
    const r = reports.find((x) => x.name === 'TT')!;
    const seeds = [11, 12, 13, 14, 15, 16];
    const v1 = seeds.reduce((s, seed) => s + denseVariance(r, initParams(spec, { seed })), 0);
    const v3 = seeds.reduce((s, seed) => s + denseVariance(r, initParams(spec, { seed, scale: 3 })), 0);
    expect(v3 / v1).toBeCloseTo(9, 6);
  });

  it('is deterministic per seed and factor name, differs across seeds, fills params only, honours dtype', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = initParams(spec, { seed });
        const b = initParams(spec, { seed });
        expect(Object.keys(a)).toEqual(program.factors.map((f) => f.name));
        for (const k of Object.keys(a)) expect(b[k]).toEqual(a[k]);
        const c = initParams(spec, { seed: seed + 1 });
        expect(c.TT_core1).not.toEqual(a.TT_core1);
      }),
      { numRuns: 20 },
    );
    const withInput: InitSpec = { factors: [...spec.factors, { name: 'x', role: 'input', shape: [3] }, { name: 'bias', role: 'param', shape: [4000] }], factorized: spec.factorized };
    const v = initParams(withInput, { seed: 9, dtype: 'f32' });
    expect(v.x).toBeUndefined();
    expect(v.bias).toBeInstanceOf(Float32Array);
    // A plain param gets standard deviation `scale`.
    expect(meanSquare(v.bias)).toBeCloseTo(1, 5);
    // Adding a factor elsewhere leaves existing factors' values unchanged.
    expect(v.TT_core2).toEqual(Float32Array.from(initParams(spec, { seed: 9 }).TT_core2));
  });

  it('accepts the JSON-safe spec form (bigints as numbers or decimal strings)', () => {
    const json = JSON.parse(JSON.stringify(spec, (_, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v)));
    const asString = { ...json, factorized: json.factorized.map((f: { bondAssignments: number }) => ({ ...f, bondAssignments: String(f.bondAssignments) })) };
    const direct = initParams(spec, { seed: 3 });
    expect(initParams(json, { seed: 3 })).toEqual(direct);
    expect(initParams(asString, { seed: 3 })).toEqual(direct);
  });

  it('rejects unbound (non-integer) shapes and bad scales', () => {
    expect(() => initParams({ factors: [{ name: 'p', role: 'param', shape: [Number.NaN] }] }, { seed: 1 })).toThrow(/non-integer dimension/);
    expect(() => initParams(spec, { seed: 1, scale: 0 })).toThrow(/scale/);
  });
});
