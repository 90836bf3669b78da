// Model families with a symbolic rank or bond (`tt(legs, rank: D)`, `peps(grid, bond: D)`):
// the family's internal dims range over D, so the module binds D once at call time, matches
// the reference evaluator at any D, and `tnc info` prints its cost as a polynomial in D.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type CompiledModule } from '../src/api/compile.js';
import { reportProgram } from '../src/viz/info-report.js';
import { expandText } from './helpers/family-call.js';
import { referenceEinsum } from './helpers/reference-einsum.js';
import { analyzeOk, analyzeText, maxRelError, seededData } from './helpers/tn-program.js';

/** The errors of `text` as [code, source text under the span] pairs. */
function errors(text: string): [string, string][] {
  return analyzeText(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => [d.code, text.slice(d.span.start, d.span.end)]);
}

/**
 * One family program and how to check it by hand: the index labels of each module input (in
 * spec order) and of each output, for the reference; `size` gives a label's size from the
 * bound dims (labels are written independently of the compiler's dim names).
 */
interface Case {
  name: string;
  text: string;
  /** The symbolic rank/bond dim and the other symbolic dims. */
  rank: string;
  others: Record<string, number>;
  inputs: string[][];
  /** Expected spec shapes (dims by name), in spec order. */
  shapes: (number | string)[][];
  outputs: Record<string, { terms: number[][]; out: string[] }>;
  size: (label: string, dims: Record<string, number>) => number;
}

const TT: Case = {
  name: 'tt',
  text: `dim D ~ 4, d ~ 2
dim p{n in 1..3} = d
param T = tt(legs: [p{1}, p{2}, p{3}], rank: D)
out o[p{1}, p{2}, p{3}] = T[p{1}, p{2}, p{3}]
out n[] = T[p{1}, p{2}, p{3}] T[p{1}, p{2}, p{3}]
`,
  rank: 'D',
  others: { d: 2 },
  inputs: [['p1', 'a1'], ['a1', 'p2', 'a2'], ['a2', 'p3']],
  shapes: [['d', 'D'], ['D', 'd', 'D'], ['D', 'd']],
  outputs: {
    o: { terms: [[0, 1, 2]], out: ['p1', 'p2', 'p3'] },
    n: { terms: [[0, 1, 2, 0, 1, 2]], out: [] },
  },
  size: (l, dims) => (l.startsWith('p') ? dims.d : dims.D),
};

// A ring TT-matrix with one symbolic and one fixed bond: `ranks` mixes both.
const TTM: Case = {
  name: 'ttm',
  text: `dim R ~ 3
dim i{n in 1..2} = 2, o{n in 1..2} = 3
param W = ttm(in: [i{1}, i{2}], out: [o{1}, o{2}], ranks: [R, 2], ring: true)
input x[i{1}, i{2}]
out y[o{1}, o{2}] = W[i{1}, i{2}, o{1}, o{2}] x[i{1}, i{2}]
`,
  rank: 'R',
  others: {},
  inputs: [['b2', 'i1', 'o1', 'b1'], ['b1', 'i2', 'o2', 'b2'], ['i1', 'i2']],
  shapes: [[2, 2, 3, 'R'], ['R', 2, 3, 2], [2, 2]],
  outputs: { y: { terms: [[0, 1, 2]], out: ['o1', 'o2'] } },
  size: (l, dims) => (l === 'b1' ? dims.R : l === 'b2' || l.startsWith('i') ? 2 : 3),
};

// A 2x2 PEPS and its squared norm. Sites have dims [phys, up, left, right, down].
const PEPS: Case = {
  name: 'peps',
  text: `dim D ~ 3, d ~ 2
dim p{r in 1..2, c in 1..2} = d
param P = peps(grid: [[p{1,1}, p{1,2}], [p{2,1}, p{2,2}]], bond: D)
out psi[p{1,1}, p{1,2}, p{2,1}, p{2,2}] = P[p{1,1}, p{1,2}, p{2,1}, p{2,2}]
out n[] = P[p{1,1}, p{1,2}, p{2,1}, p{2,2}] P[p{1,1}, p{1,2}, p{2,1}, p{2,2}]
`,
  rank: 'D',
  others: { d: 2 },
  inputs: [['p11', 'h1', 'v1'], ['p12', 'h1', 'v2'], ['p21', 'v1', 'h2'], ['p22', 'v2', 'h2']],
  shapes: [['d', 'D', 'D'], ['d', 'D', 'D'], ['d', 'D', 'D'], ['d', 'D', 'D']],
  outputs: {
    psi: { terms: [[0, 1, 2, 3]], out: ['p11', 'p12', 'p21', 'p22'] },
    n: { terms: [[0, 1, 2, 3, 0, 1, 2, 3]], out: [] },
  },
  size: (l, dims) => (l.startsWith('p') ? dims.d : dims.D),
};

