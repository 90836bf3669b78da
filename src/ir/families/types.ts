// The plug-in interface for model families (cp, tucker, tt, ttm, peps, ht, circuits).
// The parser produces FamilyArg values for `param W = ttm(in: [i1, i2], out: [o1, o2], rank: 4)`;
// expansion calls the family, which returns the factor tensors of the represented tensor.

import type { Diagnostic, Span } from '../../diagnostics.js';
import type { DimInfo } from '../network.js';

/** An argument value as written: a number, a name, a list `[a, b]` or a tuple `(a, b)`. */
export type FamilyValue =
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'list'; bracket: '[' | '('; items: FamilyValue[]; span: Span };

/** One argument, positional (`name` absent) or named (`rank: 8`). */
export interface FamilyArg {
  name?: string;
  value: FamilyValue;
  span: Span;
}

export interface FamilyCall {
  family: string;
  /** The declared tensor's name (`W`), used to name its factors. */
  tensorName: string;
  args: FamilyArg[];
  /** Span of the whole call, for diagnostics about missing arguments. */
  span: Span;
}

export interface FamilyContext {
  /** Dims declared so far, by name (legs must be declared dims). */
  dims: ReadonlyMap<string, DimInfo>;
  /**
   * Declares a fresh internal dim (a bond or rank index) of the given size and returns its
   * unique name, derived from `base` (e.g. `W.r1`). Sizes must be positive safe integers.
   */
  freshDim(base: string, size: number): string;
  /**
   * Declares a fresh internal dim that ranges over the symbolic dim `dim` (a rank or bond
   * written as `D`): its indices are bound with `D` at call time and planned with D's hint.
   * Returns its unique name, derived from `base` as with `freshDim`.
   */
  aliasDim(base: string, dim: string): string;
  /** Reports a user error; the family should then return undefined. */
  report(diagnostic: Diagnostic): void;
}

/** One factor: its name suffix (final name `${tensorName}_${suffix}`) and its dims in axis order. */
export interface FactorTemplate {
  suffix: string;
  dims: string[];
}

export interface FamilyExpansion {
  /** The legs of the represented dense tensor, in order (declared dims). */
  legs: string[];
  /** Factor tensors, in documented order; their network's output is `legs`. */
  factors: FactorTemplate[];
}

export interface Family {
  name: string;
  /** One-line signature for docs and `unknown family` messages, e.g. `cp(legs, rank, weights?)`. */
  signature: string;
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined;
}
