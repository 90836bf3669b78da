/// <reference types="@webgpu/types" />
// The WebGPU backend on a real device (Dawn on Mesa llvmpipe here and in CI): kernels, folding,
// the host runtime and the emitted module, all checked against the float64 reference einsum.
// Sizes are small: llvmpipe runs a tiled GEMM at a few GFLOP/s on two cores.

import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import ts from 'typescript';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readdirSync } from 'node:fs';
import { buildModule, planProgram } from '../src/build.js';
import { lower, lowerNetwork } from '../src/backends/lower.js';
import type { KernelPlan, Step } from '../src/backends/plan.js';
import { emitWebGpu, webGpuModuleData } from '../src/backends/webgpu/emit.js';
import { gpuStepBuffers, prepareGpuPlan } from '../src/backends/webgpu/prepare.js';
import { gpuCreateModel, gpuHalf, type GpuModel } from '../src/backends/webgpu/runtime.js';
import { allKernels, chooseGemmTile, GEMM_TILES } from '../src/backends/webgpu/wgsl.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';
import { planContraction, type PlannedContraction } from '../src/optimizer/plan-contraction.js';
import { toProblem } from '../src/optimizer/problem.js';
import { fromSsaPath, toLinearPath } from '../src/optimizer/tree.js';
import { treeCost } from '../src/optimizer/cost.js';
import { webGpuRuntimeTextModule } from '../scripts/gen-webgpu-runtime.js';
import { arbEinsum, randomData, type RandomEinsum } from './helpers/arbitraries.js';
import { referenceEinsum } from './helpers/reference-einsum.js';
import { openTestGpu, requestTestDevice, TEST_BACKEND } from './helpers/webgpu.js';

const ctx = await openTestGpu();

afterAll(() => ctx?.device.destroy());

/** |gpu − ref| ≤ 1e-4·Σ|terms| + 1e-5 elementwise: an f32 bound relative to the magnitudes summed. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, absWant: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-4 * absWant[i] + 1e-5;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tol.toExponential(2)})`);
    }
  }
}

/** Reference result and the same with |data| (the scale of the f32 rounding error). */
function reference(inputs: string[][], output: string[], ops: { shape: number[]; data: Float64Array | Float32Array }[], sizes: Record<string, number>) {
  const want = referenceEinsum(inputs, output, ops, sizes);
  const abs = referenceEinsum(inputs, output, ops.map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) })), sizes);
  return { want, abs };
}

function dense(shape: number[], seed: number): { shape: number[]; data: Float64Array } {
  return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed) as Float64Array };
}

/** A plan from explicit steps; buffer 0.. in order, dims with fixed sizes unless listed symbolic. */
function plan(name: string, sizes: Record<string, number>, buffers: KernelPlan['buffers'], steps: Step[], symbolic: string[] = []): KernelPlan {
  const inputs = buffers.filter((b) => b.role === 'input').map((b) => ({ name: b.name!, buffer: b.id }));
  const slots = buffers.reduce((m, b) => (b.slot !== undefined ? Math.max(m, b.slot + 1) : m), 0);
  return {
    name,
    dims: Object.entries(sizes).map(([n, size]) => (symbolic.includes(n) ? { name: n, symbolic: true } : { name: n, size, symbolic: false })),
    buffers,
    inputs,
    output: buffers.find((b) => b.role === 'output')!.id,
    steps,
    slots,
  };
}

async function modelOf(plans: KernelPlan[], fold = true, device = ctx!.device, maxBindingBytes?: number): Promise<GpuModel> {
  return gpuCreateModel(device, webGpuModuleData(plans, ['f32'], fold), maxBindingBytes === undefined ? {} : { maxBindingBytes });
}

async function runPlan(p: KernelPlan, inputs: Record<string, Float64Array | Float32Array>, dims?: Record<string, number>, fold = true, maxBindingBytes?: number): Promise<Float32Array> {
  const model = await modelOf([p], fold, ctx!.device, maxBindingBytes);
  try {
    return (await model.run(p.name, inputs, dims, { read: true })) as Float32Array;
  } finally {
    model.destroy();
  }
}

/** A planned contraction with an arbitrary tree: `picks` chooses which live operands merge. */
function plannedWith(net: TensorNetwork, picks: number[]): PlannedContraction {
  const problem = toProblem(net);
  const live = Array.from({ length: problem.inputs.length }, (_, i) => i);
  const ssa: number[][] = [];
  let next = live.length;
  let p = 0;
  while (live.length > 1) {
    const [x] = live.splice((picks[p++ % picks.length] ?? 0) % live.length, 1);
    const [y] = live.splice((picks[p++ % picks.length] ?? 0) % live.length, 1);
    ssa.push([x, y]);
    live.push(next++);
  }
  const tree = fromSsaPath(problem.inputs.length, ssa);
  return { problem, tree, path: toLinearPath(tree), cost: treeCost(problem, tree), optimizer: 'test' } as PlannedContraction;
}

