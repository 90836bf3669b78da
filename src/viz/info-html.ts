// `tnc info --html`: one self-contained page (inline SVG pictures, inline CSS, no scripts, no
// external assets) with, per statement term, the network and its contraction tree, the step
// table and the cost summary, then the factorized tensors.

import { compactCount, groupDigits, ratio } from './format.js';
import type { InfoReport, TermReport } from './info-report.js';
import { networkDiagram } from './network-diagram.js';
import { escapeXml, renderSvg } from './svg.js';
import { treeDiagram } from './tree-diagram.js';

const CSS = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 32px; }
code, td.mono { font-family: ui-monospace, monospace; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td { white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
.pics { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.pic { border: 1px solid #ddd; overflow: auto; max-width: 100%; }
`;

const esc = escapeXml;

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[], cls: string): string {
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${numeric[i] ? 'num' : 'mono'}">${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="${cls}">\n${head}\n${body}\n</table></div>`;
}

function termSection(term: TermReport): string {
  const net = term.network;
  const netSvg = renderSvg([networkDiagram(net, 'network')]);
  const treeSvg = renderSvg([treeDiagram(net, term.planned.problem, term.planned.tree, `contraction tree (${term.optimizer})`)]);
  const steps = table(
    ['step', 'pair', 'operands', 'einsum', 'summed', 'flops', 'result size', 'scaling'],
    term.steps.map((s) => [String(s.step), `(${s.pair.join(',')})`, s.operands.join(' * '), s.equation, s.summed.join(',') || '-', groupDigits(s.flops), groupDigits(s.size), `${s.scalingOrder}: ${s.scaling}`]),
    [true, false, false, false, false, true, true, false],
    'steps',
  );
  const summary = table(
    ['total flops', 'largest intermediate', 'naive cost', 'naive / planned', ...(term.symbolic ? ['symbolic flops', 'scaling'] : [])],
    [[groupDigits(term.cost.flops), groupDigits(term.cost.size), groupDigits(term.naiveFlops), ratio(term.naiveFlops, term.cost.flops), ...(term.symbolic ? [term.symbolic.flops, term.symbolic.scaling] : [])]],
    [true, true, true, true, false, false],
    'summary',
  );
  const tensors = table(['tensor', 'indices', 'shape', 'elements'], term.tensors.map((t) => [t.name, `[${t.indices.join(',')}]`, t.shape, groupDigits(t.elements)]), [false, false, false, true], 'tensors');
  return [
    `<section class="term">`,
    `<h2>${esc(term.title)}</h2>`,
    `<p><code>${esc(net.tensors.map((t) => `${t.name}[${t.indices.join(',')}]`).join(' '))} -&gt; [${esc(net.output.join(','))}]</code></p>`,
    `<div class="pics"><div class="pic">${netSvg}</div><div class="pic">${treeSvg}</div></div>`,
    `<h3>Cost</h3>`,
    summary,
    `<h3>Path (${esc(term.optimizer)}): <code>${esc(JSON.stringify(term.path))}</code></h3>`,
    steps,
    `<h3>Tensors</h3>`,
    tensors,
    `</section>`,
  ].join('\n');
}

function factorSection(report: InfoReport): string {
  if (report.factorized.length === 0) return '';
  const parts = ['<section class="factorized">', '<h2>Factorized tensors</h2>'];
  for (const r of report.factorized) {
    const compression = Number.isFinite(r.compression) ? `${r.compression >= 100 ? r.compression.toFixed(0) : r.compression.toFixed(2)}x` : 'n/a';
    parts.push(`<h3>${esc(`${r.role} ${r.name} = ${r.family}(...)`)}</h3>`);
    parts.push(table(['factor', 'indices', 'shape', 'parameters'], r.factors.map((f) => [f.name, `[${f.indices.map((i) => i.name).join(',')}]`, f.shape.join('×') || 'scalar', groupDigits(f.elements)]), [false, false, false, true], 'factors'));
    parts.push(`<p>parameters ${groupDigits(r.parameters)} vs dense ${groupDigits(r.denseElements)}: compression ${esc(compression)}${r.symbolic ? ' (at planning sizes)' : ''}</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Renders an info report as one self-contained HTML page (deterministic). */
export function formatInfoHtml(report: InfoReport, file: string): string {
  const dims = report.dims.filter((d) => d.origin === undefined);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>tnc info ${esc(file)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>tnc info <code>${esc(file)}</code></h1>`,
    dims.length > 0 ? `<p>dims: <code>${esc(dims.map((d) => `${d.name}${d.symbolic ? '~' : '='}${d.size}`).join(' '))}</code></p>` : '',
    ...report.terms.map(termSection),
    factorSection(report),
    `<p><small>total over all statements: ${esc(compactCount(report.terms.reduce((s, t) => s + t.cost.flops, 0n)))} flops</small></p>`,
    '</body></html>',
    '',
  ].join('\n');
}
