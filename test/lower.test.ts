import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { lower, lowerNetwork, lowerTerms } from '../src/backends/lower.js';
import { printPlan, validatePlan, type KernelPlan } from '../src/backends/plan.js';
import { interpret } from '../src/backends/cpu/interpret.js';
import { createRunner, createRunners } from '../src/backends/cpu/runtime.js';
import { planContraction, type PlannedContraction } from '../src/optimizer/plan-contraction.js';
import { toProblem } from '../src/optimizer/problem.js';
import { fromLinearPath, fromSsaPath, toLinearPath } from '../src/optimizer/tree.js';
import { treeCost } from '../src/optimizer/cost.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';
import { arbEinsum, randomData, type RandomEinsum } from './helpers/arbitraries.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

function networkOf(e: RandomEinsum): TensorNetwork {
  return { tensors: e.inputs.map((indices, i) => ({ name: `T${i}`, indices })), output: e.output, sizes: e.sizes };
}

/** A planned contraction with an arbitrary tree: `picks` chooses which live operands merge. */
function plannedWith(net: TensorNetwork, picks: number[]): PlannedContraction {
  const problem = toProblem(net);
  const n = problem.inputs.length;
  const live = Array.from({ length: n }, (_, i) => i);
  const ssa: number[][] = [];
  let next = n;
  let p = 0;
  while (live.length > 1) {
    const i = (picks[p++ % picks.length] ?? 0) % live.length;
    const [x] = live.splice(i, 1);
    const j = (picks[p++ % picks.length] ?? 0) % live.length;
    const [y] = live.splice(j, 1);
    ssa.push([x, y]);
    live.push(next++);
  }
  const tree = fromSsaPath(n, ssa);
  return { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: 'test' };
}

function dataFor(e: RandomEinsum, seed: number, ctor: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array) {
  return e.inputs.map((ixs, t) => {
    const shape = ixs.map((ix) => e.sizes[ix]);
    return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + t, ctor) };
  });
}

function explain(plan: KernelPlan): string {
  return printPlan(plan);
}

const arb = arbEinsum({ maxOperands: 8, maxIndicesPerOperand: 6, maxSize: 5 });

