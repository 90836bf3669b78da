/// <reference types="@webgpu/types" />
// Outside-in checks, fourth session: the WebGPU target, the model families and `tnc build`
// output, used exactly as DESIGN.md, docs/ and the issues describe them, on inputs of our own.
// Each defect found has a test here that failed before its fix.
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compile, type CompiledGpuModule, type GpuCompiledModel } from '../src/api/compile.js';
import { TncError } from '../src/diagnostics.js';
import { randomData, arbEinsum, type RandomEinsum } from './helpers/arbitraries.js';
import { referenceEinsum } from './helpers/reference-einsum.js';
import { openTestGpu } from './helpers/webgpu.js';
import { eachIndex } from './helpers/tn-program.js';
import { build as esbuild } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tncEsbuild } from '../src/plugin/index.js';
import { webGpuModuleData } from '../src/backends/webgpu/emit.js';
import { gpuCreateModel } from '../src/backends/webgpu/runtime.js';
import type { KernelPlan } from '../src/backends/plan.js';

const ctx = await openTestGpu();
afterAll(() => ctx?.device.destroy());

type GpuFn = (inputs: Record<string, Float32Array | Float64Array | GPUBuffer>, dims?: Record<string, number>, options?: { read?: boolean; output?: GPUBuffer }) => Promise<Float32Array | GPUBuffer>;