describe('webgpu: host-side pieces (no device needed)', () => {
  test('runtime-text.ts is up to date with runtime.ts (run `npm run gen:webgpu-runtime`)', () => {
    const root = resolve(import.meta.dirname, '..');
    expect(readFileSync(join(root, 'src/backends/webgpu/runtime-text.ts'), 'utf8')).toBe(webGpuRuntimeTextModule(root));
  });

  test('f16 conversion round-trips every finite half and rounds to nearest even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = gpuHalf.fromHalf(h);
      if (Number.isNaN(x)) continue;
      expect(gpuHalf.toHalf(x)).toBe(h === 0x8000 ? 0x8000 : h);
    }
    expect(gpuHalf.toHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway: to even
    expect(gpuHalf.toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(gpuHalf.toHalf(70000)).toBe(0x7c00);
  });

  test('f16 kernels are emitted only on request and enable the extension', () => {
    const k = allKernels('f16');
    for (const code of Object.values(k)) expect(code.startsWith('enable f16;')).toBe(true);
    expect(Object.keys(webGpuModuleData([], ['f32']).kernels).every((n) => n.endsWith('_f32'))).toBe(true);
  });

  test('tile choice respects compatibility-mode limits', () => {
    const compat = { maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 128, maxComputeWorkgroupSizeY: 128, maxComputeWorkgroupStorageSize: 16384 };
    const big = { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupSizeY: 1024, maxComputeWorkgroupStorageSize: 32768 };
    expect(chooseGemmTile(512, 512, big).name).toBe('g64');
    expect(chooseGemmTile(512, 512, compat).name).toBe('g32');
    expect(chooseGemmTile(512, 1, compat).name).toBe('gcol');
    expect(chooseGemmTile(1, 512, compat).name).toBe('grow');
    for (const t of GEMM_TILES) expect(4 * t.tk * (t.wgY * t.tm + t.wgX * t.tn)).toBeLessThanOrEqual(16384);
  });

  test('permutes feeding or fed by GEMMs fold into views', () => {
    // C[i,j] = Σ_k A[k,i]·B[k,j] planned as permute A→[i,k], GEMM into a temp [i,j], permute → [j,i].
    const p = plan(
      'fold',
      { i: 3, j: 4, k: 5 },
      [
        { id: 0, dims: ['k', 'i'], role: 'input', name: 'A' },
        { id: 1, dims: ['k', 'j'], role: 'input', name: 'B' },
        { id: 2, dims: ['i', 'k'], role: 'temp', slot: 0 },
        { id: 3, dims: ['i', 'j'], role: 'temp', slot: 1 },
        { id: 4, dims: ['j', 'i'], role: 'output' },
      ],
      [
        { kind: 'permute', src: 0, dst: 2, perm: [1, 0] },
        { kind: 'gemm', a: 2, b: 1, c: 3, batch: [], m: ['i'], n: ['j'], k: ['k'], transA: false, transB: false, alpha: 1, beta: 0 },
        { kind: 'permute', src: 3, dst: 4, perm: [1, 0] },
      ],
    );
    const g = prepareGpuPlan(p);
    expect(g.steps.map((s) => s.k)).toEqual(['gemm']);
    expect(g.steps[0]).toMatchObject({ a: { b: 0, perm: [1, 0] }, c: { b: 4, perm: [1, 0] } });
    expect(prepareGpuPlan(p, { fold: false }).steps.length).toBe(3);
  });

  test('lowered chains with transposes lose every permute, and folded temps get no slot', () => {
    const net: TensorNetwork = {
      tensors: [
        { name: 'A', indices: ['b', 'a'] },
        { name: 'B', indices: ['c', 'b', 'x'] },
        { name: 'C', indices: ['x', 'd', 'c'] },
        { name: 'D', indices: ['d', 'e'] },
      ],
      output: ['e', 'a'],
      sizes: { a: 3, b: 4, c: 5, d: 6, e: 7, x: 2 },
    };
    const p = lowerNetwork(net, planContraction(net));
    expect(p.steps.some((s) => s.kind === 'permute')).toBe(true);
    const g = prepareGpuPlan(p);
    expect(g.steps.map((s) => s.k)).toEqual(p.steps.filter((s) => s.kind !== 'permute').map(() => 'gemm'));
    const used = new Set(g.steps.flatMap((s) => [...gpuStepBuffers(s).reads, ...gpuStepBuffers(s).writes]));
    g.buffers.forEach((b, id) => expect(b.slot !== undefined, `buffer ${id}`).toBe(b.role === 'temp' && used.has(id)));
    // No step binds one slot twice (WebGPU forbids a writable binding aliasing another).
    for (const s of g.steps) {
      const { reads, writes } = gpuStepBuffers(s);
      const slotOf = (id: number) => (g.buffers[id].slot === undefined ? `b${id}` : `s${g.buffers[id].slot}`);
      for (const w of writes) for (const r of reads) if (r !== w) expect(slotOf(r)).not.toBe(slotOf(w));
    }
  });
});

