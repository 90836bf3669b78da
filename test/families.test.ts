// Families: each expansion, evaluated with the reference einsum, equals the dense tensor built
// here with explicit loops over the family's documented definition and factor layout; the
// parameter count equals the closed form; factor names are stable; bad arguments give
// diagnostics whose spans cover the offending text.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';
import { expandText, toFactorized } from './helpers/family-call.js';
import { eachIndex as forEach } from './helpers/tn-program.js';
import { describeOne } from '../src/ir/factor-report.js';
import { families } from '../src/ir/families/index.js';
import type { FamilyExpansion } from '../src/ir/families/types.js';
import { SourceFile } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import { compile } from '../src/api/compile.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';

// ---------- small dense helpers (independent of the expansion) ----------

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

class Dense {
  readonly data: Float64Array;
  constructor(readonly shape: number[], fill?: () => number) {
    this.data = new Float64Array(prod(shape));
    if (fill) for (let k = 0; k < this.data.length; k++) this.data[k] = fill();
  }
  offset(idx: number[]): number {
    let o = 0;
    for (let a = 0; a < this.shape.length; a++) o = o * this.shape[a] + idx[a];
    return o;
  }
  get(idx: number[]): number {
    return this.data[this.offset(idx)];
  }
}


/** Builds a dense tensor of `shape` whose entry at idx is f(idx). */
function tabulate(shape: number[], f: (idx: number[]) => number): Dense {
  const out = new Dense(shape);
  forEach(shape, (idx) => (out.data[out.offset(idx)] = f(idx)));
  return out;
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}

/**
 * Evaluates an expansion through the reference einsum with factor data given by suffix.
 * Also checks that each factor's shape (from the expansion's dims) matches the documented shape.
 */
function evaluate(e: FamilyExpansion, sizes: Record<string, number>, data: Record<string, Dense>): Float64Array {
  for (const f of e.factors) {
    expect(data[f.suffix], `factor ${f.suffix}`).toBeDefined();
    expect(f.dims.map((d) => sizes[d]), `shape of ${f.suffix}`).toEqual(data[f.suffix].shape);
  }
  expect(Object.keys(data).sort()).toEqual(e.factors.map((f) => f.suffix).sort());
  return referenceEinsum(
    e.factors.map((f) => f.dims),
    e.legs,
    e.factors.map((f) => data[f.suffix]),
    sizes,
  );
}

function paramCount(e: FamilyExpansion, sizes: Record<string, number>, family: string): bigint {
  return describeOne(toFactorized('W', family, e, sizes), new Map()).parameters;
}

const names = (k: number, p: string) => Array.from({ length: k }, (_, n) => `${p}${n + 1}`);
const dimsOf = (legs: string[], sizes: number[]) => Object.fromEntries(legs.map((l, n) => [l, sizes[n]]));
const list = (xs: (string | number)[]) => `[${xs.join(', ')}]`;

const sizeArb = fc.integer({ min: 1, max: 3 });

// ---------- per family: random cases with an independent dense construction ----------

/** A family call with data for each factor (by suffix) and the dense tensor built here. */
interface Case {
  text: string;
  dims: Record<string, number>;
  legs: string[];
  data: Record<string, Dense>;
  dense: Dense;
  /** Closed-form parameter count. */
  params: bigint;
}

