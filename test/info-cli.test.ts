// `tnc info` and `tnc graph` end to end through the CLI entry (main with an in-memory IO):
// reported totals equal the planner's exact costs, factor counts match closed forms, the HTML
// page is self-contained, and user errors exit 1 with located diagnostics.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { CliIO } from '../src/cli/io.js';
import { SourceFile } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import { treeSteps } from '../src/optimizer/cost.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { groupDigits } from '../src/viz/format.js';
import { naiveFlops } from '../src/viz/info-report.js';

const examples = join(import.meta.dirname, '..', 'examples');

function memoryIO(files: Record<string, string> = {}): CliIO & { out: string[]; err: string[]; written: Map<string, string> } {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  return {
    out,
    err,
    written,
    cwd: '/',
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (p) => {
      if (p in files) return files[p];
      return readFileSync(p, 'utf8');
    },
    writeFile: (p, t) => written.set(p, t),
  };
}

async function run(args: string[], files?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; written: Map<string, string> }> {
  const io = memoryIO(files);
  const code = await main(args, io);
  return { code, stdout: io.out.join('\n'), stderr: io.err.join('\n'), written: io.written };
}

function programOf(path: string) {
  const { value } = analyze(SourceFile.from(path, readFileSync(path, 'utf8')));
  return value!;
}