/** |got − want| ≤ 1e-4·Σ|terms| + 1e-5 per element: f32 rounding relative to the magnitudes summed. */
function expectF32Close(got: ArrayLike<number>, want: ArrayLike<number>, abs: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-4 * abs[i] + 1e-5;
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

/** A .tn program for a random einsum: every label a dim (those in `symbolic` declared `~`), one param per operand. */
function programOf(e: RandomEinsum, symbolic: Set<string>): string {
  const lines = Object.keys(e.sizes).map((l) => (symbolic.has(l) ? `dim ${l} ~ ${e.sizes[l]}` : `dim ${l} = ${e.sizes[l]}`));
  e.inputs.forEach((t, k) => lines.push(`param T${k}[${t.join(', ')}]`));
  lines.push(`out y[${e.output.join(', ')}] = ${e.inputs.map((t, k) => `T${k}[${t.join(', ')}]`).join(' ')}`);
  return lines.join('\n');
}

async function gpuModel(source: string): Promise<GpuCompiledModel> {
  return (compile(source, { target: 'webgpu' }) as unknown as CompiledGpuModule).create(ctx!.device);
}

describe.skipIf(ctx === null)('WebGPU target from outside', () => {
  test('random .tn programs (hyperedges, traces, diagonals, outer products, scalars, symbolic dims bound at call time) match the f64 reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbEinsum({ maxOperands: 5, maxSize: 5 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 8, maxLength: 8 }),
        fc.nat(),
        async (e, symMask, values, seed) => {
          const labels = Object.keys(e.sizes);
          const symbolic = new Set(labels.filter((_, i) => symMask[i]));
          const model = await gpuModel(programOf(e, symbolic));
          try {
            // Two calls: other sizes than planned, then the planning sizes (bindings per dims).
            for (const pick of [(l: string, i: number) => values[i], (l: string) => e.sizes[l]]) {
              const real: Record<string, number> = {};
              labels.forEach((l, i) => (real[l] = symbolic.has(l) ? pick(l, i) : e.sizes[l]));
              const ops = e.inputs.map((t, k) => {
                const shape = t.map((l) => real[l]);
                return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + k, Float32Array) };
              });
              const want = referenceEinsum(e.inputs, e.output, ops, real);
              const abs = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) })), real);
              const dims = Object.fromEntries([...symbolic].map((l) => [l, real[l]]));
              const got = (await (model.y as GpuFn)(Object.fromEntries(ops.map((o, k) => [`T${k}`, o.data])), dims, { read: true })) as Float32Array;
              expectF32Close(got, want, abs, `${programOf(e, symbolic)}\ndims ${JSON.stringify(dims)}`);
            }
          } finally {
            model.destroy();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  test('random programs with a let, a two-term linear combination reading it, and a second out, called concurrently, match the f64 reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbEinsum({ minOperands: 2, maxOperands: 5, maxSize: 5 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 8, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        async (e, symMask, values, seed, cut) => {
          const labels = Object.keys(e.sizes);
          const symbolic = new Set(labels.filter((_, i) => symMask[i]));
          const real: Record<string, number> = {};
          labels.forEach((l, i) => (real[l] = symbolic.has(l) ? values[i] : e.sizes[l]));
          // let L = the first k operands (nothing summed); y = 2·L·rest − 0.5·(all operands) = 1.5·einsum; z = L.
          const k = Math.min(cut, e.inputs.length - 1);
          const lout = [...new Set(e.inputs.slice(0, k).flat())];
          const access = (t: string[], j: number): string => `T${j}[${t.join(', ')}]`;
          const lines = labels.map((l) => (symbolic.has(l) ? `dim ${l} ~ ${e.sizes[l]}` : `dim ${l} = ${e.sizes[l]}`));
          e.inputs.forEach((t, j) => lines.push(`param T${j}[${t.join(', ')}]`));
          lines.push(`let L[${lout.join(', ')}] = ${e.inputs.slice(0, k).map(access).join(' ')}`);
          const rest = e.inputs.slice(k).map((t, j) => access(t, j + k)).join(' ');
          lines.push(`out y[${e.output.join(', ')}] = 2 * L[${lout.join(', ')}] ${rest} - 0.5 * (${e.inputs.map(access).join(' ')})`);
          lines.push(`out z[${lout.join(', ')}] = L[${lout.join(', ')}]`);
          const source = lines.join('\n');
          const ops = e.inputs.map((t, j) => {
            const shape = t.map((l) => real[l]);
            return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + j, Float32Array) };
          });
          const absOps = ops.map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) }));
          const want = referenceEinsum(e.inputs, e.output, ops, real).map((v) => 1.5 * v);
          const abs = referenceEinsum(e.inputs, e.output, absOps, real).map((v) => 2.5 * v);
          const wantZ = referenceEinsum(e.inputs.slice(0, k), lout, ops.slice(0, k), real);
          const absZ = referenceEinsum(e.inputs.slice(0, k), lout, absOps.slice(0, k), real);
          const model = await gpuModel(source);
          try {
            const inputs = Object.fromEntries(ops.map((o, j) => [`T${j}`, o.data]));
            const dims = Object.fromEntries([...symbolic].map((l) => [l, real[l]]));
            const [y, z] = await Promise.all([(model.y as GpuFn)(inputs, dims, { read: true }), (model.z as GpuFn)(inputs, dims, { read: true })]);
            expectF32Close(y as Float32Array, want, abs, `${source}\ndims ${JSON.stringify(dims)}`);
            expectF32Close(z as Float32Array, wantZ, absZ, `${source}\ndims ${JSON.stringify(dims)} (z)`);
          } finally {
            model.destroy();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test('random programs with symbolic dims bound above their hints, under a 1 KiB binding limit: split and correct, or refused naming the limit given to create()', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        arbEinsum({ maxOperands: 4, maxSize: 5 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 8, maxLength: 8 }),
        fc.nat(),
        async (e, symMask, values, seed) => {
          const labels = Object.keys(e.sizes);
          const symbolic = new Set(labels.filter((_, i) => symMask[i]));
          const real: Record<string, number> = {};
          labels.forEach((l, i) => (real[l] = symbolic.has(l) ? values[i] : e.sizes[l]));
          const ops = e.inputs.map((t, k) => {
            const shape = t.map((l) => real[l]);
            return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + k, Float32Array) };
          });
          const model = await (compile(programOf(e, symbolic), { target: 'webgpu' }) as unknown as CompiledGpuModule).create(ctx!.device, { maxBindingBytes: 1024 });
          try {
            const dims = Object.fromEntries([...symbolic].map((l) => [l, real[l]]));
            let got: Float32Array;
            try {
              got = (await (model.y as GpuFn)(Object.fromEntries(ops.map((o, k) => [`T${k}`, o.data])), dims, { read: true })) as Float32Array;
            } catch (err) {
              // It said "the device's maxStorageBufferBindingSize" and to request the adapter's limits.
              expect((err as Error).message).toMatch(/above the storage binding limit \(1024 bytes, the maxBindingBytes given to create\(\)\) and it cannot be split; raise maxBindingBytes/);
              refused++;
              return;
            }
            const want = referenceEinsum(e.inputs, e.output, ops, real);
            const abs = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) })), real);
            expectF32Close(got, want, abs, `${programOf(e, symbolic)}\ndims ${JSON.stringify(dims)}`);
          } finally {
            model.destroy();
          }
        },
      ),
      { numRuns: 40 },
    );
    expect(refused).toBeLessThan(40);
  });

  describe('long reductions (llvmpipe stops an invocation after 65535 loop iterations, silently: results were partial sums)', () => {
    // Data whose partial sums are exact in f32 (small multiples of 1/2, bounded prefix sums),
    // so every correct summation order gives exactly the f64 result.
    const wave = (n: number, period: number, scale: number, shift: number): Float32Array => Float32Array.from({ length: n }, (_, k) => ((k % period) - shift) * scale);

    test('a dot product of two 1.05M-element vectors (a GEMM whose k loop ran 65535 tiles of 16, then stopped)', async () => {
      const n = 1_050_000;
      const model = await gpuModel('dim k ~ 16\ninput u[k], v[k]\nout d[] = u[k] v[k]');
      const u = new Float32Array(n).fill(1);
      const v = new Float32Array(n).fill(0.5);
      const got = (await (model.d as GpuFn)({ u, v }, { k: n }, { read: true })) as Float32Array;
      expect(got[0]).toBe(n / 2);
      model.destroy();
    });

    test('a sum over 1.5M elements per output (one workgroup per output: each invocation looped 23k times over two labels)', async () => {
      const B = 750_000;
      const model = await gpuModel('dim a ~ 4, b ~ 4, i = 2\ninput x[i, a, b]\nout r[i] = x[i, a, b]');
      const x = wave(2 * 2 * B, 7, 1, 3);
      const want = [0, 1].map((i) => x.subarray(i * 2 * B, (i + 1) * 2 * B).reduce((s, v) => s + v, 0));
      const got = (await (model.r as GpuFn)({ x }, { a: 2, b: B }, { read: true })) as Float32Array;
      expect(Array.from(got)).toEqual(want);
      model.destroy();
    });

    test('many outputs, each summing 70000 products (one invocation per output walked the whole reduction)', async () => {
      const [I, K] = [1100, 70_001];
      const p: KernelPlan = {
        name: 'y',
        dims: [{ name: 'i', size: I, symbolic: false }, { name: 'k', size: K, symbolic: false }],
        buffers: [
          { id: 0, dims: ['i'], role: 'input', name: 'x' },
          { id: 1, dims: ['k'], role: 'input', name: 'u' },
          { id: 2, dims: ['i'], role: 'output' },
        ],
        inputs: [{ name: 'x', buffer: 0 }, { name: 'u', buffer: 1 }],
        output: 2,
        steps: [{ kind: 'einsum', inputs: [{ buffer: 0, labels: [0] }, { buffer: 1, labels: [1] }], out: 2, outLabels: [0], labelDims: ['i', 'k'], alpha: 1, beta: 0 }],
        slots: 0,
      };
      const model = await gpuCreateModel(ctx!.device, webGpuModuleData([p], ['f32'], true));
      const x = wave(I, 5, 0.5, 2);
      const u = wave(K, 7, 1, 3);
      const sumU = u.reduce((s, v) => s + v, 0);
      const got = (await model.run('y', { x, u }, undefined, { read: true })) as Float32Array;
      expect(sumU).toBe(-3);
      expect(Array.from(got, (v, i) => Math.abs(v - x[i] * sumU))).toEqual(new Array(I).fill(0));
      model.destroy();
    });
  });

  describe('bad call arguments are precise errors, and the model stays usable', () => {
    const source = 'dim i = 3, j = 4\ndim b ~ 5\nparam A[i, j]\ninput x[b, j]\nout y[b, i] = A[i, j] x[b, j]\n';
    const A = Float32Array.from({ length: 12 }, (_, k) => k);
    const x = Float32Array.from({ length: 8 }, (_, k) => k % 3);
    const want = [5, 17, 29, 5, 21, 37];

    test("create(): an unknown precision is refused (precision: 'f64' ran as 'auto'); null options are no options (a TypeError); the f16 refusal names what works (it said to build with --dtype f16, which tnc build refuses)", async () => {
      const gpu = compile(source, { target: 'webgpu' }) as unknown as CompiledGpuModule;
      const device = ctx!.device;
      await expect(gpu.create(device, { precision: 'f64' as 'f32' })).rejects.toThrow(`tnc webgpu: precision must be 'auto', 'f32' or 'f16', got "f64"`);
      if (!device.features.has('shader-f16')) {
        await expect(gpu.create(device, { precision: 'f16' })).rejects.toThrow("precision 'f16' needs a module with f16 kernels (emitWebGpu(program, plans, { dtype: 'f16' })); tnc build and compile() emit f32 kernels only");
      }
      const model = await gpu.create(device, null as unknown as undefined);
      const y = model.y as (i: Record<string, Float32Array>, d: Record<string, number>, o: null) => Promise<GPUBuffer>;
      const buffer = await y({ A, x }, { b: 2 }, null);
      expect(buffer.size).toBe(24);
      buffer.destroy();
      model.destroy();
    });

    test('inputs that are views into a SharedArrayBuffer (as shared with workers) upload (Dawn threw a bare TypeError from writeBuffer)', async () => {
      const model = await gpuModel(source);
      const shared = new Float32Array(new SharedArrayBuffer(4 * 40));
      shared.set(A, 3);
      shared.set(x, 20);
      const got = (await (model.y as GpuFn)({ A: shared.subarray(3, 15), x: shared.subarray(20, 28) }, { b: 2 }, { read: true })) as Float32Array;
      expect(Array.from(got)).toEqual(want);
      model.destroy();
    });

    test('destroy() while calls are in flight lets them finish (they failed with "reading the result back failed: ")', async () => {
      for (const delay of [0, 1, 3]) {
        const model = await gpuModel(source);
        const y = model.y as GpuFn;
        await y({ A, x }, { b: 2 }, { read: true });
        const first = y({ A, x }, { b: 2 }, { read: true });
        const second = y({ A, x }, { b: 2 }, { read: true });
        await new Promise((r) => setTimeout(r, delay));
        model.destroy();
        expect(Array.from((await first) as Float32Array)).toEqual(want);
        expect(Array.from((await second) as Float32Array)).toEqual(want);
        // Usable again afterwards: buffers are made anew.
        expect(Array.from((await y({ A, x }, { b: 2 }, { read: true })) as Float32Array)).toEqual(want);
        model.destroy();
      }
    });

    test('a symbolic dim of 0 is refused as on the CPU (it reached createBindGroup and threw a TypeError from Dawn)', async () => {
      const model = await gpuModel(source);
      const y = model.y as GpuFn;
      await expect(y({ A, x: new Float32Array(0) }, { b: 0 }, { read: true })).rejects.toThrow("tnc webgpu: y: dim 'b' must be a positive integer, got 0");
      expect(Array.from((await y({ A, x }, { b: 2 }, { read: true })) as Float32Array)).toEqual(want);
      model.destroy();
    });

    test('a fixed dim passed with another value is refused as on the CPU (it was silently ignored)', async () => {
      const model = await gpuModel(source);
      const y = model.y as GpuFn;
      await expect(y({ A, x }, { b: 2, i: 4 }, { read: true })).rejects.toThrow("tnc webgpu: y: dim 'i' is fixed at 3 by the model, got 4");
      expect(Array.from((await y({ A, x }, { b: 2, i: 3 }, { read: true })) as Float32Array)).toEqual(want);
      model.destroy();
    });

    test('a dim given as a string is shown quoted (the message read "got 2")', async () => {
      const model = await gpuModel(source);
      await expect((model.y as GpuFn)({ A, x }, { b: '2' as unknown as number }, { read: true })).rejects.toThrow('must be a positive integer, got "2"');
      model.destroy();
    });

    test('a typed array as options.output is named as such (it was called "a GPUBuffer without STORAGE usage")', async () => {
      const model = await gpuModel(source);
      const bad = new Float32Array(6) as unknown as GPUBuffer;
      await expect((model.y as GpuFn)({ A, x }, { b: 2 }, { output: bad })).rejects.toThrow('tnc webgpu: y: the output buffer must be a GPUBuffer with STORAGE usage');
      model.destroy();
    });

    test('read: true with an output buffer lacking COPY_SRC says so (it was a device validation error about CopyBufferToBuffer); with COPY_SRC it reads back', async () => {
      const model = await gpuModel(source);
      const y = model.y as GpuFn;
      const device = ctx!.device;
      const plain = device.createBuffer({ size: 24, usage: GPUBufferUsage.STORAGE });
      await expect(y({ A, x }, { b: 2 }, { read: true, output: plain })).rejects.toThrow('tnc webgpu: y: with read: true the output buffer needs COPY_SRC usage as well as STORAGE');
      const readable = device.createBuffer({ size: 24, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      expect(Array.from((await y({ A, x }, { b: 2 }, { read: true, output: readable })) as Float32Array)).toEqual(want);
      plain.destroy();
      readable.destroy();
      model.destroy();
    });
  });
});

