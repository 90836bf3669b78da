// Places a diagram panel in the plane with dagre (a layered layout in plain JS, so SVG needs no
// system dependency). Text is measured with a fixed monospace advance, which the SVG renderer
// uses as its font, so boxes fit their labels without a browser. Coordinates are rounded to
// 0.1 so the output is byte-stable.

import dagre from '@dagrejs/dagre';
import type { DiagramEdge, DiagramNode, DiagramPanel } from './diagram.js';

/** Font size of labels (px). */
export const FONT_SIZE = 12;
/** Advance of one monospace character at FONT_SIZE (px). */
export const CHAR_WIDTH = 7.2;
/** Distance between label lines (px). */
export const LINE_HEIGHT = 15;

/** A point in panel coordinates (px, y down). */
export interface Point {
  x: number;
  y: number;
}

/** A node with its position (centre) and box size. */
export interface PlacedNode {
  node: DiagramNode;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge as a polyline (a cubic loop for traces), with its label position. */
export interface PlacedEdge {
  edge: DiagramEdge;
  points: Point[];
  /** Where the label goes (centre), when the edge has one. */
  labelAt?: Point;
}

/** A laid-out panel and its extent. */
export interface PlacedPanel {
  panel: DiagramPanel;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Width in px of a label line. */
export function textWidth(text: string): number {
  return [...text].length * CHAR_WIDTH;
}

function nodeSize(node: DiagramNode): { width: number; height: number } {
  switch (node.kind) {
    case 'junction':
      return { width: 12, height: 12 };
    case 'open':
    case 'summed':
      return { width: 10, height: 10 };
    default:
      return {
        width: Math.ceil(Math.max(...node.lines.map(textWidth)) + 16),
        height: node.lines.length * LINE_HEIGHT + 10,
      };
  }
}

const round = (v: number): number => Math.round(v * 10) / 10;

/**
 * Panels with more nodes than this are placed on a grid instead of by dagre, whose layered
 * layout grows superlinearly (about 6 s for 500 tensors); pictures stay fast for networks of
 * thousands of tensors, at the price of straight, crossing edges.
 */
export const DAGRE_NODE_LIMIT = 300;

/** Lays out one panel. Trace loops are not given to dagre; they are drawn above their node. */
export function layoutPanel(panel: DiagramPanel): PlacedPanel {
  return panel.nodes.length > DAGRE_NODE_LIMIT ? gridLayout(panel) : dagreLayout(panel);
}

/** Loop points above a node, and where its label goes. */
function loopAt(p: PlacedNode, label: string | undefined): { points: Point[]; labelAt: Point } {
  const top = p.y - p.height / 2;
  const points = [
    { x: round(p.x - 10), y: round(top) },
    { x: round(p.x - 16), y: round(top - 24) },
    { x: round(p.x + 16), y: round(top - 24) },
    { x: round(p.x + 10), y: round(top) },
  ];
  return { points, labelAt: { x: round(p.x + 16 + textWidth(label ?? '') / 2 + 4), y: round(top - 20) } };
}

/**
 * A deterministic grid for large panels: the big nodes (tensors, tree nodes) in reading order
 * in a near-square grid, each small node (junction, open or summed end) just below the first
 * node it is attached to, edges as straight lines with labels at their middle.
 */
function gridLayout(panel: DiagramPanel): PlacedPanel {
  const small = (n: DiagramNode): boolean => n.kind === 'junction' || n.kind === 'open' || n.kind === 'summed';
  const big = panel.nodes.filter((n) => !small(n));
  const sizes = big.map(nodeSize);
  const cellW = Math.max(60, ...sizes.map((s) => s.width)) + 40;
  const cellH = Math.max(30, ...sizes.map((s) => s.height)) + 70;
  const cols = Math.max(1, Math.ceil(Math.sqrt(big.length)));
  const byId = new Map<string, PlacedNode>();
  big.forEach((node, k) => {
    const { width, height } = sizes[k];
    byId.set(node.id, { node, x: 16 + (k % cols) * cellW + cellW / 2, y: 46 + Math.floor(k / cols) * cellH + cellH / 2, width, height });
  });
  // Junctions sit at the centre of the tensors they join; free ends just below what they hang from.
  for (const node of panel.nodes) {
    if (node.kind !== 'junction') continue;
    const around = panel.edges.filter((e) => e.to === node.id && byId.has(e.from)).map((e) => byId.get(e.from)!);
    const { width, height } = nodeSize(node);
    const x = around.length ? around.reduce((s, p) => s + p.x, 0) / around.length : 16;
    const y = around.length ? around.reduce((s, p) => s + p.y, 0) / around.length + cellH / 2 : 46;
    byId.set(node.id, { node, x: round(x), y: round(y), width, height });
  }
  const offsets = new Map<string, number>();
  for (const node of panel.nodes) {
    if (!small(node) || byId.has(node.id)) continue;
    const edge = panel.edges.find((e) => e.to === node.id && byId.has(e.from));
    const anchor = edge ? byId.get(edge.from) : undefined;
    const key = anchor?.node.id ?? '';
    const k = offsets.get(key) ?? 0;
    offsets.set(key, k + 1);
    const { width, height } = nodeSize(node);
    const x = anchor ? anchor.x - anchor.width / 2 + 8 + (k % 6) * 14 : 16;
    const y = anchor ? anchor.y + anchor.height / 2 + 18 + Math.floor(k / 6) * 14 : 46;
    byId.set(node.id, { node, x: round(x), y: round(y), width, height });
  }
  const nodes = panel.nodes.map((n) => byId.get(n.id)!);
  const edges: PlacedEdge[] = panel.edges.map((edge) => {
    const a = byId.get(edge.from)!;
    const b = byId.get(edge.to)!;
    if (edge.from === edge.to) return { edge, ...loopAt(a, edge.label) };
    const points = [
      { x: a.x, y: a.y },
      { x: b.x, y: b.y },
    ];
    return edge.label ? { edge, points, labelAt: { x: round((a.x + b.x) / 2), y: round((a.y + b.y) / 2) } } : { edge, points };
  });
  let width = 0;
  let height = 0;
  for (const n of nodes) {
    width = Math.max(width, n.x + n.width / 2 + 16 + (n.node.kind === 'junction' ? textWidth(n.node.lines[0] ?? '') + 8 : 0));
    height = Math.max(height, n.y + n.height / 2 + 16);
  }
  return { panel, nodes, edges, width: Math.ceil(width), height: Math.ceil(height) };
}

function dagreLayout(panel: DiagramPanel): PlacedPanel {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: panel.direction, nodesep: 24, ranksep: 36, edgesep: 12, marginx: 16, marginy: 16 });
  for (const node of panel.nodes) g.setNode(node.id, { ...nodeSize(node) });
  for (const edge of panel.edges) {
    if (edge.from === edge.to) continue;
    const label = edge.label && edge.kind !== 'open' && edge.kind !== 'summed' ? edge.label : undefined;
    g.setEdge(edge.from, edge.to, label ? { width: textWidth(label) + 6, height: LINE_HEIGHT, labelpos: 'c' } : { width: 0, height: 0 }, edge.id);
  }
  dagre.layout(g);
  const graph = g.graph();
  // Loops stick out above their node: leave room for them at the top.
  const loopRoom = panel.edges.some((e) => e.from === e.to) ? 30 : 0;
  const nodes: PlacedNode[] = panel.nodes.map((node) => {
    const p = g.node(node.id);
    return { node, x: round(p.x ?? 0), y: round((p.y ?? 0) + loopRoom), width: p.width, height: p.height };
  });
  const byId = new Map(nodes.map((p) => [p.node.id, p]));
  const edges: PlacedEdge[] = panel.edges.map((edge) => {
    if (edge.from === edge.to) return { edge, ...loopAt(byId.get(edge.from)!, edge.label) };
    const e = g.edge(edge.from, edge.to, edge.id);
    const points = (e.points ?? []).map((q: { x: number; y: number }) => ({ x: round(q.x), y: round(q.y + loopRoom) }));
    let labelAt: Point | undefined;
    if (edge.label) {
      if (e.x !== undefined && e.y !== undefined && edge.kind !== 'open' && edge.kind !== 'summed') {
        labelAt = { x: round(e.x), y: round(e.y + loopRoom) };
      } else {
        // Open and summed legs: label beside their free end.
        const end = byId.get(edge.to)!;
        labelAt = { x: round(end.x), y: round(end.y - end.height / 2 - 6) };
      }
    }
    return { edge, points, labelAt };
  });
  let width = graph.width ?? 0;
  // Labels beside free ends and loop labels may reach past dagre's box.
  for (const e of edges) {
    if (e.labelAt && e.edge.label) width = Math.max(width, e.labelAt.x + textWidth(e.edge.label) / 2 + 8);
  }
  for (const n of nodes) {
    if (n.node.kind === 'junction') width = Math.max(width, n.x + 8 + textWidth(n.node.lines[0] ?? '') + 8);
  }
  return { panel, nodes, edges, width: Math.ceil(width), height: Math.ceil((graph.height ?? 0) + loopRoom) };
}
