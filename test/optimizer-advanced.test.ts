// The advanced optimizers: random-greedy, partition, subtree reconfiguration, the exact
// subset DP, simplification. Every tree is validated and its cost recomputed; the DP is
// checked against brute-force enumeration; seeds reproduce; time budgets hold.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pepsNorm, randomRegular, mpsExpectation } from '../bench/networks.js';
import { treeCost } from '../src/optimizer/cost.js';
import { partitionTree, bisect, cutWeight, type Hypergraph } from '../src/optimizer/partition.js';
import { makeProblem, type ContractionProblem } from '../src/optimizer/problem.js';
import { greedyRun, mulberry32, randomGreedyTree } from '../src/optimizer/random-greedy.js';
import { optimalSubsetTree, reconfigure } from '../src/optimizer/reconfigure.js';
import { liftTree, simplifyProblem } from '../src/optimizer/simplify.js';
import { validateTree, type ContractionTree, type TreeNode } from '../src/optimizer/tree.js';
import { arbEinsum, problemOf } from './helpers/arbitraries.js';


/** Every tree over n leaves, by brute force (all merge orders; fine for n ≤ 6). */
function allTreeCosts(problem: ContractionProblem): bigint {
  const n = problem.inputs.length;
  let best: bigint | undefined;
  const rec = (alive: number[], nodes: TreeNode[]): void => {
    if (alive.length <= 1) {
      const c = treeCost(problem, { leaves: n, nodes }).flops;
      if (best === undefined || c < best) best = c;
      return;
    }
    for (let a = 0; a < alive.length; a++) {
      for (let b = a + 1; b < alive.length; b++) {
        const id = n + nodes.length;
        const rest = alive.filter((_, k) => k !== a && k !== b);
        rec([...rest, id], [...nodes, { left: alive[a], right: alive[b] }]);
      }
    }
  };
  rec(Array.from({ length: n }, (_, i) => i), []);
  return best ?? 0n;
}

/** A seeded random (valid) tree over n leaves. */
function randomTree(n: number, seed: number): ContractionTree {
  const rng = mulberry32(seed);
  const alive = Array.from({ length: n }, (_, i) => i);
  const nodes: TreeNode[] = [];
  while (alive.length > 1) {
    const a = alive.splice(Math.floor(rng() * alive.length), 1)[0];
    const b = alive.splice(Math.floor(rng() * alive.length), 1)[0];
    nodes.push({ left: a, right: b });
    alive.push(n + nodes.length - 1);
  }
  return { leaves: n, nodes };
}

const problems = arbEinsum({ minOperands: 1, maxOperands: 7, maxSize: 5 }).map(problemOf);

describe('greedy core and random-greedy', () => {
  it('gives valid trees whose float flops match the exact recomputation', () => {
    fc.assert(
      fc.property(problems, fc.nat(), (p, seed) => {
        const run = greedyRun(p, { costmod: 1 + (seed % 7), temperature: 0.3, rng: mulberry32(seed) })!;
        expect(validateTree(run.tree, p)).toBeUndefined();
        const exact = Number(treeCost(p, run.tree).flops);
        expect(Math.abs(run.flops - exact)).toBeLessThanOrEqual(1e-9 * exact);
        const t = randomGreedyTree(p, { seed, repeats: 8 });
        expect(validateTree(t, p)).toBeUndefined();
        // Repeat 0 is the plain greedy, so random-greedy is never worse than it.
        expect(treeCost(p, t).flops <= treeCost(p, greedyRun(p)!.tree).flops).toBe(true);
      }),
    );
  });

  it('reproduces the same tree for the same seed and honours objectives', () => {
    const p = randomRegular(60, 11).problem;
    const a = randomGreedyTree(p, { seed: 5, repeats: 40 });
    const b = randomGreedyTree(p, { seed: 5, repeats: 40 });
    expect(a).toEqual(b);
    const bySize = randomGreedyTree(p, { seed: 5, repeats: 40, minimize: 'size' });
    expect(treeCost(p, bySize).size <= treeCost(p, greedyRun(p)!.tree).size).toBe(true);
  });

  it('honours its time budget and beats greedy on a 200-node 3-regular graph', () => {
    const p = randomRegular(200, 3).problem;
    const t0 = performance.now();
    const t = randomGreedyTree(p, { maxTimeMs: 150, seed: 1 });
    expect(performance.now() - t0).toBeLessThan(150 + 250);
    expect(treeCost(p, t).flops <= treeCost(p, greedyRun(p)!.tree).flops).toBe(true);
    const q = pepsNorm(6, 6).problem;
    const better = randomGreedyTree(q, { repeats: 48, seed: 1 });
    expect(treeCost(q, better).flops * 10n < treeCost(q, greedyRun(q)!.tree).flops).toBe(true);
  });
});

describe('exact subset DP', () => {
  it('equals brute force over every tree for up to 6 tensors', () => {
    fc.assert(
      fc.property(arbEinsum({ minOperands: 1, maxOperands: 6, maxSize: 4 }).map(problemOf), (p) => {
        const t = optimalSubsetTree(p);
        expect(validateTree(t, p)).toBeUndefined();
        expect(treeCost(p, t).flops).toBe(allTreeCosts(p));
      }),
      { numRuns: 60 },
    );
  });
});

