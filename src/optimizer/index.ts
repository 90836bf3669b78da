// The optimizer stage: a ContractionProblem in, a ContractionTree and its exact cost out.
// Every optimizer sits behind one interface (registry.ts) in the default registry below;
// `auto` is the default everywhere and picks among the others by network size and time
// budget. planContraction (plan-contraction.ts) is the entry point backends use.

import { createAuto } from './auto.js';
import { branchOptimizers } from './branch.js';
import { dp } from './dp.js';
import { greedy } from './greedy.js';
import { optimal } from './optimal.js';
import { createRegistry, type Optimizer, type OptimizerRegistry } from './registry.js';
import { randomGreedyOptimizer } from './random-greedy.js';
import { partitionOptimizer } from './partition.js';
import { reconfigureOptimizer, withReconfigure } from './reconfigure.js';

/** A registry with every built-in optimizer and its aliases. */
export function createDefaultRegistry(): OptimizerRegistry {
  const registry = createRegistry();
  registry.register(greedy);
  registry.register(optimal);
  registry.register(dp, ['dynamic-programming']);
  const [branch1, branch2, branchAll] = branchOptimizers;
  registry.register(branch1);
  registry.register(branch2);
  registry.register(branchAll, ['branch']);
  // Advanced optimizers (random-greedy, partition, reconfigure, ...) register here.
  registry.register(randomGreedyOptimizer);
  registry.register(partitionOptimizer);
  registry.register(reconfigureOptimizer);
  registry.register(withReconfigure(greedy));
  registry.register(withReconfigure(randomGreedyOptimizer));
  registry.register(withReconfigure(partitionOptimizer));
  registry.register(createAuto(registry));
  return registry;
}

// Built once at load and never changed afterwards.
const defaultRegistry = createDefaultRegistry();

/** The default registry, read-only: look up and list. */
export function optimizerRegistry(): Pick<OptimizerRegistry, 'get' | 'has' | 'list'> {
  return { get: (name) => defaultRegistry.get(name), has: (name) => defaultRegistry.has(name), list: () => defaultRegistry.list() };
}

/** Canonical names of the registered optimizers, in registration order. */
export function listOptimizers(): string[] {
  return defaultRegistry.list();
}

/** The optimizer registered under `name` (or an alias); throws listing the valid names. */
export function getOptimizer(name: string): Optimizer {
  return defaultRegistry.get(name);
}

/** True when `name` (or an alias) is registered. */
export function hasOptimizer(name: string): boolean {
  return defaultRegistry.has(name);
}

export { AUTO_POLICY, DEFAULT_AUTO_TIME_MS, autoRule, exactScore } from './auto.js';
export { greedyTree, greedyCost, type GreedyKey, type GreedySettings } from './greedy.js';
export { searchTree } from './optimal.js';
export { dpTree, ALL_PAIRS_MAX } from './dp.js';
export { createBranch } from './branch.js';