// ---------- model families written in .tn as a TensorLy user would, checked with direct loops ----------


/** Row-major offset of `idx` in `shape`. */
const at = (shape: readonly number[], idx: readonly number[]): number => idx.reduce((o, i, a) => o * shape[a] + i, 0);

/** Dense tensor of `shape` with entries f(idx), row-major. */
function tabulate(shape: readonly number[], f: (idx: number[]) => number): Float64Array {
  const out = new Float64Array(shape.reduce((p, s) => p * s, 1));
  eachIndex(shape, (idx) => (out[at(shape, idx)] = f(idx)));
  return out;
}

/**
 * Trace of the product of matrices M_k = slice of core k at its leg values, core k being
 * [r_{k-1}, legs_k…, r_k] (an open train's end cores have r_0 = r_N = 1, and a 1 × 1 product's
 * trace is its one entry): the definition of tt / ttm in docs/LANGUAGE.md.
 */
function trainEntry(cores: Float64Array[], left: number[], legSizes: number[][], right: number[], legIdx: number[][]): number {
  let m: number[][] = [[1]];
  let first = true;
  cores.forEach((core, k) => {
    const leg = at(legSizes[k], legIdx[k]);
    const legCount = legSizes[k].reduce((p, s) => p * s, 1);
    const slice = Array.from({ length: left[k] }, (_, a) => Array.from({ length: right[k] }, (_, c) => core[(a * legCount + leg) * right[k] + c]));
    m = first ? slice : m.map((row) => slice[0].map((_, c) => row.reduce((s, x, a) => s + x * slice[a][c], 0)));
    first = false;
  });
  return m.reduce((s, row, a) => s + row[a], 0);
}

