/// <reference types="@webgpu/types" />
// npm run bench:webgpu — the CPU benchmark's models on WebGPU through Dawn (npm `webgpu`):
// GEMM n = 256/512/1024, MPS norm (32 sites, D=64), TT-layer 4096×4096 rank 16 (batch 256),
// Tucker 64³ from a 16³ core, PEPS 4×4 norm D=4. Each model is planned (optimizer `auto`),
// lowered, prepared for the GPU and run with its inputs already in GPUBuffers and a fixed
// output buffer, so a timed call is: record + submit + wait for the queue. GFLOP/s use the
// planned order's flops (opt_einsum convention: 2mnk for a GEMM). Every result is checked
// once against the CPU runtime in f64 on the same plan (column `err`: max |gpu−cpu| / Σ|terms|).
//
// Flags: --quick (n=256/512, TT batch 32, budget 0.5 s), --budget SECONDS (per model, default
// 1.5), --runs N (max timed runs, default 10), --backend auto|vulkan|opengles|d3d12|metal
// (auto: Dawn's default backend with a core-feature adapter, else OpenGL ES in compatibility
// mode, which is what Mesa llvmpipe offers), --dtype f32|f16 (f16 storage needs an adapter with
// 'shader-f16'; its err column is then f16 rounding, checked against 3e-2), --dawn FLAG (extra
// Dawn instance flag, repeatable), --no-tfjs, --json FILE.
//
// Peer: tfjs's `webgpu` backend on the same shapes where it runs: matMul for the GEMMs (tfjs
// einsum takes at most two operands, so the models have no tfjs column), same Dawn instance.
//
// On Mesa llvmpipe (this project's machines) the figures only show that it works; on a GPU
// machine the same command measures the real thing.

import { writeFileSync } from 'node:fs';
import { createRunner } from '../src/backends/cpu/runtime.js';
import type { KernelPlan } from '../src/backends/plan.js';
import { lowerNetwork } from '../src/backends/lower.js';
import { webGpuModuleData } from '../src/backends/webgpu/emit.js';
import { gpuCreateModel, gpuHalf } from '../src/backends/webgpu/runtime.js';
import type { TensorNetwork } from '../src/ir/network.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
const quick = args.includes('--quick');
const budgetS = Number(flag('budget') ?? (quick ? 0.5 : 1.5));
const maxRuns = Number(flag('runs') ?? 10);
const backend = flag('backend') ?? 'auto';
const jsonFile = flag('json');
const useTfjs = !args.includes('--no-tfjs');
/** Extra Dawn instance flags (`--dawn enable-dawn-features=…`, repeatable). */
const dawnFlags = args.flatMap((a, i) => (a === '--dawn' && i + 1 < args.length ? [args[i + 1]] : a.startsWith('--dawn=') ? [a.slice(7)] : []));
const dtype = flag('dtype') ?? 'f32';
if (dtype !== 'f32' && dtype !== 'f16') throw new Error(`--dtype must be f32 or f16, not '${dtype}'`);
const elemBytes = dtype === 'f16' ? 2 : 4;
/** Largest accepted err vs the CPU f64 result: f32 rounding, or f16's 11 significant bits. */
const errLimit = dtype === 'f16' ? 3e-2 : 1e-4;

interface Bench {
  title: string;
  net: TensorNetwork;
  /** The same contraction for tfjs (GEMMs only: tfjs einsum takes at most two operands). */
  tfjsEq?: string;
  /** Data scale, so long products stay inside f32's range. */
  scale?: number;
}

