// A contraction tree as a picture: leaves are the input tensors, each internal node is one
// pairwise step labelled with its result indices and its cost (flops, result size), root on top.

import type { TensorNetwork } from '../ir/network.js';
import { treeSteps } from '../optimizer/cost.js';
import type { ContractionProblem } from '../optimizer/problem.js';
import type { ContractionTree } from '../optimizer/tree.js';
import type { DiagramEdge, DiagramNode, DiagramPanel } from './diagram.js';
import { compactCount } from './format.js';
import { shapeLabel } from './network-diagram.js';

/**
 * Builds the picture of a contraction tree over `net` (whose tensors are the leaves, in order).
 * Node ids: `l<k>` for leaf k, `s<k>` for step k (1-based, in execution order).
 */
export function treeDiagram(net: TensorNetwork, problem: ContractionProblem, tree: ContractionTree, title: string): DiagramPanel {
  const n = problem.inputs.length;
  const nodes: DiagramNode[] = net.tensors.map((t, k) => ({
    id: `l${k}`,
    kind: 'leaf',
    lines: [`${t.name}[${t.indices.join(',')}]`, shapeLabel(net, t.indices)],
  }));
  const edges: DiagramEdge[] = [];
  const idOf = (ssa: number): string => (ssa < n ? `l${ssa}` : `s${ssa - n + 1}`);
  const steps = treeSteps(problem, tree);
  steps.forEach((s, k) => {
    const id = `s${k + 1}`;
    const result = s.result.map((i) => problem.names[i]);
    const summed = s.removed.map((i) => problem.names[i]);
    nodes.push({
      id,
      kind: 'step',
      lines: [`#${k + 1} [${result.join(',')}]`, `flops ${compactCount(s.flops)}`, `size ${compactCount(s.size)}`],
      tooltip: `step ${k + 1}: flops ${s.flops}, result size ${s.size}${summed.length ? `, sums ${summed.join(',')}` : ''}`,
    });
    for (const op of s.operands) edges.push({ id: `${id}-${idOf(op)}`, kind: 'tree', from: id, to: idOf(op) });
  });
  return { title, direction: 'TB', nodes, edges };
}
