// Seeing a network: tensor networks and contraction trees become plain diagram panels
// (network-diagram, tree-diagram, program-diagrams), which are laid out in JS (layout, dagre)
// and printed as SVG, Graphviz DOT or Mermaid. Output is deterministic for a given input.

import type { DiagramPanel } from './diagram.js';
import { renderDot } from './dot.js';
import { renderMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';

export type { DiagramEdge, DiagramNode, DiagramPanel, EdgeKind, NodeKind } from './diagram.js';
export { indexUses, indexLabel, networkDiagram, shapeLabel, type IndexRole, type IndexUse } from './network-diagram.js';
export { treeDiagram } from './tree-diagram.js';
export { networkPanels, selectStatements, termTitle, treePanels } from './program-diagrams.js';
export { layoutPanel, type PlacedPanel } from './layout.js';
export { renderSvg, escapeXml } from './svg.js';
export { renderDot } from './dot.js';
export { renderMermaid } from './mermaid.js';
export { compactCount, groupDigits, ratio } from './format.js';

/** Output formats of `tnc graph`. */
export const GRAPH_FORMATS = ['svg', 'dot', 'mermaid'] as const;
/** One of GRAPH_FORMATS. */
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** Renders panels in one of the supported formats. */
export function renderPanels(panels: readonly DiagramPanel[], format: GraphFormat): string {
  switch (format) {
    case 'svg':
      return renderSvg(panels);
    case 'dot':
      return renderDot(panels);
    case 'mermaid':
      return renderMermaid(panels);
  }
}