describe('reconfigure', () => {
  it('never increases the cost, for flops, size and combo', () => {
    fc.assert(
      fc.property(problems, fc.nat(), fc.constantFrom('flops' as const, 'size' as const, 'combo' as const), fc.integer({ min: 3, max: 6 }), (p, seed, minimize, k) => {
        const start = randomTree(p.inputs.length, seed);
        const t = reconfigure(start, p, { subtreeSize: k, minimize });
        expect(validateTree(t, p)).toBeUndefined();
        const before = treeCost(p, start);
        const after = treeCost(p, t);
        if (minimize === 'size') expect(after.size <= before.size).toBe(true);
        else if (minimize === 'flops') expect(after.flops <= before.flops).toBe(true);
        else expect(after.flops + 64n * after.write <= before.flops + 64n * before.write).toBe(true);
      }),
    );
  });

  it('reaches the optimum when the subtree covers the whole network', () => {
    fc.assert(
      fc.property(problems, fc.nat(), (p, seed) => {
        const t = reconfigure(randomTree(p.inputs.length, seed), p, { subtreeSize: 8 });
        expect(treeCost(p, t).flops).toBe(treeCost(p, optimalSubsetTree(p)).flops);
      }),
    );
  });

  it('honours its time budget on a large tree', () => {
    const p = randomRegular(500, 6).problem;
    const start = greedyRun(p)!.tree;
    const t0 = performance.now();
    const t = reconfigure(start, p, { maxTimeMs: 100, subtreeSize: 10 });
    expect(performance.now() - t0).toBeLessThan(100 + 400);
    expect(treeCost(p, t).flops <= treeCost(p, start).flops).toBe(true);
  });
});

describe('partition', () => {
  it('bisects within the imbalance bound and cuts a grid along a short line', () => {
    // A 10×10 grid graph: a balanced bisection cuts 10 edges.
    const nets: number[][] = [];
    for (let x = 0; x < 10; x++) {
      for (let y = 0; y < 10; y++) {
        if (x < 9) nets.push([x * 10 + y, (x + 1) * 10 + y]);
        if (y < 9) nets.push([x * 10 + y, x * 10 + y + 1]);
      }
    }
    const h: Hypergraph = { nv: 100, vertexWeight: new Array(100).fill(1), nets, netWeight: nets.map(() => 1) };
    const side = bisect(h, 0.1, mulberry32(3));
    const count0 = side.reduce((s, x) => s + (x === 0 ? 1 : 0), 0);
    expect(count0).toBeGreaterThanOrEqual(45);
    expect(count0).toBeLessThanOrEqual(55);
    expect(cutWeight(h, side)).toBeLessThanOrEqual(14);
  });

  it('gives valid, seed-reproducible trees on random problems', () => {
    fc.assert(
      fc.property(problems, fc.nat(), fc.integer({ min: 2, max: 4 }), (p, seed, groupSize) => {
        const t = partitionTree(p, { seed, groupSize, trials: 2 });
        expect(validateTree(t, p)).toBeUndefined();
        expect(partitionTree(p, { seed, groupSize, trials: 2 })).toEqual(t);
      }),
    );
  });

  it('finds good trees for lattices within its time budget', () => {
    const p = pepsNorm(5, 5).problem;
    const t0 = performance.now();
    const t = partitionTree(p, { maxTimeMs: 200, seed: 2 });
    expect(performance.now() - t0).toBeLessThan(200 + 300);
    expect(validateTree(t, p)).toBeUndefined();
    expect(treeCost(p, t).flops < treeCost(p, greedyRun(p)!.tree).flops).toBe(true);
  });
});

describe('simplification', () => {
  it('lifts reduced trees to valid trees of the original problem', () => {
    fc.assert(
      fc.property(problems, (p) => {
        const s = simplifyProblem(p, { absorb: true });
        expect(s.problem.inputs.length).toBe(p.inputs.length - s.forced.length);
        const lifted = liftTree(s, optimalSubsetTree(s.problem));
        expect(validateTree(lifted, p)).toBeUndefined();
      }),
    );
  });

  it('fusing duplicate hyperedges keeps the exact optimum', () => {
    fc.assert(
      fc.property(problems, (p) => {
        const s = simplifyProblem(p, { absorb: false });
        const lifted = liftTree(s, optimalSubsetTree(s.problem));
        expect(treeCost(p, lifted).flops).toBe(treeCost(p, optimalSubsetTree(p)).flops);
        // The fused problem's own costs are the original's.
        expect(treeCost(s.problem, optimalSubsetTree(s.problem)).flops).toBe(treeCost(p, lifted).flops);
      }),
    );
  });

  it('absorbs vectors when asked, and documents why that is not the default', () => {
    const p = makeProblem([[0], [0, 1], [1, 2], [2]], [], [4, 8, 4]);
    const s = simplifyProblem(p, { absorb: true });
    expect(s.forced).toEqual([
      { left: 0, right: 1 },
      { left: 2, right: 3 },
    ]);
    const lifted = liftTree(s, optimalSubsetTree(s.problem));
    expect(validateTree(lifted, p)).toBeUndefined();
    expect(treeCost(p, lifted).flops).toBe(144n);
    expect(treeCost(p, optimalSubsetTree(p)).flops).toBe(136n);
    expect(simplifyProblem(p).forced).toEqual([]);
  });

  it('fuses the two bonds of a double-bond pair into one index', () => {
    const p = makeProblem([[0, 1, 2], [1, 2, 3]], [0, 3], [2, 3, 5, 7]);
    const s = simplifyProblem(p);
    expect(s.problem.inputs).toEqual([[0, 1], [1, 3]]);
    expect(s.problem.sizes[1]).toBe(15);
  });

  it('keeps MPS expectations valid end to end', () => {
    const p = mpsExpectation(8).problem;
    const s = simplifyProblem(p);
    const lifted = liftTree(s, randomGreedyTree(s.problem, { repeats: 4 }));
    expect(validateTree(lifted, p)).toBeUndefined();
  });
});