/** Deterministic data in [-1, 1). */
function random(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function net(tensors: string[][], output: string[], size: (ix: string) => number): TensorNetwork {
  const sizes: Record<string, number> = {};
  for (const ix of [...tensors.flat(), ...output]) sizes[ix] = size(ix);
  return { tensors: tensors.map((indices, t) => ({ name: `T${t}`, indices })), output, sizes };
}

function gemm(n: number): Bench {
  return { title: `GEMM ${n}³`, net: net([['i', 'k'], ['k', 'j']], ['i', 'j'], () => n), tfjsEq: 'ik,kj->ij' };
}

function mps(sites = 32, D = 64, d = 2): Bench {
  const t: string[][] = [];
  for (let i = 0; i < sites; i++) {
    t.push([...(i > 0 ? [`a${i}`] : []), `p${i}`, ...(i < sites - 1 ? [`a${i + 1}`] : [])]);
    t.push([...(i > 0 ? [`b${i}`] : []), `p${i}`, ...(i < sites - 1 ? [`b${i + 1}`] : [])]);
  }
  return { title: `MPS norm ${sites} sites D=${D}`, net: net(t, [], (ix) => (ix[0] === 'p' ? d : D)), scale: 1 / Math.sqrt(D) };
}

function tt(batch: number): Bench {
  const sz: Record<string, number> = { b: batch, x: 16, y: 16, z: 16, i: 16, j: 16, k: 16, r: 16, s: 16 };
  return {
    title: `TT-layer 4096² r=16 b=${batch}`,
    net: net([['b', 'x', 'y', 'z'], ['x', 'i', 'r'], ['r', 'y', 'j', 's'], ['s', 'z', 'k']], ['b', 'i', 'j', 'k'], (ix) => sz[ix]),
  };
}

function tucker(): Bench {
  return { title: 'Tucker 64³ from 16³', net: net([['a', 'b', 'c'], ['i', 'a'], ['j', 'b'], ['k', 'c']], ['i', 'j', 'k'], (ix) => ('abc'.includes(ix) ? 16 : 64)) };
}

function peps(L = 4, D = 4, d = 2): Bench {
  const t: string[][] = [];
  for (const layer of ['k', 'b']) {
    for (let x = 0; x < L; x++) {
      for (let y = 0; y < L; y++) {
        const legs = [`p${x}_${y}`];
        if (x > 0) legs.push(`${layer}v${x - 1}_${y}`);
        if (y > 0) legs.push(`${layer}h${x}_${y - 1}`);
        if (y < L - 1) legs.push(`${layer}h${x}_${y}`);
        if (x < L - 1) legs.push(`${layer}v${x}_${y}`);
        t.push(legs);
      }
    }
  }
  return { title: `PEPS ${L}×${L} norm D=${D}`, net: net(t, [], (ix) => (ix[0] === 'p' ? d : D)) };
}

/**
 * Opens a device. The returned `gpu` must stay referenced while the device is used: when Dawn's
 * GPU object is garbage-collected, the instance goes with it and the process aborts.
 */
async function openDevice(): Promise<{ gpu: GPU; device: GPUDevice; description: string }> {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const { create, globals } = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const tries: { flags: string[]; options: GPURequestAdapterOptions; label: string }[] = [];
  if (backend === 'auto') {
    tries.push({ flags: [], options: { powerPreference: 'high-performance' }, label: 'default backend' });
    tries.push({ flags: ['backend=opengles'], options: { featureLevel: 'compatibility' } as GPURequestAdapterOptions, label: 'opengles (compatibility)' });
  } else {
    const compat = backend === 'opengles';
    tries.push({ flags: [`backend=${backend}`], options: compat ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : { powerPreference: 'high-performance' }, label: backend });
  }
  for (const t of tries) {
    const gpu = create([...t.flags, ...dawnFlags]);
    const adapter = await gpu.requestAdapter(t.options);
    if (adapter === null) continue;
    const requiredLimits: Record<string, number> = {};
    for (const k in adapter.limits) {
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') requiredLimits[k] = v;
    }
    if (dtype === 'f16' && !adapter.features.has('shader-f16')) continue;
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: dtype === 'f16' ? ['shader-f16'] : [] });
    const i = adapter.info;
    return { gpu, device, description: `${t.label}: ${[i.vendor, i.architecture, i.device, i.description].filter((x) => x).join(' ') || 'adapter'}` };
  }
  throw new Error(`no WebGPU adapter (backend ${backend}${dtype === 'f16' ? " with 'shader-f16'" : ''}); on Mesa install libegl1 libegl-mesa0 libgles2 libgbm1 (scripts/install-webgpu-deps.sh)`);
}

interface Row {
  title: string;
  flops: number;
  ms: number;
  /** ms per call over 20 back-to-back calls ended by a mapped read (throughput). */
  batchMs: number;
  runs: number;
  gflops: number;
  err: number;
  compileMs: number;
  /** Median ms of a call that also reads the result back (what the tfjs column measures). */
  readMs: number;
  tfjsMs?: number;
  tfjsErr?: number;
  tfjsNote?: string;
}

type Tf = typeof import('@tensorflow/tfjs-core');

/**
 * tfjs-core with its `webgpu` backend on the same Dawn instance (tfjs reads navigator.gpu; on
 * OpenGL ES the adapter request is forced to compatibility mode), or why it cannot run.
 */