describe.skipIf(ctx === null)(`webgpu on ${ctx?.description ?? 'no adapter'}`, () => {
  test('every kernel compiles on this device', async () => {
    const device = ctx!.device;
    for (const [name, code] of Object.entries(allKernels('f32'))) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code });
      await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const err = await device.popErrorScope();
      expect(err?.message ?? null, name).toBeNull();
    }
  });

  const gemmCase = async (label: string, m: number, n: number, k: number, batch: number, transA: boolean, transB: boolean, alpha: number) => {
    const sizes: Record<string, number> = { b: batch, i: m, j: n, k };
    const aIdx = transA ? ['b', 'k', 'i'] : ['b', 'i', 'k'];
    const bIdx = transB ? ['b', 'j', 'k'] : ['b', 'k', 'j'];
    const p = plan(
      label,
      sizes,
      [
        { id: 0, dims: aIdx, role: 'input', name: 'A' },
        { id: 1, dims: bIdx, role: 'input', name: 'B' },
        { id: 2, dims: ['b', 'i', 'j'], role: 'output' },
      ],
      [{ kind: 'gemm', a: 0, b: 1, c: 2, batch: ['b'], m: ['i'], n: ['j'], k: ['k'], transA, transB, alpha, beta: 0 }],
    );
    const A = dense(aIdx.map((x) => sizes[x]), 1);
    const B = dense(bIdx.map((x) => sizes[x]), 2);
    const got = await runPlan(p, { A: A.data, B: B.data });
    const { want, abs } = reference([aIdx, bIdx], ['b', 'i', 'j'], [A, B], sizes);
    expectClose(got, want.map((x) => alpha * x), abs.map((x) => Math.abs(alpha) * x), label);
  };

  test('GEMM: 64×64 tile, ragged edges', () => gemmCase('g64', 70, 65, 33, 1, false, false, 1));
  test('GEMM: batched, transposed operands, alpha', () => gemmCase('bt', 9, 7, 19, 3, true, true, 0.5));
  test('GEMM: matrix–vector shapes use the skinny tiles', async () => {
    await gemmCase('gcol', 130, 1, 40, 1, false, false, 1);
    await gemmCase('grow', 1, 130, 40, 2, true, false, 1);
  });
  test('GEMM: empty k (outer product) and beta = 1 accumulation', async () => {
    const sizes = { i: 5, j: 6, k: 3 };
    const p = plan(
      'acc',
      sizes,
      [
        { id: 0, dims: ['i'], role: 'input', name: 'x' },
        { id: 1, dims: ['j'], role: 'input', name: 'y' },
        { id: 2, dims: ['i', 'k'], role: 'input', name: 'A' },
        { id: 3, dims: ['k', 'j'], role: 'input', name: 'B' },
        { id: 4, dims: ['i', 'j'], role: 'output' },
      ],
      [
        { kind: 'gemm', a: 0, b: 1, c: 4, batch: [], m: ['i'], n: ['j'], k: [], transA: false, transB: false, alpha: 2, beta: 0 },
        { kind: 'gemm', a: 2, b: 3, c: 4, batch: [], m: ['i'], n: ['j'], k: ['k'], transA: false, transB: false, alpha: -1, beta: 1 },
      ],
    );
    const [x, y, A, B] = [dense([5], 3), dense([6], 4), dense([5, 3], 5), dense([3, 6], 6)];
    const got = await runPlan(p, { x: x.data, y: y.data, A: A.data, B: B.data });
    const outer = reference([['i'], ['j']], ['i', 'j'], [x, y], sizes);
    const mm = reference([['i', 'k'], ['k', 'j']], ['i', 'j'], [A, B], sizes);
    expectClose(got, outer.want.map((v, q) => 2 * v - mm.want[q]), outer.abs.map((v, q) => 2 * v + mm.abs[q]), 'acc');
  });

  test('permute, einsum (trace, diagonal, Hadamard, long reduction), fill and axpy', async () => {
    const sizes = { a: 3, b: 4, c: 5, i: 40, j: 40 };
    const T = dense([3, 4, 5], 7);
    const D = dense([4, 4, 5], 8);
    const X = dense([40, 40], 9);
    const Y = dense([40, 40], 10);
    const p = plan(
      'mix',
      sizes,
      [
        { id: 0, dims: ['a', 'b', 'c'], role: 'input', name: 'T' },
        { id: 1, dims: ['b', 'b', 'c'], role: 'input', name: 'D' },
        { id: 2, dims: ['i', 'j'], role: 'input', name: 'X' },
        { id: 3, dims: ['i', 'j'], role: 'input', name: 'Y' },
        { id: 4, dims: ['c', 'a', 'b'], role: 'temp', slot: 0 },
        { id: 5, dims: ['c'], role: 'temp', slot: 1 },
        { id: 6, dims: [], role: 'temp', slot: 2 },
        { id: 7, dims: ['c', 'a', 'b'], role: 'output' },
      ],
      [
        { kind: 'permute', src: 0, dst: 4, perm: [2, 0, 1] },
        // trace over b of D[b,b,c] → [c]
        { kind: 'einsum', inputs: [{ buffer: 1, labels: [0, 0, 1] }], out: 5, outLabels: [1], labelDims: ['b', 'c'], alpha: 1, beta: 0 },
        // full reduction Σ X∘Y (few outputs, long reduction: the workgroup kernel)
        { kind: 'einsum', inputs: [{ buffer: 2, labels: [0, 1] }, { buffer: 3, labels: [0, 1] }], out: 6, outLabels: [], labelDims: ['i', 'j'], alpha: 1, beta: 0 },
        // out[c,a,b] = 0.5 then += 2·Tp[c,a,b]·tr[c]·s  (Hadamard with broadcast, three inputs)
        { kind: 'fill', dst: 7, value: 0.5 },
        {
          kind: 'einsum',
          inputs: [
            { buffer: 4, labels: [0, 1, 2] },
            { buffer: 5, labels: [0] },
            { buffer: 6, labels: [] },
          ],
          out: 7,
          outLabels: [0, 1, 2],
          labelDims: ['c', 'a', 'b'],
          alpha: 2,
          beta: 1,
        },
      ],
    );
    for (const fold of [true, false]) {
      const got = await runPlan(p, { T: T.data, D: D.data, X: X.data, Y: Y.data }, undefined, fold);
      const tr = reference([['b', 'b', 'c']], ['c'], [D], sizes);
      const s = reference([['i', 'j'], ['i', 'j']], [], [X, Y], sizes);
      const tp = reference([['a', 'b', 'c']], ['c', 'a', 'b'], [T], sizes);
      const want = tp.want.map((v, q) => 0.5 + 2 * v * tr.want[Math.floor(q / 12)] * s.want[0]);
      const abs = tp.abs.map((v, q) => 0.5 + 2 * v * tr.abs[Math.floor(q / 12)] * s.abs[0]);
      expectClose(got, want, abs, `mix fold=${fold}`);
    }
  });

  test('axpy combines terms; fill 0 clears', async () => {
    const p = plan(
      'ax',
      { i: 100 },
      [
        { id: 0, dims: ['i'], role: 'input', name: 'u' },
        { id: 1, dims: ['i'], role: 'output' },
      ],
      [
        { kind: 'fill', dst: 1, value: 0 },
        { kind: 'axpy', src: 0, dst: 1, alpha: 3, beta: 1 },
        { kind: 'axpy', src: 0, dst: 1, alpha: -0.5, beta: 1 },
      ],
    );
    const u = dense([100], 11);
    const got = await runPlan(p, { u: u.data });
    expectClose(got, u.data.map((x) => 2.5 * x), u.data.map((x) => 3.5 * Math.abs(x)), 'axpy');
  });

  test('symbolic dims bind per call; bindings are reused', async () => {
    const p = plan(
      'sym',
      { n: 0, k: 7 },
      [
        { id: 0, dims: ['n', 'k'], role: 'input', name: 'A' },
        { id: 1, dims: ['k'], role: 'input', name: 'v' },
        { id: 2, dims: ['n'], role: 'output' },
      ],
      [{ kind: 'gemm', a: 0, b: 1, c: 2, batch: [], m: ['n'], n: [], k: ['k'], transA: false, transB: false, alpha: 1, beta: 0 }],
      ['n'],
    );
    const model = await modelOf([p]);
    for (const n of [3, 200, 3, 1]) {
      const A = dense([n, 7], n);
      const v = dense([7], 1);
      const got = (await model.run('sym', { A: A.data, v: v.data }, { n }, { read: true })) as Float32Array;
      const { want, abs } = reference([['n', 'k'], ['k']], ['n'], [A, v], { n, k: 7 });
      expectClose(got, want, abs, `n=${n}`);
    }
    await expect(model.run('sym', { A: new Float32Array(7), v: new Float32Array(7) })).rejects.toThrow(/symbolic dim 'n' needs a value/);
    await expect(model.run('sym', { A: new Float32Array(7), v: new Float32Array(7) }, { n: 1.5 })).rejects.toThrow(/must be a positive integer, got 1.5/);
    model.destroy();
  });

  test('steps touching more than the binding limit are split (GEMM by batch and rows; fill, axpy, permute, einsum by output ranges)', async () => {
    const limit = 2048; // bytes: 512 f32 per binding
    // Watch the bind groups: every binding must respect the limit, and steps must have been split.
    const device = ctx!.device;
    const orig = device.createBindGroup.bind(device);
    const boundSizes: number[] = [];
    device.createBindGroup = ((d: GPUBindGroupDescriptor) => {
      for (const e of d.entries as GPUBindGroupEntry[]) boundSizes.push((e.resource as GPUBufferBinding).size ?? Infinity);
      return orig(d);
    }) as typeof device.createBindGroup;
    const cases: [string, Record<string, number>, boolean][] = [
      ['batches', { b: 5, i: 37, j: 9, k: 11 }, true],
      ['rows', { b: 1, i: 300, j: 3, k: 4 }, false],
    ];
    for (const [label, sizes, transA] of cases) {
      const aIdx = transA ? ['b', 'k', 'i'] : ['b', 'i', 'k'];
      const p = plan(
        label,
        sizes,
        [
          { id: 0, dims: aIdx, role: 'input', name: 'A' },
          { id: 1, dims: ['b', 'k', 'j'], role: 'input', name: 'B' },
          { id: 2, dims: ['b', 'i', 'j'], role: 'input', name: 'D' },
          { id: 3, dims: ['b', 'i', 'j'], role: 'output' },
        ],
        [
          { kind: 'fill', dst: 3, value: 0.25 },
          { kind: 'axpy', src: 2, dst: 3, alpha: 2, beta: 1 },
          { kind: 'gemm', a: 0, b: 1, c: 3, batch: ['b'], m: ['i'], n: ['j'], k: ['k'], transA, transB: false, alpha: 0.5, beta: 1 },
        ],
      );
      const A = dense(aIdx.map((x) => sizes[x]), 31);
      const B = dense(['b', 'k', 'j'].map((x) => sizes[x]), 32);
      const D = dense(['b', 'i', 'j'].map((x) => sizes[x]), 33);
      const got = await runPlan(p, { A: A.data, B: B.data, D: D.data }, undefined, true, limit);
      const mm = reference([aIdx, ['b', 'k', 'j']], ['b', 'i', 'j'], [A, B], sizes);
      expectClose(got, mm.want.map((v, q) => 0.25 + 2 * D.data[q] + 0.5 * v), mm.abs.map((v, q) => 0.25 + 2 * Math.abs(D.data[q]) + 0.5 * v), label);
    }
    // A permute and an einsum over tensors above the limit, split over output ranges.
    const pe = plan(
      'permute-einsum',
      { a: 50, b: 3, c: 4 },
      [
        { id: 0, dims: ['a', 'b', 'c'], role: 'input', name: 'X' },
        { id: 1, dims: ['a', 'b', 'c'], role: 'input', name: 'Y' },
        { id: 2, dims: ['a', 'c', 'b'], role: 'temp', slot: 0 },
        { id: 3, dims: ['a', 'c'], role: 'output' },
      ],
      [
        { kind: 'permute', src: 0, dst: 2, perm: [0, 2, 1] },
        // out[a,c] = Σ_b Xp[a,c,b] · Y[a,b,c]
        { kind: 'einsum', inputs: [{ buffer: 2, labels: [0, 2, 1] }, { buffer: 1, labels: [0, 1, 2] }], out: 3, outLabels: [0, 2], labelDims: ['a', 'b', 'c'], alpha: 1, beta: 0 },
      ],
    );
    const X = dense([50, 3, 4], 34);
    const Y = dense([50, 3, 4], 35);
    const pw = reference([['a', 'b', 'c'], ['a', 'b', 'c']], ['a', 'c'], [X, Y], { a: 50, b: 3, c: 4 });
    for (const fold of [false, true]) expectClose(await runPlan(pe, { X: X.data, Y: Y.data }, undefined, fold, limit), pw.want, pw.abs, `permute-einsum fold=${fold}`);
    device.createBindGroup = orig;
    expect(Math.max(...boundSizes)).toBeLessThanOrEqual(limit);
    // Unsplit, these plans bind 29 buffers in 9 bind groups; split, many more.
    expect(boundSizes.length).toBeGreaterThan(60);
    // A transpose splits too (small output ranges read narrow column windows).
    const tr = plan(
      'transpose',
      { i: 40, j: 30 },
      [
        { id: 0, dims: ['i', 'j'], role: 'input', name: 'X' },
        { id: 1, dims: ['j', 'i'], role: 'output' },
      ],
      [{ kind: 'permute', src: 0, dst: 1, perm: [1, 0] }],
    );
    const T = dense([40, 30], 1);
    const tw = reference([['i', 'j']], ['j', 'i'], [T], {});
    expectClose(await runPlan(tr, { X: T.data }, undefined, true, limit), tw.want, tw.abs, 'transpose');
    // One output reading more than the limit (a full reduction) cannot be split.
    const sum = plan(
      'sum',
      { i: 40, j: 30 },
      [
        { id: 0, dims: ['i', 'j'], role: 'input', name: 'X' },
        { id: 1, dims: [], role: 'output' },
      ],
      [{ kind: 'einsum', inputs: [{ buffer: 0, labels: [0, 1] }], out: 1, outLabels: [], labelDims: ['i', 'j'], alpha: 1, beta: 0 }],
    );
    await expect(runPlan(sum, { X: T.data }, undefined, true, limit)).rejects.toThrow(/sum: a step binds input 'X' \[i, j\] \(4800 bytes\), above the storage binding limit \(2048 bytes.*cannot be split/);
  });

  test('random einsums under a 1 KiB binding limit: split and correct, or a clear error', async () => {
    const arb = arbEinsum({ maxOperands: 4, maxIndicesPerOperand: 4, maxSize: 6, maxTotalElements: 4000 });
    await fc.assert(
      fc.asyncProperty(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), async (e: RandomEinsum, picks, seed) => {
        const net: TensorNetwork = { tensors: e.inputs.map((indices, t) => ({ name: `T${t}`, indices })), output: e.output, sizes: e.sizes };
        const p = lowerNetwork(net, plannedWith(net, picks));
        const ops = e.inputs.map((ix, t) => dense(ix.map((x) => e.sizes[x]), seed + t));
        const inputs = Object.fromEntries(ops.map((o, t) => [`T${t}`, o.data]));
        let got: Float32Array;
        try {
          got = await runPlan(p, inputs, undefined, true, 1024);
        } catch (err) {
          expect((err as Error).message).toMatch(/above the storage binding limit \(1024 bytes.*cannot be split/);
          return;
        }
        const { want, abs } = reference(e.inputs, e.output, ops, e.sizes);
        expectClose(got, want, abs, `${e.inputs.map((t) => t.join('')).join(',')}->${e.output.join('')}`);
      }),
    );
    // A case that must split (the rows of A and C) whatever fast-check draws: on one H100 run
    // no draw both exceeded the limit and fitted after splitting.
    const net: TensorNetwork = { tensors: [{ name: 'T0', indices: ['i', 'j'] }, { name: 'T1', indices: ['j', 'k'] }], output: ['i', 'k'], sizes: { i: 200, j: 2, k: 2 } };
    const ops = [dense([200, 2], 5), dense([2, 2], 6)];
    const got = await runPlan(lowerNetwork(net, planContraction(net)), { T0: ops[0].data, T1: ops[1].data }, undefined, true, 1024);
    const { want, abs } = reference([['i', 'j'], ['j', 'k']], ['i', 'k'], ops, net.sizes);
    expectClose(got, want, abs, 'rows split under 1 KiB');
  });

  test('random einsums lowered and run on WebGPU match the f64 reference', async () => {
    const arb = arbEinsum({ maxOperands: 5, maxIndicesPerOperand: 4, maxSize: 5, maxTotalElements: 4000 });
    await fc.assert(
      fc.asyncProperty(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), fc.boolean(), async (e: RandomEinsum, picks, seed, fold) => {
        const net: TensorNetwork = { tensors: e.inputs.map((indices, t) => ({ name: `T${t}`, indices })), output: e.output, sizes: e.sizes };
        const p = lowerNetwork(net, plannedWith(net, picks));
        const ops = e.inputs.map((ix, t) => dense(ix.map((x) => e.sizes[x]), seed + t));
        const got = await runPlan(p, Object.fromEntries(ops.map((o, t) => [`T${t}`, o.data])), undefined, fold);
        const { want, abs } = reference(e.inputs, e.output, ops, e.sizes);
        expectClose(got, want, abs, `${e.inputs.map((t) => t.join('')).join(',')}->${e.output.join('')}`);
      }),
    );
  });

  test('random einsums with larger dims (big tiles, ragged edges) match the f64 reference', async () => {
    const arb = arbEinsum({ minOperands: 2, maxOperands: 4, maxIndicesPerOperand: 3, maxSize: 40, maxTotalElements: 300_000 });
    const runs = Math.max(10, Math.floor((fc.readConfigureGlobal().numRuns ?? 100) / 4));
    await fc.assert(
      fc.asyncProperty(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), async (e: RandomEinsum, picks, seed) => {
        const net: TensorNetwork = { tensors: e.inputs.map((indices, t) => ({ name: `T${t}`, indices })), output: e.output, sizes: e.sizes };
        const p = lowerNetwork(net, plannedWith(net, picks));
        const ops = e.inputs.map((ix, t) => dense(ix.map((x) => e.sizes[x]), seed + t));
        const got = await runPlan(p, Object.fromEntries(ops.map((o, t) => [`T${t}`, o.data])));
        const { want, abs } = reference(e.inputs, e.output, ops, e.sizes);
        expectClose(got, want, abs, `${e.inputs.map((t) => t.join('')).join(',')}->${e.output.join('')} ${JSON.stringify(e.sizes)}`);
      }),
      { numRuns: runs },
    );
  });

  test('a device with default limits gets tiles that fit it', async () => {
    const device = await requestTestDevice(ctx!, 'default');
    try {
      // The spec's defaults: 128 invocations in compatibility mode (OpenGL ES), 256 in core.
      expect(device.limits.maxComputeInvocationsPerWorkgroup).toBe(TEST_BACKEND === 'opengles' ? 128 : 256);
      const net: TensorNetwork = { tensors: [{ name: 'A', indices: ['i', 'k'] }, { name: 'B', indices: ['k', 'j'] }], output: ['i', 'j'], sizes: { i: 80, j: 70, k: 20 } };
      const p = lowerNetwork(net, planContraction(net));
      const model = await modelOf([p], true, device);
      const [A, B] = [dense([80, 20], 1), dense([20, 70], 2)];
      const got = (await model.run(p.name, { A: A.data, B: B.data }, undefined, { read: true })) as Float32Array;
      const { want, abs } = reference([['i', 'k'], ['k', 'j']], ['i', 'j'], [A, B], net.sizes);
      expectClose(got, want, abs, 'compat device');
    } finally {
      device.destroy();
    }
  });
});

