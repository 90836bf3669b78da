// Outside-in checks of `tnc path` (every form), `tnc info`/`graph`/`check` on unusual files,
// and fixes found on the way. Paths are validated and their costs recomputed here by an
// independent simulator of opt_einsum's linear format and cost convention (no tnc cost code),
// and dp/optimal are compared with a brute-force minimum over all pairwise trees.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../src/cli.js';
import { compile, contractPath, initParams, TncError } from '../src/index.js';
import { listOptimizers } from '../src/optimizer/index.js';
import { captureIO } from './helpers/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'tnc-qa4b-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NETWORKS = '/work/shared/networks/cotengra';

async function tnc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, out: io.out.join('\n'), err: io.err.join('\n') };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// ---- an independent path simulator (opt_einsum's contract_path conventions) ----

interface Net {
  inputs: string[][];
  output: string[];
  sizes: Record<string, number>;
}

const sizeOf = (ids: Iterable<string>, sizes: Record<string, number>): bigint => {
  let p = 1n;
  for (const i of ids) p *= BigInt(sizes[i]);
  return p;
};

/**
 * Runs a linear path: each step removes the listed operands and appends their contraction,
 * which keeps the indices still needed by another operand or the output. A step costs the
 * product of the sizes of every index involved times max(1, k - 1), plus one more such
 * product when it sums an index. Throws on an invalid path.
 */
function simulate(net: Net, path: unknown): { flops: bigint; size: bigint } {
  if (!Array.isArray(path) || path.length === 0) throw new Error(`not a non-empty list: ${JSON.stringify(path)}`);
  let ops = net.inputs.map((t) => new Set(t));
  const out = new Set(net.output);
  let flops = 0n;
  let size = 0n;
  for (const step of path as unknown[]) {
    if (!Array.isArray(step) || step.length < 1) throw new Error(`bad step ${JSON.stringify(step)}`);
    if (new Set(step).size !== step.length) throw new Error(`step ${JSON.stringify(step)} repeats a position`);
    for (const p of step) if (!Number.isInteger(p) || p < 0 || p >= ops.length) throw new Error(`position ${p} out of range (${ops.length} operands)`);
    const rest = ops.filter((_, k) => !step.includes(k));
    const involved = new Set<string>();
    for (const p of step as number[]) for (const i of ops[p]) involved.add(i);
    const needed = new Set(out);
    for (const t of rest) for (const i of t) needed.add(i);
    const kept = new Set([...involved].filter((i) => needed.has(i)));
    const factor = Math.max(1, step.length - 1) + (kept.size < involved.size ? 1 : 0);
    flops += sizeOf(involved, net.sizes) * BigInt(factor);
    const s = sizeOf(kept, net.sizes);
    if (s > size) size = s;
    ops = [...rest, kept];
  }
  if (ops.length !== 1) throw new Error(`${ops.length} operands left at the end`);
  if (ops[0].size !== out.size || [...out].some((i) => !ops[0].has(i))) throw new Error('the last result is not the output');
  return { flops, size };
}

/** Least flops over every pairwise contraction tree (subset recursion; up to ~7 tensors). */
function bruteMinFlops(net: Net): bigint {
  const n = net.inputs.length;
  const out = new Set(net.output);
  if (n === 1) {
    const inv = new Set(net.inputs[0]);
    return sizeOf(inv, net.sizes) * ([...inv].some((i) => !out.has(i)) ? 2n : 1n);
  }
  const indicesOf = (mask: number): Set<string> => {
    if ((mask & (mask - 1)) === 0) return new Set(net.inputs[31 - Math.clz32(mask)]);
    const inside = new Set<string>();
    const outside = new Set(out);
    net.inputs.forEach((t, k) => t.forEach((i) => ((mask >> k) & 1 ? inside : outside).add(i)));
    return new Set([...inside].filter((i) => outside.has(i)));
  };
  const memo = new Map<number, bigint>();
  const best = (mask: number): bigint => {
    if ((mask & (mask - 1)) === 0) return 0n;
    const hit = memo.get(mask);
    if (hit !== undefined) return hit;
    const result = indicesOf(mask);
    let least = -1n;
    for (let a = (mask - 1) & mask; a > 0; a = (a - 1) & mask) {
      const b = mask ^ a;
      if (a < b) continue;
      const inv = new Set([...indicesOf(a), ...indicesOf(b)]);
      const c = best(a) + best(b) + sizeOf(inv, net.sizes) * ([...inv].some((i) => !result.has(i)) ? 2n : 1n);
      if (least < 0n || c < least) least = c;
    }
    memo.set(mask, least);
    return least;
  };
  return best((1 << n) - 1);
}