async function loadTfjs(gpu: GPU, compat: boolean): Promise<{ tf: Tf } | { reason: string }> {
  try {
    // Dawn's methods need the real GPU object as `this`, so the shim forwards explicitly.
    const shim: GPU = Object.create(gpu);
    shim.requestAdapter = (o?: GPURequestAdapterOptions) => gpu.requestAdapter(compat ? ({ ...(o ?? {}), featureLevel: 'compatibility' } as GPURequestAdapterOptions) : o);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: shim, userAgent: 'node' }, configurable: true });
    else Object.defineProperty(nav, 'gpu', { value: shim, configurable: true });
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { reason: 'tf.setBackend("webgpu") failed' };
    await tf.ready();
    return { tf };
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] };
  }
}

/** Median ms of tfjs (matMul for GEMM, einsum otherwise) and its error vs the CPU result. */
async function tfjsMeasure(tf: Tf, b: Bench, data: Float64Array[], cpu: Float64Array, abs: Float64Array): Promise<Pick<Row, 'tfjsMs' | 'tfjsErr' | 'tfjsNote'>> {
  if (b.tfjsEq === undefined) return { tfjsNote: 'tfjs einsum takes at most 2 operands' };
  const xs = b.net.tensors.map((t, k) => tf.tensor(Float32Array.from(data[k]), t.indices.map((ix) => b.net.sizes[ix])));
  const run = () => (b.tfjsEq === 'ik,kj->ij' ? tf.matMul(xs[0] as never, xs[1] as never) : tf.einsum(b.tfjsEq!, ...xs));
  try {
    const first = run();
    const got = await first.data();
    first.dispose();
    let err = 0;
    for (let i = 0; i < cpu.length; i++) err = Math.max(err, Math.abs(got[i] - cpu[i]) / (abs[i] + 1e-30));
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 3 || (times.length < maxRuns && performance.now() - start < budgetS * 1e3)) {
      const t = performance.now();
      // tfjs submits lazily; reading the result is its only public way to wait for the work.
      const r = run();
      await r.data();
      times.push(performance.now() - t);
      r.dispose();
    }
    times.sort((x, y) => x - y);
    return { tfjsMs: times[times.length >> 1], tfjsErr: err };
  } catch (e) {
    return { tfjsNote: (e as Error).message.split('\n')[0].slice(0, 80) };
  } finally {
    for (const x of xs) x.dispose();
  }
}

