// The `spec` export of a generated module (inputs, outputs, dims, per-statement paths and
// costs, factorized tensors) and the parts of the generated `.d.ts` every backend shares.
// Built from the program and its planned contractions only, so the CPU and WebGPU emitters
// describe a program identically.

import type { Program, Statement } from '../ir/network.js';
import { planningSize } from '../ir/network.js';
import { describeFactorized } from '../ir/factor-report.js';
import type { PlannedContraction } from '../optimizer/plan-contraction.js';
import { NameTable } from './code-writer.js';

/** Exact integers as numbers when safe, else as decimal strings (never rounded). */
export type ExactNumber = number | string;

/** A dim of the module: fixed, or symbolic with its planning hint. */
export interface SpecDim {
  name: string;
  /** Fixed size; absent for symbolic dims. */
  size?: number;
  symbolic: boolean;
  /** Planning size of a symbolic dim. */
  hint?: number;
}

/** A factor tensor callers pass data for. */
export interface SpecInput {
  name: string;
  role: 'input' | 'param';
  dims: string[];
  /** Sizes in axis order; a symbolic dim appears as its name. */
  shape: (number | string)[];
  /** The factorized tensor this factor belongs to (`W` for `W_core1`). */
  of?: string;
  family?: string;
}

/** An exported function (one per `out` statement). */
export interface SpecOutput {
  /** Statement name as written in the source. */
  name: string;
  /** The exported function's identifier (the name, sanitized). */
  export: string;
  dims: string[];
  shape: (number | string)[];
  /** Inputs the function reads, in first-use order. */
  inputs: string[];
  /** Symbolic dims the function needs at call time. */
  symbolicDims: string[];
}

/** One summand of a statement, with its planned contraction. */
export interface SpecTerm {
  coefficient: number;
  /** The term's network, e.g. `A[a,b] B[b,c] -> [a,c]`. */
  network: string;
  /** Linear contraction path (opt_einsum format). */
  path: number[][];
  flops: ExactNumber;
  /** Largest intermediate, in elements (of one slice when sliced). */
  size: ExactNumber;
  optimizer: string;
  /** Indices sliced to fit a memory limit, when any. */
  sliced?: string[];
}

/** A statement (`out` or `let`) and its terms. */
export interface SpecStatement {
  name: string;
  kind: 'out' | 'let';
  terms: SpecTerm[];
  /** Total flops over the terms (planning sizes for symbolic dims). */
  flops: ExactNumber;
}

/** The generated module's `spec` export: plain JSON. */
export interface ModuleSpec {
  tnc: string;
  target: 'cpu' | 'webgpu';
  dtype: 'f32' | 'f64';
  /** Source path as given to the build, if any. */
  source?: string;
  dims: SpecDim[];
  inputs: SpecInput[];
  outputs: SpecOutput[];
  statements: SpecStatement[];
  /** Factorized tensors (families): legs, factors, parameter counts, compression. */
  factorized: unknown[];
}

/** Version recorded in generated modules. */
export const TNC_VERSION = '0.1.0';

/** Identifiers emitters use themselves; export names never take them. */
export const EMITTER_NAMES = ['spec', 'functions', 'createModule', 'setThreads', '__tnc', '__plans', '__run', '__spec', '__device', 'create', 'precision', 'device', 'destroy', 'TncWebGpuError', 'tncGpu', 'tncGpuData'];

/** An exact bigint as a number when safe, else a string of digits. */
export function exact(x: bigint): ExactNumber {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(x) : x.toString();
}

/** Converts bigints (anywhere inside) to exact numbers/strings so the value is JSON. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return exact(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'span' && v !== undefined) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

/** Maps each `out` statement to a unique safe export identifier (source order). */
export function exportNames(program: Program): Map<string, string> {
  const table = new NameTable(EMITTER_NAMES);
  const names = new Map<string, string>();
  for (const s of program.statements) if (s.kind === 'out') names.set(s.name, table.claim(s.name));
  return names;
}

/** The factor inputs and symbolic dims a statement needs, following the `let`s it reads. */
export function statementNeeds(program: Program, statement: Statement): { inputs: string[]; symbolicDims: string[] } {
  const byName = new Map(program.statements.map((s) => [s.name, s]));
  const symbolic = new Set(program.dims.filter((d) => d.size.kind === 'symbolic').map((d) => d.name));
  const factorNames = new Set(program.factors.map((f) => f.name));
  const factorDims = new Map(program.factors.map((f) => [f.name, f.dims]));
  const inputs: string[] = [];
  const dims: string[] = [];
  // Membership by sets: list scans made specs of 100k-tensor networks quadratic.
  const hasInput = new Set<string>();
  const hasDim = new Set<string>();
  const addDim = (d: string): void => {
    if (symbolic.has(d) && !hasDim.has(d)) {
      hasDim.add(d);
      dims.push(d);
    }
  };
  const seen = new Set<string>();
  const visit = (s: Statement): void => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    s.output.forEach(addDim);
    for (const t of s.terms) {
      for (const ix of Object.keys(t.network.sizes)) addDim(t.network.indexDims?.[ix] ?? ix);
      for (const tensor of t.network.tensors) {
        const dep = byName.get(tensor.name);
        if (dep !== undefined && dep !== s && !factorNames.has(tensor.name)) visit(dep);
        else if (!hasInput.has(tensor.name)) {
          hasInput.add(tensor.name);
          inputs.push(tensor.name);
          (factorDims.get(tensor.name) ?? []).forEach(addDim);
        }
      }
    }
  };
  visit(statement);
  return { inputs, symbolicDims: dims };
}

