import { afterAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../src/cli.js';
import { captureIO } from './helpers/capture-io.js';
import { analyze } from '../src/frontend.js';
import { SourceFile, TncError } from '../src/diagnostics.js';
import { compile } from '../src/api/compile.js';
import { buildModule } from '../src/build.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { randomData } from './helpers/arbitraries.js';
import { openTestGpu } from './helpers/webgpu.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tnc-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The plain loop over every index assignment (as the reference evaluator does), with integer
 * strides instead of string keys so that the larger examples finish in well under a second.
 */
function loopEinsum(inputs: string[][], output: string[], operands: { data: ArrayLike<number> }[], sizeOf: (ix: string) => number): Float64Array {
  const all = [...new Set([...inputs.flat(), ...output])];
  const sizes = all.map(sizeOf);
  const strideOf = (ixs: string[]) => {
    const st = new Array<number>(all.length).fill(0);
    let s = 1;
    for (let a = ixs.length - 1; a >= 0; a--) {
      st[all.indexOf(ixs[a])] += s;
      s *= sizeOf(ixs[a]);
    }
    return st;
  };
  const inStrides = inputs.map(strideOf);
  const outStrides = strideOf(output);
  const result = new Float64Array(output.reduce((p, ix) => p * sizeOf(ix), 1));
  const counter = new Array<number>(all.length).fill(0);
  const total = sizes.reduce((p, s) => p * s, 1);
  const offs = new Array<number>(inputs.length).fill(0);
  let o = 0;
  for (let c = 0; c < total; c++) {
    let prod = 1;
    for (let t = 0; t < inputs.length; t++) prod *= operands[t].data[offs[t]];
    result[o] += prod;
    for (let l = all.length - 1; l >= 0; l--) {
      if (++counter[l] < sizes[l]) {
        for (let t = 0; t < inputs.length; t++) offs[t] += inStrides[t][l];
        o += outStrides[l];
        break;
      }
      counter[l] = 0;
      for (let t = 0; t < inputs.length; t++) offs[t] -= inStrides[t][l] * (sizes[l] - 1);
      o -= outStrides[l] * (sizes[l] - 1);
    }
  }
  return result;
}

/**
 * An evaluation of one term independent of lowering and the runtime: contracts pairs of
 * tensors with the plain loop evaluator, in the order of a linear path (the planner's, so
 * large networks stay cheap), keeping at each step only the indices needed later.
 */
function referenceTerm(net: TensorNetwork, data: Record<string, Float64Array | Float32Array>, sizeOf: (ix: string) => number): Float64Array {
  const live: { indices: string[]; data: ArrayLike<number> }[] = net.tensors.map((t) => ({ indices: t.indices, data: data[t.name] }));
  const path = live.length > 1 ? planContraction(net).path : [];
  for (const [i, j] of path) {
    const [x, y] = [live[i], live[j]];
    live.splice(Math.max(i, j), 1);
    live.splice(Math.min(i, j), 1);
    const later = new Set([...net.output, ...live.flatMap((t) => t.indices)]);
    const keep = [...new Set([...x.indices, ...y.indices])].filter((ix) => later.has(ix));
    live.push({ indices: keep, data: loopEinsum([x.indices, y.indices], keep, [x, y], sizeOf) });
  }
  return loopEinsum([live[0].indices], net.output, [live[0]], sizeOf);
}

function referenceProgram(program: Program, name: string, data: Record<string, Float64Array | Float32Array>, dims: Record<string, number>): Float64Array {
  const s = program.statements.find((x) => x.name === name)!;
  let total: Float64Array | undefined;
  for (const term of s.terms) {
    const net = term.network;
    const sizeOf = (ix: string) => dims[net.indexDims?.[ix] ?? ix] ?? net.sizes[ix];
    const r = referenceTerm(net, data, sizeOf).map((x) => x * term.coefficient);
    total = total === undefined ? r : total.map((x, i) => x + r[i]);
  }
  return total!;
}

async function importBuilt(path: string) {
  return import(`${pathToFileURL(path).href}?v=${Math.random()}`);
}

const examplesDir = join(root, 'examples');
const examples = ['.', 'families']
  .filter((d) => existsSync(join(examplesDir, d)))
  .flatMap((d) => readdirSync(join(examplesDir, d)).filter((f) => f.endsWith('.tn')).map((f) => (d === '.' ? f : `${d}/${f}`)))
  .sort();

const SMALL = `# a small model with a symbolic batch, a hyperedge and two terms
dim b ~ 8
dim i = 3, j = 4, r = 2
input x[b, i]
param A[i, r], B[j, r], w[r]
out y[b, j] = x[b, i] A[i, r] w[r] B[j, r] + 0.5 * x[b, i] A[i, r] B[j, r]
out s[] = x[b, i] x[b, i]
`;

describe('the test reference', () => {
  test('the strided loop evaluator agrees with referenceEinsum', () => {
    const a = randomData(24, 1);
    const b = randomData(12, 2);
    const sizes: Record<string, number> = { i: 2, j: 3, k: 4 };
    const want = referenceEinsum([['i', 'j', 'k'], ['k', 'j']], ['k', 'i'], [{ shape: [2, 3, 4], data: a }, { shape: [4, 3], data: b }]);
    expect(maxRelError(loopEinsum([['i', 'j', 'k'], ['k', 'j']], ['k', 'i'], [{ data: a }, { data: b }], (ix) => sizes[ix]), want)).toBeLessThan(1e-14);
    const diag = referenceEinsum([['i', 'i', 'j']], ['j'], [{ shape: [2, 2, 3], data: randomData(12, 3) }]);
    expect(maxRelError(loopEinsum([['i', 'i', 'j']], ['j'], [{ data: randomData(12, 3) }], (ix) => sizes[ix]), diag)).toBeLessThan(1e-14);
  });
});

describe('tnc build', () => {
  test('has examples to build', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  test.each(examples)('builds examples/%s; the imported module matches the reference', async (file) => {
    const io = captureIO();
    const src = join(examplesDir, file);
    const code = await main(['build', src, '--out', dir, '--dtype', 'f64'], io);
    expect(io.err.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(io.out.join('\n')).toContain(`${basename(file)}.js`);
    const mod = await importBuilt(join(dir, `${basename(file)}.js`));
    const program = analyze(SourceFile.from(src, readFileSync(src, 'utf8'))).value!;
    const dims: Record<string, number> = {};
    for (const d of mod.spec.dims) if (d.symbolic) dims[d.name] = 2;
    const compiled = compile(readFileSync(src, 'utf8'), { dtype: 'f64', path: file });
    for (const out of mod.spec.outputs) {
      const data: Record<string, Float64Array> = {};
      out.inputs.forEach((name: string, k: number) => {
        const spec = mod.spec.inputs.find((i: { name: string }) => i.name === name);
        const n = spec.shape.reduce((p: number, s: number | string) => p * (typeof s === 'number' ? s : dims[s]), 1);
        data[name] = randomData(n, 17 + k) as Float64Array;
      });
      const got = mod[out.export](data, dims);
      const want = referenceProgram(program, out.name, data, dims);
      expect(maxRelError(got, want)).toBeLessThan(1e-9);
      expect(maxRelError(compiled.functions[out.export](data, dims), want)).toBeLessThan(1e-9);
    }
  });

  test.each([
    ['tucker-reconstruction.tn', 64],
    ['mps-norm.tn', 16],
    ['matrix-chain.tn', 64],
  ])('--memory-limit slices %s (limit %i); results stay right', async (file, limit) => {
    const src = join(examplesDir, file);
    const text = readFileSync(src, 'utf8');
    const unlimited = buildModule(text, file, { target: 'cpu', dtype: 'f64' }).value!;
    expect(unlimited.js).not.toContain('"sliced"');
    const io = captureIO();
    const outDir = join(dir, 'limited');
    expect(await main(['build', src, '--out', outDir, '--dtype', 'f64', '--memory-limit', String(limit)], io)).toBe(0);
    const mod = await importBuilt(join(outDir, `${file}.js`));
    const term = mod.spec.statements[0].terms[0];
    expect(term.sliced?.length, JSON.stringify(term)).toBeGreaterThan(0);
    expect(Number(term.size)).toBeLessThanOrEqual(limit);
    const program = analyze(SourceFile.from(src, text)).value!;
    const out = mod.spec.outputs[0];
    const data: Record<string, Float64Array> = {};
    out.inputs.forEach((name: string, k: number) => {
      const spec = mod.spec.inputs.find((i: { name: string }) => i.name === name);
      data[name] = randomData(spec.shape.reduce((p: number, s: number) => p * s, 1), 5 + k) as Float64Array;
    });
    expect(maxRelError(mod[out.export](data), referenceProgram(program, out.name, data, {}))).toBeLessThan(1e-9);
  });

  test('a model with a symbolic batch, a hyperedge, two terms and a scalar output: f32 and f64', async () => {
    const src = join(dir, 'small.tn');
    writeFileSync(src, SMALL);
    for (const dtype of ['f32', 'f64'] as const) {
      const io = captureIO();
      expect(await main(['build', src, '--dtype', dtype], io)).toBe(0);
      const mod = await importBuilt(join(dir, 'small.tn.js'));
      const Arr = dtype === 'f32' ? Float32Array : Float64Array;
      const program = analyze(SourceFile.from(src, SMALL)).value!;
      for (const b of [1, 5]) {
        const data = { x: randomData(b * 3, 1, Arr), A: randomData(6, 2, Arr), B: randomData(8, 3, Arr), w: randomData(2, 4, Arr) };
        const y = mod.y(data, { b });
        expect(y).toBeInstanceOf(Arr);
        expect(maxRelError(y, referenceProgram(program, 'y', data, { b }))).toBeLessThan(dtype === 'f32' ? 1e-5 : 1e-12);
        const s = mod.s({ x: data.x }, { b });
        expect(s.length).toBe(1);
        expect(maxRelError(s, referenceProgram(program, 's', data, { b }))).toBeLessThan(dtype === 'f32' ? 1e-5 : 1e-12);
      }
    }
    const dts = readFileSync(join(dir, 'small.tn.d.ts'), 'utf8');
    expect(dts).toContain('export declare function y(inputs: { readonly "x": Float64Array; readonly "A": Float64Array;');
    expect(dts).toContain('dims: { readonly "b": number;');
  });

  test('builds are deterministic and independent of the working directory', () => {
    const a = buildModule(SMALL, 'small.tn', { target: 'cpu', dtype: 'f32' }).value!;
    const b = buildModule(SMALL, 'small.tn', { target: 'cpu', dtype: 'f32' }).value!;
    expect(a.js).toBe(b.js);
    expect(a.dts).toBe(b.dts);
    expect(a.js).not.toMatch(/\beval\b|Function\(|from ['"]tnc/);
  });

  test('--types-only writes only the declarations', async () => {
    const src = join(dir, 'types.tn');
    writeFileSync(src, SMALL);
    const io = captureIO();
    expect(await main(['build', src, '--types-only'], io)).toBe(0);
    expect(existsSync(join(dir, 'types.tn.d.ts'))).toBe(true);
    expect(existsSync(join(dir, 'types.tn.js'))).toBe(false);
  });

  test('source errors are rendered with file:line:col and a caret, exit 1, nothing written', async () => {
    const src = join(dir, 'bad.tn');
    writeFileSync(src, 'dim i = 3\ninput a[i]\nout y[i] = a[k]\n');
    const io = captureIO();
    expect(await main(['build', src], io)).toBe(1);
    const err = io.err.join('\n');
    expect(err).toMatch(/bad\.tn:3:\d+: error\[/);
    expect(err).toContain('^');
    expect(existsSync(join(dir, 'bad.tn.js'))).toBe(false);
  });

  test('usage errors and --help', async () => {
    const io = captureIO();
    expect(await main(['build', 'x.tn', '--dtype', 'f16'], io)).toBe(1);
    expect(io.err.join('\n')).toContain('--dtype must be one of f32, f64');
    const help = captureIO();
    expect(await main(['build', '--help'], help)).toBe(0);
    expect(help.out.join('\n')).toContain('tnc build examples/matrix-chain.tn');
    const missing = captureIO();
    expect(await main(['build', join(dir, 'nope.tn')], missing)).toBe(1);
    expect(missing.err.join('\n')).toContain('cannot read');
  });
});

describe('tnc build --watch', () => {
  test('rebuilds when the source changes', async () => {
    const src = join(dir, 'watched.tn');
    writeFileSync(src, 'dim i = 2\ninput a[i]\nout first[] = a[i]\n');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'build', src, '--watch'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      for (let t = 0; t < 600 && !cond(); t++) await new Promise((r) => setTimeout(r, 100));
      if (!cond()) throw new Error(`timed out waiting for ${what}; output so far:\n${output}`);
    };
    try {
      await until(() => output.includes('watching'), 'the first build');
      expect(readFileSync(join(dir, 'watched.tn.js'), 'utf8')).toContain('export function first(');
      writeFileSync(src, 'dim i = 2\ninput a[i]\nout second[] = a[i] a[i]\n');
      await until(() => existsSync(join(dir, 'watched.tn.js')) && readFileSync(join(dir, 'watched.tn.js'), 'utf8').includes('export function second('), 'the rebuild');
      writeFileSync(src, 'dim i = 2\ninput a[i]\nout third[] = a[j]\n');
      await until(() => output.includes('watched.tn:3:'), 'the diagnostic');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  });
});

describe('compile', () => {
  test('returns the functions and spec; throws TncError on diagnostics', () => {
    const m = compile(SMALL, { dtype: 'f64' });
    expect(Object.keys(m.functions)).toEqual(['y', 's']);
    expect(m.spec.outputs.map((o) => o.name)).toEqual(['y', 's']);
    expect(typeof m.y).toBe('function');
    expect(() => compile('dim i = 3\nout y[i] = a[i]\n')).toThrow(TncError);
  });
});

describe('compile for webgpu', () => {
  test('f64 and sliced programs are user errors', () => {
    expect(() => compile(SMALL, { target: 'webgpu', dtype: 'f64' })).toThrow(/unsupported\/dtype/);
    expect(() => compile(readFileSync(join(examplesDir, 'mps-norm.tn'), 'utf8'), { target: 'webgpu', memoryLimit: 16 })).toThrow(/unsupported\/sliced/);
  });

  test('create(device) gives the functions of a built module; results match the CPU', async () => {
    const gpu = await openTestGpu();
    if (gpu === null) return; // openTestGpu printed why (and throws instead when CI requires WebGPU)
    const m = compile(SMALL, { target: 'webgpu' });
    expect(m.spec.target).toBe('webgpu');
    const model = await m.create(gpu.device);
    const cpu = compile(SMALL, { dtype: 'f32' });
    const data = { x: randomData(5 * 3, 1, Float32Array), A: randomData(6, 2, Float32Array), B: randomData(8, 3, Float32Array), w: randomData(2, 4, Float32Array) };
    const got = (await model.functions.y(data, { b: 5 }, { read: true })) as Float32Array;
    const want = cpu.functions.y(data, { b: 5 });
    expect(got.length).toBe(want.length);
    expect(maxRelError(got, want)).toBeLessThan(1e-4);
    model.destroy();
  });
});