describe('lower', () => {
  test('random einsums: interpret(lower) matches the reference in f64 and the plan validates', () => {
    fc.assert(
      fc.property(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), fc.nat(), (e, picks, seed) => {
        const net = networkOf(e);
        const plan = lowerNetwork(net, plannedWith(net, picks));
        expect(validatePlan(plan), explain(plan)).toEqual([]);
        const ops = dataFor(e, seed);
        const inputs = Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data]));
        const got = interpret(plan, inputs);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        expect(maxRelError(got, want), explain(plan)).toBeLessThan(1e-10);
      }),
    );
  });

  test('sliced execution: any set of sliced indices (summed, kept, repeated) gives the same result', () => {
    fc.assert(
      fc.property(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.nat(), (e, picks, mask, seed) => {
        const net = networkOf(e);
        const planned = plannedWith(net, picks);
        const indices = Object.keys(e.sizes).filter((_, i) => mask[i % 8]);
        const count = indices.reduce((p, ix) => p * e.sizes[ix], 1);
        const plan = lowerNetwork(net, { ...planned, slices: { indices, count, cost: planned.cost, overhead: 1 } });
        expect(validatePlan(plan), explain(plan)).toEqual([]);
        if (indices.length > 0 && e.inputs.length > 0) expect(plan.loops?.length, explain(plan)).toBe(1);
        const ops = dataFor(e, seed);
        const got = interpret(plan, Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data])));
        expect(maxRelError(got, referenceEinsum(e.inputs, e.output, ops, e.sizes)), explain(plan)).toBeLessThan(1e-10);
      }),
    );
  });

  test('random einsums in f32 match the reference loosely', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (e, seed) => {
        const net = networkOf(e);
        const plan = lowerNetwork(net, planContraction(net));
        const ops = dataFor(e, seed, Float32Array);
        const inputs = Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data]));
        const got = interpret(plan, inputs);
        expect(got).toBeInstanceOf(Float32Array);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        // Relative to the sum of |terms| so cancellation does not inflate the error.
        const absOps = ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) }));
        const scale = referenceEinsum(e.inputs, e.output, absOps, e.sizes);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 * (1 + scale[i]));
      }),
      { numRuns: 50 },
    );
  });

  test('a matrix chain lowers to GEMMs without permutes', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['a', 'b'] },
        { name: 'B', indices: ['b', 'c'] },
        { name: 'C', indices: ['c', 'd'] },
      ],
      output: ['a', 'd'],
      sizes: { a: 2, b: 3, c: 4, d: 5 },
    };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.steps.map((s) => s.kind)).toEqual(['gemm', 'gemm']);
    const [g1, g2] = plan.steps;
    expect(g1).toMatchObject({ m: ['a'], k: ['b'], n: ['c'], batch: [], transA: false, transB: false });
    expect(g2).toMatchObject({ m: ['a'], k: ['c'], n: ['d'], c: plan.output });
    expect(plan.slots).toBe(1);
    expect(printPlan(plan)).toContain('gemm');
  });

  test('a transposed operand is read with transA/transB instead of a permute', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['b', 'a'] },
        { name: 'B', indices: ['c', 'b'] },
      ],
      output: ['a', 'c'],
      sizes: { a: 2, b: 3, c: 4 },
    };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ kind: 'gemm', transA: true, transB: true });
  });

  test('batched GEMM: indices shared and kept become the batch group', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['z', 'a', 'b'] },
        { name: 'B', indices: ['z', 'b', 'c'] },
      ],
      output: ['z', 'a', 'c'],
      sizes: { z: 3, a: 4, b: 4, c: 5 },
    };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.steps[0]).toMatchObject({ kind: 'gemm', batch: ['z'], m: ['a'], n: ['c'], k: ['b'] });
  });

  test('batched steps with tiny matrices (batched dot products) are one loop nest', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['z', 'b'] },
        { name: 'B', indices: ['z', 'b'] },
      ],
      output: ['z'],
      sizes: { z: 100, b: 8 },
    };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.steps.map((s) => s.kind)).toEqual(['einsum']);
  });

  test("a GEMM result is laid out for its consumer: no transpose between chained GEMMs", () => {
    // Found by comparing against layout choices that only looked at the current step: the
    // intermediate of T0·(T2·T4) used to be permuted before meeting T1.
    const e: RandomEinsum = {
      inputs: [['b', 'e', 'f'], ['b'], ['g', 'f', 'b', 'c'], ['e', 'a'], ['g']],
      output: ['f'],
      sizes: { b: 4, e: 3, f: 1, g: 3, c: 5, a: 5 },
    };
    const net = networkOf(e);
    const problem = toProblem(net);
    const tree = fromLinearPath(5, [[2, 4], [0, 2], [0, 1], [0, 1]]);
    const plan = lowerNetwork(net, { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: 'test' });
    expect(plan.steps.filter((s) => s.kind === 'permute').length, printPlan(plan)).toBeLessThanOrEqual(2);
    const ops = dataFor(e, 3);
    const got = interpret(plan, Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data])));
    expect(maxRelError(got, referenceEinsum(e.inputs, e.output, ops, e.sizes))).toBeLessThan(1e-12);
  });

  test('einsum steps write the order their reader wants: a diagonal-and-transpose is one step', () => {
    const net: TensorNetwork = { tensors: [{ name: 'A', indices: ['a', 'a', 'b'] }], output: ['b', 'a'], sizes: { a: 2, b: 3 } };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ kind: 'einsum', out: plan.output });
  });

  test('temps with disjoint lifetimes share slots', () => {
    const e: RandomEinsum = {
      inputs: [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']],
      output: ['f', 'a'],
      sizes: { a: 2, b: 3, c: 2, d: 3, e: 2, f: 3 },
    };
    const net = networkOf(e);
    const problem = toProblem(net);
    const tree = fromSsaPath(5, [[0, 1], [5, 2], [6, 3], [7, 4]]);
    const plan = lowerNetwork(net, { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: 'test' });
    const temps = plan.buffers.filter((b) => b.role === 'temp');
    expect(temps.length).toBeGreaterThan(plan.slots);
    expect(validatePlan(plan)).toEqual([]);
  });

  test('validatePlan reports a read before write and a bad permutation', () => {
    const plan: KernelPlan = {
      name: 'bad',
      dims: [
        { name: 'a', size: 2, symbolic: false },
        { name: 'b', size: 3, symbolic: false },
      ],
      buffers: [
        { id: 0, dims: ['a', 'b'], role: 'temp', slot: 0 },
        { id: 1, dims: ['b', 'a'], role: 'output' },
      ],
      inputs: [],
      output: 1,
      steps: [{ kind: 'permute', src: 0, dst: 1, perm: [0, 0] }],
      slots: 1,
    };
    const problems = validatePlan(plan);
    expect(problems.some((p) => p.includes('before it is written'))).toBe(true);
    expect(problems.some((p) => p.includes('not a permutation'))).toBe(true);
  });

  test('validatePlan catches slot clashes, GEMM group mismatches, einsum label mismatches and loop hazards', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['a', 'b'] },
        { name: 'B', indices: ['b', 'c'] },
        { name: 'C', indices: ['c', 'd'] },
        { name: 'D', indices: ['d', 'e'] },
      ],
      output: ['e', 'a'],
      sizes: { a: 2, b: 3, c: 4, d: 5, e: 2 },
    };
    // ((A B) (C D)): two temps alive at once.
    const problem = toProblem(net);
    const tree = fromSsaPath(4, [[0, 1], [2, 3], [4, 5]]);
    const good = lowerNetwork(net, { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: 'test' });
    expect(validatePlan(good)).toEqual([]);
    expect(good.slots).toBeGreaterThan(1);
    const clone = (): KernelPlan => JSON.parse(JSON.stringify(good));
    // Every temp in one slot: some temp is read after another overwrote it.
    const clash = clone();
    for (const b of clash.buffers) if (b.role === 'temp') b.slot = 0;
    clash.slots = 1;
    expect(validatePlan(clash).join('\n')).toMatch(/overwritten|same slot/);
    const gemm = clone();
    const g = gemm.steps.find((s) => s.kind === 'gemm')!;
    if (g.kind === 'gemm') g.k = ['d'];
    expect(validatePlan(gemm).join('\n')).toMatch(/has dims .* expected/);
    const ein = lowerNetwork({ tensors: [{ name: 'A', indices: ['a', 'a', 'b'] }], output: ['b'], sizes: { a: 2, b: 3 } }, planContraction({ tensors: [{ name: 'A', indices: ['a', 'a', 'b'] }], output: ['b'], sizes: { a: 2, b: 3 } }));
    expect(validatePlan(ein)).toEqual([]);
    const badEin = JSON.parse(JSON.stringify(ein)) as KernelPlan;
    const e0 = badEin.steps[0];
    if (e0.kind === 'einsum') e0.labelDims = e0.labelDims.map((d) => (d === 'a' ? 'b' : d));
    expect(validatePlan(badEin).join('\n')).toMatch(/axis \d is 'a' but label/);
    // A loop whose body reads a temp written before the loop.
    const loopy = clone();
    loopy.loops = [{ vars: ['a'], start: 1, end: loopy.steps.length, gathers: [] }];
    expect(validatePlan(loopy).join('\n')).toMatch(/this loop iteration has not written/);
  });

  test('symbolic dims are bound at call time', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'x', indices: ['b', 'i'] },
        { name: 'W', indices: ['i', 'o'] },
      ],
      output: ['b', 'o'],
      sizes: { b: 16, i: 3, o: 2 },
      symbolic: ['b'],
    };
    const plan = lowerNetwork(net, planContraction(net));
    expect(plan.dims.find((d) => d.name === 'b')).toEqual({ name: 'b', symbolic: true });
    for (const b of [1, 5]) {
      const x = randomData(b * 3, 1);
      const W = randomData(6, 2);
      const got = interpret(plan, { x, W }, { dims: { b } });
      const want = referenceEinsum([['b', 'i'], ['i', 'o']], ['b', 'o'], [
        { shape: [b, 3], data: x },
        { shape: [3, 2], data: W },
      ]);
      expect(maxRelError(got, want)).toBeLessThan(1e-12);
    }
    expect(() => interpret(plan, { x: randomData(3, 1), W: randomData(6, 2) })).toThrow(/symbolic dim 'b' needs a value/);
  });
});

