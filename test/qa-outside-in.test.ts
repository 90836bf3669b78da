// Regression tests for defects found by using tnc from the outside, exactly as DESIGN.md and
// the issues describe it (CLI, library API, generated modules), on inputs of our own.
import { afterAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from '../src/api/compile.js';
import { einsum } from '../src/api/einsum.js';
import { MAX_RENDERED, render, SourceFile, TncError } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import { main } from '../src/cli.js';
import { tncEsbuild } from '../src/plugin/index.js';
import { formatPathReport } from '../src/cli/path.js';
import { checkMemory } from '../src/cli/run.js';
import { contractPath } from '../src/index.js';
import { reportProgram } from '../src/viz/info-report.js';
import { statementNeeds } from '../src/backends/module-spec.js';
import { formatInfoText } from '../src/viz/info-text.js';
import { captureIO } from './helpers/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'tnc-qa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Fn = (inputs: Record<string, Float64Array | Float32Array>, dims?: Record<string, number>, out?: Float64Array | Float32Array) => Float64Array | Float32Array;

describe('statements named then or __proto__', () => {
  const source = 'dim i = 2\nparam a[i]\nout then[i] = a[i]\nout __proto__[i] = 2 * a[i]\n';
  const a = new Float64Array([1, 2]);

  test('a built module with `out then` imports (its namespace is no thenable) and computes', async () => {
    const file = join(dir, 'then.tn');
    writeFileSync(file, source);
    const io = captureIO();
    expect(await main(['build', file, '--dtype', 'f64', '--out', dir], io)).toBe(0);
    const mod = (await import(pathToFileURL(join(dir, 'then.tn.js')).href)) as Record<string, unknown> & {
      spec: { outputs: { name: string; export: string }[] };
    };
    expect(mod.then).toBeUndefined();
    const exports = Object.fromEntries(mod.spec.outputs.map((o) => [o.name, o.export]));
    expect(exports.then).not.toBe('then');
    expect(exports.__proto__).not.toBe('__proto__');
    expect([...(mod[exports.then] as Fn)({ a })]).toEqual([1, 2]);
    expect([...(mod[exports.__proto__] as Fn)({ a })]).toEqual([2, 4]);
  });

  test("compile()'s module is no thenable and keeps __proto__'s function as an own property", async () => {
    const mod = compile(source, { dtype: 'f64' });
    await expect(Promise.resolve(mod).then(() => 'resolved')).resolves.toBe('resolved');
    const exports = mod.spec.outputs.map((o) => o.export);
    for (const e of exports) {
      expect(Object.prototype.hasOwnProperty.call(mod, e)).toBe(true);
      expect(typeof mod[e]).toBe('function');
    }
    expect(Object.getPrototypeOf(mod)).not.toBeInstanceOf(Function);
  });
});

describe('tnc path --network: bad files point at the offending value', () => {
  const run = async (name: string, text: string): Promise<{ code: number; err: string }> => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const io = captureIO();
    const code = await main(['path', '--network', file], io);
    return { code, err: io.err.join('') };
  };

  test('a repeated output label is an error (was planned as the einsum ab,bc->aa)', async () => {
    const r = await run('rep.json', '{"inputs": [["a","b"],["b","c"]], "output": ["a","a"], "size_dict": {"a":10,"b":20,"c":3}}');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rep\.json:1:50: error\[network\/output\]: output label "a" appears twice/);
    expect(r.err.split('\n')[2]).toBe(' '.repeat(2 + 49) + '^^^');
  });

  test('sizes, labels and output labels get line:col spans in pretty-printed JSON', async () => {
    const pretty = (sizes: string, output = '["a"]', second = '["b", "c"]'): string =>
      `{\n  "inputs": [\n    ["a", "b"],\n    ${second}\n  ],\n  "output": ${output},\n  "size_dict": ${sizes}\n}\n`;
    const cases: [string, string, RegExp, string][] = [
      ['missing.json', pretty('{"a": 2, "b": 3}'), /missing\.json:4:11: error\[network\/size\]: label "c" has no size/, '"c"'],
      ['frac.json', pretty('{"a": 2, "b": 2.5, "c": 4}'), /frac\.json:7:30: error\[network\/size\]: label "b" has size 2\.5/, '2.5'],
      ['str.json', pretty('{"a": 2, "b": "3", "c": 4}'), /str\.json:7:30: error\[network\/size\]: label "b" has size "3"/, '"3"'],
      ['out.json', pretty('{"a": 2, "b": 3, "c": 4, "z": 1}', '["a", "z"]'), /out\.json:6:19: error\[network\/output\]: output label "z" appears in no tensor/, '"z"'],
      ['label.json', pretty('{"a": 2, "b": 3}', '["a"]', '["b", null]'), /label\.json:4:11: error\[network\/format\]: tensor 1 has a label null/, 'null'],
      ['dict.json', pretty('[2, 3]'), /dict\.json:7:16: error\[network\/format\]: size_dict must be an object/, '[2, 3]'],
      ['proto.json', pretty('{"a": 2, "b": 3}', '["a"]', '["b", "constructor"]'), /proto\.json:4:11: error\[network\/size\]: label "constructor" has no size/, '"constructor"'],
    ];
    for (const [name, text, message, value] of cases) {
      const r = await run(name, text);
      expect(r.code, name).toBe(1);
      expect(r.err, name).toMatch(message);
      const [, line, caret] = r.err.split('\n');
      const col = caret.indexOf('^');
      expect(line.slice(col, col + value.length), name).toBe(value);
      expect(caret.trim(), name).toBe('^'.repeat(value.length));
    }
  });

  test('OMEinsum files: spans inside einsum.ixs / iy and for string-keyed sizes', async () => {
    const r = await run('om.json', '{"einsum": {"ixs": [[1, 2], [2, 3]], "iy": [1, 1]}, "size": {"1": 2, "2": 3, "3": 4}}');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/om\.json:1:48: error\[network\/output\]: output label "1" appears twice in einsum\.iy/);
    const s = await run('om2.json', '{"ixs": [["a\\"b", 2]], "iy": [], "size": {"a\\"b": 0, "2": 3}}');
    expect(s.err).toMatch(/om2\.json:1:51: error\[network\/size\]: label "a\\"b" has size 0/);
  });
});

