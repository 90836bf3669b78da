// The bundler plugin end to end: the example app in examples/web builds with Vite through its
// own vite.config.js (which imports `tnc/plugin` from the built package) and the built chunk
// computes the reference result in Node; queries pick dtype/target; diagnostics become build
// errors with file, line and column; watch mode rebuilds on change; Vite dev serves .tn
// modules and reloads on change; the generated .d.ts and the ambient `*.tn` declaration
// type-check usage files with tsc.

import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { build, createServer, type Plugin } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { compileTn, exportedNames, optionsFromQuery, splitId, tncEsbuild, tncRolldown, tncVite, withDefaultExport, dtsWithDefaultExport } from '../src/plugin/index.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';
import { loadDawn, REQUIRE_WEBGPU } from './helpers/webgpu.js';

const repo = join(import.meta.dirname, '..');
const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tnc-plugin-'));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const CP = `# rank-2 CP with weights
dim i = 3, j = 4
dim r = 2
param A[i, r], B[j, r], w[r]
out X[i, j] = w[r] A[i, r] B[j, r]
out s[] = w[r] A[i, r] B[j, r]
`;

/** Deterministic data per input, as the example app makes it. */
function pattern(n: number, t: number, ctor: Float32ArrayConstructor | Float64ArrayConstructor): Float32Array | Float64Array {
  const a = new ctor(n);
  for (let e = 0; e < n; e++) a[e] = 0.5 + Math.sin(0.7 * e + 1.3 * t + 0.1);
  return a;
}

function silent(): { logLevel: 'silent' } {
  return { logLevel: 'silent' };
}

describe('import ids and module text', () => {
  it('splits ids and reads target/dtype from queries, rejecting bad values', () => {
    expect(splitId('/a/m.tn?target=webgpu&t=1')).toEqual({ file: '/a/m.tn', query: 'target=webgpu&t=1' });
    expect(optionsFromQuery('target=webgpu&t=1', { target: 'cpu', dtype: 'f32' })).toEqual({ options: { target: 'webgpu', dtype: 'f32' } });
    expect(optionsFromQuery('dtype=f64', { target: 'cpu', dtype: 'f32' })).toEqual({ options: { target: 'cpu', dtype: 'f64' } });
    expect(optionsFromQuery('target=gpu', { target: 'cpu', dtype: 'f32' })).toEqual({ error: "unknown target 'gpu' in import query; valid targets: cpu, webgpu" });
    expect(optionsFromQuery('dtype=f16', { target: 'cpu', dtype: 'f32' })).toHaveProperty('error');
  });

  it('adds a default export gathering the named exports, in JS and in the .d.ts', () => {
    const js = 'const a = 1;\nexport function y(i) { return i; }\nexport const spec = {};\nexport { a as alias };\n';
    expect(exportedNames(js)).toEqual(['alias', 'spec', 'y']);
    expect(withDefaultExport(js)).toMatch(/export default Object\.freeze\(\{ alias, spec, y \}\);\n$/);
    expect(withDefaultExport('export default 1;\n')).toBe('export default 1;\n');
    const dts = 'export interface S { a: number }\nexport declare function y(): void;\nexport declare const spec: S;\n';
    expect(dtsWithDefaultExport(dts)).toContain('readonly spec: typeof spec;\n  readonly y: typeof y;\n};\nexport default _default;');
  });

  it('compileTn renders diagnostics with the first error location', async () => {
    const out = await compileTn('dim i = 3\ninput A[i]\nout y[i] = A[k]\n', join(tmpdir(), 'bad.tn'), { target: 'cpu', dtype: 'f32' });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.failure.line).toBe(3);
      expect(out.failure.column).toBe(14);
      expect(out.failure.message).toMatch(/bad\.tn:3:14: error\[/);
    }
  });
});

/** The example model's reference results (float64) for the inputs the app generated. */
function exampleReference(inputs: Record<string, ArrayLike<number>>): { X: Float64Array; total: number } {
  const ops = [
    { shape: [3], data: Array.from(inputs.w) },
    { shape: [6, 3], data: Array.from(inputs.A) },
    { shape: [5, 3], data: Array.from(inputs.B) },
    { shape: [4, 3], data: Array.from(inputs.C) },
  ];
  const idx = [['r'], ['i', 'r'], ['j', 'r'], ['k', 'r']];
  return { X: referenceEinsum(idx, ['i', 'j', 'k'], ops), total: referenceEinsum(idx, [], ops)[0] };
}

describe('the example app (examples/web) builds with Vite and its bundle runs', () => {
  const outDir = tempDir();
  let chunk: Record<string, (...args: unknown[]) => any>;

  it('tnc/plugin resolves to dist/plugin/index.js with types (run `npm run build` first; npm test does)', () => {
    const dist = join(repo, 'dist', 'plugin', 'index.js');
    expect(existsSync(dist), 'dist/plugin/index.js is missing: run `npm run build` (npm test does it before vitest)').toBe(true);
    expect(existsSync(join(repo, 'dist', 'plugin', 'index.d.ts'))).toBe(true);
    const script = "const u = import.meta.resolve('tnc/plugin'); const m = await import('tnc/plugin'); console.log(JSON.stringify({ u, keys: Object.keys(m).sort() }));";
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' }));
    expect(out.u).toBe(pathToFileURL(dist).href);
    expect(out.keys).toEqual(expect.arrayContaining(['tncVite', 'tncRollup', 'tncEsbuild', 'tncWebpack', 'tncRolldown', 'tncPlugin']));
  });

  it('vite build with examples/web/vite.config.js; the compute chunk equals the reference einsum on the CPU', async () => {
    await build({ configFile: join(repo, 'examples', 'web', 'vite.config.js'), build: { outDir, emptyOutDir: true }, ...silent() });
    const manifest = JSON.parse(readFileSync(join(outDir, '.vite', 'manifest.json'), 'utf8'));
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    expect(html).toContain(manifest['index.html'].file);
    chunk = await import(pathToFileURL(join(outDir, manifest['compute.js'].file)).href);
    const result = chunk.runCpu();
    expect(result.X).toBeInstanceOf(Float32Array);
    const want = exampleReference(result.inputs);
    expect(maxRelError(result.X, want.X)).toBeLessThan(1e-5);
    expect(Math.abs(result.total - want.total)).toBeLessThan(1e-4 * (1 + Math.abs(want.total)));
    // The inputs are the app's own deterministic pattern, so this is not comparing a buffer with itself.
    const w = result.spec.inputs.findIndex((i: { name: string }) => i.name === 'w');
    expect(Array.from(result.inputs.w)).toEqual(Array.from(pattern(3, w, Float32Array)));
  });

  it('the same chunk runs the model on WebGPU (Dawn in Node) and matches the reference', async () => {
    expect(chunk, 'the Vite build above must succeed first').toBeDefined();
    const dawn = await loadDawn();
    if (!('gpu' in dawn)) {
      if (REQUIRE_WEBGPU) throw new Error(`TNC_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${dawn.reason}`);
      console.log(`example app WebGPU check skipped: ${dawn.reason}`);
      return;
    }
    const result = await chunk.runWebGpu(dawn.gpu, { featureLevel: 'compatibility' });
    if (result === undefined) {
      if (REQUIRE_WEBGPU) throw new Error('TNC_REQUIRE_WEBGPU=1 but Dawn found no adapter');
      console.log('example app WebGPU check skipped: Dawn found no adapter (scripts/install-webgpu-deps.sh)');
      return;
    }
    expect(result.backend).toBe('webgpu');
    const want = exampleReference(result.inputs);
    expect(maxRelError(result.X, want.X)).toBeLessThan(1e-4);
    expect(Math.abs(result.total - want.total)).toBeLessThan(1e-4 * (1 + Math.abs(want.total)));
  });

  it('the built page runs in headless chromium (CPU, and WebGPU when the browser has it)', async () => {
    expect(chunk, 'the Vite build above must succeed first').toBeDefined();
    const chromiumPath = '/usr/bin/chromium';
    let pw: typeof import('playwright-core') | undefined;
    let reason = '';
    if (!existsSync(chromiumPath)) reason = `${chromiumPath} is missing (scripts/install-webgpu-deps.sh installs it)`;
    else pw = await import('playwright-core').catch((e: Error) => ((reason = `playwright-core did not load: ${e.message}`), undefined));
    if (!pw) {
      if (REQUIRE_WEBGPU) throw new Error(`TNC_REQUIRE_WEBGPU=1 but the browser check cannot run: ${reason}`);
      console.log(`example app browser check skipped: ${reason}`);
      return;
    }
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
    const server = createHttpServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const file = join(outDir, path === '/' ? 'index.html' : path);
      if (!file.startsWith(outDir) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const browser = await pw.chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
    const logs: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.body.dataset.status === 'done', undefined, { timeout: 90_000 });
      const data = await page.evaluate(() => ({ ...document.body.dataset }));
      const text = await page.textContent('#out');
      const want = exampleReference(chunk.runCpu().inputs).total;
      expect(Math.abs(Number(data.cpuTotal) - want), logs.join('\n')).toBeLessThan(1e-4 * (1 + Math.abs(want)));
      expect(text).toContain(`total = ${want.toFixed(5)}`);
      if (data.gpuTotal !== undefined) expect(Math.abs(Number(data.gpuTotal) - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
      else expect(text).toMatch(/WebGPU(not available|failed)/);
    } finally {
      await browser.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});

describe('plugin behaviour in builds', () => {
  function project(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  async function libBuild(dir: string, entry: string, plugins: Plugin[], extra: Record<string, unknown> = {}) {
    return build({
      root: dir,
      configFile: false,
      plugins,
      ...silent(),
      build: { outDir: join(dir, 'out'), emptyOutDir: true, minify: false, lib: { entry: join(dir, entry), formats: ['es'], fileName: () => 'entry.js' }, ...extra },
    });
  }

  it('an import query picks the dtype; named and default imports both work', async () => {
    const dir = project({
      'model.tn': CP,
      'entry.js': "import { X } from './model.tn?dtype=f64';\nimport m32 from './model.tn';\nexport const x64 = (i) => X(i);\nexport const x32 = (i) => m32.X(i);\nexport const spec = m32.spec;\n",
    });
    await libBuild(dir, 'entry.js', [tncVite()]);
    const mod = await import(pathToFileURL(join(dir, 'out', 'entry.js')).href);
    const inputs64 = { A: pattern(6, 0, Float64Array), B: pattern(8, 1, Float64Array), w: pattern(2, 2, Float64Array) };
    const inputs32 = { A: pattern(6, 0, Float32Array), B: pattern(8, 1, Float32Array), w: pattern(2, 2, Float32Array) };
    const x64 = mod.x64(inputs64);
    const x32 = mod.x32(inputs32);
    expect(x64).toBeInstanceOf(Float64Array);
    expect(x32).toBeInstanceOf(Float32Array);
    const want = referenceEinsum([['r'], ['i', 'r'], ['j', 'r']], ['i', 'j'], [
      { shape: [2], data: inputs64.w },
      { shape: [3, 2], data: inputs64.A },
      { shape: [4, 2], data: inputs64.B },
    ]);
    expect(maxRelError(x64, want)).toBeLessThan(1e-12);
    expect(maxRelError(x32, want)).toBeLessThan(1e-5);
    expect(mod.spec.dtype).toBe('f32');
  });

  it('diagnostics fail the build with file, line and column', async () => {
    const dir = project({ 'bad.tn': 'dim i = 3\ninput A[i]\nout y[i] = A[k]\n', 'entry.js': "export { y } from './bad.tn';\n" });
    const err = await libBuild(dir, 'entry.js', [tncVite()]).then(
      () => undefined,
      (e: unknown) => e as Error & { loc?: { line: number; column: number; file?: string } },
    );
    expect(err).toBeDefined();
    expect(err!.message).toMatch(/bad\.tn:3:14: error\[[a-z-]+\/[a-z-]+\]/);
    expect(err!.message).toContain('out y[i] = A[k]');
    // The bundler's own header names the same place as tnc's rendering.
    expect(err!.message).toMatch(/\[plugin tnc\] \S*bad\.tn:3:14/);
    expect(err!.message).toMatch(/out y\[i\] = A\[k\]\n {15}\^/);
  });

  it('the optimizer option reaches the planner; a misspelled one is refused when the plugin is created', async () => {
    const dir = project({ 'model.tn': CP, 'entry.js': "export { spec } from './model.tn';\n" });
    await libBuild(dir, 'entry.js', [tncVite({ optimizer: 'greedy' })]);
    const mod = await import(pathToFileURL(join(dir, 'out', 'entry.js')).href);
    expect(mod.spec.statements[0].terms[0].optimizer).toBe('greedy');
    expect(() => tncVite({ optimizer: 'greedyy' })).toThrow(/unknown optimizer 'greedyy'; did you mean 'greedy'/);
  });

  it('a bad query value fails the build and names the valid values', async () => {
    const dir = project({ 'model.tn': CP, 'entry.js': "export { X } from './model.tn?target=gpu';\n" });
    await expect(libBuild(dir, 'entry.js', [tncVite()])).rejects.toThrow(/unknown target 'gpu' in import query; valid targets: cpu, webgpu/);
  });

  it('the esbuild flavour compiles .tn imports too', async () => {
    // esbuild is installed with tsx (a devDependency); the same plugin object serves it.
    const esbuild = await import('esbuild');
    const dir = project({ 'model.tn': CP, 'entry.js': "export { s } from './model.tn?dtype=f64';\n" });
    const res = await esbuild.build({ entryPoints: [join(dir, 'entry.js')], bundle: true, format: 'esm', write: false, plugins: [tncEsbuild()], logLevel: 'silent' });
    const file = join(dir, 'bundle.mjs');
    writeFileSync(file, res.outputFiles[0].text);
    const mod = await import(pathToFileURL(file).href);
    const inputs = { A: pattern(6, 0, Float64Array), B: pattern(8, 1, Float64Array), w: pattern(2, 2, Float64Array) };
    const want = referenceEinsum([['r'], ['i', 'r'], ['j', 'r']], [], [
      { shape: [2], data: inputs.w },
      { shape: [3, 2], data: inputs.A },
      { shape: [4, 2], data: inputs.B },
    ])[0];
    expect(Math.abs(mod.s(inputs)[0] - want)).toBeLessThan(1e-12);
  });

  it('the rolldown flavour (the bundler under Vite 8) compiles .tn imports too', async () => {
    const { rolldown } = await import('rolldown');
    const dir = project({ 'model.tn': CP, 'entry.js': "import m from './model.tn?dtype=f64';\nexport const s = m.s;\n" });
    const bundle = await rolldown({ input: join(dir, 'entry.js'), plugins: [tncRolldown()], logLevel: 'silent' });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    const file = join(dir, 'rolldown.mjs');
    writeFileSync(file, output[0].code);
    const mod = await import(pathToFileURL(file).href);
    const inputs = { A: pattern(6, 0, Float64Array), B: pattern(8, 1, Float64Array), w: pattern(2, 2, Float64Array) };
    const want = referenceEinsum([['r'], ['i', 'r'], ['j', 'r']], [], [
      { shape: [2], data: inputs.w },
      { shape: [3, 2], data: inputs.A },
      { shape: [4, 2], data: inputs.B },
    ])[0];
    expect(Math.abs(mod.s(inputs)[0] - want)).toBeLessThan(1e-12);
  });

  it('watch mode rebuilds when the .tn file changes', async () => {
    const dir = project({ 'model.tn': CP, 'entry.js': "export { spec } from './model.tn';\n" });
    const watcher = (await libBuild(dir, 'entry.js', [tncVite()], { watch: {} })) as unknown as {
      on(ev: 'event', cb: (e: { code: string; result?: { close(): void } }) => void): void;
      close(): Promise<void>;
    };
    const ends: number[] = [];
    let resolveEnd: (() => void) | undefined;
    watcher.on('event', (e) => {
      if (e.result) e.result.close();
      if (e.code === 'END' || e.code === 'ERROR') {
        ends.push(Date.now());
        resolveEnd?.();
      }
    });
    const nextEnd = (count: number): Promise<void> =>
      new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no rebuild (builds so far: ${ends.length})`)), 30_000);
        const check = (): void => {
          if (ends.length >= count) {
            clearTimeout(t);
            res();
          }
        };
        resolveEnd = check;
        check();
      });
    try {
      await nextEnd(1);
      expect(readFileSync(join(dir, 'out', 'entry.js'), 'utf8')).toMatch(/"?name"?:\s*"i"/);
      // Rename the dim i to m: the rebuilt bundle must carry the new spec.
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(dir, 'model.tn'), CP.replace(/\bi\b/g, 'm'));
      await nextEnd(2);
      const text = readFileSync(join(dir, 'out', 'entry.js'), 'utf8');
      expect(text).toMatch(/"?name"?:\s*"m"/);
      expect(text).not.toMatch(/"?name"?:\s*"i"/);
    } finally {
      await watcher.close();
    }
  });

  it('Vite dev serves .tn modules and reloads the page when one changes', async () => {
    const dir = project({ 'model.tn': CP, 'index.html': '<script type="module">import { s } from "./model.tn";</script>' });
    const server = await createServer({ root: dir, configFile: false, plugins: [tncVite()], server: { middlewareMode: true, hmr: false, watch: null }, ...silent() });
    try {
      const res = await server.transformRequest('/model.tn?dtype=f64');
      expect(res?.code).toMatch(/export function X\b/);
      expect(res?.code).toContain("dtype f64");
      const plugin = server.config.plugins.find((p) => p.name === 'tnc')!;
      const sent: unknown[] = [];
      const hook = plugin.handleHotUpdate as (ctx: unknown) => unknown;
      const ctx = { file: join(dir, 'model.tn'), server: { ws: { send: (m: unknown) => sent.push(m) } }, modules: [] };
      expect(hook.call({}, ctx)).toEqual([]);
      expect(sent).toEqual([{ type: 'full-reload' }]);
      expect(hook.call({}, { ...ctx, file: join(dir, 'main.js') })).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('Vite dev: editing the .tn file on disk triggers a full reload', async () => {
    const dir = project({ 'model.tn': CP, 'index.html': '<script type="module" src="./main.js"></script>', 'main.js': "import { s } from './model.tn';\nconsole.log(s);\n" });
    const server = await createServer({ root: dir, configFile: false, plugins: [tncVite()], server: { middlewareMode: true }, ...silent() });
    try {
      await server.transformRequest('/main.js');
      await server.transformRequest('/model.tn');
      const sent: { type?: string }[] = [];
      const send = server.ws.send.bind(server.ws);
      server.ws.send = ((...args: unknown[]) => {
        if (typeof args[0] === 'object') sent.push(args[0] as { type?: string });
        return (send as (...a: unknown[]) => void)(...args);
      }) as typeof server.ws.send;
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(dir, 'model.tn'), CP.replace('dim r = 2', 'dim r = 3'));
      const deadline = Date.now() + 20_000;
      while (!sent.some((m) => m.type === 'full-reload') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(sent.map((m) => m.type)).toContain('full-reload');
      const res = await server.transformRequest('/model.tn');
      expect(res?.code).toMatch(/"r",\s*"size": 3|size: 3/);
    } finally {
      await server.close();
    }
  });
});

describe('types', () => {
  function typecheck(files: string[], extra: ts.CompilerOptions = {}): string[] {
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: false,
      ...extra,
    };
    const program = ts.createProgram(files, options);
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName.split('/').pop()}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
  }

  it('the plugin writes model.tn.d.ts (dts: true) and tsc checks a usage file against it', async () => {
    const dir = project2({ 'model.tn': CP, 'entry.js': "export { X } from './model.tn';\n" });
    await build({ root: dir, configFile: false, plugins: [tncVite({ dts: true })], logLevel: 'silent', build: { outDir: join(dir, 'out'), lib: { entry: join(dir, 'entry.js'), formats: ['es'], fileName: 'e' } } });
    const dts = readFileSync(join(dir, 'model.tn.d.ts'), 'utf8');
    expect(dts).toMatch(/export declare function X\(/);
    expect(dts).toContain('`A` (param): [i=3, r=2]');
    writeFileSync(
      join(dir, 'usage.ts'),
      [
        "import model, { X, s, spec } from './model.tn';",
        'const A = new Float32Array(6), B = new Float32Array(8), w = new Float32Array(2);',
        'const x: Float32Array = X({ A, B, w });',
        'const t: Float32Array = model.s({ A, B, w });',
        'const dims: string[] = spec.dims.map((d) => d.name);',
        'export { x, t, dims, s };',
        '',
      ].join('\n'),
    );
    expect(typecheck([join(dir, 'usage.ts')])).toEqual([]);
    // The check can fail: a missing input and a wrong output name are type errors.
    writeFileSync(join(dir, 'wrong.ts'), "import { X, Y } from './model.tn';\nexport const x = X({ A: new Float32Array(6), B: new Float32Array(8) });\nexport { Y };\n");
    const errors = typecheck([join(dir, 'wrong.ts')]);
    expect(errors.join('\n')).toMatch(/has no exported member 'Y'/);
    expect(errors.join('\n')).toMatch(/wrong\.ts:2: Argument of type '\{ A: .*; B: .*; \}' is not assignable to parameter of type '\{ readonly w: /);
  });

  it('the ambient declaration (types/tn.d.ts) types any .tn import without a generated .d.ts', () => {
    const dir = project2({});
    writeFileSync(
      join(dir, 'usage.ts'),
      [
        "import model, { spec } from './other.tn';",
        "import { create } from './other.tn?target=webgpu';",
        'const y = model.X({ A: new Float32Array(4) });',
        'const names: string[] = spec.inputs.map((i) => i.name);',
        'async function onGpu(device: object): Promise<unknown> {',
        '  const m = await create(device);',
        "  const r = await m.X({ A: new Float32Array(4) }, undefined, { read: true });",
        '  m.destroy();',
        '  return r;',
        '}',
        'export { y, names, onGpu };',
        '',
      ].join('\n'),
    );
    expect(typecheck([join(dir, 'usage.ts'), join(repo, 'types', 'tn.d.ts')])).toEqual([]);
    writeFileSync(join(dir, 'wrong.ts'), "import { spec } from './other.tn';\nexport const n: number = spec.inputs;\n");
    expect(typecheck([join(dir, 'wrong.ts'), join(repo, 'types', 'tn.d.ts')]).join('\n')).toMatch(/not assignable to type 'number'/);
  });

  function project2(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }
});