describe('lower a program statement', () => {
  // dims i, j (declared), r; y[i,j] = 2·A[i,r]B[j,r] - 0.5·A[i,r']B[j,r'] with r' → dim r, plus let/out chains.
  const program: Program = {
    dims: [
      { name: 'i', size: { kind: 'fixed', size: 3 } },
      { name: 'j', size: { kind: 'symbolic', hint: 8 } },
      { name: 'r', size: { kind: 'fixed', size: 2 } },
    ],
    factors: [
      { name: 'A', role: 'param', dims: ['i', 'r'] },
      { name: 'B', role: 'input', dims: ['j', 'r'] },
      { name: 'M', role: 'param', dims: ['r', 'r'] },
    ],
    factorized: [],
    statements: [
      {
        name: 'y',
        kind: 'out',
        output: ['j', 'i'],
        terms: [
          {
            coefficient: 2,
            network: {
              tensors: [
                { name: 'A', indices: ['i', 'r'] },
                { name: 'B', indices: ['j', 'r'] },
              ],
              output: ['j', 'i'],
              sizes: { i: 3, j: 8, r: 2 },
              symbolic: ['j'],
            },
          },
          {
            coefficient: -0.5,
            network: {
              tensors: [
                { name: 'A', indices: ['i', 'r1'] },
                { name: 'M', indices: ['r1', 'r2'] },
                { name: 'B', indices: ['j', 'r2'] },
              ],
              output: ['j', 'i'],
              sizes: { i: 3, j: 8, r1: 2, r2: 2 },
              symbolic: ['j'],
              indexDims: { r1: 'r', r2: 'r' },
            },
          },
        ],
      },
      {
        name: 't',
        kind: 'let',
        output: ['i', 'r'],
        terms: [
          {
            coefficient: 1,
            network: {
              tensors: [
                { name: 'A', indices: ['i', 'q'] },
                { name: 'M', indices: ['q', 'r'] },
              ],
              output: ['i', 'r'],
              sizes: { i: 3, q: 2, r: 2 },
              indexDims: { q: 'r' },
            },
          },
        ],
      },
      {
        name: 'z',
        kind: 'out',
        output: ['i'],
        terms: [
          {
            coefficient: 1,
            network: {
              tensors: [
                { name: 't', indices: ['i', 'r'] },
                { name: 'B', indices: ['j', 'r'] },
              ],
              output: ['i'],
              sizes: { i: 3, j: 8, r: 2 },
              symbolic: ['j'],
            },
          },
        ],
      },
    ],
  };
  const plans = program.statements.map((s) => lower(s, s.terms.map((t) => planContraction(t.network)), program));
  const A = randomData(6, 1);
  const B = randomData(5 * 2, 2);
  const M = randomData(4, 3);

  test('two terms with coefficients and renamed indices', () => {
    const plan = plans[0];
    expect(validatePlan(plan)).toEqual([]);
    expect(plan.dims.map((d) => d.name).sort()).toEqual(['i', 'j', 'r']);
    const run = createRunners(plans, 'f64');
    const got = run.y({ A, B, M }, { j: 5 });
    const ops = [
      { shape: [3, 2], data: A },
      { shape: [5, 2], data: B },
      { shape: [2, 2], data: M },
    ];
    const t1 = referenceEinsum([['i', 'r'], ['j', 'r']], ['j', 'i'], [ops[0], ops[1]]);
    const t2 = referenceEinsum([['i', 'p'], ['p', 'q'], ['j', 'q']], ['j', 'i'], [ops[0], ops[2], ops[1]]);
    const want = t1.map((x, k) => 2 * x - 0.5 * t2[k]);
    expect(maxRelError(got, want)).toBeLessThan(1e-12);
  });

  test('an out statement reading a let statement computes it first', () => {
    const run = createRunners(plans, 'f64');
    const got = run.z({ A, B, M }, { j: 5 });
    const want = referenceEinsum([['i', 'q'], ['q', 'r'], ['j', 'r']], ['i'], [
      { shape: [3, 2], data: A },
      { shape: [2, 2], data: M },
      { shape: [5, 2], data: B },
    ]);
    expect(maxRelError(got, want)).toBeLessThan(1e-12);
  });
});