describe('a dim with a bad size is reported once, not again at every use', () => {
  const codes = (text: string): string[] => analyze(SourceFile.from('x.tn', text)).diagnostics.map((d) => d.code);
  test.each([
    ['dim i = 2.5\nparam A[i]\nout y[] = A[i]\n', ['check/not-integer']],
    ['dim i = 0, j = 3\nparam A[i, j], B[j]\nout y[] = A[i, j] B[j]\nout z[] = B[j]\n', ['check/bad-size']],
    ['dim i = 99999999999999999999\nparam A[i]\nout y[] = A[i]\n', ['limit/unsafe-integer']],
    ['dim i = -2\ndim j = 2\nparam T = cp(legs: [i, j], rank: 2)\nout y[i, j] = T[i, j]\n', ['check/bad-size']],
    ['const N = 3\ndim m{n in 1..N} = n - 2\nparam A{n in 1..N}[m{n}]\nout y[] = prod(n in 1..N) A{n}[m{n}]\n', ['check/bad-size']],
  ])('%j', (text, want) => {
    expect(codes(text)).toEqual(want);
  });

  test('an index that was never declared is still reported beside a bad dim', () => {
    expect(codes('dim i = 0\nparam A[i]\ndim j = 2\nparam B[j]\nout y[] = B[k]\n')).toEqual(['check/bad-size', 'check/unknown-index']);
  });
});

