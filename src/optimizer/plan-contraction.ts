// planContraction: the one entry point backends and the API use to order a network. It runs
// the chosen optimizer (default `auto`) from the default registry, checks the tree, and
// computes its exact cost. When a memory limit is set and the tree's largest intermediate
// exceeds it, indices are sliced (slice.ts) and the slices reported; `overLimit` stays set
// only when even slicing cannot fit (e.g. the output itself is larger than the limit).

import { fail, InternalError, nearest } from '../diagnostics.js';
import type { TensorNetwork } from '../ir/network.js';
import { log2Big, treeCost, type Cost } from './cost.js';
import { getOptimizer, hasOptimizer, listOptimizers } from './index.js';
import { toProblem, type ContractionProblem } from './problem.js';
import type { OptimizeOptions } from './registry.js';
import { chooseSlices, slicedProblem } from './slice.js';
import { toLinearPath, validateTree, type ContractionTree, type LinearPath } from './tree.js';

export interface PathOptions extends OptimizeOptions {
  /** Optimizer name (default 'auto'). */
  optimizer?: string;
}

/** Indices sliced to honour a memory limit: the plan runs once per slice and accumulates. */
export interface SlicePlan {
  indices: string[];
  /** Number of slices (product of the sliced indices' sizes). */
  count: number;
  /** Cost of all slices together. */
  cost: Cost;
  /** Total sliced flops divided by the unsliced flops (1 = no overhead). */
  overhead: number;
}

export interface PlannedContraction {
  problem: ContractionProblem;
  tree: ContractionTree;
  path: LinearPath;
  cost: Cost;
  optimizer: string;
  /** Present when `memoryLimit` was set, the tree exceeded it, and slicing found a plan. */
  slices?: SlicePlan;
  /** True when `memoryLimit` was set and the unsliced largest intermediate exceeds it. */
  overLimit?: boolean;
}

/** Throws a user error for an unknown optimizer name, naming the nearest valid one. */
export function checkOptimizerName(name: string): void {
  if (hasOptimizer(name)) return;
  const valid = listOptimizers();
  const near = nearest(name, valid);
  fail('optimizer', name, {
    code: 'optimizer/unknown',
    severity: 'error',
    message: `unknown optimizer '${name}'${near ? `; did you mean '${near}'?` : ''} (valid: ${valid.join(', ')})`,
    span: { start: 0, end: Math.max(1, name.length) },
  });
}

/**
 * Time budget given to the exhaustive searches when the caller sets none, so that no call
 * can hang: they then return their best tree so far (marked not exhaustive).
 */
export const DEFAULT_EXHAUSTIVE_TIME_MS = 10_000;

/** Optimizers whose work can grow exponentially with the network. */
const EXHAUSTIVE = new Set(['optimal', 'dp', 'branch-2', 'branch-all']);

/** Orders a network with the chosen optimizer and returns the tree, linear path and exact cost. */
export function planContraction(net: TensorNetwork, options: PathOptions = {}): PlannedContraction {
  const problem = toProblem(net);
  const name = options.optimizer ?? 'auto';
  checkOptimizerName(name);
  const optimizer = getOptimizer(name);
  const searchOptions = EXHAUSTIVE.has(optimizer.name) && options.maxTimeMs === undefined ? { ...options, maxTimeMs: DEFAULT_EXHAUSTIVE_TIME_MS } : options;
  const tree = optimizer.optimize(problem, searchOptions);
  const invalid = validateTree(tree, problem);
  if (invalid !== undefined) throw new InternalError(`optimizer '${name}' returned an invalid tree: ${invalid}`);
  const cost = treeCost(problem, tree);
  const planned: PlannedContraction = { problem, tree, path: toLinearPath(tree), cost, optimizer: optimizer.name };
  const limit = options.memoryLimit;
  if (typeof limit === 'number' && limit >= 1 && cost.size > BigInt(Math.floor(limit))) {
    // Deterministic planning runs slicing's whole (fixed-work) search, ignoring the clock;
    // otherwise slicing gets the caller's time budget (or its own default).
    const timing = options.deterministic ? { deterministic: true } : options.maxTimeMs !== undefined ? { maxTimeMs: options.maxTimeMs } : {};
    const plan = chooseSlices(problem, tree, Math.floor(limit), { minimize: options.minimize, ...timing });
    const badSliced = validateTree(plan.tree, problem);
    if (badSliced !== undefined) throw new InternalError(`slicing returned an invalid tree: ${badSliced}`);
    if (plan.count === 1 && plan.sliceSize <= BigInt(Math.floor(limit))) {
      // Slicing's search found another tree that fits without slicing: execute that one.
      planned.tree = plan.tree;
      planned.path = toLinearPath(plan.tree);
      planned.cost = treeCost(problem, plan.tree);
    } else if (plan.count > 1) {
      // The sliced plan may come with its own tree; execute (and report) that one.
      planned.tree = plan.tree;
      planned.path = toLinearPath(plan.tree);
      planned.cost = treeCost(problem, plan.tree);
      const one = treeCost(slicedProblem(problem, plan.indices), plan.tree);
      const count = BigInt(plan.count);
      const flops = one.flops * count;
      planned.slices = {
        indices: plan.indices.map((i) => problem.names[i]),
        count: plan.count,
        cost: { flops, size: one.size, write: one.write * count, log2Flops: log2Big(flops), log2Size: one.log2Size },
        overhead: plan.overhead,
      };
      if (one.size > BigInt(Math.floor(limit))) planned.overLimit = true;
    } else planned.overLimit = true;
  } else if (typeof limit === 'number' && cost.size > BigInt(Math.max(0, Math.floor(limit)))) planned.overLimit = true;
  return planned;
}
