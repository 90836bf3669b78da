// The .tn abstract syntax tree: plain data, every node `{ kind, span, ... }` with a half-open
// span into the source. Names stay as written (an indexed name `A{n+1}` keeps its brace
// expressions); resolving them against declarations and ranges is the checker's job.

import type { Span } from '../diagnostics.js';

/** Integer arithmetic inside braces, ranges and dim sizes: `n+1`, `2*N-1`, `(r-1)*C + c`. */
export type IntExpr =
  | { kind: 'int'; value: number; span: Span }
  | { kind: 'ref'; name: string; span: Span }
  | { kind: 'neg'; operand: IntExpr; span: Span }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '%'; left: IntExpr; right: IntExpr; span: Span };

/** `n in 1..N`: a comprehension variable ranging over an inclusive integer range. */
export interface Binder {
  kind: 'binder';
  name: string;
  nameSpan: Span;
  from: IntExpr;
  to: IntExpr;
  span: Span;
}

/** One selector in a declaration's braces: a range binder or a single value. */
export type Selector = Binder | IntExpr;

/** A possibly indexed name as used: `A`, `A{n}`, `m{n+1}`, `S{r, c}`. */
export interface NameRef {
  kind: 'name';
  base: string;
  /** Brace expressions; empty for a plain name. */
  subscripts: IntExpr[];
  span: Span;
}

/** `dim i = 64`, `dim b ~ 64`, `dim b`, `dim m{n in 1..N} = 2`. */
export interface DimItem {
  kind: 'dim-item';
  name: string;
  nameSpan: Span;
  /** Declaration braces, e.g. `{n in 1..N}` or `{1}`; empty for a plain dim. */
  selectors: Selector[];
  /** `=`: fixed size; `~`: symbolic with a planning hint; absent: symbolic without a hint. */
  size?: { mode: 'fixed' | 'hint'; value: IntExpr };
  span: Span;
}

/** `dim i = 64, b ~ 8, t`: one or more dim items. */
export interface DimDecl {
  kind: 'dim';
  items: DimItem[];
  span: Span;
}

/** `const N = 4`: an integer usable in braces, ranges and sizes. */
export interface ConstDecl {
  kind: 'const';
  name: string;
  nameSpan: Span;
  value: IntExpr;
  span: Span;
}

/** A family argument value: a number, a (possibly indexed) name, `[a, b]` or `(a, b)`. */
export type FamilyValueAst =
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'name'; ref: NameRef; span: Span }
  | { kind: 'list'; bracket: '[' | '('; items: FamilyValueAst[]; span: Span };

/** One family argument, positional or named (`rank: 8`). */
export interface FamilyArgAst {
  kind: 'family-arg';
  name?: string;
  value: FamilyValueAst;
  span: Span;
}

/** `ttm(in: [i1, i2], out: [o1, o2], rank: 16)`. */
export interface FamilyCallAst {
  kind: 'family-call';
  family: string;
  familySpan: Span;
  args: FamilyArgAst[];
  span: Span;
}

/** `A[i, r]`, `A{n in 1..N}[m{n}, m{n+1}]` or `W = ttm(...)` inside an input/param declaration. */
export interface TensorItem {
  kind: 'tensor-item';
  name: string;
  nameSpan: Span;
  selectors: Selector[];
  /** Index list of a plain tensor; undefined for a family tensor. */
  indices?: NameRef[];
  family?: FamilyCallAst;
  span: Span;
}

/** `input ...` or `param ...` with one or more tensor items. */
export interface TensorDecl {
  kind: 'tensor';
  role: 'input' | 'param';
  items: TensorItem[];
  span: Span;
}

/** `A[i, j]` or `A{n}[m{n}, m{n+1}]` on the right of a statement. */
export interface Access {
  kind: 'access';
  tensor: NameRef;
  indices: NameRef[];
  span: Span;
}

/** A numeric coefficient, e.g. `0.5`. */
export interface NumberLit {
  kind: 'number';
  value: number;
  span: Span;
}

/** Juxtaposition (or `*`) of two or more factors. */
export interface Product {
  kind: 'product';
  factors: Expr[];
  span: Span;
}

/** `a - b + c`, `-a`: terms with signs; the first item's sign `+` is not written. */
export interface Sum {
  kind: 'sum';
  items: { sign: '+' | '-'; expr: Expr }[];
  span: Span;
}

/**
 * `prod(n in 1..N, ...) body`: the product of `body` over every binder value;
 * `sum(n in 1..N, ...) body`: the sum (a linear combination with one term per value).
 */
export interface Comprehension {
  kind: 'comprehension';
  op: 'prod' | 'sum';
  binders: Binder[];
  body: Expr;
  span: Span;
}

/** The right side of a statement. */
export type Expr = Access | NumberLit | Product | Sum | Comprehension;

/** `out X[i, j] = ...` or `let T[i, k] = ...`. */
export interface StatementAst {
  kind: 'statement';
  mode: 'out' | 'let';
  name: string;
  nameSpan: Span;
  indices: NameRef[];
  body: Expr;
  span: Span;
}

/** A declaration or statement at the top level of a file. */
export type TopItem = DimDecl | ConstDecl | TensorDecl | StatementAst;

/** A whole `.tn` file. */
export interface Program {
  kind: 'program';
  items: TopItem[];
  span: Span;
}

/** A binary integer operation. */
export type IntBinary = Extract<IntExpr, { kind: 'binary' }>;

/**
 * The left spine of an integer expression: `1+2+3` gives leftmost `1` and the operations
 * `[+3, +2]` from the root down. Long sums are left-deep trees as long as the text, so
 * evaluators and printers walk this iteratively instead of recursing.
 */
export function leftSpine(e: IntExpr): { leftmost: IntExpr; spine: IntBinary[] } {
  const spine: IntBinary[] = [];
  let leftmost = e;
  while (leftmost.kind === 'binary') {
    spine.push(leftmost);
    leftmost = leftmost.left;
  }
  return { leftmost, spine };
}

/** The text form of a resolved indexed name, e.g. `A{1,2}`; plain names stay unchanged. */
export function indexedName(base: string, values: readonly number[]): string {
  return values.length === 0 ? base : `${base}{${values.join(',')}}`;
}
