// Plain-data tensor networks: what expansion produces and what the optimizer and the
// backends consume. Everything here is JSON-serialisable.

import type { Span } from '../diagnostics.js';

/** A dimension: a fixed size, or a symbol bound at call time (with a planning hint). */
export type DimSize = { kind: 'fixed'; size: number } | { kind: 'symbolic'; hint?: number };

/** Planning size used for a symbolic dim declared without a hint (`dim b`). */
export const DEFAULT_SYMBOLIC_HINT = 16;

export interface DimInfo {
  name: string;
  size: DimSize;
  /** Declaration site; absent for dims created by expansion (family ranks, renamed copies). */
  span?: Span;
  /** For a dim created by expansion: the declared dim or family it stands for. */
  origin?: string;
}

/** One operand of a network: a leaf tensor (a factor with data) and its indices, in axis order. */
export interface NetworkTensor {
  name: string;
  indices: string[];
}

/**
 * A tensor network in einsum form. Indices may repeat inside one tensor (trace, diagonal)
 * and may be shared by any number of tensors (hyperedges). `sizes` maps every index to its
 * planning size; indices in `symbolic` are bound at call time (the size is then the hint).
 * `indexDims` maps each index to the dim it ranges over (indices renamed during expansion
 * keep pointing at their declared dim); absent entries mean the index is its own dim.
 *
 * Example: `{ tensors: [{name:'A', indices:['a','b']}, {name:'B', indices:['b','c']}],
 * output: ['a','c'], sizes: {a:2,b:3,c:4} }` is `ab,bc->ac`.
 */
export interface TensorNetwork {
  tensors: NetworkTensor[];
  output: string[];
  sizes: Record<string, number>;
  symbolic?: string[];
  indexDims?: Record<string, string>;
}

/** A factor tensor callers pass data for: an `input`/`param` or one factor of a family. */
export interface FactorSpec {
  name: string;
  role: 'input' | 'param';
  /** Dim names, in axis order (row-major data). */
  dims: string[];
  /** The factorized tensor this factor belongs to, if any (e.g. `W` for `W_core1`). */
  of?: string;
  family?: string;
  span?: Span;
}

/** A tensor declared through a family (`param W = ttm(...)`), kept for reporting. */
export interface FactorizedTensor {
  name: string;
  role: 'input' | 'param';
  family: string;
  /** The legs (dims) of the represented dense tensor, in order. */
  legs: string[];
  /** Names of its factors, in documented order. */
  factors: string[];
  /** The factor network with `output` = legs. */
  network: TensorNetwork;
  span?: Span;
}

/** One summand of a statement: a coefficient times a network. */
export interface Term {
  coefficient: number;
  network: TensorNetwork;
}

/** A statement after expansion. `out` statements become exported functions. */
export interface Statement {
  name: string;
  kind: 'out' | 'let';
  /** Output dims, in axis order. */
  output: string[];
  terms: Term[];
  span?: Span;
}

/** The flat result of expansion: every statement's terms are plain networks over factors. */
export interface Program {
  dims: DimInfo[];
  factors: FactorSpec[];
  factorized: FactorizedTensor[];
  statements: Statement[];
}

/** Planning size of a dim. */
export function planningSize(d: DimInfo): number {
  return d.size.kind === 'fixed' ? d.size.size : (d.size.hint ?? DEFAULT_SYMBOLIC_HINT);
}

/** Prints a network as an einsum string with tensor names, e.g. `A[a,b] B[b,c] -> [a,c]`. */
export function printNetwork(net: TensorNetwork): string {
  const t = net.tensors.map((x) => `${x.name}[${x.indices.join(',')}]`).join(' ');
  return `${t} -> [${net.output.join(',')}]`;
}