describe('tnc/plugin under esbuild: a broken .tn fails with its diagnostics', () => {
  const build = async (entry: string, files: Record<string, string>): Promise<string> => {
    const esbuild = await import('esbuild');
    const sub = mkdtempSync(join(dir, 'esb-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
    writeFileSync(join(sub, 'entry.js'), entry);
    try {
      await esbuild.build({ entryPoints: [join(sub, 'entry.js')], bundle: true, format: 'esm', write: false, plugins: [tncEsbuild()], logLevel: 'silent' });
      return 'built';
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };

  test('a check error (was: "Do not know how to load path")', async () => {
    const msg = await build("import m from './bad.tn';\nconsole.log(m);\n", { 'bad.tn': 'dim i = 2\nparam A[i]\nout y[] = A[j]\n' });
    expect(msg).not.toMatch(/Do not know how to load/);
    expect(msg).toMatch(/bad\.tn:3:13: error\[check\/unknown-index\]: unknown index `j`/);
  });

  test('a bad import query and an unreadable file', async () => {
    const query = await build("import m from './ok.tn?target=gpu';\nconsole.log(m);\n", { 'ok.tn': 'dim i = 2\nparam A[i]\nout y[] = A[i]\n' });
    expect(query).toMatch(/unknown target 'gpu' in import query/);
    expect(query).not.toMatch(/Do not know how to load/);
    const missing = await build("import m from './gone.tn';\nconsole.log(m);\n", {});
    expect(missing).toMatch(/cannot read .*gone\.tn/);
  });
});

describe('tnc path with --memory-limit reports what runs', () => {
  test('the text report gives the flops over all slices and the per-slice largest intermediate', async () => {
    const io = captureIO();
    expect(await main(['path', 'ab,bc,cd,de->ae', '--shapes', '16x16,16x16,16x16,16x16', '--memory-limit', '64'], io)).toBe(0);
    const text = io.out.join('');
    expect(text).toMatch(/largest intermediate 256 elements/);
    expect(text).toMatch(/sliced {8}a \(16 slices, overhead 1\.000x\)\n {2}all slices {2}24,576 flops, largest intermediate 16 elements per slice/);
  });

  test('--memory-limit 0 is a usage error, as in tnc build and contractPath (it planned and printed "exceeded")', async () => {
    const io = captureIO();
    expect(await main(['path', 'ab,bc->ac', '--shapes', '4x4,4x4', '--memory-limit', '0'], io)).toBe(1);
    expect(io.err.join('')).toMatch(/--memory-limit must be a positive integer \(elements\), got '0'/);
    expect(io.out).toEqual([]);
  });

  test('--network: sliced indices are named by the file\'s labels, and --json maps renamed labels back', async () => {
    // A 4-cycle of matrices with multi-character labels (renamed to letters for the equation).
    const file = join(dir, 'ring.json');
    const inputs = [['x0', 'x1'], ['x1', 'x2'], ['x2', 'x3'], ['x3', 'x0']];
    writeFileSync(file, JSON.stringify({ inputs, output: ['x0', 'x2'], size_dict: { x0: 16, x1: 16, x2: 16, x3: 16 } }));
    const json = captureIO();
    expect(await main(['path', '--network', file, '--memory-limit', '64', '--json'], json)).toBe(0);
    const report = JSON.parse(json.out.join('')) as { equation: string; labels: Record<string, string>; slices: { indices: string[] } };
    expect(report.labels).toEqual({ a: 'x0', b: 'x1', c: 'x2', d: 'x3' });
    expect(report.equation).toBe('ab,bc,cd,da->ac');
    expect(report.slices.indices.length).toBeGreaterThan(0);
    for (const l of report.slices.indices) expect(Object.values(report.labels)).toContain(l);
    const text = captureIO();
    expect(await main(['path', '--network', file, '--memory-limit', '64'], text)).toBe(0);
    expect(text.out.join('')).toMatch(new RegExp(`sliced {8}${report.slices.indices.join(', ')} \\(`));
    // Single-character labels are kept, and no "labels" field is written.
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ inputs: [['a', 'b'], ['b', 'c']], output: ['a', 'c'], size_dict: { a: 2, b: 3, c: 4 } }));
    const p = captureIO();
    expect(await main(['path', '--network', plain, '--json'], p)).toBe(0);
    expect(JSON.parse(p.out.join(''))).not.toHaveProperty('labels');
  });
});

