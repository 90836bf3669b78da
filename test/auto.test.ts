// auto's policy and time accounting, and planContraction under a memory limit: every rule
// names registered optimizers, auto stays within its budget (sub-steps honour their
// deadlines), is never worse than greedy under each objective, reaches dp's proven optimum
// on MPS/MPO expectation ladders in deterministic mode, and a memory limit is reported as
// exceeded only when no plan fits it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mpsExpectation, pepsNorm, randomEinsum, randomRegular } from '../bench/networks.js';
import { treeCost } from '../src/optimizer/cost.js';
import { dpTree, type DpStats } from '../src/optimizer/dp.js';
import { reconfigure } from '../src/optimizer/reconfigure.js';
import { AUTO_POLICY, exactScore, getOptimizer, hasOptimizer } from '../src/optimizer/index.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import type { ContractionProblem } from '../src/optimizer/problem.js';
import { compareScores } from '../src/optimizer/random-greedy.js';
import type { Objective } from '../src/optimizer/registry.js';
import { fromLinearPath, validateTree } from '../src/optimizer/tree.js';
import type { TensorNetwork } from '../src/ir/network.js';

const toNetwork = (p: ContractionProblem): TensorNetwork => ({
  tensors: p.inputs.map((t, k) => ({ name: `T${k}`, indices: t.map((i) => p.names[i]) })),
  output: p.output.map((i) => p.names[i]),
  sizes: Object.fromEntries(p.sizes.map((s, i) => [p.names[i], s])),
});

describe('auto policy table', () => {
  it('names registered optimizers, shares within the budget, refiners after a tree exists', () => {
    for (const rule of AUTO_POLICY) {
      let total = 0;
      rule.steps.forEach((step, k) => {
        expect(hasOptimizer(step.optimizer)).toBe(true);
        expect(step.share).toBeGreaterThanOrEqual(0);
        total += step.share;
        if (step.refine) expect(k).toBeGreaterThan(0);
      });
      expect(total).toBeLessThanOrEqual(1 + 1e-9);
    }
  });
});

describe('auto time accounting', () => {
  it('stays near its budget on mid-size and large networks', () => {
    const nets = [randomEinsum(50, 7).problem, pepsNorm(5, 5).problem, randomRegular(120, 3).problem];
    for (const p of nets) {
      const budget = 250;
      const t0 = performance.now();
      const tree = getOptimizer('auto').optimize(p, { maxTimeMs: budget, seed: 1 });
      const ms = performance.now() - t0;
      expect(validateTree(tree, p)).toBeUndefined();
      // Slack for one step's overshoot and a loaded machine; an unbounded step (such as a
      // dp pass ignoring its deadline) overshoots far more.
      expect(ms).toBeLessThan(budget * 2 + 250);
    }
  });

  it('dp stops at its deadline beyond the exact range', () => {
    const p = randomEinsum(50, 3).problem;
    const t0 = performance.now();
    const tree = getOptimizer('dp').optimize(p, { maxTimeMs: 100 });
    expect(validateTree(tree, p)).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(100 + 250);
  });
});

describe('auto quality', () => {
  const objectives: Objective[] = ['flops', 'size', 'combo', 'scaling'];
  it('is never worse than greedy under each objective', () => {
    for (const [n, seed] of [[8, 1], [20, 2], [40, 3], [70, 4]] as const) {
      const p = randomEinsum(n, seed).problem;
      for (const minimize of objectives) {
        const auto = getOptimizer('auto').optimize(p, { minimize, maxTimeMs: 60, seed: 1 });
        const greedy = getOptimizer('greedy').optimize(p, { minimize });
        expect(validateTree(auto, p)).toBeUndefined();
        expect(compareScores(exactScore(p, auto, { minimize }), exactScore(p, greedy, { minimize }))).toBeLessThanOrEqual(0);
        if (minimize === 'flops') expect(treeCost(p, auto).flops <= treeCost(p, greedy).flops).toBe(true);
      }
    }
  });
});

