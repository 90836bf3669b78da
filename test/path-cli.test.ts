// `tnc path` end to end, in process: equations with --shapes (human and --json output),
// --batch JSONL (exact keys and order, per-line errors), --network on the shared cotengra
// benchmark files and an OMEinsum file, exact big integers in JSON, usage errors.

import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { exactJson, parseShapes } from '../src/cli/path.js';
import { nodeIO } from '../src/cli/io.js';
import { captureIO } from './helpers/capture-io.js';
import { treeCost } from '../src/optimizer/cost.js';
import { listOptimizers } from '../src/optimizer/index.js';
import { parseNetworkJson } from '../src/optimizer/networks-json.js';
import { toProblem } from '../src/optimizer/problem.js';
import { fromLinearPath, validateTree } from '../src/optimizer/tree.js';

async function tnc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['path', ...args], io);
  return { code, out: io.out.join('\n'), err: io.err.join('\n') };
}

const NETWORKS = '/work/shared/networks/cotengra';

describe('tnc path EQ --shapes', () => {
  it('--json reports flops 36000 and a valid linear path', async () => {
    const r = await tnc('ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.flops).toBe(36000);
    expect(j.path).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(j.size).toBe(400);
    expect(j.steps).toHaveLength(2);
    expect(j.steps[0]).toMatchObject({ pair: [0, 1], einsum: 'ab,bc->ac', flops: 12000, size: 300 });
    expect(j.tree).toBeUndefined();
  });

  it('prints a readable table with totals, and the tree on request', async () => {
    const r = await tnc('ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40', '--tree');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/step\s+pair\s+einsum\s+flops\s+size/);
    expect(r.out).toMatch(/1\s+\(0,1\)\s+ab,bc->ac\s+12,000\s+300/);
    expect(r.out).toMatch(/total flops\s+36,000/);
    expect(r.out).toMatch(/largest intermediate 400/);
    expect(r.out).toMatch(/tree\s+\(2,\(0,1\)\)|tree\s+\(\(0,1\),2\)/);
  });

  it('honours --optimizer, --minimize, --max-time, --seed, --memory-limit and JSON shapes', async () => {
    for (const opt of listOptimizers()) {
      const r = await tnc('ab,bc,cd,de->ae', '--shapes', '[[4,8],[8,4],[4,8],[8,4]]', '--optimizer', opt, '--minimize', 'size', '--max-time', '50', '--seed', '1', '--json');
      expect(r.code, `${opt}: ${r.err}`).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.size).toBeLessThanOrEqual(32);
    }
    const tuned = await tnc('ab,bc,cd,de->ae', '--shapes', '4x8,8x4,4x8,8x4', '--optimizer', 'random-greedy', '--repeats', '8', '--seed', '2', '--json');
    const again = await tnc('ab,bc,cd,de->ae', '--shapes', '4x8,8x4,4x8,8x4', '--optimizer', 'random-greedy', '--repeats', '8', '--seed', '2', '--json');
    expect(JSON.parse(tuned.out).path).toEqual(JSON.parse(again.out).path);
    expect((await tnc('ab,bc->ac', '--shapes', '2x3,3x4', '--optimizer', 'branch-2', '--width', '1')).code).toBe(0);
    const limited = await tnc('ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40', '--memory-limit', '100', '--json');
    expect(limited.code).toBe(0);
    const j = JSON.parse(limited.out);
    expect(j.slices !== undefined || j.overLimit === true).toBe(true);
  });

  it('scalars and one-operand equations', async () => {
    const r = await tnc('a,,a->', '--shapes', '4,,4', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).flops).toBe(9);
    const t = await tnc('aa->', '--shapes', '3x3', '--json');
    expect(JSON.parse(t.out).path).toEqual([[0]]);
  });

  it('bad equations, shapes and flags are clear errors (exit 1, caret, no stack)', async () => {
    const cases: [string[], RegExp][] = [
      [['ab,bc->ad', '--shapes', '2x3,3x4'], /output index 'd'[\s\S]*ab,bc->ad\n\s+\^/],
      [['ab,bc->ac', '--shapes', '2x3,4x4'], /index 'b' has size 4/],
      [['ab,bc->ac', '--shapes', '2x3,3y4'], /'3y4' is not a size[\s\S]*\^/],
      [['ab,bc->ac', '--shapes', '2x0,0x4'], /not a positive safe integer/],
      [['ab,bc->ac'], /needs --shapes/],
      [['ab->a', '--shapes', '2x3', '--optimizer', 'gredy'], /did you mean 'greedy'/],
      [['ab->a', '--shapes', '2x3', '--minimize', 'speed'], /--minimize must be one of/],
      [['ab->a', '--shapes', '2x3', '--max-time', 'soon'], /--max-time needs/],
      [['ab->a', '--shapes', '2x3', '--frobnicate'], /unknown flag --frobnicate/],
      [[], /exactly one of/],
    ];
    for (const [args, message] of cases) {
      const r = await tnc(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    }
  });

  it('--help documents every option with examples', async () => {
    const io = captureIO();
    expect(await main(['path', '--help'], io)).toBe(0);
    const help = io.out.join('\n');
    for (const flag of ['--shapes', '--batch', '--network', '--optimizer', '--minimize', '--memory-limit', '--max-time', '--seed', '--repeats', '--subtree-size', '--width', '--json', '--tree']) {
      expect(help).toContain(flag);
    }
    for (const name of listOptimizers()) expect(help).toContain(name);
    expect(help).toMatch(/examples:\n\s+tnc path/);
  });
});

