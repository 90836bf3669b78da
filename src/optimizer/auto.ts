// `auto`, the default optimizer: a policy table by operand count. Small networks get an exact
// search; larger ones run several optimizers, each within a hard share of the time budget,
// refine candidate trees by subtree reconfiguration, and keep the tree with the best exact
// score for the objective. Greedy always runs first, so auto is never worse than it.
// Optimizers the table names but the registry lacks are skipped, so the table can name
// optional plug-ins.
//
// Time accounting: every step gets a deadline (its share of the budget, capped by what is
// left after reserving the shares of the refine steps still to come), and the last step
// gets all the time that is left, so time an early step did not use is not lost and an
// early step that overruns cannot starve the refine steps. For a given seed the result is
// deterministic up to the time budgets: how far each search gets within its share depends
// on the machine and its load, so a faster machine may find a better tree. Pass a larger
// `maxTimeMs` for more search, and compare results only on one machine.
//
// The table follows bench/paths.ts: on 13–60 tensors, reconfiguring several different
// starting trees (greedy's, random-greedy's, partition's) wins most networks, and a dp pass
// at this budget almost never finishes; beyond 60, random-greedy and partition each
// followed by reconfiguration win, so both run with most of the budget. Both rules end with a
// breadth-first reconfiguration of the best tree (BREADTH below). dp is not in the table
// beyond 12 tensors: unbudgeted it proves the 40-site MPS optimum in about 0.7 s but needs
// 3.5-6 s at 64 sites, and when its budget runs out it returns its heuristic start tree,
// so a share of auto's budget spent there is usually lost. The default
// budget grows with the rule (500 ms, 800 ms from 13 tensors, 1000 ms beyond 60): the
// searches need that time to match what each optimizer alone finds at 200 ms.

import { InternalError } from '../diagnostics.js';
import { treeCost } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { Optimizer, OptimizerRegistry, OptimizeOptions } from './registry.js';
import { compareScores, scoreTree } from './random-greedy.js';
import { DEFAULT_COMBO_FACTOR } from './search-problem.js';
import { validateTree, type ContractionTree } from './tree.js';

/** One optimizer run inside an auto rule. */
export interface AutoStep {
  optimizer: string;
  /** Fraction of the time budget this run may use. */
  share: number;
  /**
   * A refiner improves a tree it receives as `options.initialTree` (e.g. subtree
   * reconfiguration): `'last'` the tree of the step just before it, `'best'` (or `true`)
   * the best tree so far. Its share is reserved while earlier steps run.
   */
  refine?: boolean | 'last' | 'best';
  /** Settings merged over the caller's options for this run (e.g. a reconfigure frontier). */
  settings?: Record<string, unknown>;
}

/** Applies to networks of at most `maxOperands` inputs. */
export interface AutoRule {
  maxOperands: number;
  steps: AutoStep[];
  /** Time budget (ms) when `maxTimeMs` is not given; DEFAULT_AUTO_TIME_MS when absent. */
  defaultTimeMs?: number;
}

/**
 * Reconfiguration that opens subtrees level by level (see ReconfigureOptions.frontier). The
 * default, cost-first frontier never splits cheap pre-merged blocks hanging off an
 * expensive chain, so on MPS/MPO ladders every heuristic's tree (sites absorbed in pairs)
 * stayed 1.3-2.8x above dp's proven optimum; this pass reaches it from any of them in about
 * 100 ms, and finds 1.1-500x on random regular graphs, where the cost-first passes had
 * converged.
 */
const BREADTH = { frontier: 'breadth' } as const;

/** The auto policy, read top to bottom: the first rule whose `maxOperands` fits is used. */
export const AUTO_POLICY: readonly AutoRule[] = [
  { maxOperands: 4, steps: [{ optimizer: 'optimal', share: 1 }] },
  { maxOperands: 12, steps: [{ optimizer: 'dp', share: 1 }] },
  {
    // Reconfiguration finds different local optima from different starts, so each
    // heuristic's tree is refined (cost-first, then breadth-first: on a 16-site MPS only
    // some starts lead breadth-first passes to the optimum), then the best once more.
    // 800 ms keeps auto under the 1 s the issue allows up to 60 tensors.
    maxOperands: 60,
    defaultTimeMs: 800,
    steps: [
      { optimizer: 'greedy', share: 0 },
      { optimizer: 'reconfigure', share: 0.2, refine: 'last' },
      { optimizer: 'reconfigure', share: 0.05, refine: 'last', settings: BREADTH },
      { optimizer: 'random-greedy+reconfigure', share: 0.2 },
      { optimizer: 'reconfigure', share: 0.05, refine: 'last', settings: BREADTH },
      { optimizer: 'partition+reconfigure', share: 0.2 },
      { optimizer: 'reconfigure', share: 0.05, refine: 'last', settings: BREADTH },
      { optimizer: 'reconfigure', share: 0.1, refine: 'best' },
      { optimizer: 'reconfigure', share: 0.15, refine: 'best', settings: BREADTH },
    ],
  },
  {
    maxOperands: Infinity,
    defaultTimeMs: 1000,
    steps: [
      { optimizer: 'greedy', share: 0 },
      { optimizer: 'random-greedy', share: 0.3 },
      { optimizer: 'reconfigure', share: 0.1, refine: 'last' },
      { optimizer: 'partition', share: 0.3 },
      { optimizer: 'reconfigure', share: 0.1, refine: 'last' },
      { optimizer: 'reconfigure', share: 0.05, refine: 'best' },
      { optimizer: 'reconfigure', share: 0.15, refine: 'best', settings: BREADTH },
    ],
  },
];

