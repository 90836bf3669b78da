// The picture model shared by every renderer: a titled panel of labelled nodes and edges.
// Network and tree views build panels; SVG, DOT and Mermaid only print them. Plain data,
// in a deterministic order (the order the builders add things in).

/** What a node stands for; renderers pick a shape per kind. */
export type NodeKind =
  /** A tensor of the network (a box labelled with its name and shape). */
  | 'tensor'
  /** A hyperedge: an index carried by three or more tensors (or two plus the output). */
  | 'junction'
  /** The free end of an open (output) leg. */
  | 'open'
  /** The free end of an index summed over a single tensor (a marginal). */
  | 'summed'
  /** A leaf of a contraction tree (one input tensor). */
  | 'leaf'
  /** An internal node of a contraction tree (one pairwise step). */
  | 'step';

/** What an edge stands for. */
export type EdgeKind =
  /** An index shared by exactly two tensors and summed. */
  | 'bond'
  /** One tensor's attachment to a hyperedge junction. */
  | 'hyper'
  /** An output leg (from a tensor or a junction to its open end). */
  | 'open'
  /** An index repeated inside one tensor and nowhere else (a trace): a loop. */
  | 'trace'
  /** An index on one tensor, summed there. */
  | 'summed'
  /** Child → parent in a contraction tree. */
  | 'tree';

/** A node; `lines` is its label, one entry per text line (the first is the title). */
export interface DiagramNode {
  id: string;
  kind: NodeKind;
  lines: string[];
  /** Hover text (SVG `<title>`, DOT tooltip). */
  tooltip?: string;
}

/** An edge between two node ids (equal ids for a trace loop). */
export interface DiagramEdge {
  id: string;
  kind: EdgeKind;
  from: string;
  to: string;
  /** Text drawn along the edge, e.g. `r=8`. */
  label?: string;
  /** The index this edge carries (network edges). */
  index?: string;
}

/** One picture: a network of one statement term, or one contraction tree. */
export interface DiagramPanel {
  title: string;
  /** Layout direction: left to right for networks, top to bottom for trees. */
  direction: 'LR' | 'TB';
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}