const cpCase: fc.Arbitrary<Case> = fc
  .tuple(fc.array(sizeArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat())
  .map(([I, R, weights, seed]) => {
    const legs = names(I.length, 'i');
    const r = rng(seed);
    const data: Record<string, Dense> = {};
    I.forEach((n, k) => (data[`A${k + 1}`] = new Dense([n, R], r)));
    if (weights) data.w = new Dense([R], r);
    const dense = tabulate(I, (idx) => {
      let s = 0;
      for (let z = 0; z < R; z++) s += (weights ? data.w.get([z]) : 1) * prod(idx.map((i, n) => data[`A${n + 1}`].get([i, z])));
      return s;
    });
    const text = `cp(${list(legs)}, ${R}${weights ? ', weights: true' : ''})`;
    return { text, dims: dimsOf(legs, I), legs, data, dense, params: BigInt(I.reduce((s, n) => s + n * R, 0) + (weights ? R : 0)) };
  });

const tuckerCase: fc.Arbitrary<Case> = fc
  .tuple(fc.array(fc.tuple(sizeArb, sizeArb), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.nat())
  .map(([pairs, perLeg, seed]) => {
    const I = pairs.map((p) => p[0]);
    const R = perLeg ? pairs.map((p) => p[1]) : pairs.map(() => pairs[0][1]);
    const legs = names(I.length, 'i');
    const r = rng(seed);
    const data: Record<string, Dense> = { core: new Dense(R, r) };
    I.forEach((n, k) => (data[`U${k + 1}`] = new Dense([n, R[k]], r)));
    const dense = tabulate(I, (idx) => {
      let s = 0;
      forEach(R, (rr) => (s += data.core.get(rr) * prod(idx.map((i, n) => data[`U${n + 1}`].get([i, rr[n]])))));
      return s;
    });
    const text = `tucker(legs: ${list(legs)}, ranks: ${perLeg ? list(R) : String(R[0])})`;
    return { text, dims: dimsOf(legs, I), legs, data, dense, params: BigInt(prod(R) + I.reduce((s, n, k) => s + n * R[k], 0)) };
  });

/**
 * Dense tensor of a (matrix) train: `sites[k]` are the leg sizes at site k (1 for tt, 2 for ttm),
 * `bonds` the bond sizes (N-1 open, N ring). Core k has layout [left?, ...site, right?].
 * Legs of the result: all first site legs, then all second site legs (ttm: in then out).
 */
function trainDense(sites: number[][], bonds: number[], ring: boolean, data: Record<string, Dense>): Dense {
  const N = sites.length;
  const per = sites[0].length;
  const shape = Array.from({ length: per }, (_, j) => sites.map((s) => s[j])).flat();
  return tabulate(shape, (idx) => {
    let acc: number[][] | undefined;
    for (let k = 0; k < N; k++) {
      const left = k > 0 ? bonds[k - 1] : ring ? bonds[N - 1] : undefined;
      const right = k < N - 1 || ring ? bonds[k] : undefined;
      const siteIdx = Array.from({ length: per }, (_, j) => idx[j * N + k]);
      const m: number[][] = [];
      for (let a = 0; a < (left ?? 1); a++) {
        m.push([]);
        for (let b = 0; b < (right ?? 1); b++) {
          const at = [...(left !== undefined ? [a] : []), ...siteIdx, ...(right !== undefined ? [b] : [])];
          m[a].push(data[`core${k + 1}`].get(at));
        }
      }
      acc = acc ? matmul(acc, m) : m;
    }
    return acc!.reduce((s, row, a) => s + row[a], 0);
  });
}

function trainData(sites: number[][], bonds: number[], ring: boolean, seed: number): Record<string, Dense> {
  const r = rng(seed);
  const N = sites.length;
  const data: Record<string, Dense> = {};
  sites.forEach((s, k) => {
    const left = k > 0 ? [bonds[k - 1]] : ring ? [bonds[N - 1]] : [];
    const right = k < N - 1 || ring ? [bonds[k]] : [];
    data[`core${k + 1}`] = new Dense([...left, ...s, ...right], r);
  });
  return data;
}

function trainParams(sites: number[][], bonds: number[], ring: boolean): bigint {
  const N = sites.length;
  let total = 0;
  sites.forEach((s, k) => {
    const left = k > 0 ? bonds[k - 1] : ring ? bonds[N - 1] : 1;
    const right = k < N - 1 || ring ? bonds[k] : 1;
    total += left * prod(s) * right;
  });
  return BigInt(total);
}

const ttCase: fc.Arbitrary<Case> = fc
  .tuple(fc.array(fc.tuple(sizeArb, sizeArb), { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean(), fc.nat())
  .map(([pairs, ring, oneRank, seed]) => {
    const I = pairs.map((p) => p[0]);
    const nb = ring ? I.length : I.length - 1;
    const bonds = pairs.slice(0, nb).map((p) => (oneRank ? pairs[0][1] : p[1]));
    const legs = names(I.length, 'i');
    const sites = I.map((n) => [n]);
    const data = trainData(sites, bonds, ring, seed);
    const text = `tt(legs: ${list(legs)}, rank: ${oneRank ? String(pairs[0][1]) : list(bonds)}${ring ? ', ring: true' : ''})`;
    return { text, dims: dimsOf(legs, I), legs, data, dense: trainDense(sites, bonds, ring, data), params: trainParams(sites, bonds, ring) };
  });

const ttmCase: fc.Arbitrary<Case> = fc
  .tuple(fc.array(fc.tuple(sizeArb, sizeArb, fc.integer({ min: 1, max: 2 })), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.nat())
  .map(([triples, ring, seed]) => {
    const N = triples.length;
    const bonds = triples.slice(0, ring ? N : N - 1).map((t) => t[2]);
    const ins = names(N, 'i');
    const outs = names(N, 'o');
    const dims = { ...dimsOf(ins, triples.map((t) => t[0])), ...dimsOf(outs, triples.map((t) => t[1])) };
    const sites = triples.map((t) => [t[0], t[1]]);
    const data = trainData(sites, bonds, ring, seed);
    const text = `ttm(in: ${list(ins)}, out: ${list(outs)}, ranks: ${list(bonds)}, ring: ${ring})`;
    return { text, dims, legs: [...ins, ...outs], data, dense: trainDense(sites, bonds, ring, data), params: trainParams(sites, bonds, ring) };
  });

const pepsCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.record({ rows: fc.integer({ min: 1, max: 3 }), cols: fc.integer({ min: 1, max: 3 }) }).filter(({ rows, cols }) => rows * cols <= 6),
    fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 9, maxLength: 9 }),
    fc.integer({ min: 1, max: 2 }),
    fc.boolean(),
    fc.nat(),
  )
  .map(([{ rows, cols }, physPool, D, withPhys, seed]) => {
    const phys = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => physPool[r * cols + c]));
    const legName = (r: number, c: number) => `p${r + 1}_${c + 1}`;
    const dims: Record<string, number> = {};
    if (withPhys) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dims[legName(r, c)] = phys[r][c];
    const gridText = withPhys
      ? list(Array.from({ length: rows }, (_, r) => list(Array.from({ length: cols }, (_, c) => legName(r, c)))))
      : list([rows, cols]);
    // Bond variables: horizontal h[r][c] (c < cols-1) and vertical v[r][c] (r < rows-1).
    const hCount = rows * (cols - 1);
    const vCount = (rows - 1) * cols;
    const h = (b: number[], r: number, c: number) => b[r * (cols - 1) + c];
    const v = (b: number[], r: number, c: number) => b[hCount + r * cols + c];
    const r0 = rng(seed);
    const data: Record<string, Dense> = {};
    const siteShape = (r: number, c: number) => [
      ...(withPhys ? [phys[r][c]] : []),
      ...(r > 0 ? [D] : []),
      ...(c > 0 ? [D] : []),
      ...(c < cols - 1 ? [D] : []),
      ...(r < rows - 1 ? [D] : []),
    ];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[`site${r + 1}_${c + 1}`] = new Dense(siteShape(r, c), r0);
    const legShape = withPhys ? phys.flat() : [];
    const bondShape = Array.from({ length: hCount + vCount }, () => D);
    const dense = tabulate(legShape, (p) => {
      let total = 0;
      forEach(bondShape, (b) => {
        let term = 1;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const at = [
              ...(withPhys ? [p[r * cols + c]] : []),
              ...(r > 0 ? [v(b, r - 1, c)] : []),
              ...(c > 0 ? [h(b, r, c - 1)] : []),
              ...(c < cols - 1 ? [h(b, r, c)] : []),
              ...(r < rows - 1 ? [v(b, r, c)] : []),
            ];
            term *= data[`site${r + 1}_${c + 1}`].get(at);
          }
        }
        total += term;
      });
      return total;
    });
    let params = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) params += prod(siteShape(r, c));
    const legs = withPhys ? Array.from({ length: rows * cols }, (_, k) => legName(Math.floor(k / cols), k % cols)) : [];
    return { text: `peps(grid: ${gridText}, bond: ${D})`, dims, legs, data, dense, params: BigInt(params) };
  });