// A weighted CP matrix over fixed legs: the only symbolic dim is the rank.
const CP: Case = {
  name: 'cp',
  text: `dim K ~ 5
dim i = 4, j = 3
param C = cp(legs: [i, j], rank: K, weights: true)
out m[j, i] = C[i, j]
`,
  rank: 'K',
  others: {},
  inputs: [['i', 'k'], ['j', 'k'], ['k']],
  shapes: [[4, 'K'], [3, 'K'], ['K']],
  outputs: { m: { terms: [[0, 1, 2]], out: ['j', 'i'] } },
  size: (l, dims) => (l === 'k' ? dims.K : l === 'i' ? 4 : 3),
};

const CASES = [TT, TTM, PEPS, CP];

/**
 * Renames the bond labels of a second copy of the same factors (the `n` outputs contract a
 * tensor with itself: both copies share physical legs, each has its own bonds).
 */
function referenceOutput(c: Case, terms: number[], out: string[], data: Float64Array[], dims: Record<string, number>): Float64Array {
  const seen = new Set<number>();
  const subscripts: string[][] = [];
  const operands: { shape: number[]; data: Float64Array }[] = [];
  for (const k of terms) {
    const copy = seen.has(k);
    seen.add(k);
    const labels = c.inputs[k].map((l) => (copy && !out.includes(l) && !isLeg(c, l) ? `${l}'` : l));
    subscripts.push(labels);
    operands.push({ shape: c.inputs[k].map((l) => c.size(l, dims)), data: data[k] });
  }
  return referenceEinsum(subscripts, out, operands);
}

/** Is a label a leg of the represented tensor (shared by both copies), not a bond? */
function isLeg(c: Case, label: string): boolean {
  return Object.values(c.outputs).some((o) => o.out.includes(label)) || (c.name === 'ttm' && label.startsWith('i'));
}

function checkAt(c: Case, mod: CompiledModule, D: number, seed: number): void {
  const dims = { ...c.others, [c.rank]: D };
  const data = c.inputs.map((labels, k) => seededData(labels.reduce((p, l) => p * c.size(l, dims), 1), seed + 17 * k));
  const byName = Object.fromEntries(mod.spec.inputs.map((inp, k) => [inp.name, data[k]]));
  for (const [name, o] of Object.entries(c.outputs)) {
    const got = mod.functions[name](byName, dims);
    for (const term of o.terms) expect(maxRelError(got, referenceOutput(c, term, o.out, data, dims))).toBeLessThan(1e-10);
  }
}

describe.each(CASES)('$name with a symbolic rank', (c) => {
  const mod = compile(c.text, { dtype: 'f64' });

  it('lists the rank dim once in the spec and uses it in the factor shapes', () => {
    const symbolic = mod.spec.dims.filter((x) => x.symbolic).map((x) => x.name);
    expect(symbolic.sort()).toEqual([c.rank, ...Object.keys(c.others)].sort());
    expect(mod.spec.inputs.map((i) => i.shape)).toEqual(c.shapes);
  });

  // The reference sums naively over every index (a PEPS norm has eight bonds), so ranks stay small.
  it('matches the reference at two values of the rank', () => {
    checkAt(c, mod, 2, 3);
    checkAt(c, mod, 4, 41);
  });

  it('matches the reference at any bound rank', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat(1000), (D, seed) => checkAt(c, mod, D, seed)),
      { numRuns: 8 },
    );
  });

  it('maps every internal index to the rank dim and reports a polynomial in the symbolic dims only', () => {
    const program = analyzeOk(c.text);
    const allowed = new Set([c.rank, ...Object.keys(c.others)]);
    const family = c.text.match(/param (\w+)/)![1];
    for (const st of program.statements) {
      const net = st.terms[0].network;
      for (const ix of Object.keys(net.sizes)) {
        const dim = net.indexDims![ix];
        expect(program.dims.some((d) => d.name === dim)).toBe(true);
        // Family-made indices (`T.b1#4`) range over the rank, or over their own fixed dim.
        if (ix.startsWith(`${family}.`)) expect([c.rank, ix.split('#')[0]]).toContain(dim);
      }
    }
    for (const term of reportProgram(program).terms) {
      const symbols = new Set(term.symbolic!.flops.match(/[A-Za-z_][\w{}]*/g));
      expect(symbols.has(c.rank)).toBe(true);
      for (const s of symbols) expect(allowed).toContain(s);
    }
  });
});