describe('tensors past the CPU element cap are user errors, not internal ones', () => {
  const big = 'dim i = 100000, j = 100000\ninput a[i], b[j]\nout small[] = a[i] b[j]\nout o[i, j] = a[i] b[j]\n';

  test('tnc build fails with a located limit/too-large error (it built a module whose every call threw)', async () => {
    const file = join(dir, 'big.tn');
    writeFileSync(file, big);
    const io = captureIO();
    expect(await main(['build', file, '--out', join(dir, 'big-out')], io)).toBe(1);
    const err = io.err.join('');
    expect(err).toMatch(/big\.tn:4:1: error\[limit\/too-large\]: `o` needs a tensor of 10000000000 elements \(its output, \[i, j\]\), more than the 2147483647/);
    expect(err).not.toMatch(/small/);
  });

  test('compile() throws the same TncError; an input past the cap is named', () => {
    expect(() => compile(big)).toThrow(/error\[limit\/too-large\]: `o` needs a tensor of 10000000000 elements/);
    expect(() => compile('dim i = 100000, j = 30000\ninput W[i, j]\nout s[] = W[i, j]\n')).toThrow(/input `W`, \[i, j\]/);
    // Symbolic dims are sized at call time: compiling works, the call reports the cap.
    const m = compile('dim b ~ 4, i = 100000\ninput x[b]\nparam a[i]\nout o[b, i] = x[b] a[i]\n', { dtype: 'f32' });
    const f = m.functions[m.spec.outputs[0].export] as Fn;
    expect(() => f({ x: new Float32Array(30000), a: new Float32Array(100000) }, { b: 30000 })).toThrow(RangeError);
  });

  test('tnc run: a fixed-size model past the cap and --dim values past it exit 1 without a stack trace', async () => {
    const file = join(dir, 'big-run.tn');
    writeFileSync(file, big);
    const fixed = captureIO();
    expect(await main(['run', file], fixed)).toBe(1);
    expect(fixed.err.join('')).toMatch(/limit\/too-large/);
    const sym = join(dir, 'sym-run.tn');
    writeFileSync(sym, 'dim b ~ 4, i = 100000\ninput x[b]\nparam a[i]\nout o[b, i] = x[b] a[i]\n');
    const cap = captureIO();
    expect(await main(['run', sym, '--dim', 'b=30000'], cap)).toBe(1);
    expect(cap.err.join('')).toMatch(/tnc run: the model does not fit at these sizes: .*3000000000 elements/);
    const alloc = captureIO();
    expect(await main(['run', sym, '--dim', 'b=100000000000'], alloc)).toBe(1);
    expect(alloc.err.join('')).toMatch(/tnc run: the model does not fit at these sizes/);
    expect(alloc.err.join('')).not.toMatch(/internal error|\n\s+at /);
  });

  test('tnc run: tensors each below the cap but together past half the machine memory are refused before allocating', () => {
    // 16 GiB of inputs and outputs (each tensor 1 GiB, below the element cap) on a machine of 24 GiB.
    const shapes = Array.from({ length: 16 }, () => [2 ** 27]);
    expect(() => checkMemory(shapes, 8, 24 * 2 ** 30)).toThrow(/its inputs and outputs alone take 16\.0 GiB, more than half of this machine's 24\.0 GiB/);
    expect(() => checkMemory(shapes, 8, 40 * 2 ** 30)).not.toThrow();
    // A tensor past the element cap is left to the call's own (more precise) error.
    expect(() => checkMemory([[2 ** 31]], 8, 2 ** 30)).not.toThrow();
  });
});

describe('einsum() edge cases', () => {
  test('no operands after a scalar call with the same equation is an operand-count error (the path cache key joined both to "")', () => {
    const scalar = { shape: [], data: new Float64Array([3]) };
    expect([...einsum('->', scalar).data]).toEqual([3]);
    expect(() => einsum('->')).toThrow(TncError);
    expect(() => einsum('->')).toThrow(/einsum\/operand-count/);
  });

  test('a result between the CPU cap (2^31 - 1) and 2^32 is a limit/too-large TncError, not a RangeError from the runtime', () => {
    const v = { shape: [60000], data: new Float32Array(60000) };
    expect(() => einsum('i,j->ij', v, v)).toThrow(TncError);
    expect(() => einsum('i,j->ij', v, v)).toThrow(/limit\/too-large.*3600000000 elements/);
  });
});

describe('rendered source lines', () => {
  const one = (text: string, start: number, end: number): string[] =>
    render(SourceFile.from('f.tn', text), [{ code: 'x/y', severity: 'error', message: 'm', span: { start, end } }]).split('\n');

  test('a lone \\r ends a line (old Mac files were one line with raw carriage returns echoed)', () => {
    const text = 'dim i = 4\rparam A[i]\rout y[] = A[k]\r';
    const at = text.indexOf('k]');
    expect(one(text, at, at + 1)).toEqual(['f.tn:3:13: error[x/y]: m', '  out y[] = A[k]', '              ^']);
    expect(SourceFile.from('f', 'a\r\nb\rc\nd').lineStarts).toEqual([0, 3, 5, 7]);
  });

  test('control characters are not echoed to the terminal (escape sequences from the file)', () => {
    const text = 'out y[] = A[k] \u001b[31mred\u0007';
    const [, line, caret] = one(text, 15, 16);
    expect(line).toBe('  out y[] = A[k] \ufffd[31mred\ufffd');
    expect(caret).toBe('  ' + ' '.repeat(15) + '^');
  });

  test('a very long line (minified JSON) is echoed as a window around the caret', () => {
    const text = `{"a": [${Array.from({ length: 400 }, (_, k) => k).join(', ')}]}`;
    const at = text.indexOf('250');
    const [head, line, caret] = one(text, at, at + 3);
    expect(head).toBe(`f.tn:1:${at + 1}: error[x/y]: m`);
    expect(line.length).toBeLessThan(200);
    expect(line.startsWith('  …')).toBe(true);
    expect(line.endsWith('…')).toBe(true);
    const col = caret.indexOf('^');
    expect(line.slice(col, col + 3)).toBe('250');
    expect(caret.trim()).toBe('^^^');
    // Short lines are unchanged.
    expect(one('abc def', 4, 7)).toEqual(['f.tn:1:5: error[x/y]: m', '  abc def', '      ^^^']);
  });
});

describe('large comprehensions', () => {
  const chain = (n: number, decl = n + 1): string =>
    `const N = ${n}\ndim a{k in 1..${decl}} = 2\nparam M{k in 1..N}[a{k}, a{k+1}]\nout y[a{1}, a{N+1}] = prod(k in 1..N) M{k}[a{k}, a{k+1}]\n`;

  test('a 60000-factor prod checks in seconds (the product was copied per factor: quadratic)', () => {
    const t0 = performance.now();
    const r = analyze(SourceFile.from('chain.tn', chain(60000)));
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.statements[0].terms[0].network.tensors.length).toBe(60000);
    expect(performance.now() - t0).toBeLessThan(20000);
    // The module spec lists the statement's inputs in linear time (it scanned a list per tensor).
    const t1 = performance.now();
    const needs = statementNeeds(r.value!, r.value!.statements[0]);
    expect(needs.inputs).toHaveLength(60000);
    expect(needs.inputs[59999]).toBe('M{60000}');
    expect(performance.now() - t1).toBeLessThan(500);
  });

  test('a declaration past the unroll limit is one error, not one per use (was 400002 errors, then a stack overflow)', () => {
    const r = analyze(SourceFile.from('chain.tn', chain(100000)));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['limit/too-many-elements']);
  });

  test('an unknown index inside a comprehension is one error with a count of the other values', () => {
    const r = analyze(SourceFile.from('q.tn', 'dim a = 2\nparam M{k in 1..500}[q{k}]\nout y[] = M{1}[a]\n'));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].code).toBe('check/unknown-index');
    expect(r.diagnostics[0].message).toMatch(/q\{1\}/);
    expect(r.diagnostics[0].notes?.at(-1)?.message).toBe('and 499 more like it here, for other values of the enclosing ranges');
  });
});