type Shape = number | Shape[];

/** Random tree shapes: a leaf (0) or a group of 2-3 subtrees; at most 5 leaves. */
const treeArb: fc.Arbitrary<Shape[]> = fc
  .letrec<{ node: Shape }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(0), fc.array(tie('node'), { minLength: 2, maxLength: 3 })),
  }))
  .node.filter((t): t is Shape[] => Array.isArray(t) && countLeaves(t) <= 5);

function countLeaves(t: Shape): number {
  return Array.isArray(t) ? t.reduce<number>((s, c) => s + countLeaves(c), 0) : 1;
}

function nonRootCount(t: Shape): number {
  return Array.isArray(t) ? t.reduce<number>((s, c) => s + 1 + nonRootCount(c), 0) : 0;
}

/** Writes a shape as a tree text with legs named i1.. left to right. */
function treeText(t: Shape, counter = { n: 0 }): string {
  return Array.isArray(t) ? `(${t.map((c) => treeText(c, counter)).join(', ')})` : `i${++counter.n}`;
}

/**
 * Dense value of a hierarchical Tucker network, computed bottom-up with explicit loops.
 * Documented layout: leaves U1..UN left to right with [leg, r]; inner nodes B1..BK in
 * pre-order with [r_children..., r_own] (root: [r_children..., ...rootExtra]); ranks by
 * pre-order of non-root nodes. Returns the tensor over [leaves..., ...rootExtra].
 */
