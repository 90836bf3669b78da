// Reporting on factorized tensors (`param W = ttm(...)`): per tensor, its legs, its factors
// with shapes, the parameter count, the dense equivalent and the compression ratio. Used by
// `tnc info`, by the generated module's `spec` and by `initParams` (which needs the internal
// bond sizes to scale random factors). Element counts are exact bigints; symbolic dims count
// with their planning size and are flagged so callers can say "at b = 64".

import type { DimInfo, FactorizedTensor, Program, TensorNetwork } from './network.js';
import { planningSize } from './network.js';
import { InternalError } from '../diagnostics.js';

/** One index of a factor or leg: its name in the factor network, the dim it ranges over and its size. */
export interface ReportedIndex {
  /** Index name in the factor network (a leg name or a family bond such as `W.r1`). */
  name: string;
  /** The declared or family-created dim this index ranges over. */
  dim: string;
  /** Planning size (the hint for a symbolic dim). */
  size: number;
  /** True when the dim is bound at call time; `size` is then only the planning hint. */
  symbolic: boolean;
}

/** One factor tensor of a factorized tensor. */
export interface FactorShapeReport {
  /** Full factor name, e.g. `W_core1`; callers pass data under this name. */
  name: string;
  /** Indices in axis order (row-major data). */
  indices: ReportedIndex[];
  /** Planning shape, `indices.map(i => i.size)`. */
  shape: number[];
  /** Number of elements (exact). */
  elements: bigint;
}

/** Everything `tnc info` and the module `spec` say about one factorized tensor. */
export interface FactorReport {
  name: string;
  role: 'input' | 'param';
  family: string;
  /** Legs of the represented dense tensor, in order. */
  legs: ReportedIndex[];
  /** Factors in the family's documented order. */
  factors: FactorShapeReport[];
  /** Indices of the factor network that are not legs (bonds, ranks), each listed once. */
  internal: ReportedIndex[];
  /** Sum of the factors' element counts (exact). */
  parameters: bigint;
  /** Element count of the represented dense tensor (exact). */
  denseElements: bigint;
  /** Product of the internal index sizes: how many bond assignments each dense entry sums over. */
  bondAssignments: bigint;
  /** `denseElements / parameters` as a float (Infinity when there are no parameters). */
  compression: number;
  /** True when any leg or factor index is symbolic: counts then use planning sizes. */
  symbolic: boolean;
}

/** Describes every factorized tensor of a program, in declaration order. */
export function describeFactorized(program: Program): FactorReport[] {
  const dims = new Map<string, DimInfo>(program.dims.map((d) => [d.name, d]));
  return program.factorized.map((ft) => describeOne(ft, dims));
}

/** Describes one factorized tensor; `dims` resolves dim names to sizes (falls back to the network's sizes). */
export function describeOne(ft: FactorizedTensor, dims: ReadonlyMap<string, DimInfo>): FactorReport {
  const net = ft.network;
  const index = (name: string): ReportedIndex => reportIndex(name, net, dims);
  const legs = ft.legs.map(index);
  const factors: FactorShapeReport[] = net.tensors.map((t) => {
    const indices = t.indices.map(index);
    const shape = indices.map((i) => i.size);
    return { name: t.name, indices, shape, elements: product(shape) };
  });
  const legSet = new Set(ft.legs);
  const seen = new Set<string>();
  const internal: ReportedIndex[] = [];
  for (const t of net.tensors) {
    for (const ix of t.indices) {
      if (legSet.has(ix) || seen.has(ix)) continue;
      seen.add(ix);
      internal.push(index(ix));
    }
  }
  const parameters = factors.reduce((s, f) => s + f.elements, 0n);
  const denseElements = product(legs.map((l) => l.size));
  return {
    name: ft.name,
    role: ft.role,
    family: ft.family,
    legs,
    factors,
    internal,
    parameters,
    denseElements,
    bondAssignments: product(internal.map((i) => i.size)),
    compression: ratio(denseElements, parameters),
    symbolic: legs.some((l) => l.symbolic) || factors.some((f) => f.indices.some((i) => i.symbolic)),
  };
}

/** Formats a report as a few plain lines (used by `tnc info`). */
export function formatFactorReport(r: FactorReport): string {
  const legs = r.legs.map((l) => `${l.name}=${l.size}${l.symbolic ? '~' : ''}`).join(', ');
  const lines = [`${r.role} ${r.name} = ${r.family}(...)  legs [${legs}]`];
  for (const f of r.factors) {
    lines.push(`  ${f.name}[${f.indices.map((i) => i.name).join(', ')}]  shape ${f.shape.join('x') || 'scalar'}  ${f.elements} elements`);
  }
  const ratioText = Number.isFinite(r.compression) ? `${formatRatio(r.compression)}x` : 'n/a';
  lines.push(`  parameters ${r.parameters}, dense ${r.denseElements}, compression ${ratioText}${r.symbolic ? ' (at planning sizes)' : ''}`);
  return lines.join('\n');
}

function reportIndex(name: string, net: TensorNetwork, dims: ReadonlyMap<string, DimInfo>): ReportedIndex {
  const dim = net.indexDims?.[name] ?? name;
  const info = dims.get(dim) ?? dims.get(name);
  const symbolic = (net.symbolic?.includes(name) ?? false) || info?.size.kind === 'symbolic';
  const size = net.sizes[name] ?? (info ? planningSize(info) : undefined);
  if (size === undefined) throw new InternalError(`index ${name} of factorized tensor ${net.tensors.map((t) => t.name).join(',')} has no size`);
  return { name, dim, size, symbolic };
}

function product(sizes: readonly number[]): bigint {
  let p = 1n;
  for (const s of sizes) p *= BigInt(s);
  return p;
}

/** Exact-enough ratio of two bigints as a float, without overflowing through Number(). */
function ratio(a: bigint, b: bigint): number {
  if (b === 0n) return Infinity;
  // Scale both down together so each fits a double's exact range before dividing.
  const shift = BigInt(Math.max(0, Math.max(bitLength(a), bitLength(b)) - 52));
  const bs = b >> shift;
  if (bs === 0n) return Number(a >> shift) * 2 ** Number(shift) / Number(b);
  return Number(a >> shift) / Number(bs);
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function formatRatio(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
