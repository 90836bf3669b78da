// A tensor network as a picture: tensors are boxes, an index shared by two tensors is an
// edge, an index on three or more places (tensors, or two tensors plus the output) is a
// small junction node, output indices end in open legs, a trace is a loop, and an index
// summed on a single tensor ends in a marked free end.

import type { TensorNetwork } from '../ir/network.js';
import type { DiagramEdge, DiagramNode, DiagramPanel } from './diagram.js';

/** How one index is drawn, decided from where it occurs. */
export type IndexRole = 'bond' | 'hyperedge' | 'open' | 'trace' | 'summed' | 'unused';

/** Where an index occurs: the positions of the tensors carrying it and whether it is kept. */
export interface IndexUse {
  index: string;
  /** Positions of the tensors carrying the index (each tensor once, ascending). */
  tensors: number[];
  /** True when some tensor carries the index on two or more axes. */
  repeated: boolean;
  open: boolean;
  role: IndexRole;
}

/**
 * Classifies every index of a network, in order of first appearance (tensors, then output).
 * Example: in `w[r] A[i,r] B[j,r] -> [i,j]`, `r` is a hyperedge and `i`, `j` are open.
 */
export function indexUses(net: TensorNetwork): IndexUse[] {
  const order: string[] = [];
  const holders = new Map<string, number[]>();
  const repeated = new Set<string>();
  net.tensors.forEach((t, pos) => {
    const seen = new Set<string>();
    for (const ix of t.indices) {
      if (seen.has(ix)) repeated.add(ix);
      seen.add(ix);
    }
    for (const ix of seen) {
      let list = holders.get(ix);
      if (!list) {
        list = [];
        holders.set(ix, list);
        order.push(ix);
      }
      list.push(pos);
    }
  });
  const out = new Set(net.output);
  for (const ix of net.output) {
    if (!holders.has(ix)) {
      holders.set(ix, []);
      order.push(ix);
    }
  }
  return order.map((index) => {
    const tensors = holders.get(index)!;
    const open = out.has(index);
    const degree = tensors.length + (open ? 1 : 0);
    let role: IndexRole;
    if (tensors.length === 0) role = 'unused';
    else if (degree >= 3) role = 'hyperedge';
    else if (tensors.length === 2) role = 'bond';
    else if (open) role = 'open';
    else role = repeated.has(index) ? 'trace' : 'summed';
    return { index, tensors, repeated: repeated.has(index), open, role };
  });
}

/** `r=8` for a fixed index, `b~64` for a symbolic one (its planning hint). */
export function indexLabel(net: TensorNetwork, index: string): string {
  const symbolic = net.symbolic?.includes(index) ?? false;
  return `${index}${symbolic ? '~' : '='}${net.sizes[index]}`;
}

/** A tensor's shape, e.g. `16×4`, with symbolic dims by name (`b×8`); `scalar` for none. */
export function shapeLabel(net: TensorNetwork, indices: readonly string[]): string {
  if (indices.length === 0) return 'scalar';
  const symbolic = new Set(net.symbolic ?? []);
  return indices.map((ix) => (symbolic.has(ix) ? ix : String(net.sizes[ix]))).join('×');
}

/** Node id of the tensor at a position. */
export function tensorNodeId(pos: number): string {
  return `t${pos}`;
}

/**
 * Builds the picture of a network. Node ids: `t<k>` tensors, `j:<index>` junctions,
 * `o:<index>` open ends, `s:<index>` summed ends; edge ids are unique and stable.
 */
export function networkDiagram(net: TensorNetwork, title: string): DiagramPanel {
  const nodes: DiagramNode[] = net.tensors.map((t, pos) => ({
    id: tensorNodeId(pos),
    kind: 'tensor',
    lines: [`${t.name}[${t.indices.join(',')}]`, shapeLabel(net, t.indices)],
    tooltip: `${t.name}: ${t.indices.map((ix) => indexLabel(net, ix)).join(', ') || 'scalar'}`,
  }));
  const edges: DiagramEdge[] = [];
  for (const use of indexUses(net)) {
    const label = indexLabel(net, use.index);
    const ix = use.index;
    switch (use.role) {
      case 'bond':
        edges.push({ id: `e:${ix}`, kind: 'bond', from: tensorNodeId(use.tensors[0]), to: tensorNodeId(use.tensors[1]), label, index: ix });
        break;
      case 'hyperedge': {
        const junction = `j:${ix}`;
        nodes.push({ id: junction, kind: 'junction', lines: [label], tooltip: `hyperedge ${label} on ${use.tensors.length} tensors${use.open ? ' and the output' : ''}` });
        for (const pos of use.tensors) {
          edges.push({ id: `e:${ix}:${pos}`, kind: 'hyper', from: tensorNodeId(pos), to: junction, index: ix });
        }
        if (use.open) {
          nodes.push({ id: `o:${ix}`, kind: 'open', lines: [ix], tooltip: `open leg ${label}` });
          edges.push({ id: `e:${ix}:out`, kind: 'open', from: junction, to: `o:${ix}`, label, index: ix });
        }
        break;
      }
      case 'open':
        nodes.push({ id: `o:${ix}`, kind: 'open', lines: [ix], tooltip: `open leg ${label}` });
        edges.push({ id: `e:${ix}:out`, kind: 'open', from: tensorNodeId(use.tensors[0]), to: `o:${ix}`, label, index: ix });
        break;
      case 'trace':
        edges.push({ id: `e:${ix}`, kind: 'trace', from: tensorNodeId(use.tensors[0]), to: tensorNodeId(use.tensors[0]), label, index: ix });
        break;
      case 'summed':
        nodes.push({ id: `s:${ix}`, kind: 'summed', lines: [ix], tooltip: `${label} summed on one tensor` });
        edges.push({ id: `e:${ix}:sum`, kind: 'summed', from: tensorNodeId(use.tensors[0]), to: `s:${ix}`, label, index: ix });
        break;
      case 'unused':
        nodes.push({ id: `o:${ix}`, kind: 'open', lines: [ix], tooltip: `output index ${label} on no tensor` });
        break;
    }
  }
  return { title, direction: 'LR', nodes, edges };
}