function htDense(root: Shape[], legSizes: number[], ranks: number[], rootExtra: number[], seed: number) {
  const r0 = rng(seed);
  const data: Record<string, Dense> = {};
  let leafNo = 0;
  let innerNo = 0;
  let rankNo = 0;
  interface Node {
    rank?: number;
    leaf?: number;
    name: string;
    children: Node[];
  }
  // Names and ranks in pre-order: a node is numbered before its children.
  const build = (s: Shape, isRoot: boolean): Node => {
    const rank = isRoot ? undefined : ranks[rankNo++];
    if (!Array.isArray(s)) {
      const leaf = leafNo++;
      return { rank, leaf, name: `U${leaf + 1}`, children: [] };
    }
    const node: Node = { rank, name: `B${++innerNo}`, children: [] };
    node.children = s.map((c) => build(c, false));
    return node;
  };
  const tree = build(root, true);
  const makeData = (n: Node): void => {
    if (n.leaf !== undefined) data[n.name] = new Dense([legSizes[n.leaf], n.rank!], r0);
    else data[n.name] = new Dense([...n.children.map((c) => c.rank!), ...(n.rank !== undefined ? [n.rank] : rootExtra)], r0);
    n.children.forEach(makeData);
  };
  makeData(tree);
  // The value of a node as a tensor over [its leaves..., its own rank or rootExtra].
  const value = (n: Node): { legs: number[]; t: Dense } => {
    if (n.leaf !== undefined) return { legs: [legSizes[n.leaf]], t: data[n.name] };
    const parts = n.children.map(value);
    const legs = parts.flatMap((p) => p.legs);
    const own = n.rank !== undefined ? [n.rank] : rootExtra;
    const childRanks = n.children.map((c) => c.rank!);
    const t = tabulate([...legs, ...own], (idx) => {
      const ownIdx = idx.slice(legs.length);
      let s = 0;
      forEach(childRanks, (rc) => {
        let term = data[n.name].get([...rc, ...ownIdx]);
        let off = 0;
        parts.forEach((p, j) => {
          term *= p.t.get([...idx.slice(off, off + p.legs.length), rc[j]]);
          off += p.legs.length;
        });
        s += term;
      });
      return s;
    });
    return { legs, t };
  };
  const params = BigInt(Object.values(data).reduce((s, d) => s + d.data.length, 0));
  return { dense: value(tree).t, data, params };
}

const htCase: fc.Arbitrary<Case> = fc
  .tuple(treeArb, fc.array(sizeArb, { minLength: 5, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 12, maxLength: 12 }), fc.boolean(), fc.nat())
  .map(([tree, legPool, rankPool, oneRank, seed]) => {
    const N = countLeaves(tree);
    const E = nonRootCount(tree);
    const legSizes = legPool.slice(0, N);
    const ranks = oneRank ? Array.from({ length: E }, () => rankPool[0]) : rankPool.slice(0, E);
    const legs = names(N, 'i');
    const { dense, data, params } = htDense(tree, legSizes, ranks, [], seed);
    return { text: `ht(${treeText(tree)}, ${oneRank ? ranks[0] : list(ranks)})`, dims: dimsOf(legs, legSizes), legs, data, dense, params };
  });

const shallowCase: fc.Arbitrary<Case> = fc
  .tuple(fc.array(sizeArb, { minLength: 1, maxLength: 4 }), sizeArb, fc.integer({ min: 1, max: 3 }), fc.nat())
  .map(([M, Y, Z, seed]) => {
    const patches = names(M.length, 'm');
    const r = rng(seed);
    const data: Record<string, Dense> = {};
    M.forEach((m, n) => (data[`U${n + 1}`] = new Dense([m, Z], r)));
    data.Y = new Dense([Y, Z], r);
    const dense = tabulate([Y, ...M], ([y, ...d]) => {
      let s = 0;
      for (let z = 0; z < Z; z++) s += data.Y.get([y, z]) * prod(d.map((i, n) => data[`U${n + 1}`].get([i, z])));
      return s;
    });
    const text = `circuit(kind: shallow, patches: ${list(patches)}, classes: y, rank: ${Z})`;
    return { text, dims: { ...dimsOf(patches, M), y: Y }, legs: ['y', ...patches], data, dense, params: BigInt(M.reduce((s, m) => s + m * Z, 0) + Y * Z) };
  });

const deepCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(fc.record({ pool: fc.constant(2), layers: fc.integer({ min: 1, max: 2 }) }), fc.record({ pool: fc.constant(3), layers: fc.constant(1) })),
    fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 4, maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
    sizeArb,
    fc.nat(),
  )
  .map(([{ pool, layers }, M, R, Y, seed]) => {
    const N = pool ** layers;
    const patchSizes = M.slice(0, N);
    const perLayer = R.slice(0, layers);
    const patches = names(N, 'm');
    // The balanced pooling tree: groups of `pool` adjacent nodes, layer by layer.
    const group = (xs: Shape[]): Shape[] => (xs.length === 1 ? (xs[0] as Shape[]) : group(Array.from({ length: xs.length / pool }, (_, k) => xs.slice(k * pool, k * pool + pool))));
    const tree = group(Array.from({ length: N }, () => 0));
    // Rank of a non-root node = per-layer rank of its level (leaves are level 0), in pre-order.
    const ranks: number[] = [];
    const walk = (s: Shape, level: number) => {
      if (!Array.isArray(s)) return;
      for (const c of s) {
        ranks.push(perLayer[level - 1]);
        walk(c, level - 1);
      }
    };
    walk(tree, layers);
    const { dense, data, params } = htDense(tree, patchSizes, ranks, [Y], seed);
    // htDense gives [m..., y]; the circuit's legs are [y, m...].
    const moved = tabulate([Y, ...patchSizes], ([y, ...d]) => dense.get([...d, y]));
    const text = `circuit(kind: deep, patches: ${list(patches)}, classes: y, rank: ${list(perLayer)}${pool !== 2 ? `, pool: ${pool}` : ''})`;
    return { text, dims: { ...dimsOf(patches, patchSizes), y: Y }, legs: ['y', ...patches], data, dense: moved, params };
  });

