// fast-check arbitraries for einsum problems, following opt_einsum's random-equation knobs:
// operand count, indices per operand, shared (hyper)edges, kept indices, sizes. Explicit
// weights make repeated indices, hyperedges, scalars and outer products common, not lucky.

import fc from 'fast-check';
import { makeProblem, type ContractionProblem } from '../../src/optimizer/problem.js';

export interface RandomEinsum {
  inputs: string[][];
  output: string[];
  sizes: Record<string, number>;
}

export interface EinsumArbOptions {
  minOperands?: number;
  maxOperands?: number;
  maxIndicesPerOperand?: number;
  maxSize?: number;
  /** Allow an index to repeat inside one operand (trace / diagonal). Default true. */
  repeated?: boolean;
  /** Upper bound on the product of all index sizes (keeps the reference evaluator fast). */
  maxTotalElements?: number;
}

const LABELS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

/** Random einsum problems with hyperedges, repeated indices, kept and summed indices, scalars. */
export function arbEinsum(opts: EinsumArbOptions = {}): fc.Arbitrary<RandomEinsum> {
  const minOps = opts.minOperands ?? 1;
  const maxOps = opts.maxOperands ?? 6;
  const maxPer = opts.maxIndicesPerOperand ?? 4;
  const maxSize = opts.maxSize ?? 4;
  const maxTotal = opts.maxTotalElements ?? 20000;
  return fc
    .record({
      nIdx: fc.integer({ min: 1, max: 8 }),
      nOps: fc.integer({ min: minOps, max: maxOps }),
      seedOps: fc.array(fc.array(fc.nat(), { minLength: 0, maxLength: maxPer }), { minLength: maxOps, maxLength: maxOps }),
      sizes: fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: 8, maxLength: 8 }),
      keepMask: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), {
        minLength: 8,
        maxLength: 8,
      }),
      scalar: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      shuffle: fc.nat(),
    })
    .map(({ nIdx, nOps, seedOps, sizes, keepMask, scalar, shuffle }) => {
      const labels = LABELS.slice(0, nIdx);
      const inputs = seedOps.slice(0, nOps).map((ops) => {
        let t = ops.map((x) => labels[x % nIdx]);
        if (opts.repeated === false) t = [...new Set(t)];
        return t;
      });
      const used = [...new Set(inputs.flat())];
      let output = scalar ? [] : used.filter((_, i) => keepMask[i % 8]);
      // Deterministic shuffle of the output order, so outputs are not always sorted.
      if (output.length > 1) {
        const r = shuffle % output.length;
        output = [...output.slice(r), ...output.slice(0, r)];
      }
      const sz: Record<string, number> = {};
      labels.forEach((l, i) => (sz[l] = sizes[i]));
      const sizesUsed: Record<string, number> = {};
      for (const l of used) sizesUsed[l] = sz[l];
      return { inputs, output, sizes: sizesUsed };
    })
    .filter((e) => Object.values(e.sizes).reduce((p, s) => p * s, 1) <= maxTotal);
}

/** The equation string of a random problem, e.g. `ab,bc->ac`. */
export function equationOf(e: RandomEinsum): string {
  return `${e.inputs.map((t) => t.join('')).join(',')}->${e.output.join('')}`;
}

/** Shapes of the inputs. */
export function shapesOf(e: RandomEinsum): number[][] {
  return e.inputs.map((t) => t.map((ix) => e.sizes[ix]));
}

/** Deterministic pseudo-random data (mulberry32), values in [-1, 1). */
export function randomData(n: number, seed: number, ctor: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array): Float64Array | Float32Array {
  const out = new ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Interns a random einsum's labels (in order of first appearance) into a ContractionProblem. */
export function problemOf(e: RandomEinsum): ContractionProblem {
  const ids = new Map<string, number>();
  const id = (l: string): number => {
    if (!ids.has(l)) ids.set(l, ids.size);
    return ids.get(l)!;
  };
  const inputs = e.inputs.map((t) => t.map(id));
  const output = e.output.map(id);
  const names = [...ids.keys()];
  return makeProblem(inputs, output, names.map((l) => e.sizes[l]), names);
}