describe('reports of networks with ~140k tensors do not overflow the call stack', () => {
  const many = 140_000;

  test('tnc info text (push(...rows) threw RangeError: Maximum call stack size exceeded, exit 2)', () => {
    const program = analyze(SourceFile.from('x.tn', 'dim i = 2\nparam A[i, i], B[i]\nout y[i] = A[i, i] B[i]\n')).value!;
    const report = reportProgram(program, { optimizer: 'greedy' });
    const term = report.terms[0];
    const big = { ...report, terms: [{ ...term, tensors: Array(many).fill(term.tensors[0]), steps: Array(many).fill(term.steps[0]) }] };
    const text = formatInfoText(big, 'x.tn');
    expect(text.split('\n').length).toBeGreaterThan(2 * many);
  });

  test('tnc path text (Math.max(...rows) threw)', () => {
    const info = contractPath('ab,bc->ac', [[2, 3], [3, 4]], { optimizer: 'greedy' });
    const text = formatPathReport({ ...info, steps: Array(many).fill(info.steps[0]) });
    expect(text.split('\n').length).toBeGreaterThan(many);
  });
});

describe('a binary file given as .tn', () => {
  test('tnc check prints the first diagnostics and a count, not one caret block per few bytes', async () => {
    let x = 12345;
    const bytes = Buffer.alloc(200_000, 0).map(() => ((x = (x * 1103515245 + 12345) % 2147483648) >> 16) & 255);
    const file = join(dir, 'noise.tn');
    writeFileSync(file, bytes);
    const io = captureIO();
    expect(await main(['check', file], io)).toBe(1);
    const err = io.err.join('\n');
    const total = Number(/noise\.tn: (\d+) errors/.exec(err)![1]);
    expect(total).toBeGreaterThan(MAX_RENDERED);
    expect(err).toContain(`noise.tn: ${total - MAX_RENDERED} more diagnostics not shown`);
    expect(err.length).toBeLessThan(MAX_RENDERED * 1000);
    // --json keeps every diagnostic.
    const json = captureIO();
    expect(await main(['check', '--json', file], json)).toBe(1);
    expect((JSON.parse(json.out.join('')) as { diagnostics: unknown[] }).diagnostics).toHaveLength(total);
  });
});