/** Largest network auto searches beyond greedy in deterministic mode (work grows with n). */
export const DETERMINISTIC_MAX_OPERANDS = 1500;

/** Default time budget of `auto` when `maxTimeMs` is not given. */
export const DEFAULT_AUTO_TIME_MS = 500;

/**
 * An exact score of a tree for an objective, compared lexicographically: `flops` (flops,
 * size), `size` (size, flops), `combo` (flops + α·write, size), `scaling` (the symbolic
 * cost's degree key, then flops; see scoreTree).
 */
export function exactScore(problem: ContractionProblem, tree: ContractionTree, options: OptimizeOptions): bigint[] {
  if (options.minimize === 'scaling') return scoreTree(problem, tree, 'scaling');
  const { flops, size, write } = treeCost(problem, tree);
  switch (options.minimize ?? 'flops') {
    case 'size':
      return [size, flops];
    case 'combo': {
      const alpha = typeof options.comboFactor === 'number' ? BigInt(Math.round(options.comboFactor)) : BigInt(DEFAULT_COMBO_FACTOR);
      return [flops + alpha * write, size];
    }
    default:
      return [flops, size];
  }
}

/** The rule auto applies to a network with `n` inputs. */
export function autoRule(n: number): AutoRule {
  return AUTO_POLICY.find((r) => n <= r.maxOperands) ?? AUTO_POLICY[AUTO_POLICY.length - 1];
}

/** Which tree a step refines, or undefined for a step that builds its own. */
function refineMode(step: AutoStep): 'last' | 'best' | undefined {
  if (step.refine === 'last') return 'last';
  if (step.refine === true || step.refine === 'best') return 'best';
  return undefined;
}

/**
 * The auto optimizer over a registry (looked up at call time, so later plug-ins count);
 * `policy` replaces AUTO_POLICY (for experiments and tests).
 */
export function createAuto(registry: OptimizerRegistry, policy: readonly AutoRule[] = AUTO_POLICY): Optimizer {
  return {
    name: 'auto',
    description: `picks by size: optimal (≤4), dp (≤12), then greedy, random-greedy and partition trees each refined by reconfigure (cost-first, then breadth-first subtrees), best exact cost kept, within --max-time (default ${DEFAULT_AUTO_TIME_MS} ms up to 12 tensors, 800 ms up to 60, 1000 ms beyond)`,
    optimize(problem, options) {
      const n = problem.inputs.length;
      const rule = policy.find((r) => n <= r.maxOperands) ?? policy[policy.length - 1];
      const budget = typeof options.maxTimeMs === 'number' && options.maxTimeMs >= 0 ? options.maxTimeMs : (rule.defaultTimeMs ?? DEFAULT_AUTO_TIME_MS);
      const endAt = performance.now() + budget;
      // Deterministic mode: no time budgets; every step does its default fixed amount of work
      // (see OptimizeOptions.deterministic). Past DETERMINISTIC_MAX_OPERANDS only greedy runs.
      const deterministic = options.deterministic === true;
      if (deterministic && n > DETERMINISTIC_MAX_OPERANDS) return registry.get('greedy').optimize(problem, options);
      const steps = rule.steps.filter((st) => registry.has(st.optimizer));
      let best: ContractionTree | undefined;
      let bestScore: bigint[] | undefined;
      let last: ContractionTree | undefined;
      for (let k = 0; k < steps.length; k++) {
        const step = steps[k];
        const mode = refineMode(step);
        const from = mode === 'last' ? last : mode === 'best' ? best : undefined;
        if (mode && !from) continue;
        const left = endAt - performance.now();
        // Shares of the refine steps still to come stay reserved for them.
        let reserved = 0;
        for (let j = k + 1; j < steps.length; j++) if (refineMode(steps[j])) reserved += steps[j].share * budget;
        let allot: number;
        if (step.share === 0) allot = 0;
        else if (k === steps.length - 1) allot = left;
        else allot = Math.min(step.share * budget, left - (mode ? 0 : reserved));
        // A zero-share step (greedy) always runs: it is the floor auto never goes below.
        if (!deterministic && step.share > 0 && best && allot < 1) continue;
        const sub: OptimizeOptions = { ...options, ...step.settings, maxTimeMs: Math.max(step.share === 0 ? 0 : 1, allot) };
        if (deterministic) delete sub.maxTimeMs;
        if (from) sub.initialTree = from;
        const tree = registry.get(step.optimizer).optimize(problem, sub);
        const invalid = validateTree(tree, problem);
        if (invalid !== undefined) throw new InternalError(`optimizer '${step.optimizer}' returned an invalid tree: ${invalid}`);
        last = tree;
        const score = exactScore(problem, tree, options);
        if (!bestScore || compareScores(score, bestScore) < 0) {
          best = tree;
          bestScore = score;
        }
      }
      if (!best) best = registry.get('greedy').optimize(problem, options);
      return best;
    },
  };
}
