// `tnc info` as aligned plain text: dims, then per statement term its tensors, indices, the
// path step by step and the cost summary, then the factorized tensors.

import { countNoun } from '../diagnostics.js';
import type { FactorReport } from '../ir/factor-report.js';
import { compactCount, groupDigits, MAX_GROUPED_DIGITS, ratio } from './format.js';
import type { InfoReport, TermReport } from './info-report.js';
import { formatTable } from './table.js';

const ROLE_TEXT: Record<string, string> = {
  bond: 'bond (2 tensors)',
  hyperedge: 'hyperedge',
  open: 'open (output)',
  trace: 'trace (repeated in one tensor)',
  summed: 'summed on one tensor',
  unused: 'output only',
};

function roleText(row: { role: string; tensors: number }, open: boolean): string {
  if (row.role === 'hyperedge') return `hyperedge (${row.tensors} tensors${open ? ' + output' : ''})`;
  return ROLE_TEXT[row.role] ?? row.role;
}

/** Summary lines of a term's cost: total flops, largest intermediate, naive cost and speedup. */
export function costSummary(term: TermReport): string[] {
  const { cost } = term;
  const symbolic = term.symbolic ? [`symbolic flops        ${term.symbolic.flops}, scaling ${term.symbolic.scaling}`] : [];
  return [
    `total flops           ${groupDigits(cost.flops)}${cost.flops >= 1_000_000n ? ` (${compactCount(cost.flops)})` : ''}`,
    `largest intermediate  ${countNoun(groupDigits(cost.size), 'element')}`,
    ...symbolic,
    `naive cost            ${groupDigits(term.naiveFlops)}${term.naiveFlops >= 1_000_000n && term.naiveFlops.toString().length <= MAX_GROUPED_DIGITS ? ` (${compactCount(term.naiveFlops)})` : ''}, ${ratio(term.naiveFlops, cost.flops)} the planned cost`,
  ];
}

/** Appends in a loop: push(...rows) overflows the call stack for networks of ~100k tensors. */
function append(lines: string[], more: readonly string[]): void {
  for (const l of more) lines.push(l);
}

function termText(term: TermReport): string[] {
  const net = term.network;
  const lines = [term.title];
  lines.push(`  einsum: ${net.tensors.map((t) => `${t.name}[${t.indices.join(',')}]`).join(' ')} -> [${net.output.join(',')}]`);
  lines.push('  tensors:');
  append(lines, formatTable([['name', 'indices', 'shape', 'elements'], ...term.tensors.map((t) => [t.name, `[${t.indices.join(',')}]`, t.shape, groupDigits(t.elements)])], ['l', 'l', 'l', 'r'], '    '));
  lines.push('  indices:');
  const out = new Set(net.output);
  append(lines, formatTable([['index', 'size', 'role'], ...term.indices.map((i) => [i.name, i.symbolic ? `~${i.size}` : String(i.size), roleText(i, out.has(i.name))])], ['l', 'r', 'l'], '    '));
  lines.push(`  path (optimizer ${term.optimizer}${term.exhaustive ? ', proven optimal' : ''}): ${JSON.stringify(term.path)}`);
  const rows = term.steps.map((s) => [
    String(s.step),
    `(${s.pair.join(',')})`,
    s.operands.join(' * '),
    s.equation,
    s.summed.length ? s.summed.join(',') : '-',
    compactCount(s.flops),
    compactCount(s.size),
    `${s.scalingOrder}: ${s.scaling}`,
  ]);
  append(lines, formatTable([['step', 'pair', 'operands', 'einsum', 'summed', 'flops', 'size', 'scaling'], ...rows], ['r', 'l', 'l', 'l', 'l', 'r', 'r', 'l'], '    '));
  append(lines, costSummary(term).map((l) => '  ' + l));
  return lines;
}

function factorText(r: FactorReport): string[] {
  const legs = r.legs.map((l) => `${l.name}=${l.size}${l.symbolic ? '~' : ''}`).join(', ');
  const lines = [`${r.role} ${r.name} = ${r.family}(...), legs [${legs}]`];
  append(lines, formatTable([['factor', 'indices', 'shape', 'parameters'], ...r.factors.map((f) => [f.name, `[${f.indices.map((i) => i.name).join(',')}]`, f.shape.join('×') || 'scalar', groupDigits(f.elements)])], ['l', 'l', 'l', 'r'], '  '));
  const compression = Number.isFinite(r.compression) ? `${r.compression >= 100 ? r.compression.toFixed(0) : r.compression.toFixed(2)}x` : 'n/a';
  lines.push(`  parameters ${groupDigits(r.parameters)} vs dense ${groupDigits(r.denseElements)}: compression ${compression}${r.symbolic ? ' (at planning sizes)' : ''}`);
  return lines;
}

/** Renders an info report as readable, aligned text. */
export function formatInfoText(report: InfoReport, file: string): string {
  const lines = [`tnc info ${file}`, ''];
  const dims = report.dims.filter((d) => d.origin === undefined);
  if (dims.length > 0) {
    lines.push(`dims: ${dims.map((d) => `${d.name}${d.symbolic ? '~' : '='}${d.size}`).join(' ')}`);
    if (dims.some((d) => d.symbolic)) lines.push('(~ marks a symbolic dim, bound at call time; costs use its planning hint)');
    lines.push('');
  }
  report.terms.forEach((term, k) => {
    append(lines, termText(term));
    lines.push('');
    // After the last term of a linear combination, the statement's total.
    const next = report.terms[k + 1];
    if (next?.statement === term.statement) return;
    const all = report.terms.filter((t) => t.statement === term.statement);
    if (all.length > 1) {
      const flops = all.reduce((s, t) => s + t.cost.flops, 0n);
      lines.push(`${term.kind} ${term.statement}: ${all.length} terms, total flops ${groupDigits(flops)}`, '');
    }
  });
  if (report.factorized.length > 0) {
    lines.push('factorized tensors:');
    for (const r of report.factorized) append(lines, factorText(r).map((l) => '  ' + l));
    lines.push('');
  }
  if (report.terms.length === 0) lines.push('no statements');
  return lines.join('\n').replace(/\n+$/, '\n');
}