const equationOf = (net: Net): string => `${net.inputs.map((t) => t.join('')).join(',')}->${net.output.join('')}`;
const shapesOf = (net: Net): number[][] => net.inputs.map((t) => t.map((i) => net.sizes[i]));

/** Random networks with traces, hyperedges, scalars, outer products and kept indices. */
const netArb: fc.Arbitrary<Net> = fc
  .record({
    letters: fc.integer({ min: 2, max: 7 }),
    tensors: fc.array(fc.array(fc.nat(6), { maxLength: 4 }), { minLength: 1, maxLength: 6 }),
    keep: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 7, maxLength: 7 }),
  })
  .map(({ letters, tensors, keep, sizes }) => {
    const letter = (k: number): string => 'abcdefg'[k % letters];
    const inputs = tensors.map((t) => t.map(letter));
    const used = [...new Set(inputs.flat())].sort();
    return {
      inputs,
      output: used.filter((l) => keep['abcdefg'.indexOf(l)]),
      sizes: Object.fromEntries(used.map((l) => [l, sizes['abcdefg'.indexOf(l)]])),
    };
  });

describe('tnc path: paths and costs checked independently', () => {
  const optimizers = listOptimizers();

  test('every optimizer x objective gives a valid path whose flops/size match a recomputation; proven paths are the brute-force minimum', () => {
    fc.assert(
      fc.property(netArb, (net) => {
        const eq = equationOf(net);
        const shapes = shapesOf(net);
        const least = bruteMinFlops(net);
        let greedy = -1n;
        for (const optimizer of optimizers) {
          for (const minimize of ['flops', 'size', 'combo', 'scaling'] as const) {
            const info = contractPath(eq, shapes, { optimizer, minimize, deterministic: true });
            const sim = simulate(net, info.path);
            expect(BigInt(info.flops), `${optimizer}/${minimize} ${eq}`).toBe(sim.flops);
            expect(BigInt(info.size), `${optimizer}/${minimize} ${eq}`).toBe(sim.size);
            if (minimize !== 'flops') continue;
            expect(sim.flops >= least, `${optimizer} below the minimum?`).toBe(true);
            if (info.exhaustive || optimizer === 'dp' || optimizer === 'optimal') expect(sim.flops, `${optimizer} ${eq}`).toBe(least);
            if (optimizer === 'greedy') greedy = sim.flops;
            if (optimizer === 'auto') expect(sim.flops <= greedy, 'auto worse than greedy').toBe(true);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  test('the CLI (--json) prints what contractPath() returns, and both validate', async () => {
    const samples = fc.sample(netArb, { numRuns: 12, seed: 4 });
    for (const net of samples) {
      const eq = equationOf(net);
      const shapes = shapesOf(net);
      for (const optimizer of ['greedy', 'dp', 'branch-2', 'random-greedy', 'auto']) {
        const r = await tnc('path', eq, '--shapes', JSON.stringify(shapes), '--optimizer', optimizer, '--deterministic', '--json', '--tree');
        expect(r.code, r.err).toBe(0);
        const j = JSON.parse(r.out);
        const lib = contractPath(eq, shapes, { optimizer, deterministic: true });
        expect(j.path).toEqual(lib.path);
        expect(BigInt(j.flops)).toBe(simulate(net, j.path).flops);
        expect(j.size).toBe(Number(lib.size));
        expect(j.tree).toHaveLength(Math.max(0, net.inputs.length - 1) || j.tree.length);
        // x-separated shapes give the same answer as JSON ones.
        const x = await tnc('path', eq, '--shapes', shapes.map((s) => s.join('x')).join(','), '--optimizer', optimizer, '--deterministic', '--json');
        expect(JSON.parse(x.out).path).toEqual(j.path);
      }
    }
  });

  test('seeds reproduce: random-greedy and partition with one seed give one path; --deterministic auto is stable', async () => {
    const text = readFileSync(join(NETWORKS, 'rand_50_5_a.json'), 'utf8');
    const net = JSON.parse(text);
    const eqNet: Net = { inputs: net.inputs, output: net.output, sizes: net.size_dict };
    for (const optimizer of ['random-greedy', 'partition']) {
      const a = await tnc('path', '--network', join(NETWORKS, 'rand_50_5_a.json'), '--optimizer', optimizer, '--seed', '11', '--repeats', '16', '--deterministic', '--json');
      const b = await tnc('path', '--network', join(NETWORKS, 'rand_50_5_a.json'), '--optimizer', optimizer, '--seed', '11', '--repeats', '16', '--deterministic', '--json');
      expect(a.code, a.err).toBe(0);
      expect(JSON.parse(a.out).path).toEqual(JSON.parse(b.out).path);
      simulate(eqNet, JSON.parse(a.out).path);
    }
  });

  test('--max-time is honoured on a 50-tensor network (auto, random-greedy, dp, reconfigure)', async () => {
    for (const optimizer of ['auto', 'random-greedy', 'dp', 'reconfigure']) {
      const t0 = performance.now();
      const r = await tnc('path', '--network', join(NETWORKS, 'rand_50_5_a.json'), '--optimizer', optimizer, '--max-time', '100', '--json');
      const wall = performance.now() - t0;
      expect(r.code, r.err).toBe(0);
      // The budget plus generous slack for a loaded 2-core machine; a hang would take seconds.
      expect(wall, optimizer).toBeLessThan(1500);
    }
  });

  test('--max-time holds with --subtree-size 16: reconfigure abandons a subset DP that outlasts the budget (took ~2.3 s at 100 ms; unbounded without a budget)', async () => {
    for (const optimizer of ['reconfigure', 'greedy+reconfigure']) {
      const t0 = performance.now();
      const r = await tnc('path', '--network', join(NETWORKS, 'rand_50_5_a.json'), '--optimizer', optimizer, '--subtree-size', '16', '--max-time', '100', '--json');
      const wall = performance.now() - t0;
      expect(r.code, r.err).toBe(0);
      expect(wall, optimizer).toBeLessThan(1000);
      const data = JSON.parse(readFileSync(join(NETWORKS, 'rand_50_5_a.json'), 'utf8'));
      simulate({ inputs: data.inputs, output: data.output, sizes: data.size_dict }, JSON.parse(r.out).path);
    }
  });

  test('greedy on every shared benchmark network: valid paths, exact flops (beyond 2^53 too)', async () => {
    for (const name of readdirSync(NETWORKS).filter((f) => f.endsWith('.json'))) {
      const data = JSON.parse(readFileSync(join(NETWORKS, name), 'utf8'));
      const net: Net = { inputs: data.inputs, output: data.output, sizes: data.size_dict };
      const r = await tnc('path', '--network', join(NETWORKS, name), '--optimizer', 'greedy', '--json');
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      const flops = /"flops": (\d+)/.exec(r.out)![1];
      const sim = simulate(net, JSON.parse(r.out).path);
      expect(BigInt(flops), name).toBe(sim.flops);
    }
  });
});

describe('tnc path --batch and --network on odd inputs', () => {
  test('CRLF, blank lines, malformed lines, duplicate ids, missing ids: one output line per non-blank input line, in order', async () => {
    const lines = [
      '{"id":"a","eq":"ab,bc->ac","shapes":[[2,3],[3,4]]}',
      '',
      '   ',
      '{"id":"a","eq":"ab,bc->ac","shapes":[[2,3],[3,4]]}',
      'not json',
      '{"id":7,"eq":"ab,bc","shapes":[[2,3],[4,4]]}',
      '{"eq":"a->","shapes":[[3]]}',
      '[1,2]',
      '{"id":"s","eq":"ab,bc->ac","shapes":"2x3,3x4"}',
      '{"id":"sc","eq":",->","shapes":[[],[]]}',
    ];
    const r = await tnc('path', '--batch', file('odd.jsonl', lines.join('\r\n') + '\r\n'));
    expect(r.code).toBe(0);
    const out = r.out.split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => o.id)).toEqual(['a', 'a', null, 7, null, null, 's', 'sc']);
    expect(Object.keys(out[0])).toEqual(['id', 'path', 'flops', 'size', 'time_ms']);
    expect(out[0]).toMatchObject({ path: [[0, 1]], flops: 48, size: 8 });
    expect(out[2].error).toMatch(/^line 5: not valid JSON/);
    expect(out[3].error).toMatch(/index 'b' has size 4/);
    expect(out[4]).toMatchObject({ path: [[0]], flops: 6, size: 1 });
    expect(out[5].error).toMatch(/^line 8: expected an object/);
    expect(out[6].error).toMatch(/shapes must be an array/);
    expect(out[7]).toMatchObject({ path: [[0, 1]], flops: 1, size: 1 });
  });

  test('a batch file starting with a byte-order mark reads its first line (was "not valid JSON")', async () => {
    const r = await tnc('path', '--batch', file('bom.jsonl', '\uFEFF{"id":"bom","eq":"ab->","shapes":[[2,2]]}\n'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: 'bom', path: [[0]], flops: 8, size: 1 });
  });

  test('a network file starting with a byte-order mark is read; error columns (also in .tn files) do not count the mark', async () => {
    const good = await tnc('path', '--network', file('bom.json', '\uFEFF{"inputs":[["a","b"],["b","c"]],"output":[],"size_dict":{"a":2,"b":3,"c":4}}'), '--json');
    expect(good.code, good.err).toBe(0);
    expect(JSON.parse(good.out).flops).toBe(48);
    const bad = await tnc('path', '--network', file('bom-bad.json', '\uFEFF{"inputs":[["a"]],"output":[],"size_dict":{"a":0}}'));
    expect(bad.code).toBe(1);
    // Columns as an editor shows them: the mark takes none (was 1:49, the caret one right).
    expect(bad.err).toMatch(/bom-bad\.json:1:48: error\[network\/size\]: label "a" has size 0[^\n]*\n {2}\{"inputs"[^\n]*\n {49}\^\n?$/);
    const tn = await tnc('check', file('bom.tn', '\uFEFFdim i = 0\n'));
    expect(tn.err).toMatch(/bom\.tn:1:9: error\[check\/bad-size\][^\n]*\n {2}dim i = 0\n {10}\^/);
  });

  test('batch lines are validated independently and match contractPath with fixed work', async () => {
    const nets = fc.sample(netArb, { numRuns: 60, seed: 9 });
    const text = nets.map((n, k) => JSON.stringify({ id: `n${k}`, eq: equationOf(n), shapes: shapesOf(n) })).join('\n');
    const r = await tnc('path', '--batch', file('many.jsonl', text));
    const out = r.out.split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(nets.length);
    out.forEach((o, k) => {
      expect(o.id).toBe(`n${k}`);
      const sim = simulate(nets[k], o.path);
      expect(BigInt(o.flops)).toBe(sim.flops);
      expect(BigInt(o.size)).toBe(sim.size);
      expect(o.path).toEqual(contractPath(equationOf(nets[k]), shapesOf(nets[k]), { deterministic: true }).path);
    });
  });

  test('hand-made network files: both formats, integer labels, hyperedges, scalar output, traces, long labels', async () => {
    const cases: [string, Net, string][] = [
      ['{"einsum":{"ixs":[[1,2],[2,3]],"iy":[1,3]},"size":{"1":2,"2":3,"3":4}}', { inputs: [['1', '2'], ['2', '3']], output: ['1', '3'], sizes: { 1: 2, 2: 3, 3: 4 } }, 'omeinsum nested'],
      ['{"ixs":[[1,2],[2,3]],"iy":[],"size":{"1":2,"2":3,"3":4}}', { inputs: [['1', '2'], ['2', '3']], output: [], sizes: { 1: 2, 2: 3, 3: 4 } }, 'omeinsum flat'],
      ['{"inputs":[["a","b"],["a","c"],["a","d"]],"output":["a"],"size_dict":{"a":2,"b":3,"c":4,"d":5}}', { inputs: [['a', 'b'], ['a', 'c'], ['a', 'd']], output: ['a'], sizes: { a: 2, b: 3, c: 4, d: 5 } }, 'hyperedge'],
      ['{"inputs":[["a","a","b"],["b"]],"output":[],"size_dict":{"a":2,"b":3}}', { inputs: [['a', 'a', 'b'], ['b']], output: [], sizes: { a: 2, b: 3 } }, 'trace'],
      ['{"inputs":[["left","mid"],["mid","right"]],"output":["left"],"size_dict":{"left":2,"mid":3,"right":4}}', { inputs: [['l', 'm'], ['m', 'r']], output: ['l'], sizes: { l: 2, m: 3, r: 4 } }, 'long labels'],
      ['{"inputs":[[1,2],[2,3]],"output":[1,3],"size_dict":{"1":2,"2":3,"3":4}}', { inputs: [['1', '2'], ['2', '3']], output: ['1', '3'], sizes: { 1: 2, 2: 3, 3: 4 } }, 'cotengra integers'],
      ['{"inputs":[[],["a"],["a"]],"output":[],"size_dict":{"a":7}}', { inputs: [[], ['a'], ['a']], output: [], sizes: { a: 7 } }, 'scalar input'],
    ];
    for (const [text, net, what] of cases) {
      const r = await tnc('path', '--network', file('hand.json', text), '--json');
      expect(r.code, `${what}: ${r.err}`).toBe(0);
      const j = JSON.parse(r.out);
      const sim = simulate(net, j.path);
      expect(BigInt(j.flops), what).toBe(sim.flops);
      expect(BigInt(j.size), what).toBe(sim.size);
      expect(j.flops, what).toBe(Number(bruteMinFlops(net)));
    }
  });
});

describe('tnc path: errors and exit codes', () => {
  test('bad equations and shapes: file:line:col, the text, a caret under the culprit, exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['ab,bc->ad', '--shapes', '2x3,3x4'], /^equation:1:9: error\[einsum\/unknown-output\][^\n]*\n {2}ab,bc->ad\n {10}\^$/],
      [['ab,bc->aa', '--shapes', '2x3,3x4'], /^equation:1:9: error\[einsum\/repeated-output\][^\n]*\n {2}ab,bc->aa\n {10}\^$/],
      [['ab,bc', '--shapes', '2x3,4x4'], /^equation:1:4: error\[einsum\/size-conflict\][^\n]*\n {2}ab,bc\n {5}\^$/],
      [['ab,bc->a-c', '--shapes', '2x3,3x4'], /^equation:1:9: [^\n]*\n {2}ab,bc->a-c\n {10}\^$/],
      [['ab,bc', '--shapes', '2x3,3xq'], /^--shapes:1:7: error\[shapes\/syntax\][^\n]*\n {2}2x3,3xq\n {8}\^$/],
      [['ab,bc', '--shapes', '2x0,0x4'], /^--shapes:1:3: error\[shapes\/bad-size\]/],
      [['ab,bc', '--shapes', '[[2,3],[3,-4]]'], /^equation:1:5: error\[einsum\/bad-size\]/],
      [['...ab,...bc', '--shapes', '2x3,3x4'], /error\[unsupported\/ellipsis\]/],
      [['ab,bc', '--shapes', '2x3', '--optimizer', 'gredy'], /did you mean 'greedy'/],
    ];
    for (const [args, re] of cases) {
      const r = await tnc('path', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  test('bad flag values are usage errors (exit 1), never ignored', async () => {
    const eq = ['ab,bc->ac', '--shapes', '2x3,3x4'];
    for (const extra of [['--memory-limit', '0'], ['--memory-limit', '-1'], ['--memory-limit', '1.5'], ['--memory-limit', 'abc'], ['--max-time', '-1'], ['--max-time', 'NaN'], ['--seed', '1.5'], ['--minimize', 'speed'], ['--repeats', '0'], ['--width', '0'], ['--subtree-size', '1'], ['--bogus']]) {
      const r = await tnc('path', ...eq, ...extra);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.err, extra.join(' ')).toMatch(new RegExp(extra[0]));
    }
    const both = await tnc('path', ...eq, '--batch', 'x.jsonl');
    expect(both.code).toBe(1);
    expect((await tnc('path', '--batch', join(dir, 'missing.jsonl'))).code).toBe(1);
  });

  test('--memory-limit reports the slices and their overhead, in text and JSON; every slice fits', async () => {
    const r = await tnc('path', 'ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40', '--memory-limit', '100', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.slices.indices.length).toBeGreaterThan(0);
    expect(j.slices.count).toBeGreaterThan(1);
    expect(j.slices.cost.size).toBeLessThanOrEqual(100);
    const t = await tnc('path', 'ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40', '--memory-limit', '100');
    expect(t.out).toMatch(/sliced {8}\S.* \(\d[\d,]* slices, overhead \d+\.\d{3}x\)/);
  });
});

describe('contractPath with a memory limit: slices recomputed independently', () => {
  test('count = product of the sliced sizes; each slice (the network without the sliced indices) fits and costs flops/count', () => {
    let sliced = 0;
    for (const net of fc.sample(netArb, { numRuns: 150, seed: 21 })) {
      const eq = equationOf(net);
      const shapes = shapesOf(net);
      const unsliced = Number(contractPath(eq, shapes, { deterministic: true }).size);
      if (unsliced < 4) continue;
      const limit = Math.floor(unsliced / 4);
      const info = contractPath(eq, shapes, { deterministic: true, memoryLimit: limit });
      expect(BigInt(info.flops)).toBe(simulate(net, info.path).flops);
      if (!info.slices) {
        expect(Number(info.size) <= limit || info.overLimit === true, eq).toBe(true);
        continue;
      }
      sliced++;
      const cut = new Set(info.slices.indices);
      const count = info.slices.indices.reduce((p, i) => p * BigInt(net.sizes[i]), 1n);
      const one = simulate({ inputs: net.inputs.map((t) => t.filter((i) => !cut.has(i))), output: net.output.filter((i) => !cut.has(i)), sizes: net.sizes }, info.path);
      expect(BigInt(info.slices.count), eq).toBe(count);
      expect(BigInt(info.slices.cost.flops), eq).toBe(one.flops * count);
      expect(BigInt(info.slices.cost.size), eq).toBe(one.size);
      expect(one.size <= BigInt(limit), eq).toBe(true);
    }
    expect(sliced).toBeGreaterThan(20);
  });
});

describe('singular and plural in messages', () => {
  test("'1 element', '1 index' in tnc path's report; '1 axis' and '1 index' in einsum errors", async () => {
    const r = await tnc('path', 'a,a->', '--shapes', '4,4');
    expect(r.out).toMatch(/largest intermediate 1 element \(log2/);
    expect(r.out).toMatch(/scaling {7}1 index in the largest step/);
    const s = await tnc('path', 'ab,c->', '--shapes', '[[2,3],[3,4]]');
    expect(s.err).toMatch(/operand 1 has 1 index 'c' but its shape \[3, 4\] has 2 axes/);
    const t = await tnc('path', 'ab,bc->', '--shapes', '[[2,3],[3]]');
    expect(t.err).toMatch(/operand 1 has 2 indices 'bc' but its shape \[3\] has 1 axis\b/);
    const u = await tnc('path', 'ab->', '--shapes', '2x3,3x4');
    expect(u.err).toMatch(/the equation has 1 input term but 2 shapes were given/);
  });

  test("family messages: 'expected 1 rank', 'has 1 site'", async () => {
    const tt = await tnc('check', file('tt1.tn', 'dim i = 2, j = 2\nparam W = tt(legs: [i, j], rank: [2, 3])\nout y[i, j] = W[i, j]\n'));
    expect(tt.code).toBe(1);
    expect(tt.err).toMatch(/expected 1 rank \(one per bond/);
    const peps = await tnc('check', file('peps1.tn', 'dim p{n in 1..3} = 2\nparam P = peps(grid: [[p{1}, p{2}], [p{3}]], bond: 2)\nout y[p{1}, p{2}, p{3}] = P[p{1}, p{2}, p{3}]\n'));
    expect(peps.code).toBe(1);
    expect(peps.err).toMatch(/this row has 1 site, the first has 2/);
  });

  test('info: a scalar output has 1 element', async () => {
    const r = await tnc('info', file('scalar.tn', 'dim i = 3\ninput x[i]\nout s[] = x[i] x[i]\n'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/largest intermediate {2}1 element\n/);
  });
});

describe('__proto__ as a name', () => {
  test('an input, a param or a dim named __proto__ is a check/reserved-name error with a caret (an input was accepted and `{ __proto__: x }` never arrived; a dim crashed)', async () => {
    const cases: [string, string, RegExp][] = [
      ['in.tn', 'dim i = 2\ninput __proto__[i]\nout y[i] = __proto__[i]\n', /in\.tn:2:7: error\[check\/reserved-name\]: `__proto__` cannot name an input[^\n]*\n {2}input __proto__\[i\]\n {8}\^{9}/],
      ['par.tn', 'dim i = 2\nparam __proto__[i]\nout y[i] = __proto__[i]\n', /par\.tn:2:7: error\[check\/reserved-name\]: `__proto__` cannot name a param/],
      ['dim.tn', 'dim __proto__ = 2\ninput x[__proto__]\nout y[__proto__] = x[__proto__]\n', /dim\.tn:1:5: error\[check\/reserved-name\]: `__proto__` cannot name a dim/],
    ];
    for (const [name, source, re] of cases) {
      const r = await tnc('check', file(name, source));
      expect(r.code, name).toBe(1);
      expect(r.err, name).toMatch(re);
      // One finding: no follow-up errors about the refused name's uses.
      expect(r.err, name).toMatch(/: 1 error$/);
      expect(() => compile(source)).toThrow(TncError);
      const run = await tnc('run', file(name, source));
      expect(run.code, name).toBe(1);
    }
  });

  test('constructor, toString and a family named __proto__ still work: they arrive as own properties', () => {
    const mod = compile('dim i = 2\ninput constructor[i]\nparam toString[i]\nparam __proto__ = cp(legs: [i], rank: 1)\nout y[i] = constructor[i] toString[i] __proto__[i]\n', { dtype: 'f64' });
    const fn = mod.functions[mod.spec.outputs[0].export];
    const y = fn({ constructor: new Float64Array([1, 2]), toString: new Float64Array([3, 4]), __proto___A1: new Float64Array([5, 6]) });
    expect([...y]).toEqual([15, 48]);
    expect(() => fn({ toString: new Float64Array([3, 4]), __proto___A1: new Float64Array([5, 6]) })).toThrow(/missing input 'constructor'/);
  });
});

describe('initParams and tnc run arguments', () => {
  const spec = compile('dim i = 3\nparam A[i]\nout y[i] = A[i]\n', { dtype: 'f64' }).spec;

  test('initParams refuses a non-integer seed (1.5 silently gave seed 1)', () => {
    expect(() => initParams(spec, { seed: 1.5 })).toThrow(/seed must be an integer, got 1\.5/);
    expect(() => initParams(spec, { seed: Number.MAX_SAFE_INTEGER + 2 })).toThrow(/seed must be an integer/);
    expect([...initParams(spec, { seed: -4 }).A]).toEqual([...initParams(spec, { seed: -4 }).A]);
    expect([...initParams(spec, { seed: 2 }).A]).not.toEqual([...initParams(spec, { seed: 1 }).A]);
  });

  test('tnc run --dim b=3 --dim b=4 is a usage error (the last value was kept silently); --dim __proto__=3 is no dim', async () => {
    const path = file('run.tn', 'dim b ~ 4, i = 2\ninput x[b, i]\nout y[b] = x[b, i]\n');
    for (const args of [
      ['--dim', 'b=3', '--dim', 'b=4'],
      ['--dim', 'b=3,b=4'],
      ['--dim=b=3', '--dim', 'b=3'],
    ]) {
      const r = await tnc('run', path, ...args, '--repeat', '0');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(/--dim b is given twice/);
    }
    const proto = await tnc('run', path, '--dim', '__proto__=3', '--repeat', '0');
    expect(proto.code).toBe(1);
    expect(proto.err).toMatch(/'__proto__' is not a symbolic dim/);
    const ok = await tnc('run', path, '--dim', 'b=5', '--repeat', '0');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/b=5/);
  });
});

describe('tnc info, graph and check on unusual files', () => {
  const model = [
    '# symbolic dims, a let read by later statements, several outs, families',
    'dim b ~ 32, D ~ 4',
    'dim i = 3, j = 3, k = 5',
    'input x[b, i]',
    'param W = tt(legs: [i, j], rank: D)',
    'param T = cp(legs: [j, k], rank: 2)',
    'let h[b, j] = x[b, i] W[i, j]',
    'out y[b, k] = h[b, j] T[j, k]',
    'out s[] = h[b, j] h[b, j]',
    'out z[b] = 2 * h[b, j] T[j, k] + x[b, i] W[i, j] T[j, k]',
    '',
  ].join('\n');

  test('info shows every statement with a symbolic cost; graph renders every format; check is ok', async () => {
    const path = file('model.tn', model);
    const info = await tnc('info', path);
    expect(info.code, info.err).toBe(0);
    for (const head of ['let h[b,j]', 'out y[b,k]', 'out s[]', 'out z[b] (term 1 of 2, ×2)', 'out z[b] (term 2 of 2)']) expect(info.out).toContain(head);
    expect(info.out).toMatch(/symbolic flops {8}18·D \+ 18·b, scaling O\(D \+ b\)/);
    for (const format of ['svg', 'dot', 'mermaid']) {
      for (const extra of [[], ['--tree'], ['--statement', 'z']]) {
        const g = await tnc('graph', path, '--format', format, ...extra);
        expect(g.code, `${format} ${extra.join(' ')}: ${g.err}`).toBe(0);
        expect(g.out.length).toBeGreaterThan(100);
      }
    }
    expect((await tnc('graph', path, '--statement', 'nope')).code).toBe(1);
    const check = await tnc('check', path);
    expect(check.code).toBe(0);
  });

  test("an unknown tensor's hint lists tensors declared with errors of their own (it said 'no tensor is declared')", async () => {
    const r = await tnc('check', file('hint.tn', 'dim i = 2\ninput weights[i, j]\nout y[i] = weight[i]\n'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown index `j`/);
    expect(r.err).toMatch(/3:12: error\[check\/unknown-tensor\]: unknown tensor `weight`; did you mean `weights`\?/);
  });

  test('check: exit 0 when clean, 1 on errors (also when one of several files fails), 1 on unreadable files', async () => {
    const good = file('good.tn', 'dim i = 2\ninput M[i, i]\nout t[] = M[i, i]\nout d[i] = M[i, i]\n');
    const bad = file('bad.tn', 'dim i = 2\ndim i = 3\ninput x[i, j]\nout y[i] = x[i] q[i]\n');
    expect((await tnc('check', good)).code).toBe(0);
    const r = await tnc('check', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/: 3 errors$/);
    expect((await tnc('check', good, bad)).code).toBe(1);
    expect((await tnc('check', dir)).code).toBe(1);
    expect((await tnc('check', join(dir, 'none.tn'))).code).toBe(1);
    expect((await tnc('info', bad)).code).toBe(1);
    expect((await tnc('graph', bad)).code).toBe(1);
  });
});
