// planContraction: the one entry point backends and the API use to order a network.
// (Initial version: contracts operands left to right. The optimizer work replaces the body
// with the registry + `auto`; the signature stays.)

import type { TensorNetwork } from '../ir/network.js';
import { treeCost, type Cost } from './cost.js';
import { toProblem, type ContractionProblem } from './problem.js';
import type { OptimizeOptions } from './registry.js';
import { fromSsaPath, toLinearPath, type ContractionTree, type LinearPath } from './tree.js';

export interface PathOptions extends OptimizeOptions {
  /** Optimizer name (default 'auto'). */
  optimizer?: string;
}

export interface PlannedContraction {
  problem: ContractionProblem;
  tree: ContractionTree;
  path: LinearPath;
  cost: Cost;
  optimizer: string;
}

export function planContraction(net: TensorNetwork, options: PathOptions = {}): PlannedContraction {
  const problem = toProblem(net);
  const n = problem.inputs.length;
  const ssa: number[][] = [];
  let acc = 0;
  for (let i = 1; i < n; i++) {
    ssa.push([acc, i]);
    acc = n + i - 1;
  }
  const tree = fromSsaPath(n, ssa);
  return { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: options.optimizer ?? 'auto' };
}
