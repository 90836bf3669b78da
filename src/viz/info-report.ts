// The data behind `tnc info`: per statement term, the network (tensors with shapes, indices
// with sizes and roles), the planned path step by step with exact costs, the totals and the
// naive (all-at-once) cost; per factorized tensor, the factor report. Plain data; the text and
// HTML printers (info-text, info-html) only format it.

import { describeFactorized, type FactorReport } from '../ir/factor-report.js';
import { planningSize, type Program, type TensorNetwork } from '../ir/network.js';
import { treeSteps, type Cost } from '../optimizer/cost.js';
import { formatPolynomial, formatScaling, symbolicCost } from '../optimizer/symbolic.js';
import { planContraction, type PathOptions, type PlannedContraction } from '../optimizer/plan-contraction.js';
import type { LinearPath } from '../optimizer/tree.js';
import { indexUses, shapeLabel, type IndexRole } from './network-diagram.js';
import { termTitle } from './program-diagrams.js';

/** One tensor of a term's network. */
export interface TensorRow {
  name: string;
  indices: string[];
  /** e.g. `16×4`, symbolic dims by name. */
  shape: string;
  elements: bigint;
}

/** One index of a term's network. */
export interface IndexRow {
  name: string;
  size: number;
  symbolic: boolean;
  role: IndexRole;
  /** How many tensors carry it. */
  tensors: number;
}

/** One pairwise step of the chosen path. */
export interface StepRow {
  /** 1-based step number. */
  step: number;
  /** Linear-path pair (positions in the current operand list). */
  pair: number[];
  /** Operand names: a tensor name, or `#k` for the result of step k. */
  operands: string[];
  /** Einsum-like text, e.g. `[i,r] [j,r] -> [i,j,r]`. */
  equation: string;
  /** Indices summed at this step. */
  summed: string[];
  flops: bigint;
  /** Elements of the result. */
  size: bigint;
  /** Number of distinct indices involved (the step's scaling exponent). */
  scalingOrder: number;
  /** The involved sizes grouped, e.g. `8^3·2`, symbolic dims by name. */
  scaling: string;
}

/** Everything reported for one term of one statement. */
export interface TermReport {
  title: string;
  statement: string;
  kind: 'out' | 'let';
  coefficient: number;
  network: TensorNetwork;
  tensors: TensorRow[];
  indices: IndexRow[];
  optimizer: string;
  exhaustive: boolean;
  path: LinearPath;
  steps: StepRow[];
  cost: Cost;
  /** Cost of one nested loop over every index at once (opt_einsum's naive cost). */
  naiveFlops: bigint;
  /** With symbolic dims: total flops as a polynomial in them, e.g. `2·b·16^2…`, and its leading scaling `O(b)`. */
  symbolic?: { flops: string; scaling: string };
  /** Planned contraction, for pictures of the tree. */
  planned: PlannedContraction;
}

/** The whole `tnc info` report of a program. */
export interface InfoReport {
  dims: { name: string; size: number; symbolic: boolean; origin?: string }[];
  terms: TermReport[];
  factorized: FactorReport[];
}

function product(values: Iterable<number>): bigint {
  let p = 1n;
  for (const v of values) p *= BigInt(v);
  return p;
}

/**
 * Naive cost of a network in opt_einsum's convention: every index in one loop nest, each
 * iteration multiplying all operands (n-1 multiplies, at least 1) plus one add when anything
 * is summed. Example: `ab,bc->ac` with sizes 10,20,30 costs 6000 × 2 = 12000.
 */
export function naiveFlops(net: TensorNetwork): bigint {
  const all = new Set<string>();
  for (const t of net.tensors) for (const ix of t.indices) all.add(ix);
  const out = new Set(net.output);
  const summed = [...all].some((ix) => !out.has(ix));
  const factor = BigInt(Math.max(1, net.tensors.length - 1) + (summed ? 1 : 0));
  return product([...all].map((ix) => net.sizes[ix])) * factor;
}

