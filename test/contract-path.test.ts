// contractPath: the library face of the optimizers. Known costs, tricky equations (scalars,
// outer products, Hadamard products, traces, hyperedges), exact big numbers, and errors that
// show the equation with a caret.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TncError } from '../src/diagnostics.js';
import { einsumNetwork } from '../src/ir/einsum.js';
import { contractPath } from '../src/optimizer/contract-path.js';
import { treeCost } from '../src/optimizer/cost.js';
import { listOptimizers } from '../src/optimizer/index.js';
import { toProblem } from '../src/optimizer/problem.js';
import { fromLinearPath, validateTree } from '../src/optimizer/tree.js';
import { arbEinsum, equationOf, shapesOf } from './helpers/arbitraries.js';

describe('contractPath', () => {
  it('matches the opt_einsum cost of a matrix chain', () => {
    const info = contractPath('ab,bc,cd->ad', [
      [10, 20],
      [20, 30],
      [30, 40],
    ]);
    expect(info.flops).toBe(36000);
    expect(info.path).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(info.size).toBe(400);
    expect(info.naiveFlops).toBe(720000);
    expect(info.optimizer).toBe('auto');
    expect(info.exhaustive).toBe(true);
    expect(info.steps.map((s) => s.einsum)).toEqual(['ab,bc->ac', 'cd,ac->ad']);
    expect(info.steps.map((s) => s.flops)).toEqual([12000, 24000]);
    expect(info.log10Flops).toBeCloseTo(Math.log10(36000), 10);
  });

  // [equation, shapes, expected total flops (opt_einsum convention), expected path]
  const tricky: [string, number[][], number, number[][]][] = [
    ['a,b->ab', [[2], [3]], 6, [[0, 1]]], // outer product: nothing summed, ×1
    ['ab,ab->ab', [[2, 3], [2, 3]], 6, [[0, 1]]], // Hadamard
    ['ab,ab->', [[2, 3], [2, 3]], 12, [[0, 1]]], // full inner product, ×2
    ['aa->', [[3, 3]], 6, [[0]]], // trace of one operand
    ['aab->b', [[2, 2, 5]], 20, [[0]]], // partial trace
    ['ab->ba', [[2, 3]], 6, [[0]]], // transpose: no sum
    [',->', [[], []], 1, [[0, 1]]], // scalars
    ['a,,a->', [[4], [], [4]], 9, [[0, 2], [0, 1]]], // scalar joins last
    ['ab,b,bc->ac', [[2, 3], [3], [3, 2]], 30, [[0, 1], [0, 1]]], // hyperedge b: kept until its last tensor
    ['ib,jb,kb->ijk', [[2, 3], [2, 3], [2, 3]], 60, [[0, 1], [0, 1]]], // CP-style hyperedge in a product
    ['i,j,ijk->k', [[2], [2], [2, 2, 1000]], 8004, [[0, 1], [0, 1]]], // an outer product beats sharing
  ];
  for (const [eq, shapes, flops, path] of tricky) {
    it(`tricky: ${eq}`, () => {
      const info = contractPath(eq, shapes, { optimizer: 'optimal' });
      expect(info.flops).toBe(flops);
      expect(info.path).toEqual(path);
      const p = toProblem(einsumNetwork(eq, shapes).value!);
      for (const name of listOptimizers()) {
        const other = contractPath(eq, shapes, { optimizer: name, maxTimeMs: 100 });
        expect(treeCost(p, fromLinearPath(p.inputs.length, other.path)).flops, name).toBe(BigInt(other.flops));
        expect(Number(other.flops) >= flops, name).toBe(true);
      }
    });
  }

  it('every optimizer: the linear path recomputes to the reported flops and size', () => {
    fc.assert(
      fc.property(arbEinsum({ maxOperands: 7 }), fc.constantFrom(...listOptimizers()), (e, optimizer) => {
        const info = contractPath(equationOf(e), shapesOf(e), { optimizer, maxTimeMs: 50 });
        const p = toProblem(einsumNetwork(equationOf(e), shapesOf(e)).value!);
        const tree = fromLinearPath(p.inputs.length, info.path);
        expect(validateTree(tree, p)).toBeUndefined();
        const cost = treeCost(p, tree);
        expect(BigInt(info.flops)).toBe(cost.flops);
        expect(BigInt(info.size)).toBe(cost.size);
        expect(info.steps.length).toBe(Math.max(1, p.inputs.length - 1));
      }),
      { numRuns: 60 },
    );
  });

  it('reports costs beyond 2^53 as exact bigints, never rounded', () => {
    // 40 indices of size 4 chained: sizes stay small, flops of the outer products grow.
    const n = 30;
    const labels = Array.from({ length: n }, (_, i) => String.fromCodePoint(0x3b1 + i));
    const eq = `${labels.join(',')}->${labels.join('')}`;
    const info = contractPath(
      eq,
      labels.map(() => [7]),
      { optimizer: 'greedy' },
    );
    expect(typeof info.size).toBe('bigint');
    expect(info.size).toBe(7n ** 30n);
    expect(typeof info.flops).toBe('bigint');
    expect(info.log2Size).toBeCloseTo(30 * Math.log2(7), 6);
  });

  it('accepts any Unicode letters and thousands of operands', () => {
    const n = 3000;
    const sym = (k: number): string => String.fromCodePoint(0x4e00 + k);
    const terms = Array.from({ length: n }, (_, i) => sym(i) + sym(i + 1));
    const info = contractPath(`${terms.join(',')}->${sym(0)}${sym(n)}`, terms.map(() => [2, 2]), { optimizer: 'greedy' });
    expect(info.path.length).toBe(n - 1);
    expect(info.flops).toBe((n - 1) * 16);
  });

  it('bad equations and shapes throw TncErrors that show the equation with a caret', () => {
    const cases: [string, number[][], RegExp][] = [
      ['ab,bc->ad', [[2, 3], [3, 4]], /output index 'd' does not appear/],
      ['ab,bc', [[2, 3]], /2 input terms but 1 shape was given/],
      ['ab,bc->ac', [[2, 3], [4, 4]], /index 'b' has size 4/],
      ['ab,bc->ac', [[2], [3, 4]], /operand 0 has 2 indices 'ab' but its shape \[2\] has 1 axis/],
      ['ab->a->b', [[2, 3]], /at most one '->'/],
      ['ab,bc->ac', [[2, 0], [0, 4]], /not a positive safe integer/],
      ['a...b->ab', [[2, 3]], /broadcasting/],
    ];
    for (const [eq, shapes, message] of cases) {
      let caught: unknown;
      try {
        contractPath(eq, shapes);
      } catch (e) {
        caught = e;
      }
      expect(caught, eq).toBeInstanceOf(TncError);
      const text = (caught as TncError).message;
      expect(text).toMatch(message);
      expect(text).toContain(eq);
      expect(text).toMatch(/\n\s+\^+/);
    }
    expect(() => contractPath('ab->a', 'nope' as unknown as number[][])).toThrow(TncError);
    expect(() => contractPath('ab->a', [[2, 3]], { optimizer: 'gredy' })).toThrow(/did you mean 'greedy'/);
  });
});