/** Seeded data for every input of a compiled module's statement, symbolic dims from `dims`. */
function dataFor(spec: { inputs: readonly { name: string; shape: readonly (number | string)[] }[] }, dims: Record<string, number>, seed: number): Record<string, Float64Array> {
  return Object.fromEntries(
    spec.inputs.map((inp, k) => {
      const n = inp.shape.map((s) => (typeof s === 'string' ? dims[s] : s)).reduce((p, s) => p * s, 1);
      return [inp.name, randomData(n, seed * 31 + k) as Float64Array];
    }),
  );
}

type CpuFn = (inputs: Record<string, Float64Array>, dims?: Record<string, number>) => Float64Array;

interface FamilyCheck {
  name: string;
  source: string;
  /** Factor names and shapes as the module spec must list them, in order. */
  factors: string[];
  /** Output to check, its dims for the call, and the dense result from the factor data by explicit loops. */
  output: string;
  dims?: Record<string, number>;
  direct: (d: Record<string, Float64Array>) => Float64Array;
}

const familyChecks: FamilyCheck[] = [
  {
    name: 'tt over one leg (open): the single core is the vector',
    source: 'dim i = 3\nparam T = tt(legs: [i], rank: 4)\nout full[i] = T[i]',
    factors: ['T_core1[3]'],
    output: 'full',
    direct: (d) => d.T_core1.slice(),
  },
  {
    name: 'tt over one leg as a ring: the trace of the one core',
    source: 'dim i = 3\nparam T = tt(legs: [i], rank: 4, ring: true)\nout full[i] = T[i]',
    factors: ['T_core1[4,3,4]'],
    output: 'full',
    direct: (d) => tabulate([3], ([i]) => trainEntry([d.T_core1], [4], [[3]], [4], [[i]])),
  },
  {
    name: 'tensor ring over two legs with a rank per bond',
    source: 'dim i = 3, j = 2\nparam T = tt(legs: [i, j], rank: [4, 2], ring: true)\nout full[i, j] = T[i, j]',
    factors: ['T_core1[2,3,4]', 'T_core2[4,2,2]'],
    output: 'full',
    direct: (d) => tabulate([3, 2], ([i, j]) => trainEntry([d.T_core1, d.T_core2], [2, 4], [[3], [2]], [4, 2], [[i], [j]])),
  },
  {
    name: 'tt with a rank far above the legs (300 over 2 x 3)',
    source: 'dim i = 2, j = 3\nparam T = tt(legs: [i, j], rank: 300)\nout full[i, j] = T[i, j]',
    factors: ['T_core1[2,300]', 'T_core2[300,3]'],
    output: 'full',
    direct: (d) => tabulate([2, 3], ([i, j]) => trainEntry([d.T_core1, d.T_core2], [1, 300], [[2], [3]], [300, 1], [[i], [j]])),
  },
  {
    name: 'ttm over one site as a ring (an MPO of one site with a periodic bond)',
    source: 'dim i = 3, o = 2\nparam W = ttm(in: [i], out: [o], rank: 4, ring: true)\nout full[i, o] = W[i, o]',
    factors: ['W_core1[4,3,2,4]'],
    output: 'full',
    direct: (d) => tabulate([3, 2], ([i, o]) => trainEntry([d.W_core1], [4], [[3, 2]], [4], [[i, o]])),
  },
  {
    name: 'ttm applied to a batch, in-legs reused by a second statement',
    source: [
      'dim i{n in 1..3} = 2, o{n in 1..3} = 3',
      'dim b ~ 4',
      'input x[b, i{1}, i{2}, i{3}]',
      'param W = ttm(in: [i{1}, i{2}, i{3}], out: [o{1}, o{2}, o{3}], rank: [2, 3])',
      'out y[b, o{1}, o{2}, o{3}] = x[b, i{1}, i{2}, i{3}] W[i{1}, i{2}, i{3}, o{1}, o{2}, o{3}]',
      'out dense[i{1}, i{2}, i{3}, o{1}, o{2}, o{3}] = W[i{1}, i{2}, i{3}, o{1}, o{2}, o{3}]',
    ].join('\n'),
    factors: ['x[b,2,2,2]', 'W_core1[2,3,2]', 'W_core2[2,2,3,3]', 'W_core3[3,2,3]'],
    output: 'y',
    dims: { b: 3 },
    direct: (d) => {
      const W = (i: number[], o: number[]) =>
        trainEntry([d.W_core1, d.W_core2, d.W_core3], [1, 2, 3], [[2, 3], [2, 3], [2, 3]], [2, 3, 1], [[i[0], o[0]], [i[1], o[1]], [i[2], o[2]]]);
      return tabulate([3, 3, 3, 3], ([b, o1, o2, o3]) => {
        let s = 0;
        eachIndex([2, 2, 2], (i) => (s += d.x[at([3, 2, 2, 2], [b, ...i])] * W(i, [o1, o2, o3])));
        return s;
      });
    },
  },
  {
    name: 'cp of rank 1 with weights, and a cp tensor used twice in one term (a matrix square)',
    source: 'dim i = 3, j = 3, k = 3\nparam T = cp(legs: [i, j], rank: 1, weights: true)\nout sq[i, k] = T[i, j] T[j, k]',
    factors: ['T_A1[3,1]', 'T_A2[3,1]', 'T_w[1]'],
    output: 'sq',
    direct: (d) => {
      const T = (i: number, j: number) => d.T_w[0] * d.T_A1[i] * d.T_A2[j];
      return tabulate([3, 3], ([i, k]) => [0, 1, 2].reduce((s, j) => s + T(i, j) * T(j, k), 0));
    },
  },
  {
    name: 'tucker with ranks above the leg sizes, its diagonal taken by a repeated index',
    source: 'dim i = 2, j = 2\nparam T = tucker(legs: [i, j], ranks: [3, 5])\nout diag[i] = T[i, i]',
    factors: ['T_core[3,5]', 'T_U1[2,3]', 'T_U2[2,5]'],
    output: 'diag',
    direct: (d) =>
      tabulate([2], ([i]) => {
        let s = 0;
        eachIndex([3, 5], ([a, c]) => (s += d.T_core[a * 5 + c] * d.T_U1[i * 3 + a] * d.T_U2[i * 5 + c]));
        return s;
      }),
  },
  {
    name: 'peps on a 1 x 4 grid (a chain) with physical legs',
    source: 'dim p{c in 1..4} = 2\nparam P = peps(grid: [[p{1}, p{2}, p{3}, p{4}]], bond: 3)\nout psi[p{1}, p{2}, p{3}, p{4}] = P[p{1}, p{2}, p{3}, p{4}]',
    factors: ['P_site1_1[2,3]', 'P_site1_2[2,3,3]', 'P_site1_3[2,3,3]', 'P_site1_4[2,3]'],
    output: 'psi',
    // Sites [phys, left, right]: a matrix product over the horizontal bonds.
    direct: (d) =>
      tabulate([2, 2, 2, 2], (p) => {
        let s = 0;
        eachIndex([3, 3, 3], ([h1, h2, h3]) => {
          s += d.P_site1_1[p[0] * 3 + h1] * d.P_site1_2[(p[1] * 3 + h1) * 3 + h2] * d.P_site1_3[(p[2] * 3 + h2) * 3 + h3] * d.P_site1_4[p[3] * 3 + h3];
        });
        return s;
      }),
  },
  {
    name: 'peps on a 3 x 1 grid (a column: up/down bonds only)',
    source: 'dim p{r in 1..3} = 2\nparam P = peps(grid: [[p{1}], [p{2}], [p{3}]], bond: 2)\nout psi[p{1}, p{2}, p{3}] = P[p{1}, p{2}, p{3}]',
    factors: ['P_site1_1[2,2]', 'P_site2_1[2,2,2]', 'P_site3_1[2,2]'],
    output: 'psi',
    direct: (d) =>
      tabulate([2, 2, 2], (p) => {
        let s = 0;
        eachIndex([2, 2], ([v1, v2]) => (s += d.P_site1_1[p[0] * 2 + v1] * d.P_site2_1[(p[1] * 2 + v1) * 2 + v2] * d.P_site3_1[p[2] * 2 + v2]));
        return s;
      }),
  },
  {
    name: 'peps [1, 1] without physical legs: one scalar site',
    source: 'param P = peps(grid: [1, 1], bond: 3)\nout z[] = P[]',
    factors: ['P_site1_1[]'],
    output: 'z',
    direct: (d) => Float64Array.of(d.P_site1_1[0]),
  },
  {
    name: 'peps 2 x 2 norm without physical legs (a closed loop of four bonds)',
    source: 'param P = peps(grid: [2, 2], bond: 3)\nout z[] = P[]',
    factors: ['P_site1_1[3,3]', 'P_site1_2[3,3]', 'P_site2_1[3,3]', 'P_site2_2[3,3]'],
    output: 'z',
    // (1,1)[right h1, down v1], (1,2)[left h1, down v2], (2,1)[up v1, right h2], (2,2)[up v2, left h2].
    direct: (d) => {
      let s = 0;
      eachIndex([3, 3, 3, 3], ([h1, h2, v1, v2]) => (s += d.P_site1_1[h1 * 3 + v1] * d.P_site1_2[h1 * 3 + v2] * d.P_site2_1[v1 * 3 + h2] * d.P_site2_2[v2 * 3 + h2]));
      return Float64Array.of(s);
    },
  },
  {
    name: 'ht with a ternary root',
    source: 'dim a = 2, b = 3, c = 2\nparam T = ht(tree: (a, b, c), rank: 2)\nout full[a, b, c] = T[a, b, c]',
    factors: ['T_U1[2,2]', 'T_U2[3,2]', 'T_U3[2,2]', 'T_B1[2,2,2]'],
    output: 'full',
    direct: (d) =>
      tabulate([2, 3, 2], ([a, b, c]) => {
        let s = 0;
        eachIndex([2, 2, 2], ([x, y, z]) => (s += d.T_B1[(x * 2 + y) * 2 + z] * d.T_U1[a * 2 + x] * d.T_U2[b * 2 + y] * d.T_U3[c * 2 + z]));
        return s;
      }),
  },
  {
    name: 'ht over an unbalanced tree with one rank per node in pre-order, legs reordered',
    source: 'dim a = 2, b = 3, c = 2, d = 2\nparam T = ht(tree: (a, (b, (c, d))), rank: [2, 3, 2, 2, 3, 2], legs: [d, c, b, a])\nout full[d, c, b, a] = T[d, c, b, a]',
    // Non-root nodes in pre-order: a (2), X = (b, (c, d)) (3), b (2), Y = (c, d) (2), c (3), d (2).
    factors: ['T_U1[2,2]', 'T_U2[3,2]', 'T_U3[2,3]', 'T_U4[2,2]', 'T_B1[2,3]', 'T_B2[2,2,3]', 'T_B3[3,2,2]'],
    output: 'full',
    direct: (d) =>
      tabulate([2, 2, 3, 2], ([dd, c, b, a]) => {
        let s = 0;
        eachIndex([2, 3, 2, 2, 3, 2], ([ra, rx, rb, ry, rc, rd]) => {
          s +=
            d.T_B1[ra * 3 + rx] *
            d.T_U1[a * 2 + ra] *
            d.T_B2[(rb * 2 + ry) * 3 + rx] *
            d.T_U2[b * 2 + rb] *
            d.T_B3[(rc * 2 + rd) * 2 + ry] *
            d.T_U3[c * 3 + rc] *
            d.T_U4[dd * 2 + rd];
        });
        return s;
      }),
  },
  {
    name: 'shallow circuit over one patch, batch kept',
    source: 'dim m = 3, y = 2\ndim b ~ 4\ninput r[b, m]\nparam A = circuit(kind: shallow, patches: [m], classes: y, rank: 2)\nout s[b, y] = A[y, m] r[b, m]',
    factors: ['r[b,3]', 'A_U1[3,2]', 'A_Y[2,2]'],
    output: 's',
    dims: { b: 5 },
    direct: (d) =>
      tabulate([5, 2], ([b, y]) => {
        let s = 0;
        eachIndex([3, 2], ([m, z]) => (s += d.A_Y[y * 2 + z] * d.A_U1[m * 2 + z] * d.r[b * 3 + m]));
        return s;
      }),
  },
  {
    name: 'deep circuit with pooling window 3 over 9 patches (two layers, a rank per layer)',
    source: [
      'const N = 9',
      'dim m{n in 1..N} = 2',
      'dim y = 2',
      'dim b ~ 2',
      'input rep{n in 1..N}[b, m{n}]',
      'param A = circuit(kind: deep, patches: [m{1}, m{2}, m{3}, m{4}, m{5}, m{6}, m{7}, m{8}, m{9}], classes: y, rank: [2, 3], pool: 3)',
      'out scores[b, y] = A[y, m{1}, m{2}, m{3}, m{4}, m{5}, m{6}, m{7}, m{8}, m{9}] prod(n in 1..N) rep{n}[b, m{n}]',
    ].join('\n'),
    factors: [
      ...Array.from({ length: 9 }, (_, n) => `rep{${n + 1}}[b,2]`),
      ...Array.from({ length: 9 }, (_, n) => `A_U${n + 1}[2,2]`),
      'A_B1[3,3,3,2]',
      'A_B2[2,2,2,3]',
      'A_B3[2,2,2,3]',
      'A_B4[2,2,2,3]',
    ],
    output: 'scores',
    dims: { b: 3 },
    direct: (d) =>
      tabulate([3, 2], ([b, y]) => {
        // Leaf n: u_n[r] = Σ_m rep_n[b, m] U_n[m, r]; group g: v_g[s] = Σ B_{g+2}[r1, r2, r3, s] Π u; root: Σ B1[s1, s2, s3, y] Π v.
        const u = Array.from({ length: 9 }, (_, n) => [0, 1].map((r) => [0, 1].reduce((s, m) => s + d[`rep{${n + 1}}`][b * 2 + m] * d[`A_U${n + 1}`][m * 2 + r], 0)));
        const v = [0, 1, 2].map((g) =>
          [0, 1, 2].map((s) => {
            let t = 0;
            eachIndex([2, 2, 2], ([r1, r2, r3]) => (t += d[`A_B${g + 2}`][((r1 * 2 + r2) * 2 + r3) * 3 + s] * u[3 * g][r1] * u[3 * g + 1][r2] * u[3 * g + 2][r3]));
            return t;
          }),
        );
        let total = 0;
        eachIndex([3, 3, 3], ([s1, s2, s3]) => (total += d.A_B1[((s1 * 3 + s2) * 3 + s3) * 2 + y] * v[0][s1] * v[1][s2] * v[2][s3]));
        return total;
      }),
  },
];