/** Groups involved sizes for display: fixed sizes as powers (`8^3·2`), symbolic dims by name. */
export function scalingText(names: readonly string[], sizes: Readonly<Record<string, number>>, symbolic: ReadonlySet<string>): string {
  const sym = names.filter((n) => symbolic.has(n));
  const counts = new Map<number, number>();
  for (const n of names) if (!symbolic.has(n)) counts.set(sizes[n], (counts.get(sizes[n]) ?? 0) + 1);
  const fixed = [...counts.entries()].sort((a, b) => b[0] - a[0]).map(([s, c]) => (c === 1 ? `${s}` : `${s}^${c}`));
  const parts = [...sym, ...fixed];
  return parts.length === 0 ? '1' : parts.join('·');
}

/** Reports one network: its tensors, indices, the planned path and the costs. */
export function reportTerm(net: TensorNetwork, meta: { title: string; statement: string; kind: 'out' | 'let'; coefficient: number }, options: PathOptions = {}): TermReport {
  const planned = planContraction(net, options);
  const { problem, tree } = planned;
  const symbolic = new Set(net.symbolic ?? []);
  const tensors = net.tensors.map((t) => ({
    name: t.name,
    indices: t.indices,
    shape: shapeLabel(net, t.indices),
    elements: product(t.indices.map((ix) => net.sizes[ix])),
  }));
  const indices: IndexRow[] = indexUses(net).map((u) => ({
    name: u.index,
    size: net.sizes[u.index],
    symbolic: symbolic.has(u.index),
    role: u.role,
    tensors: u.tensors.length,
  }));
  const n = problem.inputs.length;
  const names = (ids: readonly number[]): string[] => ids.map((i) => problem.names[i]);
  const operandName = (ssa: number): string => (ssa < n ? net.tensors[ssa].name : `#${ssa - n + 1}`);
  const operandIndices = (ssa: number, unique: readonly number[]): string[] => (ssa < n ? net.tensors[ssa].indices : names(unique));
  const steps: StepRow[] = treeSteps(problem, tree).map((s, k) => {
    const involved = names(s.involved);
    return {
      step: k + 1,
      pair: planned.path[k] ?? [0],
      operands: s.operands.map(operandName),
      equation: `${s.operands.map((o, j) => `[${operandIndices(o, s.operandIndices[j]).join(',')}]`).join(' ')} -> [${names(s.result).join(',')}]`,
      summed: names(s.removed),
      flops: s.flops,
      size: s.size,
      scalingOrder: involved.length,
      scaling: scalingText(involved, net.sizes, symbolic),
    };
  });
  const report: TermReport = {
    ...meta,
    network: net,
    tensors,
    indices,
    optimizer: planned.optimizer,
    exhaustive: tree.exhaustive === true,
    path: planned.path,
    steps,
    cost: planned.cost,
    naiveFlops: naiveFlops(net),
    planned,
  };
  if (problem.symbolic?.some((x) => x)) {
    const poly = symbolicCost(problem, tree, problem.names.map((n) => net.indexDims?.[n] ?? n));
    report.symbolic = { flops: formatPolynomial(poly), scaling: formatScaling(poly) };
  }
  return report;
}

/** Builds the report of a whole program (statements in order, terms in order). */
export function reportProgram(program: Program, options: PathOptions = {}): InfoReport {
  const terms = program.statements.flatMap((st) =>
    st.terms.map((t, k) => reportTerm(t.network, { title: termTitle(st, k), statement: st.name, kind: st.kind, coefficient: t.coefficient }, options)),
  );
  const dims = program.dims.map((d) => ({
    name: d.name,
    size: planningSize(d),
    symbolic: d.size.kind === 'symbolic',
    ...(d.origin !== undefined ? { origin: d.origin } : {}),
  }));
  return { dims, terms, factorized: describeFactorized(program) };
}