/** The expansion, evaluated by the reference einsum, equals the dense tensor; parameters match. */
function checkExpansion(c: Case): void {
  const { expansion, diagnostics, sizes } = expandText(c.text, c.dims);
  expect(diagnostics).toEqual([]);
  expect(expansion!.legs).toEqual(c.legs);
  expect(maxRelError(evaluate(expansion!, sizes, c.data), c.dense.data)).toBeLessThan(1e-12);
  expect(paramCount(expansion!, sizes, c.text.slice(0, c.text.indexOf('(')))).toBe(c.params);
}

/** The family compiled from .tn source (CPU, f64) and run on the factor data equals the dense tensor. */
function checkCompiled(c: Case): void {
  const dimLine = Object.keys(c.dims).length > 0 ? `dim ${Object.entries(c.dims).map(([k, v]) => `${k} = ${v}`).join(', ')}\n` : '';
  const source = `${dimLine}param W = ${c.text}\nout T[${c.legs.join(', ')}] = W[${c.legs.join(', ')}]\n`;
  const mod = compile(source, { dtype: 'f64' });
  const inputs = Object.fromEntries(Object.entries(c.data).map(([suffix, d]) => [`W_${suffix}`, d.data]));
  const got = mod.functions.T(inputs);
  expect(maxRelError(got, c.dense.data), source).toBeLessThan(1e-10);
}

const cases: [string, fc.Arbitrary<Case>][] = [
  ['cp', cpCase],
  ['tucker', tuckerCase],
  ['tt (open and ring)', ttCase],
  ['ttm (open and ring)', ttmCase],
  ['peps (with and without physical legs)', pepsCase],
  ['ht (random trees)', htCase],
  ['circuit shallow', shallowCase],
  ['circuit deep (pool 2 and 3)', deepCase],
];

describe.each(cases)('%s', (_, arb) => {
  const runs = fc.readConfigureGlobal().numRuns ?? 100;
  it('expansion equals the dense tensor built with explicit loops; parameter count is the closed form', () => {
    fc.assert(fc.property(arb, checkExpansion), { numRuns: Math.min(runs, 60) });
  });
  it('compiled module (CPU, f64) equals the dense tensor', () => {
    fc.assert(fc.property(arb, checkCompiled), { numRuns: Math.max(1, Math.round(runs / 8)) });
  });
});

describe('ht and circuit specifics', () => {
  it('closed-form parameter count for a balanced binary tree over 8 legs', () => {
    const legs = names(8, 'i');
    const { expansion, sizes } = expandText('ht((((i1, i2), (i3, i4)), ((i5, i6), (i7, i8))), 3)', dimsOf(legs, Array(8).fill(4)));
    // 8 leaves 4x3, 6 non-root inner nodes 3x3x3, root 3x3.
    expect(paramCount(expansion!, sizes, 'ht')).toBe(BigInt(8 * 12 + 6 * 27 + 9));
  });

  it('`legs` reorders the represented tensor without changing the factors', () => {
    const dims = { a: 2, b: 3, c: 2 };
    const base = expandText('ht(((a, b), c), 2)', dims);
    const re = expandText('ht(((a, b), c), 2, legs: [c, a, b])', dims);
    expect(re.expansion!.factors).toEqual(base.expansion!.factors);
    expect(re.expansion!.legs).toEqual(['c', 'a', 'b']);
  });

  it('shallow circuit classifier: scores[b, y] keep the batch and equal a direct evaluation', () => {
    fc.assert(
      fc.property(shallowCase, fc.nat(), (c, seed) => {
        const { expansion, sizes } = expandText(c.text, c.dims);
        const patches = c.legs.slice(1);
        const B = 2;
        const r = rng(seed);
        const reps = patches.map((p) => new Dense([B, c.dims[p]], r));
        const scoreNet = referenceEinsum(
          [...expansion!.factors.map((f) => f.dims), ...patches.map((p) => ['b', p])],
          ['b', 'y'],
          [...expansion!.factors.map((f) => c.data[f.suffix]), ...reps],
          { ...sizes, b: B },
        );
        const Z = c.data.Y.shape[1];
        const direct = tabulate([B, c.dims.y], ([b, y]) => {
          let s = 0;
          for (let z = 0; z < Z; z++) {
            let term = c.data.Y.get([y, z]);
            patches.forEach((p, n) => {
              let dot = 0;
              for (let i = 0; i < c.dims[p]; i++) dot += c.data[`U${n + 1}`].get([i, z]) * reps[n].get([b, i]);
              term *= dot;
            });
            s += term;
          }
          return s;
        });
        expect(maxRelError(scoreNet, direct.data)).toBeLessThan(1e-12);
      }),
    );
  });
});

// ---------- names, registry, diagnostics ----------

