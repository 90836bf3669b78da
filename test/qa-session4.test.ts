/// <reference types="@webgpu/types" />
// Outside-in checks, fourth session: the WebGPU target, the model families and `tnc build`
// output, used exactly as DESIGN.md, docs/ and the issues describe them, on inputs of our own.
// Each defect found has a test here that failed before its fix.
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compile, type CompiledGpuModule, type GpuCompiledModel } from '../src/api/compile.js';
import { randomData, arbEinsum, type RandomEinsum } from './helpers/arbitraries.js';
import { referenceEinsum } from './helpers/reference-einsum.js';
import { openTestGpu } from './helpers/webgpu.js';

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

  describe('bad call arguments are precise errors, and the model stays usable', () => {
    const source = 'dim i = 3, j = 4\ndim b ~ 5\nparam A[i, j]\ninput x[b, j]\nout y[b, i] = A[i, j] x[b, j]\n';
    const A = Float32Array.from({ length: 12 }, (_, k) => k);
    const x = Float32Array.from({ length: 8 }, (_, k) => k % 3);
    const want = [5, 17, 29, 5, 21, 37];

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
