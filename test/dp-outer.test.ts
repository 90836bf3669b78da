// dp beyond ALL_PAIRS_MAX with outer products: exact over all trees. The pruning rules of
// src/optimizer/dp-outer.ts (component rule; cover and root rules with cluster merges on
// plain components) are checked against an independent exhaustive search over every tree,
// on random networks built to make outer products pay: vectors, hyperedges, kept indices,
// private indices, repeated sizes, and plain networks (every index on two tensors).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mpsExpectation, pepsNorm } from '../bench/networks.js';
import { treeCost } from '../src/optimizer/cost.js';
import { clusterCost } from '../src/optimizer/dp-outer.js';
import { dpTree, plainComponent, type DpStats } from '../src/optimizer/dp.js';
import { makeProblem, type ContractionProblem } from '../src/optimizer/problem.js';
import { prepareSearch } from '../src/optimizer/search-problem.js';
import { validateTree } from '../src/optimizer/tree.js';

/**
 * The least total flops over every contraction tree, by exhaustive search over all splits
 * of every leaf subset (a subset's result depends on the subset alone), with step costs
 * from first principles: the product of the sizes of both operands' indices, doubled when
 * the step sums an index away. A leaf keeps all its indices until its first step.
 */
function allTreesOptimum(p: ContractionProblem): number {
  const n = p.inputs.length;
  const sets = p.inputs.map((t) => new Set(t));
  const out = new Set(p.output);
  const full = (1 << n) - 1;
  const held = new Array<Set<number>>(full + 1);
  for (let mask = 1; mask <= full; mask++) {
    if ((mask & (mask - 1)) === 0) {
      held[mask] = sets[Math.log2(mask)];
      continue;
    }
    const s = new Set<number>();
    for (let l = 0; l < n; l++) {
      if (!(mask & (1 << l))) continue;
      for (const i of sets[l]) {
        let outside = out.has(i);
        for (let o = 0; o < n && !outside; o++) if (!(mask & (1 << o)) && sets[o].has(i)) outside = true;
        if (outside) s.add(i);
      }
    }
    held[mask] = s;
  }
  const best = new Float64Array(full + 1).fill(Infinity);
  for (let l = 0; l < n; l++) best[1 << l] = 0;
  for (let mask = 1; mask <= full; mask++) {
    if ((mask & (mask - 1)) === 0) continue;
    for (let a = (mask - 1) & mask; a > 0; a = (a - 1) & mask) {
      const b = mask ^ a;
      if (a < b) continue;
      const union = new Set([...held[a], ...held[b]]);
      let f = 1;
      for (const i of union) f *= p.sizes[i];
      if (union.size > held[mask].size) f *= 2;
      best[mask] = Math.min(best[mask], best[a] + best[b] + f);
    }
  }
  return best[full];
}

/**
 * A connected plain network: a random tree (parents[v] % v, many leaves are vectors), extra
 * edges for cycles, and open legs (one tensor each, in the output); sizes cycle through `sizes`.
 */
function plainProblem(n: number, parents: readonly number[], extra: readonly [number, number][], legs: readonly number[], sizes: readonly number[]): ContractionProblem {
  const inputs: number[][] = Array.from({ length: n }, () => []);
  const output: number[] = [];
  let m = 0;
  const edge = (a: number, b: number): void => {
    inputs[a].push(m);
    inputs[b].push(m++);
  };
  for (let v = 1; v < n; v++) edge(v, parents[v] % v);
  for (const [a, b] of extra) if (a % n !== b % n) edge(a % n, b % n);
  for (const t of legs) {
    inputs[t % n].push(m);
    output.push(m++);
  }
  return makeProblem(inputs, output, Array.from({ length: m }, (_, i) => sizes[i % sizes.length]));
}

/**
 * Random connected plain networks: every index joins exactly two tensors, or is an open leg
 * (one tensor, in the output; half of them have none); rich in vectors.
 */
const plainNetwork = fc
  .record({
    n: fc.integer({ min: 3, max: 8 }),
    parents: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
    legs: fc.oneof(fc.constant([]), fc.array(fc.nat(), { maxLength: 3 })),
    sizes: fc.array(fc.integer({ min: 2, max: 6 }), { minLength: 12, maxLength: 12 }),
  })
  .map(({ n, parents, extra, legs, sizes }) => plainProblem(n, parents, extra, legs, sizes));