describe('factor names', () => {
  const cases: [string, Record<string, number>, string[]][] = [
    ['cp([i, j, k], 4, weights: true)', { i: 2, j: 3, k: 4 }, ['A1', 'A2', 'A3', 'w']],
    ['tucker([i, j], [2, 3])', { i: 2, j: 3 }, ['core', 'U1', 'U2']],
    ['tt([i, j, k], 2, ring: true)', { i: 2, j: 3, k: 4 }, ['core1', 'core2', 'core3']],
    ['ttm(in: [i, j], out: [k, l], rank: 2)', { i: 2, j: 3, k: 4, l: 2 }, ['core1', 'core2']],
    ['peps([[a, b], [c, d]], 2)', { a: 2, b: 2, c: 2, d: 2 }, ['site1_1', 'site1_2', 'site2_1', 'site2_2']],
    ['ht(((a, b), (c, d)), 2)', { a: 2, b: 2, c: 2, d: 2 }, ['U1', 'U2', 'U3', 'U4', 'B1', 'B2', 'B3']],
    ['circuit(deep, [a, b, c, d], y, 2)', { a: 2, b: 2, c: 2, d: 2, y: 3 }, ['U1', 'U2', 'U3', 'U4', 'B1', 'B2', 'B3']],
    ['circuit(shallow, [a, b], y, 2)', { a: 2, b: 2, y: 3 }, ['U1', 'U2', 'Y']],
  ];
  it.each(cases)('%s has the documented factor suffixes, identical across runs', (text, dims, suffixes) => {
    const a = expandText(text, dims);
    const b = expandText(text, dims);
    expect(a.diagnostics).toEqual([]);
    expect(a.expansion!.factors.map((f) => f.suffix)).toEqual(suffixes);
    expect(JSON.stringify(b.expansion)).toBe(JSON.stringify(a.expansion));
    expect(a.fresh).toEqual(b.fresh);
  });

  it('bond names are derived from the tensor name', () => {
    const { expansion } = expandText('tt([i, j, k], 2)', { i: 2, j: 2, k: 2 }, 'Psi');
    expect(expansion!.factors.map((f) => f.dims)).toEqual([
      ['i', 'Psi.b1'],
      ['Psi.b1', 'j', 'Psi.b2'],
      ['Psi.b2', 'k'],
    ]);
    const p = expandText('peps([[a, b], [c, d]], 2)', { a: 2, b: 2, c: 2, d: 2 }, 'P');
    expect(p.expansion!.factors.map((f) => f.dims)).toEqual([
      ['a', 'P.h1_1', 'P.v1_1'],
      ['b', 'P.h1_1', 'P.v1_2'],
      ['c', 'P.v1_1', 'P.h2_1'],
      ['d', 'P.v1_2', 'P.h2_1'],
    ]);
  });

  it('registry lists every family once with a signature', () => {
    expect(families.map((f) => f.name)).toEqual(['cp', 'tucker', 'tt', 'ttm', 'peps', 'ht', 'circuit']);
    for (const f of families) expect(f.signature.startsWith(`${f.name}(`)).toBe(true);
  });

  it('a rank may be given as a fixed dim; its size is used', () => {
    const { expansion, sizes, diagnostics } = expandText('cp([i, j], r)', { i: 2, j: 3, r: 5 });
    expect(diagnostics).toEqual([]);
    expect(sizes[expansion!.factors[0].dims[1]]).toBe(5);
  });
});

/** Expands and returns [code, spanned text] pairs. */
function diags(text: string, dims: Record<string, number | 'sym'>): [string, string][] {
  const { diagnostics, expansion } = expandText(text, dims);
  if (diagnostics.length > 0) expect(expansion).toBeUndefined();
  return diagnostics.map((d) => [d.code, text.slice(d.span.start, d.span.end)]);
}