describe('auto on MPS/MPO expectation ladders (cost regression, no clock)', () => {
  // dp without a budget proves the optimum (over all trees, outer products included: these
  // ladders are plain networks, see dp-outer.ts); its last cost-cap round finding a tree is the proof.
  const provenOptimum = (p: ContractionProblem): bigint => {
    const stats: DpStats = { rounds: [] };
    const tree = dpTree(p, {}, stats);
    expect(stats.rounds.at(-1)?.found).toBe(true);
    return treeCost(p, tree).flops;
  };

  it('breadth-first reconfiguration reaches the proven optimum where cost-first stalls', () => {
    const p = mpsExpectation(16).problem;
    const best = provenOptimum(p);
    const greedy = getOptimizer('greedy').optimize(p, {});
    // The cost-first frontier keeps greedy's pre-merged site pairs shut (the diagnosis).
    expect(treeCost(p, reconfigure(greedy, p)).flops > best + best / 10n).toBe(true);
    expect(treeCost(p, reconfigure(greedy, p, { frontier: 'breadth' })).flops <= best + best / 1000n).toBe(true);
  });

  it('deterministic auto comes within 1.001x of the proven optimum on 16 and 40 sites (both large rules)', () => {
    for (const L of [16, 40]) {
      const p = mpsExpectation(L).problem;
      const best = provenOptimum(p);
      const tree = getOptimizer('auto').optimize(p, { deterministic: true, seed: 1 });
      expect(validateTree(tree, p)).toBeUndefined();
      // Measured: 96 flops above it on both (1.00007x and 1.00002x), from 1.6x and 2.7x.
      expect(treeCost(p, tree).flops <= best + best / 1000n).toBe(true);
    }
  });

  it('breadth-first reconfiguration returns a valid tree never worse than its start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 24 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 3, max: 10 }), (n, seed, k) => {
        const p = randomEinsum(n, seed).problem;
        const start = getOptimizer('greedy').optimize(p, {});
        const tree = reconfigure(start, p, { frontier: 'breadth', subtreeSize: k });
        expect(validateTree(tree, p)).toBeUndefined();
        expect(compareScores(exactScore(p, tree, {}), exactScore(p, start, {}))).toBeLessThanOrEqual(0);
      }),
      { numRuns: 30 },
    );
  });
});

describe('planContraction under a memory limit', () => {
  it('fits the limit (sliced or with another tree) unless the output alone exceeds it', () => {
    let unsliced = 0;
    for (let seed = 28; seed <= 40; seed++) {
      const p = randomEinsum(10 + (seed % 8), seed).problem;
      const full = treeCost(p, getOptimizer('greedy').optimize(p, {}));
      const outSize = p.output.reduce((a, i) => a * p.sizes[i], 1);
      for (const div of [2n, 4n, 16n]) {
        const limit = Number(full.size / div);
        if (limit < 1) continue;
        const plan = planContraction(toNetwork(p), { optimizer: 'greedy', memoryLimit: limit });
        expect(validateTree(plan.tree, plan.problem)).toBeUndefined();
        // The reported path is the executed tree, and the cost is that tree's.
        expect(treeCost(plan.problem, fromLinearPath(p.inputs.length, plan.path)).flops).toBe(plan.cost.flops);
        expect(treeCost(plan.problem, plan.tree).flops).toBe(plan.cost.flops);
        if (plan.overLimit) expect(outSize).toBeGreaterThan(limit);
        else if (plan.slices) expect(plan.slices.cost.size <= BigInt(limit)).toBe(true);
        else {
          expect(plan.cost.size <= BigInt(limit)).toBe(true);
          unsliced++;
        }
      }
    }
    // Slicing's search finds unsliced trees that fit on some of these networks (the case
    // planContraction once reported as over the limit).
    expect(unsliced).toBeGreaterThan(0);
  });
});