async function measure(device: GPUDevice, b: Bench, tf: Tf | undefined): Promise<Row> {
  const planned = planContraction(b.net);
  const plan = lowerNetwork(b.net, planned, 'bench');
  const flops = Number(planned.cost.flops);
  const t0 = performance.now();
  const model = await gpuCreateModel(device, webGpuModuleData([plan], dtype === 'f16' ? ['f32', 'f16'] : ['f32']), { precision: dtype as 'f32' | 'f16' });
  const compileMs = performance.now() - t0;
  const data = b.net.tensors.map((t, k) => random(t.indices.reduce((p, ix) => p * b.net.sizes[ix], 1), 17 + k).map((x) => x * (b.scale ?? 1)));
  const inputs: Record<string, GPUBuffer> = {};
  b.net.tensors.forEach((t, k) => {
    const bytes = Math.max(4, Math.ceil((data[k].length * elemBytes) / 4) * 4);
    const buf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    // f16 buffers hold half bits, padded so writeBuffer gets a multiple of 4 bytes.
    const host = dtype === 'f16' ? new Uint16Array(bytes / 2) : new Float32Array(bytes / 4);
    for (let i = 0; i < data[k].length; i++) host[i] = dtype === 'f16' ? gpuHalf.toHalf(data[k][i]) : data[k][i];
    device.queue.writeBuffer(buf, 0, host);
    inputs[t.name] = buf;
  });
  const outCount = b.net.output.reduce((p, ix) => p * b.net.sizes[ix], 1);
  const output = device.createBuffer({ size: Math.max(4, Math.ceil((outCount * elemBytes) / 4) * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });

  // Correctness once (and warm-up): read back and compare with the CPU target in f64.
  const got = (await model.run('bench', inputs, undefined, { read: true })) as ArrayLike<number>;
  const cpu = cpuRun(plan, b.net, data);
  const abs = cpuRun(plan, b.net, data.map((d) => d.map(Math.abs)));
  let err = 0;
  for (let i = 0; i < cpu.length; i++) err = Math.max(err, Math.abs(got[i] - cpu[i]) / (abs[i] + 1e-30));

  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (times.length < maxRuns && performance.now() - start < budgetS * 1e3)) {
    const t = performance.now();
    await model.run('bench', inputs, undefined, { output });
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const ms = times[times.length >> 1];
  // Throughput that cannot be fooled by an early queue-idle signal: `batch` calls back to back,
  // then the output is copied out and mapped, which waits for every call's work.
  const batch = 20;
  const staging = device.createBuffer({ size: output.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const batchTimes: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) await model.run('bench', inputs, undefined, { output });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(output, 0, staging, 0, output.size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    staging.unmap();
    batchTimes.push((performance.now() - t) / batch);
  }
  staging.destroy();
  batchTimes.sort((x, y) => x - y);
  const batchMs = batchTimes[1];
  const readTimes: number[] = [];
  const readStart = performance.now();
  while (readTimes.length < 3 || (readTimes.length < maxRuns && performance.now() - readStart < budgetS * 1e3)) {
    const t = performance.now();
    await model.run('bench', inputs, undefined, { read: true });
    readTimes.push(performance.now() - t);
  }
  readTimes.sort((x, y) => x - y);
  const readMs = readTimes[readTimes.length >> 1];
  model.destroy();
  for (const buf of Object.values(inputs)) buf.destroy();
  output.destroy();
  const peer = tf === undefined || dtype === 'f16' ? {} : await tfjsMeasure(tf, b, data, cpu, abs);
  return { title: b.title, flops, ms, batchMs, readMs, runs: times.length, gflops: flops / batchMs / 1e6, err, compileMs, ...peer };
}

/** The CPU target's runtime in f64 on the same plan. */
function cpuRun(plan: KernelPlan, n: TensorNetwork, data: Float64Array[]): Float64Array {
  return createRunner(plan, 'f64')(Object.fromEntries(n.tensors.map((t, k) => [t.name, data[k]]))) as Float64Array;
}

async function main(): Promise<void> {
  const { gpu, device, description } = await openDevice();
  const benches = quick ? [gemm(256), gemm(512), mps(), tt(32), tucker(), peps()] : [gemm(256), gemm(512), gemm(1024), mps(), tt(256), tucker(), peps()];
  console.log(`tnc bench:webgpu — node ${process.version}, Dawn (npm webgpu), ${description}, storage ${dtype}`);
  console.log(`max ${maxRuns} timed runs per model within ${budgetS} s; inputs resident in GPUBuffers; time = record + submit + queue idle\n`);
  const peer = useTfjs && dtype === 'f32' ? await loadTfjs(gpu, description.startsWith('opengles')) : { reason: 'disabled (--no-tfjs)' };
  const tf = 'tf' in peer ? peer.tf : undefined;
  console.log(`tfjs: ${tf ? `@tensorflow/tfjs-backend-webgpu ${tf.version_core}, same Dawn instance, own device` : (peer as { reason: string }).reason}\n`);
  console.log('ms: one call with inputs resident, until the queue reports idle; batch ms: per call over 20 calls ended by a mapped copy of the output (GFLOP/s use this); +read ms: the same call reading the result back (as tfjs must); speed-up = tfjs ms / tnc +read ms');
  const head = ['model', 'GFLOP (planned)', 'ms (median)', 'batch ms', 'runs', 'GFLOP/s', '+read ms', 'compile ms', 'err vs CPU f64', 'tfjs ms', 'tfjs GFLOP/s', 'tfjs err', 'speed-up'];
  console.log(head.join('\t'));
  const rows: Row[] = [];
  for (const b of benches) {
    const r = await measure(device, b, tf);
    rows.push(r);
    const t = r.tfjsMs;
    console.log(
      [r.title, (r.flops / 1e9).toFixed(3), r.ms.toFixed(2), r.batchMs.toFixed(3), r.runs, r.gflops.toFixed(2), r.readMs.toFixed(2), r.compileMs.toFixed(0), r.err.toExponential(1),
        t === undefined ? (r.tfjsNote ?? '—') : t.toFixed(2), t === undefined ? '—' : (r.flops / t / 1e6).toFixed(2), r.tfjsErr === undefined ? '—' : r.tfjsErr.toExponential(1), t === undefined ? '—' : (t / r.readMs).toFixed(2)].join('\t'),
    );
  }
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ device: description, rows }, null, 2));
  device.destroy();
  void gpu;
  const bad = rows.filter((r) => !(r.err <= errLimit));
  if (bad.length > 0) {
    console.error(`results differ from the CPU target: ${bad.map((r) => r.title).join(', ')}`);
    process.exitCode = 1;
  }
}

// Keep the event loop alive while Dawn's promises are pending (they settle from its own polling).
const keepAlive = setInterval(() => {}, 1000);
try {
  await main();
} finally {
  clearInterval(keepAlive);
}
// Dawn keeps the process alive after the device is destroyed; the work is done.
process.exit(process.exitCode ?? 0);