/** Random connected networks with hyperedges, kept indices, private indices and sizes ≥ 2. */
const generalNetwork = fc
  .record({
    n: fc.integer({ min: 3, max: 7 }),
    edges: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 9 }),
    kept: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    sizes: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 9, maxLength: 9 }),
  })
  .map(({ n, edges, kept, sizes }) => {
    const inputs: number[][] = Array.from({ length: n }, () => []);
    edges.forEach((carriers, i) => {
      for (const c of new Set(carriers.map((x) => x % n))) inputs[c].push(i);
    });
    // Chain the tensors so the network stays connected.
    for (let v = 1; v < n; v++) {
      inputs[v].push(edges.length + v - 1);
      inputs[v - 1].push(edges.length + v - 1);
    }
    const m = edges.length + n - 1;
    const used = new Set(inputs.flat());
    const output = [...used].filter((i) => i < edges.length && kept[i % 9]);
    return makeProblem(inputs, output, Array.from({ length: m }, (_, i) => sizes[i % 9]));
  })
  .filter((p) => p.inputs.every((t) => t.length > 0));

function checkExact(p: ContractionProblem): void {
  const tree = dpTree(p, { allPairsMax: 0, outerProducts: true });
  expect(validateTree(tree, p)).toBeUndefined();
  expect(tree.exhaustive).toBe(true);
  expect(Number(treeCost(p, tree).flops)).toBe(allTreesOptimum(p));
}

