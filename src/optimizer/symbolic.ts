// Symbolic costs: with some dims bound at call time, a tree's flops are a polynomial in those
// dims (fixed dims multiply into exact bigint coefficients). Its leading monomials give the
// asymptotic scaling, e.g. `O(D^6 d^2)`; `minimize: 'scaling'` compares trees by degree first.

import { treeSteps } from './cost.js';
import type { ContractionProblem } from './problem.js';
import type { ContractionTree } from './tree.js';

/** One term: coefficient · Π symbols[k]^exponents[k]. */
export interface PolynomialTerm {
  coefficient: bigint;
  exponents: number[];
}

/** A polynomial in named symbols with exact coefficients; terms sorted by degree, then exponents, descending. */
export interface Polynomial {
  symbols: string[];
  /** Planning value of each symbol (used to break ties between equal scalings). */
  hints: number[];
  terms: PolynomialTerm[];
}

const degree = (t: PolynomialTerm): number => t.exponents.reduce((s, e) => s + e, 0);

const compareTerms = (a: PolynomialTerm, b: PolynomialTerm): number => {
  const d = degree(b) - degree(a);
  if (d !== 0) return d;
  for (let k = 0; k < a.exponents.length; k++) if (a.exponents[k] !== b.exponents[k]) return b.exponents[k] - a.exponents[k];
  return 0;
};

/**
 * The symbol each index id stands for: `symbolOf[id]` when given (e.g. renamed copies of one
 * declared dim), else the index name. Non-symbolic ids map to undefined.
 */
function symbolTable(problem: ContractionProblem, symbolOf?: readonly (string | undefined)[]): (string | undefined)[] {
  return problem.names.map((name, id) => (problem.symbolic?.[id] ? (symbolOf?.[id] ?? name) : undefined));
}

/**
 * The total flops of a tree as a polynomial in the problem's symbolic dims (opt_einsum
 * convention per step). Evaluated at the planning sizes it equals `treeCost(...).flops`.
 * Example: `ab,bc->ac` with b symbolic (hint 5), a=2, c=3 gives `12·b`.
 */
export function symbolicCost(problem: ContractionProblem, tree: ContractionTree, symbolOf?: readonly (string | undefined)[]): Polynomial {
  const table = symbolTable(problem, symbolOf);
  const symbols = [...new Set(table.filter((s): s is string => s !== undefined))].sort();
  const position = new Map(symbols.map((s, k) => [s, k]));
  const hints = symbols.map((s) => problem.sizes[table.indexOf(s)]);
  const acc = new Map<string, PolynomialTerm>();
  for (const step of treeSteps(problem, tree)) {
    const exponents = new Array<number>(symbols.length).fill(0);
    let coefficient = step.removed.length > 0 ? 2n : 1n;
    for (const i of step.involved) {
      const sym = table[i];
      if (sym === undefined) coefficient *= BigInt(problem.sizes[i]);
      else exponents[position.get(sym)!]++;
    }
    const key = exponents.join(',');
    const term = acc.get(key);
    if (term) term.coefficient += coefficient;
    else acc.set(key, { coefficient, exponents });
  }
  const terms = [...acc.values()].filter((t) => t.coefficient !== 0n).sort(compareTerms);
  return { symbols, hints, terms };
}

/** Evaluates a polynomial exactly at the given symbol values (default: its hints). */
export function evaluatePolynomial(p: Polynomial, values?: Readonly<Record<string, number>>): bigint {
  const v = p.symbols.map((s, k) => BigInt(values?.[s] ?? p.hints[k]));
  let total = 0n;
  for (const t of p.terms) {
    let x = t.coefficient;
    t.exponents.forEach((e, k) => {
      x *= v[k] ** BigInt(e);
    });
    total += x;
  }
  return total;
}

/**
 * The leading monomials: those no other term dominates (≥ in every exponent), largest
 * degree first. They are the asymptotic scaling when every symbol grows.
 */
export function leadingTerms(p: Polynomial): PolynomialTerm[] {
  return p.terms.filter(
    (t) => !p.terms.some((u) => u !== t && u.exponents.every((e, k) => e >= t.exponents[k]) && u.exponents.some((e, k) => e > t.exponents[k])),
  );
}

const monomial = (symbols: readonly string[], exponents: readonly number[], sep: string): string =>
  exponents
    .map((e, k) => (e === 0 ? '' : e === 1 ? symbols[k] : `${symbols[k]}^${e}`))
    .filter((s) => s !== '')
    .join(sep);

/** The polynomial as text, e.g. `2·D^6·d^2 + 4·D^4`; a constant prints as its number. */
export function formatPolynomial(p: Polynomial): string {
  if (p.terms.length === 0) return '0';
  return p.terms
    .map((t) => {
      const m = monomial(p.symbols, t.exponents, '·');
      if (m === '') return t.coefficient.toString();
      return t.coefficient === 1n ? m : `${t.coefficient}·${m}`;
    })
    .join(' + ');
}

/** The leading scaling as text, e.g. `O(D^6 d^2)`; `O(1)` without symbols. */
export function formatScaling(p: Polynomial): string {
  const lead = leadingTerms(p)
    .map((t) => monomial(p.symbols, t.exponents, ' '))
    .filter((s) => s !== '');
  return lead.length === 0 ? 'O(1)' : `O(${lead.join(' + ')})`;
}

/**
 * A comparison key for `minimize: 'scaling'` (smaller is better): the largest total degree,
 * then, from that degree down to 0, the polynomial's part of each degree evaluated at the
 * hints. So a lower asymptotic degree always wins, and equal scalings compare by their
 * leading coefficient-weighted size, netcon-style.
 */
export function scalingKey(p: Polynomial): bigint[] {
  const maxDeg = p.terms.reduce((m, t) => Math.max(m, degree(t)), 0);
  const sums = new Array<bigint>(maxDeg + 1).fill(0n);
  const v = p.hints.map((h) => BigInt(h));
  for (const t of p.terms) {
    let x = t.coefficient;
    t.exponents.forEach((e, k) => {
      x *= v[k] ** BigInt(e);
    });
    sums[degree(t)] += x;
  }
  return [BigInt(maxDeg), ...sums.reverse()];
}