describe('tnc path --batch', () => {
  it('answers each line with exactly id, path, flops, size, time_ms; errors per line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnc-path-'));
    const file = join(dir, 'in.jsonl');
    const lines = [
      { id: 'chain', eq: 'ab,bc,cd->ad', shapes: [[10, 20], [20, 30], [30, 40]] },
      { id: 7, eq: 'ab,bc->ad', shapes: [[2, 3], [3, 4]] },
      { id: 'hadamard', eq: 'ab,ab->ab', shapes: [[2, 3], [2, 3]] },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n{not json}\n');
    const r = await tnc('--batch', file, '--optimizer', 'dp');
    expect(r.code).toBe(0);
    const out = r.out.split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(Object.keys(out[0])).toEqual(['id', 'path', 'flops', 'size', 'time_ms']);
    expect(out[0]).toMatchObject({ id: 'chain', flops: 36000, size: 400 });
    expect(Object.keys(out[1])).toEqual(['id', 'error']);
    expect(out[1].id).toBe(7);
    expect(out[1].error).toMatch(/output index 'd'/);
    expect(out[2]).toMatchObject({ id: 'hadamard', path: [[0, 1]], flops: 6, size: 6 });
    expect(Object.keys(out[3])).toEqual(['id', 'error']);
    expect(out[3].error).toMatch(/line 5: not valid JSON/);
  });
});

describe('tnc path --network', () => {
  const files = readdirSync(NETWORKS).filter((f) => f.endsWith('.json'));

  it('finds the eight shared cotengra networks', () => {
    expect(files).toHaveLength(8);
  });

  it('greedy plans every shared cotengra network quickly, with exact JSON numbers', async () => {
    for (const f of files) {
      const path = join(NETWORKS, f);
      const t0 = performance.now();
      const r = await tnc('--network', path, '--optimizer', 'greedy', '--json');
      const ms = performance.now() - t0;
      expect(r.code, `${f}: ${r.err}`).toBe(0);
      // Generous: the test machine is shared by many processes.
      expect(ms, f).toBeLessThan(10_000);
      const parsed = parseNetworkJson(nodeIO.readFile(path), path);
      const p = toProblem(parsed.network);
      // Read big integers back exactly: take the digits from the text, not a float.
      const flopsText = /"flops": (\d+)/.exec(r.out)![1];
      const j = JSON.parse(r.out);
      const tree = fromLinearPath(p.inputs.length, j.path);
      expect(validateTree(tree, p)).toBeUndefined();
      expect(BigInt(flopsText), f).toBe(treeCost(p, tree).flops);
    }
  });

  it('reads OMEinsum JSON (integer labels, sizes keyed by strings)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnc-path-'));
    const file = join(dir, 'om.json');
    writeFileSync(file, JSON.stringify({ einsum: { ixs: [[1, 2], [2, 3], [3, 4]], iy: [1, 4] }, size: { '1': 10, '2': 20, '3': 30, '4': 40 } }));
    const r = await tnc('--network', file, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ equation: 'ab,bc,cd->ad', flops: 36000 });
  });

  it('reports malformed network files with the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnc-path-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"inputs": [["a"]], "output": [], ');
    const r = await tnc('--network', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.json:1:\d+: error\[network\/json\]/);
    const nosize = join(dir, 'nosize.json');
    writeFileSync(nosize, JSON.stringify({ inputs: [['a', 'b']], output: [], size_dict: { a: 2 } }));
    const r2 = await tnc('--network', nosize);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/label "b" has no size/);
  });
});

describe('helpers', () => {
  it('exactJson writes bigints as digits', () => {
    expect(exactJson({ a: 2n ** 70n, b: [1, 2n] })).toBe('{"a":1180591620717411303424,"b":[1,2]}');
  });

  it('parseShapes reads x-separated sizes, scalars and JSON', () => {
    expect(parseShapes('2x3,3,,4×5')).toEqual([[2, 3], [3], [], [4, 5]]);
    expect(parseShapes('[[2,3],[]]')).toEqual([[2, 3], []]);
  });
});
