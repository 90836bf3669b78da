// Checks of the options users pass to contractPath and compile: a misspelled objective or a
// negative memory limit is a diagnostic, never silently ignored or a TypeError from deep inside.

import { error, SourceFile, TncError } from '../diagnostics.js';
import { checkOptimizerName, type PathOptions } from '../optimizer/plan-contraction.js';
import type { Objective } from '../optimizer/registry.js';

/** The objectives `minimize` accepts. */
export const PATH_OBJECTIVES: readonly Objective[] = ['flops', 'size', 'combo', 'scaling'];

function fail(name: string, value: unknown, message: string): never {
  const text = typeof value === 'string' ? value : String(value);
  throw new TncError([error(`options/${name}`, message, { start: 0, end: Math.max(1, text.length) })], SourceFile.from(name, text));
}

/**
 * Throws a TncError (with a caret under the value) for an invalid contraction option:
 * `optimizer` not a known name, `minimize` not an objective, `memoryLimit` not a positive
 * integer, `maxTimeMs` not a non-negative number, `seed` not an integer.
 */
export function checkPathOptions(options: unknown): asserts options is PathOptions {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError('options must be an object, e.g. { optimizer: "greedy" }');
  const o = options as Record<string, unknown>;
  if (o.optimizer !== undefined) {
    if (typeof o.optimizer !== 'string') fail('optimizer', o.optimizer, `optimizer must be a name such as 'auto' or 'greedy', got ${typeof o.optimizer}`);
    checkOptimizerName(o.optimizer);
  }
  if (o.minimize !== undefined && !PATH_OBJECTIVES.includes(o.minimize as Objective)) {
    fail('minimize', o.minimize, `minimize must be one of ${PATH_OBJECTIVES.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(o.minimize)}`);
  }
  const limit = o.memoryLimit;
  if (limit !== undefined && !(typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1)) {
    fail('memoryLimit', limit, `memoryLimit must be a positive integer (elements), got ${String(limit)}`);
  }
  const time = o.maxTimeMs;
  if (time !== undefined && !(typeof time === 'number' && time >= 0 && !Number.isNaN(time))) {
    fail('maxTimeMs', time, `maxTimeMs must be a non-negative number of milliseconds, got ${String(time)}`);
  }
  if (o.seed !== undefined && !(typeof o.seed === 'number' && Number.isSafeInteger(o.seed))) {
    fail('seed', o.seed, `seed must be an integer, got ${String(o.seed)}`);
  }
  if (o.deterministic !== undefined && typeof o.deterministic !== 'boolean') {
    fail('deterministic', o.deterministic, `deterministic must be true or false, got ${String(o.deterministic)}`);
  }
}