/**
 * Builds the spec. `planned[i][t]` is the planned contraction of term t of statement i
 * (omitted: paths and costs are left empty).
 */
export function buildModuleSpec(
  program: Program,
  planned: readonly (readonly PlannedContraction[])[] | undefined,
  options: { target: 'cpu' | 'webgpu'; dtype: 'f32' | 'f64'; source?: string },
): ModuleSpec {
  const dimInfo = new Map(program.dims.map((d) => [d.name, d]));
  const shapeOf = (dims: string[]): (number | string)[] =>
    dims.map((d) => {
      const info = dimInfo.get(d);
      return info === undefined || info.size.kind === 'symbolic' ? d : info.size.size;
    });
  const names = exportNames(program);
  const spec: ModuleSpec = {
    tnc: TNC_VERSION,
    target: options.target,
    dtype: options.dtype,
    dims: program.dims.map((d) =>
      d.size.kind === 'fixed' ? { name: d.name, size: d.size.size, symbolic: false } : { name: d.name, symbolic: true, hint: planningSize(d) },
    ),
    inputs: program.factors.map((f) => {
      const x: SpecInput = { name: f.name, role: f.role, dims: [...f.dims], shape: shapeOf(f.dims) };
      if (f.of !== undefined) x.of = f.of;
      if (f.family !== undefined) x.family = f.family;
      return x;
    }),
    outputs: program.statements
      .filter((s) => s.kind === 'out')
      .map((s) => ({ name: s.name, export: names.get(s.name)!, dims: [...s.output], shape: shapeOf(s.output), ...statementNeeds(program, s) })),
    statements: program.statements.map((s, i) => {
      let total = 0n;
      const terms = s.terms.map((t, k): SpecTerm => {
        const p = planned?.[i]?.[k];
        const net = `${t.network.tensors.map((x) => `${x.name}[${x.indices.join(',')}]`).join(' ')} -> [${t.network.output.join(',')}]`;
        if (p === undefined) return { coefficient: t.coefficient, network: net, path: [], flops: 0, size: 0, optimizer: 'none' };
        // Sliced plans (memory limits) run every slice: their cost is the sliced total.
        const cost = p.slices?.cost ?? p.cost;
        total += cost.flops;
        const term: SpecTerm = { coefficient: t.coefficient, network: net, path: p.path.map((x) => [...x]), flops: exact(cost.flops), size: exact(cost.size), optimizer: p.optimizer };
        if (p.slices !== undefined && p.slices.indices.length > 0) term.sliced = [...p.slices.indices];
        return term;
      });
      return { name: s.name, kind: s.kind, terms, flops: exact(total) };
    }),
    factorized: jsonSafe(describeFactorized(program)) as unknown[],
  };
  if (options.source !== undefined) spec.source = options.source;
  return spec;
}

/**
 * The spec as readable JSON: indented objects, arrays of numbers and strings on one line.
 * (A newline never occurs inside a JSON string, so `[` + newline is always structural.)
 */
export function specJson(spec: ModuleSpec): string {
  return JSON.stringify(spec, null, 2).replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`);
}

/** TypeScript declaration of the spec's type, for generated `.d.ts` files. */
export const SPEC_DTS = `/** Describes the generated module: dims, inputs, outputs, contraction paths and costs. */
export interface TncModuleSpec {
  tnc: string;
  target: 'cpu' | 'webgpu';
  dtype: 'f32' | 'f64';
  source?: string;
  dims: { name: string; size?: number; symbolic: boolean; hint?: number }[];
  inputs: { name: string; role: 'input' | 'param'; dims: string[]; shape: (number | string)[]; of?: string; family?: string }[];
  outputs: { name: string; export: string; dims: string[]; shape: (number | string)[]; inputs: string[]; symbolicDims: string[] }[];
  statements: {
    name: string;
    kind: 'out' | 'let';
    terms: { coefficient: number; network: string; path: number[][]; flops: number | string; size: number | string; optimizer: string; sliced?: string[] }[];
    flops: number | string;
  }[];
  factorized: unknown[];
}`;

/** `[b, 8, 8]`-style shape text for doc comments (symbolic dims by name). */
export function shapeText(shape: readonly (number | string)[], dims: readonly string[]): string {
  return `[${shape.map((s, i) => (typeof s === 'number' ? `${dims[i]}=${s}` : s)).join(', ')}]`;
}
