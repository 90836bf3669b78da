// The family examples (examples/families/*.tn) build and run: each file is analyzed, every
// statement is planned, lowered and run on the CPU runtime with params from initParams and
// seeded random inputs (symbolic dims bound small), and the result is compared with an
// independent evaluation: pairwise reference einsums (in an order planned for the bound sizes,
// which sets only the cost of the check, not its value).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbEinsum, randomData } from './helpers/arbitraries.js';
import { SourceFile, render } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import { describeFactorized } from '../src/ir/factor-report.js';
import { initParams } from '../src/ir/init-params.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { lower } from '../src/backends/lower.js';
import { createRunners } from '../src/backends/cpu/runtime.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

const DIR = 'examples/families';
/** Symbolic dims are bound to this size when running. */
const BOUND = 2;

interface Tensor {
  indices: string[];
  shape: number[];
  data: Float64Array;
}

/**
 * The reference evaluator's loop (every assignment of every index, product of the operands'
 * entries, added into the output) with offsets kept incrementally instead of decoded per
 * assignment: the same definition, fast enough for the examples' sizes. Checked against
 * `referenceEinsum` below. Repeated indices in one operand add their strides (diagonals).
 */
function loopEinsum(inputs: string[][], output: string[], operands: { data: ArrayLike<number> }[], sizes: Record<string, number>): Float64Array {
  const all = [...new Set([...inputs.flat(), ...output])];
  const dims = all.map((ix) => sizes[ix]);
  const stridesOf = (ixs: string[]): number[] => {
    const st = all.map(() => 0);
    let s = 1;
    for (let a = ixs.length - 1; a >= 0; a--) {
      st[all.indexOf(ixs[a])] += s;
      s *= sizes[ixs[a]];
    }
    return st;
  };
  const opStrides = inputs.map(stridesOf);
  const outStrides = stridesOf(output);
  const result = new Float64Array(output.reduce((p, ix) => p * sizes[ix], 1));
  const total = dims.reduce((p, d) => p * d, 1);
  if (total === 0) return result;
  const n = inputs.length;
  const idx = all.map(() => 0);
  const off = new Array<number>(n).fill(0);
  let outOff = 0;
  for (let count = 0; count < total; count++) {
    let prod = 1;
    for (let t = 0; t < n; t++) prod *= operands[t].data[off[t]];
    result[outOff] += prod;
    // Advance the odometer (last index fastest), updating every offset by that index's stride.
    for (let k = all.length - 1; k >= 0; k--) {
      idx[k]++;
      for (let t = 0; t < n; t++) off[t] += opStrides[t][k];
      outOff += outStrides[k];
      if (idx[k] < dims[k]) break;
      for (let t = 0; t < n; t++) off[t] -= opStrides[t][k] * dims[k];
      outOff -= outStrides[k] * dims[k];
      idx[k] = 0;
    }
  }
  return result;
}

/**
 * Contracts a network pairwise with the reference evaluator, following `path` (opt_einsum's
 * linear format: positions in the current operand list; the result goes to the end). The
 * path only sets the cost of this evaluation, not its value; each step keeps the indices
 * still needed by later operands or the output.
 */
function contractByPairs(net: TensorNetwork, path: readonly (readonly number[])[], data: Record<string, Float64Array>, size: (ix: string) => number): Float64Array {
  const sizes: Record<string, number> = {};
  for (const ix of [...net.tensors.flatMap((t) => t.indices), ...net.output]) sizes[ix] = size(ix);
  const ops: Tensor[] = net.tensors.map((t) => ({ indices: t.indices, shape: t.indices.map((i) => sizes[i]), data: data[t.name] }));
  if (ops.length === 0) return Float64Array.of(1);
  for (const step of path) {
    const picked = step.map((k) => ops[k]);
    const rest = ops.filter((_, k) => !step.includes(k));
    const needed = new Set([...rest.flatMap((o) => o.indices), ...net.output]);
    const keep = [...new Set(picked.flatMap((o) => o.indices))].filter((i) => needed.has(i));
    const out = loopEinsum(picked.map((o) => o.indices), keep, picked, sizes);
    ops.splice(0, ops.length, ...rest, { indices: keep, shape: keep.map((i) => sizes[i]), data: out });
  }
  expect(ops.length).toBe(1);
  return loopEinsum([ops[0].indices], net.output, [ops[0]], sizes);
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
}