describe('tnc build --out', () => {
  const source = 'dim i = 2\ninput a[i]\nout s[] = a[i]\n';

  // Linux (CI): under /proc, mkdir fails with ENOENT although /proc exists.
  test('a directory that cannot be made fails at once (Node 20 recursive mkdir spun forever under /proc)', () => {
    expect(existsSync('/proc/self')).toBe(true);
    const file = join(dir, 'out-proc.tn');
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'build', file, '--out', '/proc/tnc-qa-no-such/dir'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tnc build: cannot write \/proc\/tnc-qa-no-such.*no such file or directory/);
  });

  test('missing parents are made, level by level; a file in the way is a user error', async () => {
    const file = join(dir, 'out-deep.tn');
    writeFileSync(file, source);
    const deep = join(dir, 'deep', 'er', 'est');
    expect(await main(['build', file, '--out', deep], captureIO())).toBe(0);
    expect(readdirSync(deep).sort()).toEqual(['out-deep.tn.d.ts', 'out-deep.tn.js']);
    const io = captureIO();
    expect(await main(['build', file, '--out', join(deep, 'out-deep.tn.js', 'sub')], io)).toBe(1);
    expect(io.err.join('')).toMatch(/cannot write .*not a directory/);
  });
});

describe('analyze() from plain JavaScript', () => {
  test('takes source text as well as a SourceFile; anything else is a TypeError that says what it wants', () => {
    const ok = analyze('dim i = 2, j = 3\nparam A[i, j], x[j]\nout y[i] = A[i, j] x[j]\n');
    expect(ok.diagnostics).toEqual([]);
    expect(ok.value?.statements.map((s) => s.name)).toEqual(['y']);
    const bad = analyze('dim i = 2\nout y[i] = B[i]\n');
    expect(bad.value).toBeUndefined();
    expect(render(SourceFile.from('<input>', 'dim i = 2\nout y[i] = B[i]\n'), bad.diagnostics)).toMatch(/<input>:2:\d+: error/);
    expect(() => analyze(42 as never)).toThrow(/analyze: expected .tn source text or a SourceFile, got number/);
  });
});

describe('tnc path: optimizer settings below their meaningful minimum', () => {
  test('--repeats 0, --width 0 and --subtree-size 0/1 are usage errors (they were accepted and ignored)', async () => {
    const base = ['path', 'ab,bc,cd->ad', '--shapes', '10x20,20x30,30x40'];
    for (const [flag, value, min] of [['--repeats', '0', 1], ['--width', '0', 1], ['--subtree-size', '1', 2], ['--subtree-size', '0', 2]] as const) {
      const io = captureIO();
      expect(await main([...base, flag, value], io)).toBe(1);
      expect(io.err.join('')).toContain(`${flag} must be an integer of at least ${min}, got '${value}'`);
    }
    const ok = captureIO();
    expect(await main([...base, '--optimizer', 'random-greedy', '--repeats', '1', '--seed', '3'], ok)).toBe(0);
  });
});
