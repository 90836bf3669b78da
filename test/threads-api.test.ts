// Worker-thread GEMM as users reach it: setCpuThreads for compile() and einsum, the generated
// module's setThreads export, and `tnc run --threads`. With threads, results equal the
// one-thread results bit for bit (and the reference within tolerance); the pool is shown to
// have run the products; bad counts are located errors; processes exit with the pool alive.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, einsum, setCpuThreads, TncError } from '../src/index.js';
import { buildModule } from '../src/build.js';
import { main } from '../src/cli.js';
import type { CliIO } from '../src/cli/io.js';
import { AUTO_THREADS_MAX, chooseGemm, gemmThreadsInfo, THREADS_MIN_WORK } from '../src/backends/cpu/gemm.js';
import { randomData } from './helpers/arbitraries.js';
import { maxRelError, referenceEinsum, splitEquation } from './helpers/reference-einsum.js';

const root = join(import.meta.dirname, '..');

/** Bitwise equality of two result arrays (NaN and −0 included). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

// x·W with the batch folded into the rows: 4·192 × 96, k = 128 (9.4M madds, above the threshold);
// the chain x·W·V likewise (whichever order the planner picks, one product is above it).
const MODEL = `dim i = 192, k = 128, j = 96, l = 96
dim b ~ 4
input x[b, i, k]
param W[k, j], V[j, l]
out y[b, i, j] = x[b, i, k] W[k, j]
out z[b, i, l] = x[b, i, k] W[k, j] V[j, l]
`;
const B = 4, I = 192, K = 128, J = 96, L = 96;

const BAD = [0, -1, 2.5, 'x', '2', NaN, Infinity, null, undefined];

describe('setCpuThreads (compile and einsum)', () => {
  afterAll(async () => {
    await setCpuThreads(1);
  });

  it('rejects anything but a positive integer or \'auto\' with a located options/threads error', async () => {
    for (const bad of BAD) {
      const e = await setCpuThreads(bad as never).then(() => undefined, (err: unknown) => err);
      expect(e, String(bad)).toBeInstanceOf(TncError);
      expect((e as TncError).diagnostics[0].code).toBe('options/threads');
      expect((e as TncError).message).toContain("threads must be a positive integer or 'auto'");
    }
    // A rejected request leaves the setting as it was.
    expect(gemmThreadsInfo().threads).toBe(1);
  });

  it('compiled functions give the same bits with two threads, the pool runs their products, 1 turns it off', async () => {
    expect(chooseGemm(B * I, J, K)).not.toBe('threads');
    let exact: { y: Float64Array; z: Float64Array } | undefined;
    for (const dtype of ['f64', 'f32'] as const) {
      const T = dtype === 'f64' ? Float64Array : Float32Array;
      const mod = compile(MODEL, { dtype });
      const inputs = { x: randomData(B * I * K, 1, T), W: randomData(K * J, 2, T), V: randomData(J * L, 3, T) };
      const y1 = mod.functions.y(inputs, { b: B }).slice();
      const z1 = mod.functions.z(inputs, { b: B }).slice();

      expect(await setCpuThreads(2)).toBe(2);
      expect(chooseGemm(B * I, J, K)).toBe('threads');
      const before = gemmThreadsInfo().products;
      const y2 = mod.functions.y(inputs, { b: B });
      const afterY = gemmThreadsInfo().products;
      const z2 = mod.functions.z(inputs, { b: B });
      expect(afterY).toBeGreaterThan(before);
      expect(gemmThreadsInfo().products).toBeGreaterThan(afterY);
      expect(sameBits(y2, y1)).toBe(true);
      expect(sameBits(z2, z1)).toBe(true);

      // And right: y against the reference, z as (x·W)·V from the reference's own steps (in
      // f64 once, the same data rounded to f32 after).
      if (exact === undefined) {
        const xw = referenceEinsum([['b', 'i', 'k'], ['k', 'j']], ['b', 'i', 'j'], [{ shape: [B, I, K], data: inputs.x }, { shape: [K, J], data: inputs.W }]);
        exact = { y: xw, z: referenceEinsum([['b', 'i', 'j'], ['j', 'l']], ['b', 'i', 'l'], [{ shape: [B, I, J], data: xw }, { shape: [J, L], data: inputs.V }]) };
      }
      expect(maxRelError(y2, exact.y)).toBeLessThan(dtype === 'f64' ? 1e-12 : 1e-4);
      expect(maxRelError(z2, exact.z)).toBeLessThan(dtype === 'f64' ? 1e-11 : 1e-3);

      expect(await setCpuThreads(1)).toBe(1);
      expect(chooseGemm(B * I, J, K)).not.toBe('threads');
      expect(sameBits(mod.functions.y(inputs, { b: B }), y1)).toBe(true);
    }
  });

  it('einsum over random GEMM-shaped equations above the threshold: same bits with two threads, close to the reference', async () => {
    const equations = ['ab,bc->ac', 'ba,bc->ac', 'ab,cb->ac', 'ab,bc->ca', 'ab,bc->a'];
    const arb = fc.record({
      eq: fc.constantFrom(...equations),
      a: fc.integer({ min: 192, max: 320 }),
      b: fc.integer({ min: 128, max: 192 }),
      c: fc.integer({ min: 160, max: 256 }),
      f32: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1000 }),
    }).filter((s) => s.a * s.b * s.c >= THREADS_MIN_WORK && s.a * s.b * s.c < 1.25 * THREADS_MIN_WORK);
    const cases = fc.sample(arb, { seed: 20261126, numRuns: 4 });
    const operandsOf = (s: (typeof cases)[number]) => {
      const { inputs } = splitEquation(s.eq);
      const size: Record<string, number> = { a: s.a, b: s.b, c: s.c };
      return inputs.map((ixs, t) => {
        const shape = ixs.map((ix) => size[ix]);
        return { shape, data: randomData(shape.reduce((p, q) => p * q, 1), s.seed + t, s.f32 ? Float32Array : Float64Array) };
      });
    };
    const one = cases.map((s) => einsum(s.eq, ...operandsOf(s)).data.slice());
    // 'auto' is the machine's cores, capped.
    expect(await setCpuThreads('auto')).toBe(Math.min(availableParallelism(), AUTO_THREADS_MAX));
    expect(await setCpuThreads(2)).toBe(2);
    const before = gemmThreadsInfo().products;
    cases.forEach((s, n) => {
      const ops = operandsOf(s);
      const two = einsum(s.eq, ...ops);
      expect(sameBits(two.data, one[n]), JSON.stringify(s)).toBe(true);
      const { inputs, output } = splitEquation(s.eq);
      expect(maxRelError(two.data, referenceEinsum(inputs, output, ops))).toBeLessThan(s.f32 ? 1e-4 : 1e-12);
    });
    // At least the 'ab,bc->ac' shaped ones were split (the planner may orient others so m is small).
    expect(gemmThreadsInfo().products).toBeGreaterThan(before);
    await setCpuThreads(1);
  });

  it('a model whose products are all too small to pay (Tucker 64³ from 16³) runs the one-thread path with a pool: no pool products, same bits', async () => {
    const shapes = [[16, 16, 16], [64, 16], [64, 16], [64, 16]];
    const ops = shapes.map((shape, t) => ({ shape, data: randomData(shape.reduce((p, q) => p * q, 1), 40 + t, Float64Array) }));
    const one = einsum('abc,ia,jb,kc->ijk', ...ops).data.slice();
    expect(await setCpuThreads(2)).toBe(2);
    const before = gemmThreadsInfo().products;
    const two = einsum('abc,ia,jb,kc->ijk', ...ops).data;
    expect(gemmThreadsInfo().products).toBe(before);
    expect(sameBits(two, one)).toBe(true);
    await setCpuThreads(1);
  });

  it('concurrent changes apply in call order and end with the last one', async () => {
    const results = await Promise.all([setCpuThreads(2), setCpuThreads(3), setCpuThreads(1), setCpuThreads(2)]);
    expect(results).toEqual([2, 3, 1, 2]);
    expect(gemmThreadsInfo().threads).toBe(2);
    await setCpuThreads(1);
    expect(gemmThreadsInfo().threads).toBe(1);
  });
});

describe('generated module setThreads and tnc run --threads (child processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-threads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a built module gives the same bits after setThreads(2), rejects bad counts, and its process exits with the pool alive', () => {
    const built = buildModule(MODEL, 'model.tn', { target: 'cpu', dtype: 'f64' });
    expect(built.value).toBeDefined();
    expect(built.value!.dts).toContain("export declare function setThreads(threads: number | 'auto'): Promise<number>;");
    writeFileSync(join(dir, 'model.js'), built.value!.js);
    writeFileSync(join(dir, 'child.mjs'), `
import { y, z, setThreads } from './model.js';
function data(n, seed) { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = Math.sin(seed * 1000 + i); return a; }
const inputs = { x: data(${B * I * K}, 1), W: data(${K * J}, 2), V: data(${J * L}, 3) };
const y1 = y(inputs, { b: ${B} }).slice(), z1 = z(inputs, { b: ${B} }).slice();
const threads = await setThreads(2);
const y2 = y(inputs, { b: ${B} }), z2 = z(inputs, { b: ${B} });
const same = (p, q) => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
const bad = [];
for (const v of [0, -1, 2.5, 'x']) {
  try { await setThreads(v); bad.push('accepted'); } catch (e) { bad.push(e.name + ': ' + e.message); }
}
let sum = 0;
for (const v of z2) sum += v;
console.log(JSON.stringify({ threads, sameY: same(y1, y2), sameZ: same(z1, z2), sum, bad, end: Date.now() }));
`);
    const child = spawnSync(process.execPath, [join(dir, 'child.mjs')], { cwd: dir, encoding: 'utf8', timeout: 60000 });
    const exited = Date.now();
    expect(child.stderr).toBe('');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout) as { threads: number; sameY: boolean; sameZ: boolean; sum: number; bad: string[]; end: number };
    expect(out.threads).toBe(2);
    expect(out.sameY).toBe(true);
    expect(out.sameZ).toBe(true);
    expect(Number.isFinite(out.sum)).toBe(true);
    expect(out.bad).toEqual([
      "RangeError: threads must be a positive integer or 'auto', got 0",
      "RangeError: threads must be a positive integer or 'auto', got -1",
      "RangeError: threads must be a positive integer or 'auto', got 2.5",
      "RangeError: threads must be a positive integer or 'auto', got 'x'",
    ]);
    // Live workers must not hold the process: it ends right after its last line.
    expect(exited - out.end).toBeLessThan(3000);
  });

  it('a statement named setThreads is exported under another name, beside the module\'s own setThreads', () => {
    const built = buildModule('dim i = 2\ninput a[i]\nout setThreads[] = a[i]\n', 'names.tn', { target: 'cpu', dtype: 'f64' });
    expect(built.value!.js).toContain('export function setThreads_2(');
    expect(built.value!.js).toContain('export function setThreads(threads)');
    expect(built.value!.dts).toContain('export declare function setThreads_2(');
  });

  it('tnc run --threads 2 prints the count in use and the same results as one thread, and exits', async () => {
    const src = join(dir, 'model.tn');
    writeFileSync(src, MODEL);
    const two = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'run', src, '--repeat', '1', '--threads', '2'], { cwd: root, encoding: 'utf8', timeout: 60000 });
    expect(two.stderr).toBe('');
    expect(two.signal).toBeNull();
    expect(two.status).toBe(0);
    expect(two.stdout).toContain('threads 2');
    // One thread, in this process (the library's default).
    const out: string[] = [];
    const io: CliIO = { cwd: root, stdout: (t) => out.push(t), stderr: (t) => out.push(t), readFile: () => MODEL, writeFile: () => undefined };
    expect(await main(['run', src, '--repeat', '1'], io)).toBe(0);
    const sums = (text: string) => text.split('\n').filter((l) => l.includes(' sum ')).map((l) => l.replace(/first call.*$/, ''));
    expect(sums(out.join('\n'))).toHaveLength(2);
    expect(sums(two.stdout)).toEqual(sums(out.join('\n')));
  });
});

describe('tnc run --threads: usage errors', () => {
  function memoryIO(): CliIO & { out: string[]; err: string[] } {
    const out: string[] = [], err: string[] = [];
    return { out, err, cwd: '/', stdout: (t) => out.push(t), stderr: (t) => err.push(t), readFile: () => MODEL, writeFile: () => undefined };
  }

  it('bad --threads values exit 1 with a usage message; --help documents the flag', async () => {
    for (const bad of ['0', '-1', '2.5', 'x', '']) {
      const io = memoryIO();
      expect(await main(['run', 'model.tn', '--threads', bad], io)).toBe(1);
      expect(io.err.join('\n')).toContain(`tnc run: --threads must be a positive integer or 'auto', got '${bad}'`);
      expect(io.err.join('\n')).toContain("Run 'tnc run --help' for usage.");
    }
    const help = memoryIO();
    expect(await main(['run', '--help'], help)).toBe(0);
    expect(help.out.join('\n')).toContain('--threads N|auto');
  });
});
