// Mermaid flowchart rendering (for Markdown and GitHub): one flowchart, one subgraph per panel.
// Mermaid ids must be plain words, so nodes are numbered; labels are quoted and escaped.

import type { DiagramNode, DiagramPanel } from './diagram.js';

/** Escapes a label for a quoted Mermaid string (entities for quotes and angle brackets). */
export function mermaidText(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function nodeShape(id: string, node: DiagramNode): string {
  const label = node.lines.map(mermaidText).join('<br/>');
  switch (node.kind) {
    case 'junction':
      return `${id}(("${label}"))`;
    case 'open':
    case 'summed':
      return `${id}(["${label}"])`;
    case 'step':
      return `${id}{{"${label}"}}`;
    default:
      return `${id}["${label}"]`;
  }
}

/** Renders panels as one Mermaid flowchart (`flowchart LR|TB`), deterministic. */
export function renderMermaid(panels: readonly DiagramPanel[]): string {
  const direction = panels[0]?.direction ?? 'LR';
  const lines = [`flowchart ${direction}`];
  panels.forEach((panel, k) => {
    const ids = new Map(panel.nodes.map((n, i) => [n.id, `p${k}n${i}`]));
    lines.push(`  subgraph p${k}["${mermaidText(panel.title)}"]`);
    lines.push(`    direction ${panel.direction}`);
    for (const node of panel.nodes) lines.push(`    ${nodeShape(ids.get(node.id)!, node)}`);
    for (const edge of panel.edges) {
      const link = edge.kind === 'summed' ? '-.-' : '---';
      const label = edge.label ? `|"${mermaidText(edge.label)}"|` : '';
      lines.push(`    ${ids.get(edge.from)} ${link}${label} ${ids.get(edge.to)}`);
    }
    lines.push('  end');
  });
  lines.push('');
  return lines.join('\n');
}