/** A two-statement program: `let h[i,r] = A[i,k] B[k,r]`, `out y[b,r] = x[b,i] h[i,r]` with b symbolic. */
function tinyProgram(): { program: Program; plans: KernelPlan[] } {
  const program: Program = {
    dims: [
      { name: 'i', size: { kind: 'fixed', size: 6 } },
      { name: 'k', size: { kind: 'fixed', size: 5 } },
      { name: 'r', size: { kind: 'fixed', size: 4 } },
      { name: 'b', size: { kind: 'symbolic', hint: 8 } },
    ],
    factors: [
      { name: 'A', role: 'param', dims: ['i', 'k'] },
      { name: 'B', role: 'param', dims: ['k', 'r'] },
      { name: 'x', role: 'input', dims: ['b', 'i'] },
    ],
    factorized: [],
    statements: [
      { name: 'h', kind: 'let', output: ['i', 'r'], terms: [{ coefficient: 1, network: { tensors: [{ name: 'A', indices: ['i', 'k'] }, { name: 'B', indices: ['k', 'r'] }], output: ['i', 'r'], sizes: { i: 6, k: 5, r: 4 } } }] },
      {
        name: 'y-out',
        kind: 'out',
        output: ['b', 'r'],
        terms: [
          { coefficient: 1, network: { tensors: [{ name: 'x', indices: ['b', 'i'] }, { name: 'h', indices: ['i', 'r'] }], output: ['b', 'r'], sizes: { b: 8, i: 6, r: 4 }, symbolic: ['b'] } },
          { coefficient: -2, network: { tensors: [{ name: 'x', indices: ['b', 'i'] }, { name: 'A', indices: ['i', 'k'] }, { name: 'B', indices: ['k', 'r'] }], output: ['b', 'r'], sizes: { b: 8, i: 6, k: 5, r: 4 }, symbolic: ['b'] } },
        ],
      },
    ],
  };
  const plans = program.statements.map((s) => lower(s, s.terms.map((t) => planContraction(t.network)), program));
  return { program, plans };
}

