// The user-facing interfaces as an outside user meets them (DESIGN.md "Interfaces that users
// and tests rely on"): regression tests for defects found by checking the CLI, the library
// API and generated modules from the outside.
import { afterAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from '../src/api/compile.js';
import { einsum } from '../src/api/einsum.js';
import { TncError } from '../src/diagnostics.js';
import { contractPath } from '../src/index.js';
import { ratio } from '../src/viz/format.js';
import { initParams } from '../src/ir/init-params.js';
import { main } from '../src/cli.js';
import { captureIO } from './helpers/capture-io.js';
import { referenceEinsum } from './helpers/reference-einsum.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tnc-ui-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Fn = (inputs: Record<string, Float64Array | Float32Array>, dims?: Record<string, number>, out?: Float64Array | Float32Array) => Float64Array | Float32Array;

describe('names that are Object.prototype members', () => {
  const source = [
    'dim toString = 2, valueOf ~ 3',
    'input constructor[toString, valueOf], isPrototypeOf[valueOf]',
    'out hasOwnProperty[valueOf] = constructor[toString, valueOf] isPrototypeOf[valueOf]',
  ].join('\n');

  // `__proto__` itself is refused by the checker (check/reserved-name; see qa-session4b).
  test('dims and tensors named toString/valueOf/constructor/isPrototypeOf compile and compute', () => {
    const m = compile(source, { dtype: 'f64' });
    const f = m.functions[m.spec.outputs[0].export] as Fn;
    const c = Float64Array.from({ length: 6 }, (_, k) => k + 1);
    const p = Float64Array.from([2, -1, 0.5]);
    const inputs = { constructor: c, isPrototypeOf: p };
    const got = f(inputs, { valueOf: 3 });
    const want = referenceEinsum([['t', 'v'], ['v']], ['v'], [{ shape: [2, 3], data: c }, { shape: [3], data: p }]);
    expect([...got]).toEqual([...want]);
    // An empty dims object must not read Object.prototype.toString as the fixed dim's value.
    expect([...f(inputs, { valueOf: 3, toString: 2 })]).toEqual([...want]);
  });

  test('a missing input named after a prototype member is reported as missing', () => {
    const m = compile(source, { dtype: 'f64' });
    const f = m.functions[m.spec.outputs[0].export] as Fn;
    expect(() => f({ isPrototypeOf: new Float64Array(3) }, { valueOf: 3 })).toThrow(/missing input 'constructor'/);
  });
});

describe('initParams on a module spec', () => {
  test("a built module's spec and compile()'s spec give the same seeded params, in the module's dtype, and the module runs on them", async () => {
    const file = join(root, 'examples/tt-layer.tn');
    const io = captureIO();
    expect(await main(['build', file, '--out', dir], io)).toBe(0);
    const mod = (await import(pathToFileURL(join(dir, 'tt-layer.tn.js')).href)) as Record<string, unknown> & { spec: Parameters<typeof initParams>[0] & { dtype: string } };
    const built = initParams(mod.spec, { seed: 7 });
    const compiled = compile(readFileSync(file, 'utf8'), {});
    const inMemory = initParams(compiled.spec, { seed: 7 });
    const params = compiled.spec.inputs.filter((x) => x.role === 'param').map((x) => x.name);
    expect(Object.keys(built).sort()).toEqual([...params].sort());
    for (const name of params) {
      expect(built[name]).toBeInstanceOf(Float32Array);
      expect([...built[name]]).toEqual([...inMemory[name]]);
    }
    expect(initParams(compiled.spec, { seed: 8 })[params[0]]).not.toEqual(built[params[0]]);
    const b = 3;
    const x = Float32Array.from({ length: b * 8 ** 4 }, (_, k) => Math.sin(k));
    const y = (compiled.functions.y as Fn)({ ...inMemory, x }, { b });
    expect(y).toBeInstanceOf(Float32Array);
    expect(y.every(Number.isFinite)).toBe(true);
  });

  test('symbolic dims in param shapes come from options.dims, else the planning hint', () => {
    const spec = compile('dim b ~ 5, i = 2\nparam P[b, i]\ninput x[i]\nout y[b] = P[b, i] x[i]', { dtype: 'f64' }).spec;
    expect(initParams(spec, { seed: 1 }).P).toHaveLength(10);
    const p = initParams(spec, { seed: 1, dims: { b: 3 } }).P;
    expect(p).toBeInstanceOf(Float64Array);
    expect(p).toHaveLength(6);
  });

  test('bad arguments are clear errors', () => {
    const spec = compile('dim i = 2\nparam a[i]\nout s[] = a[i]').spec;
    expect(() => initParams(spec, { seed: 'x' as unknown as number })).toThrow(/seed must be an integer/);
    expect(() => initParams({} as never, { seed: 1 })).toThrow(/module spec/);
  });
});

describe('library arguments are checked, not silently ignored', () => {
  const src = 'dim i = 3\ninput u[i]\nout s[] = u[i]';

  test('compile refuses an unknown dtype or target, a bad memoryLimit and a non-string source', () => {
    expect(() => compile(src, { dtype: 'f16' as never })).toThrow(TncError);
    expect(() => compile(src, { dtype: 'f16' as never })).toThrow(/dtype must be one of 'f32', 'f64', got 'f16'/);
    expect(() => compile(src, { target: 'tpu' as never })).toThrow(/target must be one of 'cpu', 'webgpu', got 'tpu'/);
    expect(() => compile(src, { memoryLimit: -1 })).toThrow(/memoryLimit must be a positive integer/);
    expect(() => compile(src, { memoryLimit: 'x' as never })).toThrow(/memoryLimit must be a positive integer/);
    expect(() => compile(42 as never)).toThrow(/source must be a string/);
    expect(() => compile(src, null as never)).toThrow(/options must be an object/);
    const m = compile(src, { dtype: 'f64', target: 'cpu', memoryLimit: 10 });
    expect([...(m.functions.s as Fn)({ u: new Float64Array([1, 2, 3]) })]).toEqual([6]);
  });

  test('einsum: a non-string equation is a TypeError; data-length messages give exact counts', () => {
    expect(() => einsum(42 as never)).toThrow(/equation must be a string/);
    expect(() => einsum('ab->', { shape: [2 ** 30, 2 ** 30], data: new Float64Array(4) })).toThrow(/needs 1152921504606846976\b/);
  });
});

describe('CLI: files the user names', () => {
  test('a missing or unreadable --batch/--network file is a user error (exit 1, one line, no stack)', async () => {
    for (const args of [
      ['path', '--batch', join(dir, 'missing.jsonl')],
      ['path', '--network', join(dir, 'missing.json')],
      ['path', '--batch', dir],
    ]) {
      const io = captureIO();
      expect(await main(args, io)).toBe(1);
      const text = io.err.join('\n');
      expect(text).toMatch(/^tnc path: cannot read \S+: /);
      expect(text).not.toMatch(/\n\s+at /);
    }
  });

  test('an output directory that cannot be created is a user error', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const io = captureIO();
    expect(await main(['build', join(root, 'examples/mps-norm.tn'), '--out', join(blocker, 'sub')], io)).toBe(1);
    expect(io.err.join('\n')).toMatch(/^tnc build: cannot write .*a-file/);
  });

  test('output piped into a reader that closes early ends quietly', () => {
    const lines = Array.from({ length: 3000 }, (_, k) => JSON.stringify({ id: k, eq: 'ab,bc->ac', shapes: [[2, 3], [3, 4]] }));
    const batch = join(dir, 'many.jsonl');
    writeFileSync(batch, lines.join('\n'));
    const r = spawnSync('bash', ['-c', `set -o pipefail; node --import tsx src/cli.ts path --batch '${batch}' | head -c 10`], { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toHaveLength(10);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.status).toBe(0);
  });
});

describe('generated export names', () => {
  test('Unicode statement names stay readable exports; reserved words get a suffix; every export is an identifier', async () => {
    const source = [
      'dim i = 2',
      'param α[i], A{n in 1..2}[i]',
      'out β[] = α[i] A{1}[i]',
      'out énergie[] = α[i] α[i]',
      'out delete[i] = A{2}[i]',
      'out delete_2[i] = A{1}[i]',
      'out await[] = α[i]',
      'out __proto__[] = α[i]',
    ].join('\n');
    const file = join(dir, 'names.tn');
    writeFileSync(file, source);
    expect(await main(['build', file, '--out', dir], captureIO())).toBe(0);
    const mod = (await import(pathToFileURL(join(dir, 'names.tn.js')).href)) as Record<string, Fn> & { spec: { outputs: { name: string; export: string }[] } };
    const exports = Object.fromEntries(mod.spec.outputs.map((o) => [o.name, o.export]));
    expect(exports).toMatchObject({ β: 'β', énergie: 'énergie', await: 'await_2' });
    expect(exports.delete).not.toBe('delete');
    expect(new Set(Object.values(exports)).size).toBe(mod.spec.outputs.length);
    for (const e of Object.values(exports)) expect(e).toMatch(/^[\p{ID_Start}_$][\p{ID_Continue}$]*$/u);
    const a = new Float32Array([1, 2]);
    expect([...mod.β({ α: a, 'A{1}': new Float32Array([3, 4]) })]).toEqual([11]);
    expect([...mod[exports.delete]({ 'A{2}': a })]).toEqual([1, 2]);
    expect([...mod[exports.__proto__]({ α: a })]).toEqual([3]);
    expect(readFileSync(join(dir, 'names.tn.d.ts'), 'utf8')).toContain('export declare function β(');
  });
});

describe('the source file name in generated code', () => {
  test('a file name with line and paragraph separators cannot break out of the header comment', async () => {
    const sub = join(dir, 'evil');
    mkdirSync(sub, { recursive: true });
    const name = 'x\nthrow 1;\u2028throw 2;\u2029.tn';
    writeFileSync(join(sub, name), 'dim i = 2\ninput a[i]\nout s[] = a[i]\n');
    const io = captureIO();
    expect(await main(['build', join(sub, name), '--out', join(dir, 'evil-out')], io)).toBe(0);
    const js = join(dir, 'evil-out', `${name}.js`);
    expect(readFileSync(js, 'utf8').split('\n')[0]).not.toMatch(/[\u2028\u2029]/);
    const mod = (await import(pathToFileURL(js).href)) as { s: Fn; spec: { source?: string } };
    expect([...mod.s({ a: new Float32Array([1, 2]) })]).toEqual([3]);
    expect(mod.spec.source).toBe(name);
  });

  test('the same holds for the WebGPU target (the module imports without a device)', async () => {
    const sub = join(dir, 'evil-gpu');
    mkdirSync(sub, { recursive: true });
    const name = 'y\nthrow 1;\u2028throw 2;\u2029.tn';
    writeFileSync(join(sub, name), 'dim i = 2\ninput a[i]\nout s[] = a[i]\n');
    const io = captureIO();
    expect(await main(['build', join(sub, name), '--target', 'webgpu', '--out', join(dir, 'evil-gpu-out')], io)).toBe(0);
    const js = join(dir, 'evil-gpu-out', `${name}.js`);
    expect(readFileSync(js, 'utf8').split('\n')[0]).not.toMatch(/[\u2028\u2029]/);
    const mod = (await import(pathToFileURL(js).href)) as { create: unknown; spec: { source?: string } };
    expect(typeof mod.create).toBe('function');
    expect(mod.spec.source).toBe(name);
  });
});

describe('contractPath from the package entry checks its options', () => {
  const shapes = [[2, 3], [3, 4]];
  test.each([
    [{ minimize: 'nope' }, /minimize must be one of 'flops', 'size', 'combo', 'scaling'/],
    [{ memoryLimit: -5 }, /memoryLimit must be a positive integer/],
    [{ optimizer: 42 }, /optimizer must be a name/],
    [{ optimizer: 'gredy' }, /unknown optimizer 'gredy'; did you mean 'greedy'/],
    [{ maxTimeMs: 'x' }, /maxTimeMs must be a non-negative number/],
    [{ seed: 'abc' }, /seed must be an integer/],
  ])('%j is a TncError', (options, message) => {
    expect(() => contractPath('ab,bc->ac', shapes, options as never)).toThrow(TncError);
    expect(() => contractPath('ab,bc->ac', shapes, options as never)).toThrow(message);
  });

  test('valid options still plan, with opt_einsum costs', () => {
    const r = contractPath('ab,bc,cd->ad', [[10, 20], [20, 30], [30, 40]], { optimizer: 'optimal', minimize: 'size', memoryLimit: 1000, maxTimeMs: 1000, seed: 3 });
    expect(r.path).toEqual([[0, 1], [0, 1]]);
    expect(r.flops).toBe(36000);
    expect(contractPath('ab,ab,ab->', [[3, 4], [3, 4], [3, 4]]).flops).toBe(36);
    expect(() => contractPath(7 as never, shapes)).toThrow(/equation must be a string/);
  });
});

describe('tnc info cost ratios', () => {
  test('a naive cost beyond the double range prints a power of ten, not ∞', () => {
    expect(ratio(10n ** 754n * 235n, 254752n)).toBe('9.22e750x');
    expect(ratio(10n ** 400n, 1n)).toBe('1e400x');
    expect(ratio(0n, 5n)).toBe('0.00x');
    expect(ratio(720000n, 36000n)).toBe('20.0x');
  });
});

describe('tnc path text output with very large costs', () => {
  test('integers past 40 digits are summarised in text and exact in --json', async () => {
    // A 60-matrix chain with dims of 1000: the naive cost has about 185 digits.
    const labels = Array.from({ length: 61 }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const eq = `${labels.slice(0, 60).map((l, i) => l + labels[i + 1]).join(',')}->${labels[0]}${labels[60]}`;
    const shapes = Array.from({ length: 60 }, () => '1000x1000').join(',');
    const text = captureIO();
    expect(await main(['path', eq, '--shapes', shapes, '--optimizer', 'greedy'], text)).toBe(0);
    const naiveLine = text.out.join('\n').split('\n').find((l) => l.startsWith('naive flops'))!;
    expect(naiveLine).toMatch(/naive flops\s+\d\.\d{3}e\+\d+ \(\d+ digits; --json gives every digit\)/);
    const json = captureIO();
    expect(await main(['path', eq, '--shapes', shapes, '--optimizer', 'greedy', '--json'], json)).toBe(0);
    const digits = /"naiveFlops":\s*(\d+)/.exec(json.out.join(''))![1];
    expect(digits.length).toBeGreaterThan(40);
    expect(naiveLine).toContain(`(${digits.length} digits;`);
    expect(naiveLine).toContain(`${digits[0]}.${digits.slice(1, 4)}e+${digits.length - 1}`);
  });
});

describe('tnc info with very large costs', () => {
  test('a naive cost of many digits is shown compactly with its digit count', async () => {
    const file = join(dir, 'long-chain.tn');
    writeFileSync(
      file,
      ['const N = 80', 'dim p{n in 1..N} = 2', 'dim a{n in 1..N+1} = 64', 'param M{n in 1..N}[a{n}, p{n}, a{n+1}]', 'out s[a{1}, a{81}] = prod(n in 1..N) M{n}[a{n}, p{n}, a{n+1}]'].join('\n'),
    );
    const io = captureIO();
    expect(await main(['info', file], io)).toBe(0);
    const line = io.out.join('\n').split('\n').find((l) => l.includes('naive cost'))!;
    // opt_einsum naive cost: 64^81 · 2^80 · 80 (80 operands, summed) ≈ 1.93e172, 173 digits.
    expect(line).toMatch(/naive cost\s+1\.93e172 \(173 digits\), /);
  });
});
