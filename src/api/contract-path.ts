// contractPath for library users: the optimizer's contractPath, with its options checked first.

import { contractPath as plannedPath, type PathInfo } from '../optimizer/contract-path.js';
import type { PathOptions } from '../optimizer/plan-contraction.js';
import { checkPathOptions } from './path-options.js';

/**
 * opt_einsum's contract_path: the linear path of `eq` over `shapes`, its exact costs and a
 * per-step report. Bad equations, shapes or options throw a TncError with a caret.
 *
 * Example: `contractPath('ab,bc,cd->ad', [[10,20],[20,30],[30,40]])` → path `[[0,1],[0,1]]`, flops 36000.
 */
export function contractPath(eq: string, shapes: readonly (readonly number[])[], options: PathOptions = {}): PathInfo {
  if (typeof eq !== 'string') throw new TypeError(`contractPath: the equation must be a string such as 'ij,jk->ik', got ${eq === null ? 'null' : typeof eq}`);
  checkPathOptions(options);
  return plannedPath(eq, shapes, options);
}