describe('inputs viewed through other dims of equal size', () => {
  test('M[p,a] M[p,b] (an MPS-style bra/ket pair) binds one caller array to both views', () => {
    const program: Program = {
      dims: [
        { name: 'p', size: { kind: 'fixed', size: 2 } },
        { name: 'a', size: { kind: 'fixed', size: 3 } },
        { name: 'b', size: { kind: 'fixed', size: 3 } },
      ],
      factors: [{ name: 'M', role: 'param', dims: ['p', 'a'] }],
      factorized: [],
      statements: [
        {
          name: 'g',
          kind: 'out',
          output: ['a', 'b'],
          terms: [
            {
              coefficient: 1,
              network: {
                tensors: [
                  { name: 'M', indices: ['p', 'a'] },
                  { name: 'M', indices: ['p', 'b'] },
                ],
                output: ['a', 'b'],
                sizes: { p: 2, a: 3, b: 3 },
              },
            },
          ],
        },
      ],
    };
    const s = program.statements[0];
    const plan = lower(s, [planContraction(s.terms[0].network)], program);
    expect(validatePlan(plan)).toEqual([]);
    expect(plan.inputs.map((i) => i.name)).toEqual(['M', 'M']);
    const M = randomData(6, 9);
    const got = createRunners([plan], 'f64').g({ M });
    const want = referenceEinsum([['p', 'a'], ['p', 'b']], ['a', 'b'], [
      { shape: [2, 3], data: M },
      { shape: [2, 3], data: M },
    ]);
    expect(maxRelError(got, want)).toBeLessThan(1e-14);
  });
});

