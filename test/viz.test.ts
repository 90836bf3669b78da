// Pictures of networks and contraction trees: the SVG read back must show exactly the
// network's tensors, junctions (hyperedges), open legs and edges, counted here straight from
// the network; DOT and Mermaid carry the same nodes and edges; output is deterministic.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import type { TensorNetwork } from '../src/ir/network.js';
import { treeSteps } from '../src/optimizer/cost.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { networkDiagram, networkPanels, renderDot, renderMermaid, renderSvg, treeDiagram, treePanels } from '../src/viz/index.js';
import { arbEinsum, type RandomEinsum } from './helpers/arbitraries.js';

interface SvgNode {
  kind: string;
  id: string;
}
interface SvgEdge {
  kind: string;
  id: string;
  index?: string;
  from: string;
  to: string;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&') : undefined;
}

/** Reads the nodes and edges of each panel back out of an SVG document. */
function readSvg(svg: string): { panels: { nodes: SvgNode[]; edges: SvgEdge[] }[] } {
  const panels: { nodes: SvgNode[]; edges: SvgEdge[] }[] = [];
  for (const tag of svg.match(/<g class="[^"]*"[^>]*>/g) ?? []) {
    const cls = attr(tag, 'class')!.split(' ');
    if (cls[0] === 'panel') panels.push({ nodes: [], edges: [] });
    else if (cls[0] === 'node') panels[panels.length - 1].nodes.push({ kind: cls[1], id: attr(tag, 'data-id')! });
    else if (cls[0] === 'edge') {
      panels[panels.length - 1].edges.push({ kind: cls[1], id: attr(tag, 'data-id')!, index: attr(tag, 'data-index'), from: attr(tag, 'data-from')!, to: attr(tag, 'data-to')! });
    }
  }
  return { panels };
}

/** Checks that tags nest properly (a small XML well-formedness check, no DTDs or comments). */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  const body = svg.replace(/<style>[\s\S]*?<\/style>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#39;)/.test(body.replace(/<[^>]*>/g, (t) => t.replace(/&(amp|lt|gt|quot|#39);/g, '')));
}

/** What the picture of a network must contain, counted directly from its definition. */
function expectedCounts(net: TensorNetwork): { tensors: number; junctions: number; open: number; summed: number; edges: number; edgesByIndex: Map<string, number> } {
  const holders = new Map<string, Set<number>>();
  const multiplicity = new Map<string, number>();
  net.tensors.forEach((t, k) => {
    for (const ix of t.indices) {
      if (!holders.has(ix)) holders.set(ix, new Set());
      holders.get(ix)!.add(k);
      multiplicity.set(ix, (multiplicity.get(ix) ?? 0) + 1);
    }
  });
  let junctions = 0;
  let open = 0;
  let summed = 0;
  let edges = 0;
  const edgesByIndex = new Map<string, number>();
  for (const [ix, set] of holders) {
    const kept = net.output.includes(ix);
    let e: number;
    if (set.size + (kept ? 1 : 0) >= 3) {
      junctions++;
      if (kept) open++;
      e = set.size + (kept ? 1 : 0);
    } else if (kept) {
      if (set.size === 1) open++;
      e = 1;
    } else {
      // Shared by two tensors (one edge), a trace loop, or a leg summed on one tensor.
      if (set.size === 1 && multiplicity.get(ix) === 1) summed++;
      e = 1;
    }
    edges += e;
    edgesByIndex.set(ix, e);
  }
  return { tensors: net.tensors.length, junctions, open, summed, edges, edgesByIndex };
}

function toNetwork(e: RandomEinsum): TensorNetwork {
  return { tensors: e.inputs.map((indices, k) => ({ name: `T${k}`, indices })), output: e.output, sizes: e.sizes };
}

