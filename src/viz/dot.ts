// Graphviz DOT rendering: one undirected graph, one cluster per panel, node and edge ids kept
// in `id` attributes. Text goes through quoting, never raw.

import type { DiagramEdge, DiagramNode, DiagramPanel } from './diagram.js';

/** Quotes a string as a DOT ID. */
export function dotQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function nodeAttrs(node: DiagramNode): string {
  const label = node.lines.join('\n');
  switch (node.kind) {
    case 'junction':
      return `shape=point, width=0.12, xlabel=${dotQuote(label)}`;
    case 'open':
      return 'shape=circle, width=0.1, fixedsize=true, label=""';
    case 'summed':
      return 'shape=square, style=filled, fillcolor=gray, width=0.1, fixedsize=true, label=""';
    case 'step':
      return `shape=box, style="rounded,filled", fillcolor="#fff4df", label=${dotQuote(label)}`;
    default:
      return `shape=box, style="rounded,filled", fillcolor="#eef4ff", label=${dotQuote(label)}`;
  }
}

function edgeAttrs(edge: DiagramEdge): string {
  const attrs: string[] = [];
  if (edge.label) attrs.push(`label=${dotQuote(edge.label)}`);
  if (edge.kind === 'open') attrs.push('color="#2f7d32"');
  if (edge.kind === 'summed') attrs.push('style=dashed');
  return attrs.join(', ');
}

/** Renders panels as one DOT graph; each panel is a cluster with its title as label. */
export function renderDot(panels: readonly DiagramPanel[]): string {
  const lines = ['graph tnc {', '  fontname="monospace"; node [fontname="monospace", fontsize=11]; edge [fontname="monospace", fontsize=10];'];
  if (panels.length === 1) lines.push(`  rankdir=${panels[0].direction};`);
  panels.forEach((panel, k) => {
    const p = `p${k}_`;
    const q = (id: string): string => dotQuote(p + id);
    lines.push(`  subgraph cluster_${k} {`, `    label=${dotQuote(panel.title)};`);
    for (const node of panel.nodes) lines.push(`    ${q(node.id)} [${nodeAttrs(node)}];`);
    for (const edge of panel.edges) {
      const attrs = edgeAttrs(edge);
      lines.push(`    ${q(edge.from)} -- ${q(edge.to)}${attrs ? ` [${attrs}]` : ''};`);
    }
    lines.push('  }');
  });
  lines.push('}', '');
  return lines.join('\n');
}