describe('lowerTerms: linear combinations with symbolic dims', () => {
  test('Σ coefficient·term with dims bound at call time matches the reference', () => {
    const small = arbEinsum({ maxOperands: 4, maxIndicesPerOperand: 4, maxSize: 3 });
    fc.assert(
      fc.property(
        fc.array(small, { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.nat(),
        (es, coefs, callSizes, symMask, seed) => {
          const labels = 'abcdefgh'.split('');
          const output = es[0].output;
          // Every term gets an extra operand over the output indices, so all terms share it.
          const terms = es.map((e, k) => ({ inputs: k === 0 ? e.inputs : [...e.inputs, output], output }));
          const planSize = (ix: string) => es.find((e) => e.sizes[ix] !== undefined)?.sizes[ix] ?? 2;
          const symbolic = new Set(labels.filter((_, i) => symMask[i]));
          const callSize = (ix: string) => (symbolic.has(ix) ? callSizes[labels.indexOf(ix)] : planSize(ix));
          const used = [...new Set(terms.flatMap((t) => t.inputs.flat()))];
          const sizes = Object.fromEntries(used.map((ix) => [ix, planSize(ix)]));
          const nets: TensorNetwork[] = terms.map((t, k) => ({
            tensors: t.inputs.map((indices, i) => ({ name: `t${k}_${i}`, indices })),
            output,
            sizes: Object.fromEntries(t.inputs.flat().map((ix) => [ix, sizes[ix]])),
            symbolic: [...new Set(t.inputs.flat())].filter((ix) => symbolic.has(ix)),
          }));
          const plan = lowerTerms(
            nets.map((network, k) => ({ coefficient: coefs[k], network, planned: planContraction(network) })),
            { name: 'combo', output, dim: (d) => (symbolic.has(d) ? { symbolic: true } : { size: sizes[d], symbolic: false }) },
          );
          expect(validatePlan(plan), explain(plan)).toEqual([]);
          const inputs: Record<string, Float64Array> = {};
          const want = new Float64Array(output.reduce((p, ix) => p * callSize(ix), 1));
          terms.forEach((t, k) => {
            const ops = t.inputs.map((ixs, i) => {
              const shape = ixs.map(callSize);
              const data = randomData(shape.reduce((p, x) => p * x, 1), seed + 10 * k + i) as Float64Array;
              inputs[`t${k}_${i}`] = data;
              return { shape, data };
            });
            const r = referenceEinsum(t.inputs, output, ops);
            r.forEach((x, i) => (want[i] += coefs[k] * x));
          });
          const dims = Object.fromEntries([...symbolic].filter((d) => used.includes(d)).map((d) => [d, callSize(d)]));
          const got = createRunner(plan, 'f64')(inputs, dims);
          expect(maxRelError(got, want), explain(plan)).toBeLessThan(1e-10);
        },
      ),
    );
  });
});
