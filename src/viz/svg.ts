// SVG rendering of laid-out panels: one standalone <svg> document, panels stacked vertically.
// Every node is a `<g class="node KIND">` and every edge a `<g class="edge KIND">` with
// `data-id` (and `data-index` for network edges), so tools and tests can read the picture back.

import type { DiagramPanel } from './diagram.js';
import { CHAR_WIDTH, FONT_SIZE, layoutPanel, LINE_HEIGHT, type PlacedEdge, type PlacedNode, type PlacedPanel } from './layout.js';

const TITLE_HEIGHT = 26;
const PANEL_GAP = 12;

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = [
  '.node.tensor rect, .node.leaf rect { fill: #eef4ff; stroke: #3760a8; }',
  '.node.step rect { fill: #fff4df; stroke: #b7791f; }',
  '.node.junction circle { fill: #222; stroke: none; }',
  '.node.open circle { fill: #fff; stroke: #222; stroke-width: 1.5; }',
  '.node.summed rect { fill: #888; stroke: none; }',
  '.edge path { fill: none; stroke: #444; stroke-width: 1.4; }',
  '.edge.open path { stroke: #2f7d32; }',
  '.edge.summed path { stroke: #888; stroke-dasharray: 4 3; }',
  '.edge.tree path { stroke: #999; }',
  '.edge text, .node.junction text { fill: #5a2d82; stroke: #fff; stroke-width: 3px; paint-order: stroke; }',
  '.edge.open text { fill: #2f7d32; }',
  'text { white-space: pre; }',
  '.title { font-weight: bold; }',
].join('\n');

function pathOf(edge: PlacedEdge): string {
  const [first, ...rest] = edge.points;
  if (!first) return '';
  if (edge.edge.from === edge.edge.to && rest.length === 3) {
    const [c1, c2, end] = rest;
    return `M${first.x} ${first.y} C${c1.x} ${c1.y} ${c2.x} ${c2.y} ${end.x} ${end.y}`;
  }
  return `M${first.x} ${first.y}` + rest.map((p) => ` L${p.x} ${p.y}`).join('');
}

function renderEdge(e: PlacedEdge): string {
  const attrs = [`class="edge ${e.edge.kind}"`, `data-id="${escapeXml(e.edge.id)}"`];
  if (e.edge.index !== undefined) attrs.push(`data-index="${escapeXml(e.edge.index)}"`);
  attrs.push(`data-from="${escapeXml(e.edge.from)}"`, `data-to="${escapeXml(e.edge.to)}"`);
  const parts = [`<g ${attrs.join(' ')}>`, `<path d="${pathOf(e)}"/>`];
  if (e.edge.label && e.labelAt) {
    parts.push(`<text x="${e.labelAt.x}" y="${e.labelAt.y + FONT_SIZE / 3}" text-anchor="middle">${escapeXml(e.edge.label)}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function renderNode(p: PlacedNode): string {
  const { node } = p;
  const parts = [`<g class="node ${node.kind}" data-id="${escapeXml(node.id)}">`];
  if (node.tooltip) parts.push(`<title>${escapeXml(node.tooltip)}</title>`);
  const left = Math.round((p.x - p.width / 2) * 10) / 10;
  const top = Math.round((p.y - p.height / 2) * 10) / 10;
  switch (node.kind) {
    case 'junction':
      parts.push(`<circle cx="${p.x}" cy="${p.y}" r="5"/>`);
      parts.push(`<text x="${p.x + 8}" y="${p.y - 7}">${escapeXml(node.lines[0] ?? '')}</text>`);
      break;
    case 'open':
      parts.push(`<circle cx="${p.x}" cy="${p.y}" r="4"/>`);
      break;
    case 'summed':
      parts.push(`<rect x="${left}" y="${top}" width="${p.width}" height="${p.height}"/>`);
      break;
    default: {
      parts.push(`<rect x="${left}" y="${top}" width="${p.width}" height="${p.height}" rx="5"/>`);
      const firstBaseline = top + 5 + LINE_HEIGHT / 2 + FONT_SIZE / 3;
      node.lines.forEach((line, k) => {
        const weight = k === 0 ? ' font-weight="bold"' : '';
        parts.push(`<text x="${p.x}" y="${Math.round((firstBaseline + k * LINE_HEIGHT) * 10) / 10}" text-anchor="middle"${weight}>${escapeXml(line)}</text>`);
      });
    }
  }
  parts.push('</g>');
  return parts.join('');
}

/** Renders laid-out panels into one SVG document string (deterministic). */
export function renderPlacedSvg(placed: readonly PlacedPanel[]): string {
  let y = 0;
  let width = 0;
  const body: string[] = [];
  for (const p of placed) {
    width = Math.max(width, p.width, Math.ceil(p.panel.title.length * CHAR_WIDTH + 24));
    body.push(`<g class="panel" data-title="${escapeXml(p.panel.title)}" transform="translate(0 ${y})">`);
    body.push(`<text class="title" x="12" y="18">${escapeXml(p.panel.title)}</text>`);
    body.push(`<g transform="translate(0 ${TITLE_HEIGHT})">`);
    for (const e of p.edges) body.push(renderEdge(e));
    for (const n of p.nodes) body.push(renderNode(n));
    body.push('</g></g>');
    y += TITLE_HEIGHT + p.height + PANEL_GAP;
  }
  const height = Math.max(1, y - PANEL_GAP);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT_SIZE}">`,
    `<style>\n${STYLE}\n</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Lays out and renders panels as one SVG document. */
export function renderSvg(panels: readonly DiagramPanel[]): string {
  return renderPlacedSvg(panels.map(layoutPanel));
}
