// interpret: run a KernelPlan once on named inputs (lowering tests, one-off evaluation).
// Repeated calls should hold a runner from createRunner instead, which keeps its arena.

import type { KernelPlan } from '../plan.js';
import type { FloatArray } from './kernels.js';
import { createRunner, type Dtype } from './runtime.js';

/**
 * Executes `plan` on `inputs` (row-major arrays keyed by input name) with the given symbolic
 * dim values; the dtype follows the inputs (f32 when the first input is a Float32Array).
 */
export function interpret(
  plan: KernelPlan,
  inputs: Record<string, FloatArray>,
  options: { dims?: Record<string, number>; dtype?: Dtype; out?: FloatArray } = {},
): FloatArray {
  const first = plan.inputs.length > 0 ? inputs[plan.inputs[0].name] : undefined;
  const dtype = options.dtype ?? (first instanceof Float32Array || options.out instanceof Float32Array ? 'f32' : 'f64');
  return createRunner(plan, dtype)(inputs, options.dims, options.out);
}