describe('tnc info', () => {
  for (const name of ['matrix-chain.tn', 'cp-reconstruction.tn', 'mps-norm.tn', 'tt-layer.tn', 'tucker-reconstruction.tn']) {
    it(`${name}: every step and the totals match the planner's exact costs`, async () => {
      const path = join(examples, name);
      const { code, stdout } = await run(['info', path]);
      expect(code).toBe(0);
      for (const st of programOf(path).statements) {
        for (const term of st.terms) {
          const planned = planContraction(term.network);
          const steps = treeSteps(planned.problem, planned.tree);
          expect(stdout).toContain(`total flops           ${groupDigits(planned.cost.flops)}`);
          expect(stdout).toContain(`largest intermediate  ${groupDigits(planned.cost.size)} elements`);
          expect(stdout).toContain(`naive cost            ${groupDigits(naiveFlops(term.network))}`);
          expect(stdout).toContain(`: ${JSON.stringify(planned.path)}`);
          // One table row per step, numbered 1..n.
          for (let k = 1; k <= steps.length; k++) expect(stdout).toMatch(new RegExp(`^ +${k}  \\(\\d+(,\\d+)?\\)  `, 'm'));
          for (const t of term.network.tensors) expect(stdout).toContain(`${t.name}[${t.indices.join(',')}]`);
        }
      }
    });
  }

  it('matrix chain: the cheapest order, 20,000 flops, step by step', async () => {
    const { stdout } = await run(['info', join(examples, 'matrix-chain.tn'), '--optimizer', 'optimal']);
    expect(stdout).toContain('total flops           20,000');
    expect(stdout).toMatch(/1 +\(2,3\) +C \* D +\[c,d\] \[d,e\] -> \[c,e\] +d +12000 +150 +3: 40·30·5/);
    // Naive: one loop over a..e (10·20·30·40·5) with 3 multiplies and an add per iteration.
    expect(stdout).toContain(`naive cost            ${groupDigits(10n * 20n * 30n * 40n * 5n * 4n)}`);
  });

  it('tt-layer: factors with shapes, parameters against the dense tensor, compression', async () => {
    const { stdout } = await run(['info', join(examples, 'tt-layer.tn')]);
    // TT-matrix with legs 8 in / 8 out per core and rank 16: 8·8·16 + 2·16·8·8·16 + 16·8·8.
    const params = 8 * 8 * 16 + 2 * 16 * 8 * 8 * 16 + 16 * 8 * 8;
    const dense = 8 ** 8;
    expect(stdout).toContain('factorized tensors:');
    expect(stdout).toMatch(/W_core1 +\[i1,o1,W\.b1\] +8×8×16 +1,024/);
    expect(stdout).toMatch(/W_core2 +\[W\.b1,i2,o2,W\.b2\] +16×8×8×16 +16,384/);
    expect(stdout).toContain(`parameters ${groupDigits(BigInt(params))} vs dense ${groupDigits(BigInt(dense))}: compression ${Math.round(dense / params)}x`);
    expect(stdout).toContain('b~64');
    // b is symbolic: the flops are a polynomial in b that equals the total at the hint b = 64.
    const m = /symbolic flops +(\d+)·b \+ (\d+), scaling O\(b\)/.exec(stdout)!;
    expect(m).not.toBeNull();
    const total = BigInt(/total flops +([\d,]+)/.exec(stdout)![1].replace(/,/g, ''));
    expect(BigInt(m[1]) * 64n + BigInt(m[2])).toBe(total);
  });

  it('marks hyperedges, open legs and bonds', async () => {
    const { stdout } = await run(['info', join(examples, 'cp-reconstruction.tn')]);
    expect(stdout).toMatch(/r +4 +hyperedge \(4 tensors\)/);
    expect(stdout).toMatch(/i +16 +open \(output\)/);
  });

  it('--html writes one self-contained page with the pictures, the step table and the costs', async () => {
    const path = join(examples, 'mps-norm.tn');
    const { code, written } = await run(['info', path, '--html', '/out/mps.html']);
    expect(code).toBe(0);
    const html = written.get('/out/mps.html')!;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect((html.match(/<svg /g) ?? []).length).toBe(2);
    const planned = planContraction(programOf(path).statements[0].terms[0].network);
    expect((html.match(/<table class="steps">[\s\S]*?<\/table>/)![0].match(/<tr>/g) ?? []).length).toBe(planned.path.length + 1);
    expect(html).toContain(groupDigits(planned.cost.flops));
  });

  it('shows every term of a linear combination and a let statement', async () => {
    const src = 'dim i = 3, j = 4\ninput A[i, j], B[i, j], v[j]\nlet S[i, j] = A[i, j] - B[i, j]\nout y[i] = S[i, j] v[j]\n';
    const { code, stdout } = await run(['info', 'comb.tn'], { 'comb.tn': src });
    expect(code).toBe(0);
    expect(stdout).toContain('let S[i,j] (term 1 of 2)');
    expect(stdout).toContain('let S[i,j] (term 2 of 2, ×-1)');
    // Each term copies a 3×4 tensor (12 flops); the statement's total is their sum.
    expect(stdout).toContain('let S: 2 terms, total flops 24');
    expect(stdout).toContain('out y[i]');
  });

  it('user errors exit 1 with file:line:col diagnostics; --help exits 0 with examples', async () => {
    const bad = await run(['info', 'bad.tn'], { 'bad.tn': 'dim i = 3\ninput A[i]\nout y[i] = A[k]\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bad\.tn:3:\d+: error\[/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect((await run(['info', '/no/such/file.tn'])).code).toBe(1);
    expect((await run(['info'])).code).toBe(1);
    expect((await run(['info', join(examples, 'matrix-chain.tn'), '--bogus'])).code).toBe(1);
    const opt = await run(['info', join(examples, 'matrix-chain.tn'), '--optimizer', 'nope']);
    expect(opt.code).toBe(1);
    expect(opt.stderr).toMatch(/unknown optimizer 'nope'/);
    const help = await run(['info', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/examples:\n  tnc info /);
    expect(help.stdout).toMatch(/exit codes: 0 ok, 1 user error.*2 internal error/);
  });
});

describe('tnc graph', () => {
  it('writes SVG by default, DOT and Mermaid on request, the tree with --tree', async () => {
    const path = join(examples, 'cp-reconstruction.tn');
    const svg = await run(['graph', path]);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.stdout).toContain('class="node junction" data-id="j:r"');
    expect((await run(['graph', path, '--format', 'dot'])).stdout).toMatch(/^graph tnc \{/);
    expect((await run(['graph', path, '--format', 'mermaid'])).stdout).toMatch(/^flowchart LR/);
    const tree = await run(['graph', path, '--tree', '--optimizer', 'greedy', '--out', '/o/t.svg']);
    expect(tree.code).toBe(0);
    expect(tree.written.get('/o/t.svg')).toContain('class="node step"');
    // Same input, same bytes.
    expect((await run(['graph', path])).stdout).toBe(svg.stdout);
  });

  it('--statement picks one statement; errors exit 1', async () => {
    const src = 'dim i = 3, j = 4\ninput A[i, j], v[j]\nout y[i] = A[i, j] v[j]\nout z[] = v[j] v[j]\n';
    const one = await run(['graph', 'm.tn', '--statement', 'z'], { 'm.tn': src });
    expect(one.code).toBe(0);
    expect((one.stdout.match(/class="panel"/g) ?? []).length).toBe(1);
    const missing = await run(['graph', 'm.tn', '--statement', 'q'], { 'm.tn': src });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no statement named 'q'; statements: y, z");
    expect((await run(['graph', 'm.tn', '--format', 'png'], { 'm.tn': src })).code).toBe(1);
    expect((await run(['graph', 'm.tn', '--optimizer', 'greedy'], { 'm.tn': src })).code).toBe(1);
    const help = await run(['graph', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/examples:\n  tnc graph /);
  });
});