describe('symbolic ranks in other families', () => {
  it('tucker and ht take a symbolic rank in a rank list', () => {
    const program = analyzeOk(`dim D ~ 3
dim i = 2, j = 3, k = 4
param T = tucker(legs: [i, j, k], ranks: [D, 2, D])
param H = ht(tree: ((i, j), k), rank: D)
out a[i, j, k] = T[i, j, k]
out b[i, j, k] = H[i, j, k]
`);
    const shapes = Object.fromEntries(program.factors.map((f) => [f.name, f.dims]));
    expect(shapes.T_core).toEqual(['D', 'T.r2', 'D']);
    expect(program.dims.filter((d) => d.size.kind === 'symbolic').map((d) => d.name)).toEqual(['D']);
    for (const f of program.factors.filter((x) => x.name.startsWith('H_'))) for (const d of f.dims) expect(['i', 'j', 'k', 'D']).toContain(d);
  });

  it('a family over the test context makes internal dims that range over the symbolic dim', () => {
    const { expansion, diagnostics, aliases, dims } = expandText('tt([i, j, k], b)', { i: 2, j: 3, k: 2, b: 'sym' });
    expect(diagnostics).toEqual([]);
    const bonds = expansion!.factors[1].dims.filter((d) => d !== 'j');
    expect(bonds.map((b) => aliases.get(b))).toEqual(['b', 'b']);
    expect(bonds.map((b) => dims.get(b)!.size)).toEqual([{ kind: 'symbolic', hint: 3 }, { kind: 'symbolic', hint: 3 }]);
  });

  it('an alias of D as a rank ranges over D', () => {
    const program = analyzeOk('dim D ~ 3\ndim a = D\ndim i = 2, j = 2\nparam C = cp(legs: [i, j], rank: a)\nout m[i, j] = C[i, j]\n');
    expect(program.factors.map((f) => f.dims)).toEqual([['i', 'D'], ['j', 'D']]);
    expect(program.dims.map((d) => d.name)).toEqual(['D', 'i', 'j']);
  });
});

describe('bad ranks keep their spans', () => {
  const head = 'dim D ~ 4\ndim i = 2, j = 3, k = 2\n';
  it.each<[string, [string, string][]]>([
    ['param T = tt(legs: [i, j, k], rank: 0)', [['expand/bad-rank', '0']]],
    ['param T = tt(legs: [i, j, k], rank: 2.5)', [['expand/bad-rank', '2.5']]],
    ['param T = tt(legs: [i, j, k], rank: [D, 0])', [['expand/bad-rank', '0']]],
    ['param T = tt(legs: [i, j, k], rank: [D, Q])', [['expand/bad-rank', 'Q']]],
    ['param T = tt(legs: [i, j, k], rank: [D])', [['expand/rank-count', '[D]']]],
    ['param T = cp(legs: [i, j], rank: [D])', [['expand/bad-rank', '[D]']]],
    // A grid given by its size takes numbers only: a symbolic dim there is read as a row.
    [
      'param P = peps(grid: [D, 2], bond: 2)',
      [
        ['expand/bad-argument', 'D'],
        ['expand/bad-argument', '2'],
      ],
    ],
    ['param P = peps(grid: [[i, j]], bond: 0)', [['expand/bad-rank', '0']]],
  ])('%s', (decl, expected) => {
    expect(errors(`${head}${decl}\n`)).toEqual(expected);
  });

  it('arithmetic on a symbolic dim is not a rank (a syntax error at the operator)', () => {
    expect(errors(`${head}param T = tt(legs: [i, j, k], rank: D*2)\n`)).toEqual([['syntax/unexpected-token', '*']]);
  });
});
