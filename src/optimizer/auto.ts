// `auto`, the default optimizer: a policy table by operand count. Small networks get an exact
// search; larger ones run several optimizers within a share of the time budget each and keep
// the tree with the best exact cost. Greedy always runs first, so auto is never worse than it.
// Optimizers the table names but the registry lacks are skipped, so the table can name
// optional plug-ins.

import { InternalError } from '../diagnostics.js';
import { treeSteps } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { Optimizer, OptimizerRegistry, OptimizeOptions } from './registry.js';
import { DEFAULT_COMBO_FACTOR } from './search-problem.js';
import { validateTree, type ContractionTree } from './tree.js';

/** One optimizer run inside an auto rule. */
export interface AutoStep {
  optimizer: string;
  /** Fraction of the time budget this run may use. */
  share: number;
  /**
   * A refiner improves the best tree so far: it receives it as `options.initialTree`
   * (e.g. subtree reconfiguration).
   */
  refine?: boolean;
}

/** Applies to networks of at most `maxOperands` inputs. */
export interface AutoRule {
  maxOperands: number;
  steps: AutoStep[];
}

/** The auto policy, read top to bottom: the first rule whose `maxOperands` fits is used. */
export const AUTO_POLICY: readonly AutoRule[] = [
  { maxOperands: 4, steps: [{ optimizer: 'optimal', share: 1 }] },
  { maxOperands: 12, steps: [{ optimizer: 'dp', share: 1 }] },
  {
    // Heuristics first; dp then starts from the best tree so far (its cost caps dp's search)
    // and either proves a better one or keeps it.
    maxOperands: 60,
    steps: [
      { optimizer: 'greedy', share: 0 },
      { optimizer: 'random-greedy', share: 0.15 },
      { optimizer: 'partition', share: 0.15 },
      { optimizer: 'reconfigure', share: 0.1, refine: true },
      { optimizer: 'dp', share: 0.6, refine: true },
    ],
  },
  {
    maxOperands: Infinity,
    steps: [
      { optimizer: 'greedy', share: 0 },
      { optimizer: 'random-greedy', share: 0.4 },
      { optimizer: 'partition', share: 0.4 },
      { optimizer: 'reconfigure', share: 0.2, refine: true },
    ],
  },
];

/** Default time budget of `auto` when `maxTimeMs` is not given. */
export const DEFAULT_AUTO_TIME_MS = 500;

/**
 * An exact score of a tree for an objective, compared lexicographically: `flops` (flops,
 * size), `size` (size, flops), `combo` (flops + α·write, size), `scaling` (most expensive
 * step, flops).
 */
export function exactScore(problem: ContractionProblem, tree: ContractionTree, options: OptimizeOptions): [bigint, bigint] {
  const steps = treeSteps(problem, tree);
  let flops = 0n;
  let size = steps.length === 0 ? 1n : 0n;
  let write = 0n;
  let worst = 0n;
  for (const s of steps) {
    flops += s.flops;
    write += s.size;
    if (s.size > size) size = s.size;
    if (s.flops > worst) worst = s.flops;
  }
  switch (options.minimize ?? 'flops') {
    case 'size':
      return [size, flops];
    case 'combo': {
      const alpha = typeof options.comboFactor === 'number' ? BigInt(Math.round(options.comboFactor)) : BigInt(DEFAULT_COMBO_FACTOR);
      return [flops + alpha * write, size];
    }
    case 'scaling':
      return [worst, flops];
    default:
      return [flops, size];
  }
}

function better(a: [bigint, bigint], b: [bigint, bigint]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** The rule auto applies to a network with `n` inputs. */
export function autoRule(n: number): AutoRule {
  return AUTO_POLICY.find((r) => n <= r.maxOperands) ?? AUTO_POLICY[AUTO_POLICY.length - 1];
}

/** The auto optimizer over a registry (looked up at call time, so later plug-ins count). */
export function createAuto(registry: OptimizerRegistry): Optimizer {
  return {
    name: 'auto',
    description: `picks by size: optimal (≤4), dp (≤12), then the best of greedy, random-greedy, partition, reconfigure and (≤60) dp within --max-time (default ${DEFAULT_AUTO_TIME_MS} ms)`,
    optimize(problem, options) {
      const n = problem.inputs.length;
      const budget = typeof options.maxTimeMs === 'number' ? options.maxTimeMs : DEFAULT_AUTO_TIME_MS;
      const startAt = performance.now();
      const rule = autoRule(n);
      let best: ContractionTree | undefined;
      let bestScore: [bigint, bigint] | undefined;
      for (const step of rule.steps) {
        if (!registry.has(step.optimizer)) continue;
        if (step.refine && !best) continue;
        const left = budget - (performance.now() - startAt);
        if (best && step.share > 0 && left <= 0) break;
        const share = step.share === 0 ? 0 : Math.max(1, Math.min(left, budget * step.share));
        const sub: OptimizeOptions = { ...options, maxTimeMs: share };
        if (step.refine) sub.initialTree = best;
        const tree = registry.get(step.optimizer).optimize(problem, sub);
        const invalid = validateTree(tree, problem);
        if (invalid !== undefined) throw new InternalError(`optimizer '${step.optimizer}' returned an invalid tree: ${invalid}`);
        const score = exactScore(problem, tree, options);
        if (!bestScore || better(score, bestScore)) {
          best = tree;
          bestScore = score;
        }
      }
      if (!best) best = registry.get('greedy').optimize(problem, options);
      return best;
    },
  };
}