describe('model families in .tn: edge arguments, compiled for the CPU (f64) and WebGPU, against direct loops', () => {
  for (const c of familyChecks) {
    test(c.name, async () => {
      const cpu = compile(c.source, { dtype: 'f64' });
      const statement = cpu.spec.outputs.find((o) => o.name === c.output)!;
      const listed = cpu.spec.inputs.filter((i) => statement.inputs.includes(i.name)).map((i) => `${i.name}[${i.shape.join(',')}]`);
      expect(listed).toEqual(c.factors);
      const dims = c.dims ?? {};
      const data = dataFor(cpu.spec, dims, 1);
      const want = c.direct(data);
      const got = (cpu.functions[statement.export] as unknown as CpuFn)(data, dims);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[i])) * 100);
      if (ctx === null) return;
      const model = await gpuModel(c.source);
      try {
        const gpu = (await (model.functions[statement.export] as GpuFn)(data, dims, { read: true })) as Float32Array;
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
        for (let i = 0; i < want.length; i++) expect(Math.abs(gpu[i] - want[i]) / scale, `${c.output}[${i}] on WebGPU`).toBeLessThan(1e-5);
      } finally {
        model.destroy();
      }
    });
  }
});

describe('family diagnostics read as written', () => {
  test('factors past 2^53 elements: one error at the call naming the others (the note said "for other values of the enclosing ranges" with no range in sight)', () => {
    const source = 'dim i = 2, j = 2, k = 2\nparam T = tucker(legs: [i, j, k], ranks: 9007199254740991)\nout f[i, j, k] = T[i, j, k]\n';
    let thrown: unknown;
    try {
      compile(source, { path: 'big.tn' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TncError);
    const text = (thrown as TncError).message;
    expect(text).toContain('big.tn:2:7: error[limit/unsafe-integer]: factor `T_core` has 730750818665451215712927172538123444058715062271 elements');
    expect(text).toContain('param T = tucker(legs: [i, j, k], ranks: 9007199254740991)\n        ^^^^^^^^^^^^^^^^');
    expect(text).toContain('note: so do factors `T_U1`, `T_U2`, `T_U3`');
    expect(text).not.toContain('enclosing ranges');
  });
});

describe('tnc/plugin with dts: true', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-qa4-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = 'dim i = 2, j = 3\nparam A[i, j]\ninput x[j]\nout y[i] = A[i, j] x[j]\n';

  async function bundle(entry: string): Promise<void> {
    writeFileSync(join(dir, 'model.tn'), model);
    writeFileSync(join(dir, 'entry.js'), entry);
    rmSync(join(dir, 'model.tn.d.ts'), { force: true });
    const r = await esbuild({ entryPoints: [join(dir, 'entry.js')], bundle: true, format: 'esm', write: false, logLevel: 'silent', plugins: [tncEsbuild({ dts: true })] });
    expect(r.errors).toEqual([]);
  }

  test('model.tn.d.ts describes the plain import even when a ?target=webgpu import loads first (it was overwritten by whichever build loaded last)', async () => {
    await bundle("import { create } from './model.tn?target=webgpu';\nimport { y } from './model.tn';\nexport { create, y };\n");
    const dts = readFileSync(join(dir, 'model.tn.d.ts'), 'utf8');
    expect(dts).toMatch(/^\/\/ Generated by tnc [^\n]*\(target cpu, dtype f32\)/);
    expect(dts).toMatch(/export declare function y\(/);
    expect(dts).not.toMatch(/export declare function create\(/);
  });

  test('only queried imports: no model.tn.d.ts (TypeScript types those paths with the ambient declaration)', async () => {
    await bundle("import { spec } from './model.tn?dtype=f64';\nexport { spec };\n");
    expect(existsSync(join(dir, 'model.tn.d.ts'))).toBe(false);
  });
});

describe('compile() for WebGPU: refusals point at the source like tnc build', () => {
  test('a statement that needs slicing is shown at its line (the caret was at 1:1)', () => {
    const source = '# a chain\ndim a = 30, b = 30, c = 30\nparam A[a, b], B[b, c], C[c, a]\nout y[a, c] = A[a, b] B[b, c]\n';
    let thrown: unknown;
    try {
      compile(source, { target: 'webgpu', memoryLimit: 100, path: 'chain.tn' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TncError);
    expect((thrown as TncError).message).toContain('chain.tn:4:1: error[unsupported/sliced]: `y` needs slicing to fit the memory limit');
    expect((thrown as TncError).message).toContain('  out y[a, c] = A[a, b] B[b, c]\n  ^^^^');
  });
});
