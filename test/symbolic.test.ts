// Symbolic costs: the polynomial evaluated at the planning sizes is the exact numeric cost,
// and at any other sizes it is the cost of the same tree with those sizes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { treeCost } from '../src/optimizer/cost.js';
import { makeProblem, type ContractionProblem } from '../src/optimizer/problem.js';
import { greedyRun, randomGreedyTree, scoreTree } from '../src/optimizer/random-greedy.js';
import { optimalSubsetTree } from '../src/optimizer/reconfigure.js';
import type { TreeNode } from '../src/optimizer/tree.js';
import { evaluatePolynomial, formatPolynomial, formatScaling, leadingTerms, scalingKey, symbolicCost } from '../src/optimizer/symbolic.js';
import { validateTree } from '../src/optimizer/tree.js';
import { arbEinsum, problemOf } from './helpers/arbitraries.js';

const withSymbols = fc
  .tuple(arbEinsum({ minOperands: 1, maxOperands: 6, maxSize: 5 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 8, maxLength: 8 }))
  .map(([e, mask, other]) => {
    const p: ContractionProblem = problemOf(e);
    p.symbolic = p.names.map((_, k) => mask[k % 8]);
    return { p, other: p.names.map((_, k) => other[k % 8]) };
  });

describe('symbolicCost', () => {
  it('evaluates to the exact cost at the hints and at any other sizes', () => {
    fc.assert(
      fc.property(withSymbols, fc.nat(), ({ p, other }, seed) => {
        const tree = randomGreedyTree(p, { seed, repeats: 3 });
        const poly = symbolicCost(p, tree);
        expect(evaluatePolynomial(poly)).toBe(treeCost(p, tree).flops);
        const values: Record<string, number> = {};
        const resized = p.sizes.map((s, i) => (p.symbolic![i] ? other[i] : s));
        p.names.forEach((n, i) => {
          if (p.symbolic![i]) values[n] = other[i];
        });
        expect(evaluatePolynomial(poly, values)).toBe(treeCost({ ...p, sizes: resized }, tree).flops);
        // Leading terms are not dominated by any other term.
        for (const t of leadingTerms(poly)) {
          for (const u of poly.terms) {
            if (u === t) continue;
            expect(u.exponents.every((e, k) => e >= t.exponents[k]) && u.exponents.some((e, k) => e > t.exponents[k])).toBe(false);
          }
        }
      }),
    );
  });

  it('prints polynomials and scalings', () => {
    // ij,jk->ik with j symbolic: one step, 2·i·k·j = 12·j at i=2, k=3.
    const p = makeProblem([[0, 1], [1, 2]], [0, 2], [2, 5, 3], ['i', 'j', 'k']);
    p.symbolic = [false, true, false];
    const poly = symbolicCost(p, { leaves: 2, nodes: [{ left: 0, right: 1 }] });
    expect(formatPolynomial(poly)).toBe('12·j');
    expect(formatScaling(poly)).toBe('O(j)');
    // An MPS-like transfer step with D and d symbolic.
    const q = makeProblem([[0, 1, 2], [0, 1, 3], [2, 3]], [], [8, 2, 8, 8], ['D', 'd', 'E', 'F']);
    q.symbolic = [true, true, false, false];
    const tree = { leaves: 3, nodes: [{ left: 0, right: 1 }, { left: 3, right: 2 }] };
    const pq = symbolicCost(q, tree);
    expect(formatPolynomial(pq)).toBe('128·D·d + 128');
    expect(formatScaling(pq)).toBe('O(D d)');
    expect(evaluatePolynomial(pq)).toBe(treeCost(q, tree).flops);
    const none = symbolicCost(makeProblem([[0]], [], [3]), { leaves: 1, nodes: [] });
    expect(formatScaling(none)).toBe('O(1)');
  });

  it("minimize: 'scaling' never picks a worse asymptotic scaling than greedy", () => {
    fc.assert(
      fc.property(withSymbols, fc.nat(), ({ p }, seed) => {
        const t = randomGreedyTree(p, { seed, repeats: 8, minimize: 'scaling' });
        expect(validateTree(t, p)).toBeUndefined();
        const key = scalingKey(symbolicCost(p, t));
        const greedyKey = scalingKey(symbolicCost(p, greedyRun(p)!.tree));
        expect(key[0] <= greedyKey[0]).toBe(true);
        expect(scoreTree(p, t, 'scaling').length).toBe(key.length + 1);
      }),
    );
  });

  it("the exact DP with minimize: 'scaling' reaches the lowest polynomial degree of any tree", () => {
    const lowestDegree = (p: ContractionProblem): bigint => {
      const n = p.inputs.length;
      let best: bigint | undefined;
      const rec = (alive: number[], nodes: TreeNode[]): void => {
        if (alive.length <= 1) {
          const d = scalingKey(symbolicCost(p, { leaves: n, nodes }))[0];
          if (best === undefined || d < best) best = d;
          return;
        }
        for (let a = 0; a < alive.length; a++) {
          for (let b = a + 1; b < alive.length; b++) {
            rec([...alive.filter((_, k) => k !== a && k !== b), n + nodes.length], [...nodes, { left: alive[a], right: alive[b] }]);
          }
        }
      };
      rec(Array.from({ length: n }, (_, i) => i), []);
      return best!;
    };
    fc.assert(
      fc.property(withSymbols.filter(({ p }) => p.inputs.length <= 5), ({ p }) => {
        const t = optimalSubsetTree(p, 'scaling');
        expect(validateTree(t, p)).toBeUndefined();
        expect(scalingKey(symbolicCost(p, t))[0]).toBe(lowestDegree(p));
      }),
      { numRuns: 60 },
    );
  });
});
