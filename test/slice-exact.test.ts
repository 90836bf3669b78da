// The exact slicing search against brute force (every slice set × every tree, costed by
// slicedTreeCost), its lower bound when cut short, and the proven optima of the bench
// networks whose limits sit below every input tensor.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pepsNorm, randomRegular } from '../bench/networks.js';
import { treeCost } from '../src/optimizer/cost.js';
import { makeProblem, type ContractionProblem } from '../src/optimizer/problem.js';
import { randomGreedyTree } from '../src/optimizer/random-greedy.js';
import { reconfigure } from '../src/optimizer/reconfigure.js';
import { chooseSlices } from '../src/optimizer/slice.js';
import { limitedOptimalTree } from '../src/optimizer/slice-dp.js';
import { exactSlicing } from '../src/optimizer/slice-exact.js';
import { slicedTreeCost } from '../src/optimizer/slice-fixed.js';
import { validateTree, type ContractionTree, type TreeNode } from '../src/optimizer/tree.js';
import { arbEinsum, problemOf } from './helpers/arbitraries.js';

/** Every tree over n leaves (as merge sequences; the same tree may come more than once). */
function allTrees(n: number): ContractionTree[] {
  if (n === 1) return [{ leaves: 1, nodes: [] }];
  const out: ContractionTree[] = [];
  const walk = (live: number[], nodes: TreeNode[]): void => {
    if (live.length === 1) {
      out.push({ leaves: n, nodes: [...nodes] });
      return;
    }
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const id = n + nodes.length;
        nodes.push({ left: live[a], right: live[b] });
        walk([...live.filter((_, k) => k !== a && k !== b), id], nodes);
        nodes.pop();
      }
    }
  };
  walk(
    Array.from({ length: n }, (_, i) => i),
    [],
  );
  return out;
}

/**
 * The least total over every slice set (indices of size ≥ 2, as chooseSlices slices) and every
 * tree with each slice's steps within `limit`.
 */
function bruteForce(p: ContractionProblem, limit: number): bigint {
  const trees = allTrees(p.inputs.length);
  let least: bigint | undefined;
  for (let mask = 0; mask < 1 << p.sizes.length; mask++) {
    const set = p.sizes.map((_, i) => i).filter((i) => (mask >> i) & 1);
    if (set.some((i) => p.sizes[i] === 1)) continue;
    for (const t of trees) {
      const c = slicedTreeCost(p, t, set);
      if (c.size > BigInt(limit)) continue;
      if (least === undefined || c.flops < least) least = c.flops;
    }
  }
  return least!;
}

const tiny = arbEinsum({ minOperands: 1, maxOperands: 5, maxIndicesPerOperand: 3, maxSize: 4, maxTotalElements: 4096 })
  .map(problemOf)
  .filter((p) => p.sizes.length <= 6);