function load(file: string): Program {
  const source = SourceFile.from(file, readFileSync(file, 'utf8'));
  const r = analyze(source);
  if (r.value === undefined) throw new Error(render(source, r.diagnostics));
  return r.value;
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.tn'))
  .sort();

describe('loopEinsum (the check evaluator)', () => {
  it('equals referenceEinsum on random problems with repeats, hyperedges and scalars', () => {
    fc.assert(
      fc.property(arbEinsum({ maxTotalElements: 4000 }), fc.nat(), (e, seed) => {
        const operands = e.inputs.map((ixs, t) => ({ shape: ixs.map((ix) => e.sizes[ix]), data: randomData(ixs.reduce((p, ix) => p * e.sizes[ix], 1), seed + t) }));
        const want = referenceEinsum(e.inputs, e.output, operands, e.sizes);
        expect(maxRelError(loopEinsum(e.inputs, e.output, operands, e.sizes), want)).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('examples/families', () => {
  it('has the examples issue 4 asks for', () => {
    expect(files).toEqual([
      'cac-deep.tn',
      'cac-shallow.tn',
      'cp-embedding.tn',
      'factorization-machine.tn',
      'ht-8way.tn',
      'mps-mpo-energy.tn',
      'peps-norm.tn',
      'tensor-ring.tn',
      'tt-dense-layer.tn',
      'tucker-conv.tn',
    ]);
    for (const f of files) expect(readFileSync(join(DIR, f), 'utf8').startsWith('# ')).toBe(true);
  });

  it.each(files)('%s builds, runs and matches a pairwise reference evaluation', (name) => {
    const program = load(join(DIR, name));
    const dimInfo = new Map(program.dims.map((d) => [d.name, d]));
    const dimSize = (d: string): number => {
      const info = dimInfo.get(d)!;
      return info.size.kind === 'fixed' ? info.size.size : BOUND;
    };
    const bindings = Object.fromEntries(program.dims.filter((d) => d.size.kind === 'symbolic').map((d) => [d.name, BOUND]));
    const reports = describeFactorized(program);
    const params = initParams(
      { factors: program.factors.map((f) => ({ name: f.name, role: f.role, shape: f.dims.map(dimSize), of: f.of })), factorized: reports },
      { seed: 7 },
    );
    const data: Record<string, Float64Array> = {};
    const r = rng(11);
    for (const f of program.factors) {
      data[f.name] = f.role === 'param' ? (params[f.name] as Float64Array) : Float64Array.from({ length: f.dims.map(dimSize).reduce((p, s) => p * s, 1) }, r);
    }
    const planned = program.statements.map((s) => s.terms.map((t) => planContraction(t.network)));
    const plans = program.statements.map((s, k) => lower(s, planned[k], program));
    const runners = createRunners(plans, 'f64');
    for (const [k, s] of program.statements.entries()) {
      const got = runners[s.name](data, bindings);
      const want = new Float64Array(s.output.map(dimSize).reduce((p, x) => p * x, 1));
      for (const [j, t] of s.terms.entries()) {
        const net = t.network;
        const size = (ix: string) => dimSize(net.indexDims?.[ix] ?? ix);
        // Order the check for the sizes it runs at (symbolic dims bound small), not the planning hints.
        const bound: TensorNetwork = { ...net, sizes: Object.fromEntries(Object.keys(net.sizes).map((ix) => [ix, size(ix)])), symbolic: undefined };
        const v = contractByPairs(net, planContraction(bound).path, data, size);
        for (let k = 0; k < want.length; k++) want[k] += t.coefficient * v[k];
      }
      expect(got.length, `${name}: ${s.name}`).toBe(want.length);
      expect(maxRelError(got, want), `${name}: ${s.name}`).toBeLessThan(1e-9);
    }
  });
});

describe('docs/LANGUAGE.md, section Families', () => {
  const text = readFileSync('docs/LANGUAGE.md', 'utf8');
  const start = text.indexOf('\n## Families\n');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  // Blocks with `...` are schematic; every other block is a complete program.
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => !b.includes('...'));

  it('has a worked example for every family', () => {
    expect(start).toBeGreaterThan(0);
    for (const f of ['cp(', 'tucker(', 'tt(', 'ttm(', 'peps(', 'ht(', 'circuit(']) expect(blocks.some((b) => b.includes(`= ${f}`)), f).toBe(true);
  });

  it('every complete example analyzes without diagnostics', () => {
    for (const b of blocks) {
      const r = analyze(SourceFile.from('doc.tn', b));
      expect(r.diagnostics, b).toEqual([]);
    }
  });
});