describe('dp with outer products beyond allPairsMax', () => {
  it('the reference search agrees with dp over all splits (up to 12 inputs, a different implementation)', () => {
    fc.assert(
      fc.property(plainNetwork, (p) => {
        expect(Number(treeCost(p, dpTree(p)).flops)).toBe(allTreesOptimum(p));
      }),
      { numRuns: 30 },
    );
  });

  it('on plain networks, open legs included (cluster merges), it equals the optimum over all trees', () => {
    fc.assert(
      fc.property(plainNetwork, (p) => {
        expect(plainComponent(prepareSearch(p), p.inputs.map((_, l) => l))).toBe(true);
        checkExact(p);
      }),
      { numRuns: 150 },
    );
  });

  it('beyond the reference search (13-15 tensors) cluster merges equal merges of stored pairs (outerProducts pairs)', () => {
    const larger = fc
      .record({
        n: fc.integer({ min: 13, max: 15 }),
        parents: fc.array(fc.nat(), { minLength: 15, maxLength: 15 }),
        extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }),
        sizes: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 12, maxLength: 12 }),
      })
      .map(({ n, parents, extra, sizes }) => plainProblem(n, parents, extra, [], sizes));
    fc.assert(
      fc.property(larger, (p) => {
        const clusters = dpTree(p);
        const pairs = dpTree(p, { outerProducts: 'pairs' });
        expect(clusters.exhaustive && pairs.exhaustive).toBe(true);
        expect(treeCost(p, clusters).flops).toBe(treeCost(p, pairs).flops);
      }),
      { numRuns: 12 },
    );
  });

  it('on networks with hyperedges, kept and private indices (component rule) it equals the optimum over all trees', () => {
    fc.assert(
      fc.property(generalNetwork, (p) => checkExact(p)),
      { numRuns: 250 },
    );
  });

  it('does not apply the component rule where a tensor has a private index', () => {
    // The only optimal tree starts with the outer product [5]·[3,7] (it sums the private
    // index 3 there) and then meets [6,7], which shares nothing with [5]: the component rule
    // would prune it (456 instead of 448).
    const p = makeProblem([[5], [0, 1, 2, 4, 5, 6], [6, 7], [3, 7]], [4], [2, 2, 2, 4, 3, 2, 4, 2]);
    expect(allTreesOptimum(p)).toBe(448);
    checkExact(p);
  });

  it('finds trees whose outer products pay: the 104 case, vectors into a tensor, a three-piece cluster', () => {
    // [5],[1,5,2],[7],[2,7],[1]: plain, best tree takes one outer product (104 vs 106).
    const p104 = makeProblem([[5], [1, 5, 2], [7], [2, 7], [1]], [], [6, 2, 3, 3, 8, 4, 8, 7]);
    expect(allTreesOptimum(p104)).toBe(104);
    checkExact(p104);
    // The pieces [1] and [4] hang off [0,1,3,4]: two vectors multiplied together first
    // (a search for the pieces must not mistake [3,5] for an enclosed one).
    checkExact(makeProblem([[0, 1, 3, 4], [0, 2], [1], [2, 5], [3, 5], [4]], [], [2, 2, 2, 2, 2, 2]));
    // Three vectors and a tensor whose last leg goes to a large matrix: outer products of the
    // vectors first pay.
    const star = makeProblem([[0], [1], [2], [0, 1, 2, 3], [3, 4], [4]], [], [2, 3, 4, 50, 2]);
    checkExact(star);
    // Its optimum multiplies the three vectors together first (a three-piece cluster).
    const leavesOf = (tree: ReturnType<typeof dpTree>, id: number): number[] =>
      id < tree.leaves ? [id] : [...leavesOf(tree, tree.nodes[id - tree.leaves].left), ...leavesOf(tree, tree.nodes[id - tree.leaves].right)];
    const starTree = dpTree(star, { allPairsMax: 0 });
    expect(leavesOf(starTree, star.inputs.length + 1).sort()).toEqual([0, 1, 2]);
    expect(treeCost(star, dpTree(star, { allPairsMax: 0, outerProducts: false })).flops).toBeGreaterThan(treeCost(star, dpTree(star, { allPairsMax: 0, outerProducts: true })).flops);
  });

  it('says when it cut clusters short (many vectors on one tensor) and still beats index-sharing splits', () => {
    const star = (m: number): ContractionProblem => {
      const inputs: number[][] = Array.from({ length: m }, (_, i) => [i]);
      inputs.push([...Array.from({ length: m }, (_, i) => i), m], [m, m + 1], [m + 1]);
      return makeProblem(inputs, [], [...Array<number>(m).fill(2), 3, 2]);
    };
    checkExact(star(6));
    const p = star(12);
    const stats: DpStats = { rounds: [] };
    const tree = dpTree(p, {}, stats);
    expect(validateTree(tree, p)).toBeUndefined();
    // Twelve vectors fit in one cluster under the cap: more than CLUSTER_MAX pieces.
    expect(stats.rounds.at(-1)!.clustersCut).toBe(true);
    expect(tree.exhaustive).toBe(false);
    expect(treeCost(p, tree).flops).toBeLessThan(treeCost(p, dpTree(p, { outerProducts: false })).flops);
  });

  it('proves 3×3 PEPS and 8-site MPS optima equal to the index-sharing ones', () => {
    for (const net of [pepsNorm(3, 3), mpsExpectation(8)]) {
      const p = net.problem;
      const exact = dpTree(p, { outerProducts: true });
      expect(exact.exhaustive).toBe(true);
      expect(validateTree(exact, p)).toBeUndefined();
      expect(treeCost(p, exact).flops).toBe(treeCost(p, dpTree(p)).flops);
    }
  });

  it('proves the 4×4 PEPS norm and 40-site MPS expectation optima storing only connected subsets', () => {
    for (const [net, optimum] of [
      [pepsNorm(4, 4), 3_188_520n],
      [mpsExpectation(40), 5_370_912n],
    ] as const) {
      const p = net.problem;
      const stats: DpStats = { rounds: [] };
      const tree = dpTree(p, { outerProducts: true, maxTimeMs: 60_000 }, stats);
      expect(tree.exhaustive).toBe(true);
      expect(treeCost(p, tree).flops).toBe(optimum);
      // Cluster merges add no subsets beyond the index-sharing search's.
      const shared: DpStats = { rounds: [] };
      dpTree(p, { maxTimeMs: 60_000 }, shared);
      expect(stats.rounds.at(-1)!.subsets).toBeLessThanOrEqual(shared.rounds.at(-1)!.subsets * 1.05);
    }
  });
});

describe('clusterCost', () => {
  it('equals the cheapest outer-product tree found by enumerating merge orders', () => {
    const brute = (sizes: number[]): number => {
      if (sizes.length === 1) return 0;
      let best = Infinity;
      for (let i = 0; i < sizes.length; i++) {
        for (let j = i + 1; j < sizes.length; j++) {
          const rest = sizes.filter((_, t) => t !== i && t !== j);
          best = Math.min(best, sizes[i] * sizes[j] + brute([...rest, sizes[i] * sizes[j]]));
        }
      }
      return best;
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), (sizes) => {
        expect(clusterCost(sizes).cost).toBe(brute(sizes));
      }),
      { numRuns: 60 },
    );
  });
});