describe('exactSlicing', () => {
  it('equals brute force over every slice set and every tree, and its plan achieves it within the limit', () => {
    fc.assert(
      fc.property(tiny, fc.integer({ min: 1, max: 40 }), (p, limit) => {
        const want = bruteForce(p, limit);
        const got = exactSlicing(p, limit)!;
        expect(got.proven).toBe(true);
        expect(got.lowerBound).toBe(want);
        const plan = got.plan!;
        expect(validateTree(plan.tree, p)).toBeUndefined();
        const c = slicedTreeCost(p, plan.tree, plan.indices);
        expect(c.flops).toBe(want);
        expect(plan.flops).toBe(want);
        expect(c.size <= BigInt(limit)).toBe(true);
        expect(plan.indices.every((i) => p.sizes[i] > 1)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('with a known plan as upper bound, returns that bound as the optimum or a cheaper plan', () => {
    fc.assert(
      fc.property(tiny, fc.integer({ min: 1, max: 40 }), (p, limit) => {
        const want = bruteForce(p, limit);
        // Every index of size ≥ 2 sliced: every result has 1 element, so this plan always fits.
        const all = p.sizes.map((_, i) => i).filter((i) => p.sizes[i] > 1);
        const trees = allTrees(p.inputs.length);
        const upper = slicedTreeCost(p, trees[0], all).flops;
        const got = exactSlicing(p, limit, { upperBound: upper })!;
        expect(got.proven).toBe(true);
        expect(got.lowerBound).toBe(want);
        if (want < upper) expect(got.plan?.flops).toBe(want);
        else expect(got.plan).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it('cut short by its work cap, still returns a valid lower bound', () => {
    fc.assert(
      fc.property(tiny, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), (p, limit, cap) => {
        const want = bruteForce(p, limit);
        const got = exactSlicing(p, limit, { maxWork: cap })!;
        expect(got.lowerBound <= want).toBe(true);
        if (got.proven) expect(got.lowerBound).toBe(want);
        if (got.plan) expect(got.plan.flops >= want).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('makes chooseSlices (flops objective, deterministic) return the least total on small networks', () => {
    fc.assert(
      fc.property(tiny, fc.double({ min: 0, max: 1, noNaN: true }), (p, frac) => {
        const tree = allTrees(p.inputs.length)[0];
        const size = Number(treeCost(p, tree).size);
        const limit = Math.max(1, Math.floor(size * frac));
        // The search starts only when the given tree does not fit and there are 3+ tensors.
        if (size <= limit || p.inputs.length <= 2) return;
        const plan = chooseSlices(p, tree, limit, { deterministic: true });
        expect(plan.slicedCost).toBe(bruteForce(p, limit));
      }),
      { numRuns: 60 },
    );
  });

  it('finds what limitedOptimalTree misses by joining components: lone tensors enter their join with all their indices', () => {
    // Three components: T[a,b,c] (32 elements), U[d,e] (8) and a scalar, every index summed
    // inside its own tensor. Joining T with U first costs 2·256; the scalar with U, then T,
    // costs 16 + 64. limitedOptimalTree joined by result size (all 1 here) and paid 512.
    const p = makeProblem([[0, 1, 2], [3, 4], []], [], [4, 2, 4, 2, 4]);
    const exact = exactSlicing(p, 57)!;
    expect(exact.proven).toBe(true);
    expect(exact.lowerBound).toBe(80n);
    expect(treeCost(p, limitedOptimalTree(p, 57)!).flops).toBe(80n);
  });

  it('declines networks outside its range', () => {
    const p = pepsNorm(4, 4).problem;
    expect(exactSlicing(p, 410)).toBeUndefined();
  });
});

describe('proven optima of the bench networks with a limit below every input', () => {
  // The limit is 1/16 of the largest intermediate of the bench's flops-optimised tree, and
  // the overhead is over that tree's unsliced cost (as in bench:paths).
  const cases: [ReturnType<typeof pepsNorm>, bigint][] = [
    [pepsNorm(2, 2), 18468n],
    [randomRegular(10, 1), 24576n],
    [randomRegular(20, 2), 51380224n],
  ];
  for (const [net, optimum] of cases) {
    it(`${net.name}: the least total is ${optimum}, over 2× the unsliced cost, and chooseSlices reaches it`, () => {
      const p = net.problem;
      const tree = reconfigure(randomGreedyTree(p, { repeats: 32, seed: 1 }), p);
      const unsliced = treeCost(p, tree);
      const limit = Number(unsliced.size / 16n);
      const got = exactSlicing(p, limit)!;
      expect(got.proven).toBe(true);
      expect(got.lowerBound).toBe(optimum);
      expect(got.plan!.flops).toBe(optimum);
      expect(optimum > 2n * unsliced.flops).toBe(true);
      const plan = chooseSlices(p, tree, limit, { deterministic: true });
      expect(plan.slicedCost).toBe(optimum);
    });
  }
});