describe('bad arguments', () => {
  const d4 = { i: 2, j: 3, k: 4, l: 2, y: 3, b: 'sym' as const };
  it.each<[string, [string, string][]]>([
    ['cp([i, j], 0)', [['expand/bad-rank', '0']]],
    ['cp([i, j], -2)', [['expand/bad-rank', '-2']]],
    ['cp([i, j], 1.5)', [['expand/bad-rank', '1.5']]],
    ['cp([i, j], q)', [['expand/bad-rank', 'q']]],
    ['cp([i, j, i], 2)', [['expand/duplicate-leg', 'i']]],
    ['cp([i, q], 2)', [['expand/unknown-dim', 'q']]],
    ['cp([i, j], 2, wieghts: true)', [['expand/unknown-argument', 'wieghts: true']]],
    ['cp([i, j])', [['expand/missing-argument', 'cp([i, j])']]],
    ['cp([i, j], 2, rank: 3)', [['expand/duplicate-argument', 'rank: 3']]],
    ['cp([i, j], 2, true, 4)', [['expand/too-many-arguments', '4']]],
    ['cp(i, 2)', [['expand/bad-argument', 'i']]],
    ['cp([], 2)', [['expand/bad-argument', '[]']]],
    ['cp([i], 2, weights: maybe)', [['expand/bad-argument', 'maybe']]],
    ['tucker([i, j, k], [2, 2])', [['expand/rank-count', '[2, 2]']]],
    ['tucker([i, j], [2, 0])', [['expand/bad-rank', '0']]],
    ['tt([i, j, k], [2, 2, 2])', [['expand/rank-count', '[2, 2, 2]']]],
    ['tt([i, j, k], [2, 2], ring: true)', [['expand/rank-count', '[2, 2]']]],
    ['ttm(in: [i, j], out: [k], rank: 2)', [['expand/length-mismatch', '[k]']]],
    ['ttm(in: [i, j], out: [k, i], rank: 2)', [['expand/duplicate-leg', 'i']]],
    ['peps([[i, j], [k]], 2)', [['expand/bad-grid', '[k]']]],
    ['peps([[i, j], [k, l]], 0)', [['expand/bad-rank', '0']]],
    ['peps([2, 3, 4], 2)', [['expand/bad-grid', '[2, 3, 4]']]],
    ['peps([[i, j], k], 2)', [['expand/bad-argument', 'k']]],
    ['ht(((i, j), (k, i)), 2)', [['expand/duplicate-leg', 'i']]],
    ['ht(((i, j), (k)), 2)', [['expand/bad-tree', '(k)']]],
    ['ht(((i, j), k), 2, legs: [i, j, k, l])', [['expand/tree-mismatch', '((i, j), k)']]],
    ['ht(((i, j), l), 2, legs: [i, j, k])', [['expand/tree-mismatch', '((i, j), l)'], ['expand/tree-mismatch', 'l']]],
    ['ht(i, 2)', [['expand/bad-tree', 'i']]],
    ['ht(((i, j), k), [2, 2])', [['expand/rank-count', '[2, 2]']]],
    ['circuit(deep, [i, j, k], y, 2)', [['expand/bad-pool', '[i, j, k]']]],
    ['circuit(medium, [i, j], y, 2)', [['expand/bad-argument', 'medium']]],
    ['circuit(shallow, [i, y], y, 2)', [['expand/duplicate-leg', 'y']]],
    ['circuit(shallow, [i, j], y, 2, pool: 2)', [['expand/bad-argument', 'pool: 2']]],
    ['circuit(deep, [i, j], y, 2, pool: 1)', [['expand/bad-argument', '1']]],
  ])('%s', (text, expected) => {
    expect(diags(text, d4)).toEqual(expected);
  });

  it('reports every bad argument of a call, not just the first', () => {
    expect(diags('cp([i, i], 0)', d4)).toEqual([
      ['expand/duplicate-leg', 'i'],
      ['expand/bad-rank', '0'],
    ]);
    expect(diags('tt([i, q], 0, ring: 7)', d4)).toEqual([
      ['expand/unknown-dim', 'q'],
      ['expand/bad-argument', '7'],
      ['expand/bad-rank', '0'],
    ]);
    expect(diags('tucker([i, i], [2, 0])', d4)).toEqual([
      ['expand/duplicate-leg', 'i'],
      ['expand/bad-rank', '0'],
    ]);
    expect(diags('ttm(in: [i], out: [q], rank: 0)', d4)).toEqual([
      ['expand/unknown-dim', 'q'],
      ['expand/bad-rank', '0'],
    ]);
    expect(diags('ht(((i, j), (k)), [2, 0])', d4)).toEqual([
      ['expand/bad-tree', '(k)'],
      ['expand/bad-rank', '0'],
    ]);
  });

  it('suggests the nearest argument name', () => {
    const { diagnostics } = expandText('tt([i, j], rnak: 2)', { i: 2, j: 2 });
    expect(diagnostics.map((d) => d.code)).toContain('expand/unknown-argument');
    expect(diagnostics[0].message).toContain("did you mean 'rank'");
  });
});

// ---------- the same networks written in the .tn language, with and without families ----------


function analyzeText(text: string): Program {
  const r = analyze(SourceFile.from('test.tn', text));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.value!;
}

/**
 * A canonical form of a one-term statement: tensors renamed by `rename` and sorted, internal
 * indices renamed in order of first appearance, with their sizes. Equal forms mean the same
 * network up to the names of internal indices.
 */
