// The graph view of one tensor network, in incidence form (graphology has no hyperedges):
// one node per tensor, one node per index, and one `output` node; an edge joins a tensor (or
// the output) to each index it holds and carries the axis positions, so a trace is one edge
// with two axes rather than parallel edges. Used for analysis (components, hyperedges) and
// by `tnc info`; the optimizer works on the array-based ContractionProblem instead.

import { UndirectedGraph } from 'graphology';
import { assert } from '../diagnostics.js';
import type { TensorNetwork } from './network.js';

/** Node attributes: a tensor operand (by position), an index, or the network's output. */
export type GraphNode =
  | { kind: 'tensor'; position: number; name: string; rank: number }
  | { kind: 'index'; name: string; size: number; symbolic: boolean; dim?: string; kept: boolean }
  | { kind: 'output'; rank: number };

/** Edge attributes: the axes of the tensor (or output) at which the index appears. */
export interface GraphEdge {
  axes: number[];
}

/** Graph attributes: what the nodes cannot say (which optional network fields were present). */
export interface GraphAttrs {
  tensorCount: number;
  symbolicOrder?: string[];
  hasIndexDims: boolean;
}

/** The incidence graph of a TensorNetwork. */
export type NetworkGraph = UndirectedGraph<GraphNode, GraphEdge, GraphAttrs>;

/** Node key of the tensor at `position`. */
export function tensorKey(position: number): string {
  return `t:${position}`;
}

/** Node key of index `name`. */
export function indexKey(name: string): string {
  return `i:${name}`;
}

/** Node key of the output. */
export const OUTPUT_KEY = 'out';

/** Builds the incidence graph; `networkFromGraph(buildGraph(n))` deep-equals `n`. */
export function buildGraph(net: TensorNetwork): NetworkGraph {
  const g: NetworkGraph = new UndirectedGraph<GraphNode, GraphEdge, GraphAttrs>();
  g.replaceAttributes({
    tensorCount: net.tensors.length,
    hasIndexDims: net.indexDims !== undefined,
    ...(net.symbolic ? { symbolicOrder: [...net.symbolic] } : {}),
  });
  const symbolic = new Set(net.symbolic ?? []);
  const kept = new Set(net.output);
  const all = [...Object.keys(net.sizes)];
  for (const ix of [...net.tensors.flatMap((t) => t.indices), ...net.output]) if (!(ix in net.sizes)) all.push(ix);
  for (const ix of new Set(all)) {
    const dim = net.indexDims?.[ix];
    g.addNode(indexKey(ix), { kind: 'index', name: ix, size: net.sizes[ix], symbolic: symbolic.has(ix), ...(dim !== undefined ? { dim } : {}), kept: kept.has(ix) });
  }
  const link = (node: string, indices: readonly string[]): void => {
    const axes = new Map<string, number[]>();
    indices.forEach((ix, a) => {
      const list = axes.get(ix);
      if (list) list.push(a);
      else axes.set(ix, [a]);
    });
    for (const [ix, list] of axes) g.addEdge(node, indexKey(ix), { axes: list });
  };
  net.tensors.forEach((t, position) => {
    g.addNode(tensorKey(position), { kind: 'tensor', position, name: t.name, rank: t.indices.length });
    link(tensorKey(position), t.indices);
  });
  g.addNode(OUTPUT_KEY, { kind: 'output', rank: net.output.length });
  link(OUTPUT_KEY, net.output);
  return g;
}

/** Axis list of a tensor or output node, rebuilt from its edges. */
function axesOf(g: NetworkGraph, node: string, rank: number): string[] {
  const indices: string[] = new Array(rank);
  g.forEachEdge(node, (_e, attrs, source, target) => {
    const other = source === node ? target : source;
    const ix = g.getNodeAttributes(other);
    assert(ix.kind === 'index', `edge from ${node} must end at an index node`);
    for (const a of attrs.axes) indices[a] = ix.name;
  });
  for (let a = 0; a < rank; a++) assert(indices[a] !== undefined, `axis ${a} of ${node} has no index`);
  return indices;
}

/** Rebuilds the TensorNetwork from its graph (the inverse of `buildGraph`). */
export function networkFromGraph(g: NetworkGraph): TensorNetwork {
  const attrs = g.getAttributes();
  const tensors = [];
  for (let p = 0; p < attrs.tensorCount; p++) {
    const node = g.getNodeAttributes(tensorKey(p));
    assert(node.kind === 'tensor', `node ${tensorKey(p)} must be a tensor`);
    tensors.push({ name: node.name, indices: axesOf(g, tensorKey(p), node.rank) });
  }
  const out = g.getNodeAttributes(OUTPUT_KEY);
  assert(out.kind === 'output', 'the output node must be the output');
  const sizes: Record<string, number> = {};
  const indexDims: Record<string, string> = {};
  g.forEachNode((_key, node) => {
    if (node.kind !== 'index') return;
    if (node.size !== undefined) sizes[node.name] = node.size;
    if (node.dim !== undefined) indexDims[node.name] = node.dim;
  });
  const net: TensorNetwork = { tensors, output: axesOf(g, OUTPUT_KEY, out.rank), sizes };
  if (attrs.symbolicOrder) net.symbolic = [...attrs.symbolicOrder];
  if (attrs.hasIndexDims) net.indexDims = indexDims;
  return net;
}

/** Indices shared by three or more tensors (hyperedges), in graph order. */
export function hyperedges(g: NetworkGraph): string[] {
  const out: string[] = [];
  g.forEachNode((key, node) => {
    if (node.kind !== 'index') return;
    let tensors = 0;
    g.forEachNeighbor(key, (_n, other) => {
      if (other.kind === 'tensor') tensors++;
    });
    if (tensors >= 3) out.push(node.name);
  });
  return out;
}

/**
 * Connected components of the tensors, joined through shared indices (the output node does
 * not join them). Each lists tensor positions ascending and its indices; components are
 * ordered by their first tensor. An outer product `A[i] B[j]` has two components.
 */
export function components(g: NetworkGraph): { tensors: number[]; indices: string[] }[] {
  const seen = new Set<string>();
  const result: { tensors: number[]; indices: string[] }[] = [];
  const count = g.getAttribute('tensorCount');
  for (let p = 0; p < count; p++) {
    const start = tensorKey(p);
    if (seen.has(start)) continue;
    const tensors: number[] = [];
    const indices: string[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const key = stack.pop()!;
      const node = g.getNodeAttributes(key);
      if (node.kind === 'tensor') tensors.push(node.position);
      else if (node.kind === 'index') indices.push(node.name);
      g.forEachNeighbor(key, (nk, other) => {
        if (other.kind === 'output' || seen.has(nk)) return;
        seen.add(nk);
        stack.push(nk);
      });
    }
    tensors.sort((a, b) => a - b);
    indices.sort();
    result.push({ tensors, indices });
  }
  return result;
}
