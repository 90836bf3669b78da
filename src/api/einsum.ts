// einsum(eq, ...operands): numpy-style einsum over row-major typed arrays. The equation and
// shapes are planned (contraction order → kernel plan) once and cached, so repeated calls
// with the same equation and shapes go straight to the CPU runtime.

import { error, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import { einsumNetwork, parseEquation } from '../ir/einsum.js';
import type { TensorNetwork } from '../ir/network.js';
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
  /** The operand shapes this plan is for (the fast path compares them without a key). */
  shapes: number[][];
  /** Element count per operand (exact: the plan exists, so every count is a safe integer). */
  lengths: number[];
  /** The runner's input object, reused: keys T0…Tn, emptied after each call. */
  inputs: Record<string, FloatArray | undefined>;
  /** This entry's key in `cache`. */
  key: string;
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

/**
 * The plan last used for each equation (entries of `cache` only): a repeated call with the
 * same shapes finds it by comparing numbers, without building the cache key.
 */
const lastByEq = new Map<string, CachedPlan>();

/** Input names T0, T1, … (built once, not per call). */
const inputNames: string[] = [];
function inputName(t: number): string {
  while (inputNames.length <= t) inputNames.push(`T${inputNames.length}`);
  return inputNames[t];
}

function failWith(eq: string, diagnostics: Diagnostic[]): never {
  throw new TncError(diagnostics, SourceFile.from('einsum', eq));
}

function termSpan(eq: string, t: number): { start: number; end: number } {
  const parsed = parseEquation(eq).value;
  const start = parsed.inputOffsets[t] ?? 0;
  const last = parsed.indexOffsets[t]?.at(-1);
  return { start, end: last === undefined ? Math.max(start + 1, 1) : last + 1 };
}

/**
 * The network without its summed indices of size 1 (MPS and TT boundary bonds, say): they
 * change no value and no memory layout (a row-major array is the same with a size-1 axis
 * removed), but each would cost a copy step that sums it away. Output indices stay.
 */
export function withoutUnitSums(net: TensorNetwork): TensorNetwork {
  const out = new Set(net.output);
  const unit = (ix: string): boolean => net.sizes[ix] === 1 && !out.has(ix) && !(net.symbolic ?? []).includes(ix);
  if (!net.tensors.some((t) => t.indices.some(unit))) return net;
  const sizes: Record<string, number> = {};
  for (const [ix, n] of Object.entries(net.sizes)) if (!unit(ix)) sizes[ix] = n;
  return { ...net, tensors: net.tensors.map((t) => ({ ...t, indices: t.indices.filter((ix) => !unit(ix)) })), sizes };
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
  const network = withoutUnitSums(net.value);
  const planned = planContraction(network);
  if (planned.cost.size > MAX_ELEMENTS) {
    failWith(eq, [
      error(
        'limit/too-large',
        `this contraction needs a tensor of ${planned.cost.size} elements (the output or an intermediate), more than the ${MAX_ELEMENTS} the CPU runtime supports`,
        { start: 0, end: Math.max(1, eq.length) },
      ),
    ]);
  }
  const plan = lowerNetwork(network, planned, 'einsum');
  const inputs: Record<string, FloatArray | undefined> = {};
  shapes.forEach((_, t) => (inputs[inputName(t)] = undefined));
  const entry: CachedPlan = {
    plan,
    shape: net.value.output.map((ix) => net.value!.sizes[ix]),
    runners: {},
    shapes: shapes.map((sh) => [...sh]),
    lengths: shapes.map((sh) => sh.reduce((p, n) => p * n, 1)),
    inputs,
    key,
  };
  cache.set(key, entry);
  if (cache.size > EINSUM_CACHE_SIZE) {
    const [oldKey, old] = cache.entries().next().value!;
    cache.delete(oldKey);
    for (const [e, p] of lastByEq) if (p === old) lastByEq.delete(e);
  }
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
  const last = lastByEq.get(eq);
  let entry: CachedPlan;
  if (last !== undefined && matches(last, operands)) {
    entry = last;
    // Most recently used, as a keyed lookup would make it.
    cache.delete(entry.key);
    cache.set(entry.key, entry);
  } else {
    entry = checkedPlan(eq, operands);
    lastByEq.set(eq, entry);
  }
  let dtype: Dtype = 'f32';
  for (let t = 0; t < operands.length; t++) if (operands[t].data instanceof Float64Array) dtype = 'f64';
  const inputs = entry.inputs;
  for (let t = 0; t < operands.length; t++) {
    const data = operands[t].data;
    inputs[inputName(t)] = dtype === 'f64' && data instanceof Float32Array ? Float64Array.from(data) : data;
  }
  const runner = (entry.runners[dtype] ??= createRunner(entry.plan, dtype));
  try {
    return { shape: [...entry.shape], data: runner(inputs as Record<string, FloatArray>) };
  } finally {
    // The cache must not keep the caller's arrays alive.
    for (let t = 0; t < operands.length; t++) inputs[inputName(t)] = undefined;
  }
}

/** True when the operands are valid and have exactly the shapes `entry` was planned for. */
function matches(entry: CachedPlan, operands: readonly EinsumOperand[]): boolean {
  if (operands.length !== entry.shapes.length) return false;
  for (let t = 0; t < operands.length; t++) {
    const op = operands[t];
    if (typeof op !== 'object' || op === null || !Array.isArray(op.shape)) return false;
    const data = op.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array) || data.length !== entry.lengths[t]) return false;
    const want = entry.shapes[t];
    const shape = op.shape;
    if (shape.length !== want.length) return false;
    for (let a = 0; a < want.length; a++) if (shape[a] !== want[a]) return false;
  }
  return true;
}

/** Validates the operands, plans (or finds the cached plan) and checks the data lengths. */
function checkedPlan(eq: string, operands: readonly EinsumOperand[]): CachedPlan {
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
  return entry;
}