function checkPicture(net: TensorNetwork, svg: string, panel = 0): void {
  expect(wellFormed(svg)).toBe(true);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  const { nodes, edges } = readSvg(svg).panels[panel];
  const want = expectedCounts(net);
  const count = (kind: string): number => nodes.filter((n) => n.kind === kind).length;
  expect(count('tensor')).toBe(want.tensors);
  expect(count('junction')).toBe(want.junctions);
  expect(count('open')).toBe(want.open);
  expect(count('summed')).toBe(want.summed);
  expect(edges.length).toBe(want.edges);
  const ids = new Set(nodes.map((n) => n.id));
  expect(ids.size).toBe(nodes.length);
  for (const e of edges) {
    expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
  }
  for (const [ix, n] of want.edgesByIndex) expect(edges.filter((e) => e.index === ix).length).toBe(n);
}

describe('network pictures', () => {
  it('draws the CP example: a hyperedge junction for r, open legs for i, j, k', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'w', indices: ['r'] },
        { name: 'A', indices: ['i', 'r'] },
        { name: 'B', indices: ['j', 'r'] },
        { name: 'C', indices: ['k', 'r'] },
      ],
      output: ['i', 'j', 'k'],
      sizes: { i: 16, j: 12, k: 10, r: 4 },
    };
    const svg = renderSvg([networkDiagram(net, 'out X[i,j,k]')]);
    checkPicture(net, svg);
    const { nodes, edges } = readSvg(svg).panels[0];
    expect(nodes.filter((n) => n.kind === 'junction').map((n) => n.id)).toEqual(['j:r']);
    expect(edges.filter((e) => e.kind === 'hyper')).toHaveLength(4);
    expect(edges.filter((e) => e.kind === 'open').map((e) => e.index)).toEqual(['i', 'j', 'k']);
    expect(svg).toContain('A[i,r]');
    expect(svg).toContain('16×4');
    expect(svg).toContain('r=4');
  });

  it('draws a trace as a loop, a single-tensor sum as a marked end, a batch index as a junction with an open leg', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'T', indices: ['a', 'a', 'm'] },
        { name: 'x', indices: ['b', 'p'] },
        { name: 'y', indices: ['b', 'p'] },
      ],
      output: ['b'],
      sizes: { a: 3, m: 2, b: 5, p: 4 },
      symbolic: ['b'],
    };
    const svg = renderSvg([networkDiagram(net, 'traces')]);
    checkPicture(net, svg);
    const { edges } = readSvg(svg).panels[0];
    expect(edges.find((e) => e.index === 'a')).toMatchObject({ kind: 'trace', from: 't0', to: 't0' });
    expect(edges.find((e) => e.index === 'm')).toMatchObject({ kind: 'summed', from: 't0', to: 's:m' });
    expect(edges.find((e) => e.index === 'p')).toMatchObject({ kind: 'bond', from: 't1', to: 't2' });
    expect(edges.filter((e) => e.index === 'b').map((e) => e.kind).sort()).toEqual(['hyper', 'hyper', 'open']);
    expect(svg).toContain('b~5');
  });

  it('draws scalars and outer products', () => {
    const net: TensorNetwork = { tensors: [{ name: 's', indices: [] }, { name: 'u', indices: ['i'] }, { name: 'v', indices: ['j'] }], output: ['i', 'j'], sizes: { i: 2, j: 3 } };
    const svg = renderSvg([networkDiagram(net, 'outer')]);
    checkPicture(net, svg);
    expect(svg).toContain('scalar');
  });

  it('property: the SVG of any network shows its tensors, junctions, open legs and edges; DOT and Mermaid agree; output is stable', () => {
    fc.assert(
      fc.property(arbEinsum({ maxOperands: 7 }), (e) => {
        const net = toNetwork(e);
        const panel = networkDiagram(net, 'random');
        const svg = renderSvg([panel]);
        checkPicture(net, svg);
        expect(renderSvg([networkDiagram(net, 'random')])).toBe(svg);
        const want = expectedCounts(net);
        const dot = renderDot([panel]);
        expect((dot.match(/ -- /g) ?? []).length).toBe(want.edges);
        expect((dot.match(/^ {4}"p0_[^"]*" \[/gm) ?? []).length).toBe(panel.nodes.length);
        const mermaid = renderMermaid([panel]);
        expect((mermaid.match(/ (---|-\.-)/g) ?? []).length).toBe(want.edges);
      }),
      { numRuns: Math.min(fc.readConfigureGlobal().numRuns ?? 100, 60) },
    );
  });

  it('large networks (past the dagre limit) are placed on a grid, still complete and fast', () => {
    const n = 1500;
    const tensors = Array.from({ length: n }, (_, k) => ({
      name: `T${k}`,
      indices: [`p${k}`, ...(k > 0 ? [`b${k - 1}`] : []), ...(k < n - 1 ? [`b${k}`] : []), ...(k % 100 === 0 ? ['h'] : []), ...(k === 7 ? ['t', 't'] : [])],
    }));
    const sizes: Record<string, number> = { h: 3, t: 2 };
    for (let k = 0; k < n; k++) Object.assign(sizes, { [`p${k}`]: 2, [`b${k}`]: 4 });
    const net: TensorNetwork = { tensors, output: ['p0', 'p1', 'h'], sizes };
    const start = performance.now();
    const svg = renderSvg([networkDiagram(net, 'chain')]);
    expect(performance.now() - start).toBeLessThan(20_000);
    checkPicture(net, svg);
  });

  it('escapes names in every format', () => {
    const net: TensorNetwork = { tensors: [{ name: 'A<&>"', indices: ['i'] }], output: ['i'], sizes: { i: 2 } };
    const panel = networkDiagram(net, 'title "q" <x>');
    const svg = renderSvg([panel]);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('A&lt;&amp;&gt;&quot;');
    expect(renderDot([panel])).toContain('A<&>\\"');
    expect(renderMermaid([panel])).not.toMatch(/A<&>"/);
  });
});

describe('contraction-tree pictures', () => {
  it('property: one leaf per tensor, one node per step labelled with its flops, two edges per step', () => {
    fc.assert(
      fc.property(arbEinsum({ maxOperands: 7 }), (e) => {
        const net = toNetwork(e);
        const planned = planContraction(net);
        const svg = renderSvg([treeDiagram(net, planned.problem, planned.tree, 'tree')]);
        expect(wellFormed(svg)).toBe(true);
        const { nodes, edges } = readSvg(svg).panels[0];
        const n = net.tensors.length;
        const steps = treeSteps(planned.problem, planned.tree);
        expect(nodes.filter((x) => x.kind === 'leaf')).toHaveLength(n);
        expect(nodes.filter((x) => x.kind === 'step')).toHaveLength(steps.length);
        expect(edges).toHaveLength(steps.reduce((s, st) => s + st.operands.length, 0));
        // Every node but the root has exactly one parent.
        const parents = new Map<string, number>();
        for (const ed of edges) parents.set(ed.to, (parents.get(ed.to) ?? 0) + 1);
        expect([...parents.values()].every((c) => c === 1)).toBe(true);
        expect(parents.size).toBe(nodes.length - 1);
        for (const st of steps) {
          const shown = st.flops < 1_000_000n ? `flops ${st.flops}` : 'flops ';
          expect(svg).toContain(shown);
        }
      }),
      { numRuns: Math.min(fc.readConfigureGlobal().numRuns ?? 100, 40) },
    );
  });
});

describe('every example renders', () => {
  const dir = join(import.meta.dirname, '..', 'examples');
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.tn')).sort();

  it('finds the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  for (const f of files) {
    it(`${f}: network SVG matches each statement's network; tree, DOT and Mermaid render`, () => {
      const file = SourceFile.from(f, readFileSync(join(dir, f), 'utf8'));
      const { value: program, diagnostics } = analyze(file);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const terms = program!.statements.flatMap((s) => s.terms.map((t) => t.network));
      const svg = renderSvg(networkPanels(program!.statements));
      terms.forEach((net, k) => checkPicture(net, svg, k));
      const tree = renderSvg(treePanels(program!.statements));
      expect(wellFormed(tree)).toBe(true);
      expect(readSvg(tree).panels).toHaveLength(terms.length);
      expect(renderDot(networkPanels(program!.statements))).toMatch(/^graph tnc \{/);
      expect(renderMermaid(networkPanels(program!.statements))).toMatch(/^flowchart LR/);
    });
  }
});