describe.skipIf(ctx === null)('webgpu: the emitted module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-webgpu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { program, plans } = tinyProgram();
  const emitted = emitWebGpu(program, plans, { dtype: 'f32', source: 'tiny.tn' });
  writeFileSync(join(dir, 'tiny.tn.js'), emitted.js);
  writeFileSync(join(dir, 'tiny.tn.d.ts'), emitted.dts);
  const load = async () => (await import(pathToFileURL(join(dir, 'tiny.tn.js')).href)) as Record<string, any>;

  const b = 3;
  const A = dense([6, 5], 21);
  const B = dense([5, 4], 22);
  const x = dense([b, 6], 23);
  const want = () => {
    const h = reference([['i', 'k'], ['k', 'r']], ['i', 'r'], [A, B], {});
    const y = reference([['b', 'i'], ['i', 'r']], ['b', 'r'], [x, { shape: [6, 4], data: h.want }], {});
    // y − 2·y = −y; the absolute scale is 3·|x||A||B|.
    const s = reference([['b', 'i'], ['i', 'k'], ['k', 'r']], ['b', 'r'], [x, A, B].map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) })), {});
    return { want: y.want.map((v) => -v), abs: s.want.map((v) => 3 * v) };
  };

  test('is standalone, has no eval, and sanitises names', () => {
    expect(emitted.js).not.toMatch(/\beval\s*\(|new Function/);
    expect(emitted.js).not.toMatch(/^import /m);
    expect(emitted.js).toContain('y_out: (inputs, dims, opts) => model.run("y-out"');
    expect(emitted.dts).toMatch(/y_out\(inputs: \{ readonly "x": Float32Array \| Float64Array \| TncGpuBuffer; readonly "A"/);
  });

  test('the .d.ts typechecks and types the API (strict, with @webgpu/types)', () => {
    // Inside the repository (its ignored tmp/), so that @webgpu/types resolves from node_modules.
    const tmpRoot = join(resolve(import.meta.dirname, '..'), 'tmp');
    mkdirSync(tmpRoot, { recursive: true });
    const checkDir = mkdtempSync(join(tmpRoot, 'dts-'));
    try {
      writeFileSync(join(checkDir, 'tiny.tn.d.ts'), emitted.dts);
      writeFileSync(join(checkDir, 'tiny.tn.js'), emitted.js);
      const web = buildModule(readFileSync(resolve(import.meta.dirname, '../examples/web/model.tn'), 'utf8'), 'model.tn', { target: 'webgpu', dtype: 'f32' });
      writeFileSync(join(checkDir, 'web.tn.d.ts'), web.value!.dts);
      writeFileSync(join(checkDir, 'web.tn.js'), web.value!.js);
      writeFileSync(
        join(checkDir, 'use.ts'),
        [
          '/// <reference types="@webgpu/types" />',
          "import { create, spec, TncWebGpuError, type Model } from './tiny.tn.js';",
          "import { create as createWeb } from './web.tn.js';",
          'export async function noSymbolic(device: GPUDevice, f: Float32Array): Promise<unknown[]> {',
          '  const m = await createWeb(device);',
          '  const x: Float32Array = await m.X({ A: f, B: f, C: f, w: f }, undefined, { read: true });',
          '  const t: GPUBuffer = await m.total({ A: f, B: f, C: f, w: f });',
          '  return [x, t];',
          '}',
          'export async function use(device: GPUDevice, buf: GPUBuffer): Promise<unknown[]> {',
          '  const m: Model = await create(device, { precision: "f32" });',
          '  const a: Float32Array = await m.y_out({ x: new Float32Array(3), A: buf, B: new Float64Array(2) }, { b: 1 }, { read: true });',
          '  const g: GPUBuffer = await m.y_out({ x: buf, A: buf, B: buf }, { b: 1 }, { output: buf });',
          '  const name: string = spec.outputs[0].export;',
          '  // @ts-expect-error the symbolic dim b is required',
          '  await m.y_out({ x: buf, A: buf, B: buf });',
          '  // @ts-expect-error the symbolic dim b is required when reading back too',
          '  await m.y_out({ x: buf, A: buf, B: buf }, undefined, { read: true });',
          '  // @ts-expect-error input B is missing',
          '  await m.y_out({ x: buf, A: buf }, { b: 1 });',
          '  return [a, g, name, new TncWebGpuError("x"), m.precision];',
          '}',
        ].join('\n'),
      );
      const program = ts.createProgram([join(checkDir, 'use.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
        types: [],
        skipLibCheck: true,
      });
      const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diags).toEqual([]);
    } finally {
      rmSync(checkDir, { recursive: true, force: true });
    }
  });

  test('runs a let + out program with typed arrays, GPUBuffers in and out', async () => {
    const mod = await load();
    const model = await mod.create(ctx!.device);
    const { want: w, abs } = want();
    const got = await model.y_out({ A: A.data, B: B.data, x: x.data }, { b }, { read: true });
    expect(got).toBeInstanceOf(Float32Array);
    expectClose(got, w, abs, 'typed arrays');

    const device = ctx!.device;
    const upload = (d: Float64Array): GPUBuffer => {
      const buf = device.createBuffer({ size: d.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, Float32Array.from(d));
      return buf;
    };
    const out = device.createBuffer({ size: b * 4 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const res = await model.y_out({ A: upload(A.data), B: B.data, x: upload(x.data) }, { b }, { output: out });
    expect(res).toBe(out);
    const rb = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(out, 0, rb, 0, out.size);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    expectClose(new Float32Array(rb.getMappedRange().slice(0)), w, abs, 'GPUBuffer in/out');
    rb.unmap();

    const fresh = await model.y_out({ A: A.data, B: B.data, x: x.data }, { b });
    expect(typeof fresh.size).toBe('number');
    expect(fresh.size).toBeGreaterThanOrEqual(b * 4 * 4);
    fresh.destroy();
    model.destroy();
  });

  test('concurrent calls on one model are serialised and each gets its own result', async () => {
    const mod = await load();
    const model = await mod.create(ctx!.device);
    const xs = [2, 5, 3].map((n, i) => dense([n, 6], 40 + i));
    const results = await Promise.all(xs.map((xi) => model.y_out({ A: A.data, B: B.data, x: xi.data }, { b: xi.shape[0] }, { read: true })));
    xs.forEach((xi, i) => {
      const h = reference([['i', 'k'], ['k', 'r']], ['i', 'r'], [A, B], {});
      const y = reference([['b', 'i'], ['i', 'r']], ['b', 'r'], [xi, { shape: [6, 4], data: h.want }], {});
      const s3 = reference([['b', 'i'], ['i', 'k'], ['k', 'r']], ['b', 'r'], [xi, A, B].map((o) => ({ shape: o.shape, data: o.data.map(Math.abs) })), {});
      expectClose(results[i], y.want.map((v) => -v), s3.want.map((v) => 3 * v), `call ${i}`);
    });
    model.destroy();
  });

  test('compiles pipelines once per device', async () => {
    const device = await requestTestDevice(ctx!);
    try {
      let compiled = 0;
      const orig = device.createComputePipelineAsync.bind(device);
      device.createComputePipelineAsync = ((d: GPUComputePipelineDescriptor) => {
        compiled++;
        return orig(d);
      }) as typeof device.createComputePipelineAsync;
      const mod = await load();
      const m1 = await mod.create(device);
      await m1.y_out({ A: A.data, B: B.data, x: x.data }, { b }, { read: true });
      const afterFirst = compiled;
      expect(afterFirst).toBeGreaterThan(0);
      const m2 = await mod.create(device);
      for (let i = 0; i < 3; i++) await m2.y_out({ A: A.data, B: B.data, x: dense([2 + i, 6], i).data }, { b: 2 + i }, { read: true });
      expect(compiled).toBe(afterFirst);
      // Another generated module (its own inlined runtime) shares the device's kernels.
      const again = join(dir, 'tiny-copy.tn.js');
      writeFileSync(again, emitted.js);
      const m3 = await ((await import(pathToFileURL(again).href)) as Record<string, any>).create(device);
      await m3.y_out({ A: A.data, B: B.data, x: x.data }, { b }, { read: true });
      expect(compiled).toBe(afterFirst);
      m3.destroy();
      m1.destroy();
      m2.destroy();
    } finally {
      device.destroy();
    }
  });

  test('user and device errors surface as clear exceptions', async () => {
    const mod = await load();
    const model = await mod.create(ctx!.device);
    await expect(model.y_out({ A: A.data, B: B.data }, { b })).rejects.toThrow(/y-out: missing input 'x' \(expected inputs: x, A, B\)/);
    await expect(model.y_out({ A: A.data, B: B.data }, { b })).rejects.toBeInstanceOf(mod.TncWebGpuError);
    await expect(model.y_out({ A: A.data, B: B.data, x: new Float32Array(5) }, { b })).rejects.toThrow(/input 'x' has 5 elements but its shape needs 18/);
    // One row past what the device's largest buffer holds (x is b×6 f32), whatever the device.
    const hugeB = Math.floor(ctx!.device.limits.maxBufferSize / 4 / 6) + 1;
    await expect(model.y_out({ A: A.data, B: B.data, x: x.data }, { b: hugeB })).rejects.toThrow(/maxBufferSize/);
    const noStorage = ctx!.device.createBuffer({ size: 1024, usage: GPUBufferUsage.COPY_DST });
    await expect(model.y_out({ A: noStorage, B: B.data, x: x.data }, { b })).rejects.toThrow(/input 'A' is a GPUBuffer without STORAGE usage/);
    const destroyed = ctx!.device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE });
    destroyed.destroy();
    await expect(model.y_out({ A: destroyed, B: B.data, x: x.data }, { b }, { read: true })).rejects.toThrow(/tnc webgpu: y-out: validation error/);
    // The model still works after an error.
    const { want: w, abs } = want();
    expectClose(await model.y_out({ A: A.data, B: B.data, x: x.data }, { b }, { read: true }), w, abs, 'after errors');
    model.destroy();
    await expect(mod.create({})).rejects.toThrow(/needs a GPUDevice/);
    await expect(mod.create(ctx!.device, { precision: 'f16' })).rejects.toThrow(/f16/);
  });

  test('a lost device is reported', async () => {
    const device = await requestTestDevice(ctx!);
    const mod = await load();
    const model = await mod.create(device);
    device.destroy();
    await device.lost;
    await expect(model.y_out({ A: A.data, B: B.data, x: x.data }, { b }, { read: true })).rejects.toThrow(/device was lost/);
  });
});

/** Every example, built for both targets; symbolic dims bound to 2 to keep llvmpipe fast. */
describe.skipIf(ctx === null)('webgpu: every example matches the CPU target (f64)', () => {
  const root = resolve(import.meta.dirname, '..');
  const files = ['examples', 'examples/families'].flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith('.tn'))
      .map((f) => `${d}/${f}`),
  );
  const dir = mkdtempSync(join(tmpdir(), 'tnc-webgpu-ex-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Builds `file` for the CPU (f64) and for WebGPU (`dtype`), runs every output on the test
   * device at `precision` and compares with the CPU result; `tol` is relative to Σ|terms|.
   */
  const checkExample = async (file: string, dtype: 'f32' | 'f16', precision: 'auto' | 'f16', tol: number) => {
    const text = readFileSync(join(root, file), 'utf8');
    const base = `${file.replace(/[^A-Za-z0-9]/g, '_')}_${dtype}`;
    const load = async (target: 'cpu' | 'webgpu', dt: 'f16' | 'f32' | 'f64') => {
      let js: string;
      if (dt === 'f16') {
        // f16 kernels come through the library emitter (the CLI builds f32 or f64).
        const planned = planProgram(text, file, { target, dtype: 'f32' });
        expect(planned.value, planned.diagnostics.map((d) => d.message).join('\n')).toBeDefined();
        const { program, plans, spec } = planned.value!;
        js = emitWebGpu(program, plans, { dtype: 'f16', spec, source: file }).js;
      } else {
        const r = buildModule(text, file, { target, dtype: dt });
        expect(r.value, r.diagnostics.map((d) => d.message).join('\n')).toBeDefined();
        js = r.value!.js;
      }
      const path = join(dir, `${base}.${target}.js`);
      writeFileSync(path, js);
      return (await import(pathToFileURL(path).href)) as Record<string, any>;
    };
    const cpu = await load('cpu', 'f64');
    const gpuMod = await load('webgpu', dtype);
    const spec = gpuMod.spec;
    // The same spec as the CPU target, but for the target and dtype fields (and the planned
    // paths: the `auto` optimizer's time-bounded search may pick another order per build).
    const shape = (sp: any) => ({ ...sp, target: 'cpu', dtype: 'f64', statements: sp.statements.map((st: any) => ({ name: st.name, kind: st.kind, terms: st.terms.map((t: any) => [t.coefficient, t.network]) })) });
    expect(shape(spec)).toEqual(shape(cpu.spec));
    expect(spec.target).toBe('webgpu');
    const dims: Record<string, number> = {};
    for (const d of spec.dims) if (d.symbolic) dims[d.name] = 2;
    const sizeOf = (s: number | string): number => (typeof s === 'number' ? s : dims[s]);
    const model = await gpuMod.create(ctx!.device, { precision });
    try {
      if (precision === 'f16') expect(model.precision).toBe('f16');
      for (const out of spec.outputs) {
        const inputs: Record<string, Float64Array> = {};
        const absInputs: Record<string, Float64Array> = {};
        out.inputs.forEach((name: string, t: number) => {
          const shape = spec.inputs.find((i: { name: string }) => i.name === name).shape.map(sizeOf);
          inputs[name] = randomData(shape.reduce((p: number, x: number) => p * x, 1), 100 + t) as Float64Array;
          absInputs[name] = inputs[name].map(Math.abs);
        });
        const want = cpu[out.export](inputs, dims) as Float64Array;
        const abs = cpu[out.export](absInputs, dims) as Float64Array;
        const got = (await model[out.export](inputs, dims, { read: true })) as Float32Array;
        expect(got.length, file).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          const bound = tol * abs[i] + 1e-5;
          if (!(Math.abs(got[i] - want[i]) <= bound)) throw new Error(`${file} ${out.name} (${model.precision}): element ${i}: got ${got[i]}, want ${want[i]} (tolerance ${bound.toExponential(2)})`);
        }
      }
    } finally {
      model.destroy();
    }
  };

  test.each(files)('%s', (file) => checkExample(file, 'f32', 'auto', 1e-4));

  // f16 storage: exercised for real where the adapter offers 'shader-f16' (GPUs through Vulkan,
  // Metal or D3D12: TNC_WEBGPU_BACKEND=vulkan); elsewhere (Mesa llvmpipe) asking for it must
  // fail clearly while 'auto' falls back to f32.
  test('f16 models match the CPU target within f16 rounding, or are refused clearly without shader-f16', async () => {
    const f16Files = ['examples/tt-layer.tn', 'examples/mps-norm.tn', 'examples/tucker-reconstruction.tn', 'examples/matrix-chain.tn'];
    if (ctx!.device.features.has('shader-f16')) {
      // Half precision keeps 11 significant bits: 2^-11 per rounding, a few roundings deep.
      for (const file of f16Files) await checkExample(file, 'f16', 'f16', 2e-2);
    } else {
      const planned = planProgram(readFileSync(join(root, f16Files[0]), 'utf8'), f16Files[0], { target: 'webgpu', dtype: 'f32' });
      const { program, plans, spec } = planned.value!;
      const path = join(dir, 'f16-refused.webgpu.js');
      writeFileSync(path, emitWebGpu(program, plans, { dtype: 'f16', spec }).js);
      const mod = (await import(pathToFileURL(path).href)) as Record<string, any>;
      await expect(mod.create(ctx!.device, { precision: 'f16' })).rejects.toThrow(/shader-f16/);
      const model = await mod.create(ctx!.device);
      expect(model.precision).toBe('f32');
      model.destroy();
      await checkExample(f16Files[0], 'f16', 'auto', 1e-4);
    }
  });
});
