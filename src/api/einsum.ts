// einsum(eq, ...operands): numpy-style einsum over row-major typed arrays. The equation and
// shapes are planned (contraction order → kernel plan) once and cached, so repeated calls
// with the same equation and shapes go straight to the CPU runtime.

import { error, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import { einsumNetwork, parseEquation } from '../ir/einsum.js';
import { lowerNetwork } from '../backends/lower.js';
import type { KernelPlan } from '../backends/plan.js';
import type { FloatArray } from '../backends/cpu/kernels.js';
import { createRunner, type Dtype, type Runner } from '../backends/cpu/runtime.js';
import { planContraction } from '../optimizer/plan-contraction.js';
import { CPU_MAX_ELEMENTS } from '../build.js';

/** A dense row-major tensor: its shape and its elements. */
export interface EinsumOperand {
  shape: readonly number[];
  data: Float32Array | Float64Array;
}

/** The result of einsum: f64 when any operand is f64, else f32. */
export interface EinsumResult {
  shape: number[];
  data: Float32Array | Float64Array;
}

interface CachedPlan {
  plan: KernelPlan;
  shape: number[];
  runners: Partial<Record<Dtype, Runner>>;
}

/** Largest tensor (elements) einsum will allocate: the CPU runtime's cap (int32 element offsets). */
const MAX_ELEMENTS = BigInt(CPU_MAX_ELEMENTS);

/** Most (equation, shapes) pairs kept in the path cache; the least recently used goes first. */
export const EINSUM_CACHE_SIZE = 256;

/**
 * The path cache, keyed by equation and shapes. Module-level on purpose: it only memoises a
 * pure function of its key (the plan), plus each plan's runner and its scratch arena.
 */
const cache = new Map<string, CachedPlan>();

function failWith(eq: string, diagnostics: Diagnostic[]): never {
  throw new TncError(diagnostics, SourceFile.from('einsum', eq));
}

function termSpan(eq: string, t: number): { start: number; end: number } {
  const parsed = parseEquation(eq).value;
  const start = parsed.inputOffsets[t] ?? 0;
  const last = parsed.indexOffsets[t]?.at(-1);
  return { start, end: last === undefined ? Math.max(start + 1, 1) : last + 1 };
}

function planFor(eq: string, shapes: number[][]): CachedPlan {
  // The operand count is part of the key: no operands and one scalar would both join to ''.
  const key = `${eq}\u0000${shapes.length}\u0000${shapes.map((s) => s.join('x')).join(',')}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const net = einsumNetwork(eq, shapes);
  if (net.value === undefined || net.diagnostics.length > 0) failWith(eq, net.diagnostics);
  const planned = planContraction(net.value);
  if (planned.cost.size > MAX_ELEMENTS) {
    failWith(eq, [
      error(
        'limit/too-large',
        `this contraction needs a tensor of ${planned.cost.size} elements (the output or an intermediate), more than the ${MAX_ELEMENTS} the CPU runtime supports`,
        { start: 0, end: Math.max(1, eq.length) },
      ),
    ]);
  }
  const plan = lowerNetwork(net.value, planned, 'einsum');
  const entry: CachedPlan = { plan, shape: net.value.output.map((ix) => net.value!.sizes[ix]), runners: {} };
  cache.set(key, entry);
  if (cache.size > EINSUM_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return entry;
}

/**
 * Evaluates an einsum equation over dense operands (numpy semantics: repeated indices in one
 * operand take the diagonal, indices missing from the output are summed, an implicit output
 * is the indices that appear once, in code-point order). Errors are TncErrors with a caret
 * under the offending part of the equation.
 *
 * Example: `einsum('ab,bc->ac', {shape:[2,3], data}, {shape:[3,4], data})` → `{shape:[2,4], data}`.
 */
export function einsum(eq: string, ...operands: EinsumOperand[]): EinsumResult {
  if (typeof eq !== 'string') throw new TypeError(`einsum: the equation must be a string such as 'ij,jk->ik', got ${eq === null ? 'null' : typeof eq}`);
  const shapes: number[][] = [];
  const diagnostics: Diagnostic[] = [];
  operands.forEach((op, t) => {
    const ok = typeof op === 'object' && op !== null && Array.isArray(op.shape) && (op.data instanceof Float32Array || op.data instanceof Float64Array);
    if (!ok) {
      diagnostics.push(error('einsum/operand', `operand ${t} must be { shape: number[], data: Float32Array | Float64Array }`, termSpan(eq, t)));
      shapes.push([]);
      return;
    }
    shapes.push([...op.shape]);
  });
  if (diagnostics.length > 0) failWith(eq, diagnostics);
  const entry = planFor(eq, shapes);
  operands.forEach((op, t) => {
    // Exact count: a shape far beyond any array must not print a rounded size.
    const need = shapes[t].reduce((p, s) => p * BigInt(s), 1n);
    if (BigInt(op.data.length) !== need) {
      diagnostics.push(error('einsum/data-length', `operand ${t} has ${op.data.length} elements but its shape [${shapes[t].join(', ')}] needs ${need}`, termSpan(eq, t)));
    }
  });
  if (diagnostics.length > 0) failWith(eq, diagnostics);
  const dtype: Dtype = operands.some((op) => op.data instanceof Float64Array) ? 'f64' : 'f32';
  const inputs: Record<string, FloatArray> = {};
  operands.forEach((op, t) => {
    inputs[`T${t}`] = dtype === 'f64' && op.data instanceof Float32Array ? Float64Array.from(op.data) : op.data;
  });
  const runner = (entry.runners[dtype] ??= createRunner(entry.plan, dtype));
  return { shape: [...entry.shape], data: runner(inputs) };
}
