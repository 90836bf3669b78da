// One interface for every contraction-order optimizer, and a registry of them by name.
// Optimizers are stateless and deterministic for a given seed; they respect maxTimeMs by
// checking a deadline and return their best tree so far (not marked exhaustive).

import type { ContractionProblem } from './problem.js';
import type { ContractionTree } from './tree.js';

export type Objective = 'flops' | 'size' | 'combo' | 'scaling';

export interface OptimizeOptions {
  /** What to minimise (default 'flops'). */
  minimize?: Objective;
  /** Largest intermediate allowed, in elements; honoured by slicing (see slice.ts). */
  memoryLimit?: number;
  /** Time budget for searches; they return their best tree when it runs out. */
  maxTimeMs?: number;
  /** Seed for randomized optimizers (same seed, same tree). */
  seed?: number;
  /**
   * Replace time budgets by fixed amounts of work (repeat, trial and pass counts), so the
   * same input gives the same tree on any machine under any load. Builds use it.
   */
  deterministic?: boolean;
  /** Optimizer-specific settings (e.g. repeats, beam width, subtree size). */
  [setting: string]: unknown;
}

export interface Optimizer {
  name: string;
  /** One line for `tnc path --help`. */
  description: string;
  optimize(problem: ContractionProblem, options: OptimizeOptions): ContractionTree;
}

export interface OptimizerRegistry {
  register(optimizer: Optimizer, aliases?: string[]): void;
  get(name: string): Optimizer;
  list(): string[];
  has(name: string): boolean;
}

/** A fresh registry; `register` refuses taken names, `get` lists valid names on a miss. */
export function createRegistry(): OptimizerRegistry {
  const table = new Map<string, Optimizer>();
  const canonical: string[] = [];
  return {
    register(optimizer, aliases = []) {
      for (const name of [optimizer.name, ...aliases]) {
        if (table.has(name)) throw new Error(`optimizer name '${name}' is already registered`);
      }
      canonical.push(optimizer.name);
      for (const name of [optimizer.name, ...aliases]) table.set(name, optimizer);
    },
    get(name) {
      const o = table.get(name);
      if (!o) throw new Error(`unknown optimizer '${name}'; valid optimizers: ${[...table.keys()].sort().join(', ')}`);
      return o;
    },
    list: () => [...canonical],
    has: (name) => table.has(name),
  };
}