function canonical(net: TensorNetwork, rename: (name: string) => string): string {
  const tensors = net.tensors.map((t) => ({ name: rename(t.name), indices: t.indices })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new Set(net.output);
  const map = new Map<string, string>();
  const ix = (i: string) => {
    if (out.has(i)) return `${i}:${net.sizes[i]}`;
    if (!map.has(i)) map.set(i, `_${map.size}:${net.sizes[i]}`);
    return map.get(i)!;
  };
  return `${tensors.map((t) => `${t.name}[${t.indices.map(ix).join(',')}]`).join(' ')} -> [${net.output.join(',')}]`;
}

const seq = (n: number, f: (k: number) => string) => Array.from({ length: n }, (_, k) => f(k + 1)).join(', ');

describe('families and hand-written networks agree', () => {
  it('tt (open and ring) equals prod(...) over indexed cores', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), sizeArb, sizeArb, fc.boolean(), (N, I, R, ring) => {
        const legs = seq(N, (n) => `i{${n}}`);
        const head = `const N = ${N}\ndim i{n in 1..N} = ${I}\n`;
        const fam = analyzeText(`${head}param W = tt([${legs}], rank: ${R}${ring ? ', ring: true' : ''})\nout T[${legs}] = W[${legs}]\n`);
        const custom = ring
          ? `${head}dim r{k in 1..N} = ${R}\nparam G{n in 1..N}[r{(n + N - 2) % N + 1}, i{n}, r{n}]\nout T[${legs}] = prod(n in 1..N) G{n}[r{(n + N - 2) % N + 1}, i{n}, r{n}]\n`
          : `${head}dim r{k in 1..N-1} = ${R}\nparam G{1}[i{1}, r{1}]\nparam G{n in 2..N-1}[r{n-1}, i{n}, r{n}]\nparam G{N}[r{N-1}, i{N}]\n` +
            `out T[${legs}] = G{1}[i{1}, r{1}] prod(n in 2..N-1) G{n}[r{n-1}, i{n}, r{n}] G{N}[r{N-1}, i{N}]\n`;
        const hand = analyzeText(custom);
        const a = fam.statements[0].terms[0].network;
        const b = hand.statements[0].terms[0].network;
        expect(canonical(a, (n) => n.replace(/^W_core(\d+)$/, 'G{$1}'))).toBe(canonical(b, (n) => n));
        // And numerically, with the same data under both names.
        const r = rng(N * 31 + I * 7 + R);
        const data = new Map(hand.factors.map((f) => [f.name, new Dense(f.dims.map((d) => b.sizes[d]), r)]));
        const operands = (net: TensorNetwork, rename: (n: string) => string) => net.tensors.map((t) => data.get(rename(t.name))!);
        const va = referenceEinsum(a.tensors.map((t) => t.indices), a.output, operands(a, (n) => n.replace(/^W_core(\d+)$/, 'G{$1}')), a.sizes);
        const vb = referenceEinsum(b.tensors.map((t) => t.indices), b.output, operands(b, (n) => n), b.sizes);
        expect(maxRelError(va, vb)).toBeLessThan(1e-12);
      }),
      { numRuns: Math.min(fc.readConfigureGlobal().numRuns ?? 100, 30) },
    );
  });

  it('cp equals prod(n in 1..N) A{n}[i{n}, r] with the rank index as a hyperedge', () => {
    for (const N of [1, 3, 5]) {
      const legs = seq(N, (n) => `i{${n}}`);
      const head = `const N = ${N}\ndim i{n in 1..N} = 2\n`;
      const fam = analyzeText(`${head}param X = cp([${legs}], rank: 3, weights: true)\nout T[${legs}] = X[${legs}]\n`);
      const hand = analyzeText(`${head}dim r = 3\nparam A{n in 1..N}[i{n}, r], w[r]\nout T[${legs}] = w[r] prod(n in 1..N) A{n}[i{n}, r]\n`);
      const rename = (n: string) => n.replace(/^X_A(\d+)$/, 'A{$1}').replace(/^X_w$/, 'w');
      expect(canonical(fam.statements[0].terms[0].network, rename)).toBe(canonical(hand.statements[0].terms[0].network, (n) => n));
    }
  });

  it('shallow circuit scores equal the hand-written classifier network', () => {
    const N = 4;
    const ms = seq(N, (n) => `m{${n}}`);
    const head = `const N = ${N}\ndim m{n in 1..N} = 3\ndim y = 2\ndim b ~ 5\ninput rep{n in 1..N}[b, m{n}]\n`;
    const fam = analyzeText(`${head}param A = circuit(kind: shallow, patches: [${ms}], classes: y, rank: 4)\nout s[b, y] = A[y, ${ms}] prod(n in 1..N) rep{n}[b, m{n}]\n`);
    const hand = analyzeText(`${head}dim z = 4\nparam U{n in 1..N}[m{n}, z], Y[y, z]\nout s[b, y] = Y[y, z] prod(n in 1..N) (U{n}[m{n}, z] rep{n}[b, m{n}])\n`);
    const rename = (n: string) => n.replace(/^A_U(\d+)$/, 'U{$1}').replace(/^A_Y$/, 'Y');
    expect(canonical(fam.statements[0].terms[0].network, rename)).toBe(canonical(hand.statements[0].terms[0].network, (n) => n));
  });

  it('a family call in a .tn file reports its argument errors at the argument', () => {
    const text = 'dim i = 2, j = 3\nparam W = tucker(legs: [i, j, i], ranks: 0)\n';
    const r = analyze(SourceFile.from('bad.tn', text));
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, text.slice(d.span.start, d.span.end)])).toEqual([
      ['expand/duplicate-leg', 'i'],
      ['expand/bad-rank', '0'],
    ]);
  });
});
