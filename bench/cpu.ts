// npm run bench:cpu — CPU speed of tnc against numpy (OpenBLAS, one thread), tfjs `cpu` and
// tfjs `wasm` (one thread, SIMD), all measured in this run on this machine.
//
//   GEMM n = 256/512/1024, f32 and f64: tnc fastGemm (the dispatcher the runtime uses), the
//   same product through the public einsum('ab,bc->ac'), and
//   its kernels alone (plain TypeScript, wasm SIMD128, wasm on two worker threads); tfjs matMul (f32 only: tfjs has no
//   f64); numpy matmul with the machine's OPENBLAS_* env as-is and with OPENBLAS_CORETYPE and
//   OPENBLAS_L2_SIZE unset for that command.
//   Models through tnc's public einsum (path planned once and cached, like numpy's precomputed
//   path): MPS norm (32 sites, D=64), TT-layer 4096×4096 rank 16 on a batch of 256, Tucker
//   64³ from a 16³ core, PEPS 4×4 norm D=4, CP-ALS MTTKRP (128³, rank 32); f64.
//   The large models (chain3, tt-64-8, tucker) again with setCpuThreads(2) beside one thread
//   (interleaved rounds, wall time, 2+ cores), against numpy on one OpenBLAS thread; a table
//   of its own, so the one-thread target lines keep their meaning.
//
// Every figure is a median over repeated calls after a warm-up. Flags: --quick (n=512, MPS,
// Tucker, PEPS and the small MPS norms), --budget SECONDS (time per measurement, default 0.4), --cpu-time (time
// CPU time, not wall time: for a machine shared with other work), --no-numpy, --no-tfjs,
// --json FILE (write all numbers).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createPlainGemm, fastGemm, type GemmFn } from '../src/backends/cpu/gemm.js';
import { createWasmGemm, preferredGemmBytes } from '../src/backends/cpu/wasm/gemm-wasm.js';
import { createGemmThreads } from '../src/backends/cpu/wasm/gemm-threads.js';
import { availableParallelism } from 'node:os';
import { einsum } from '../src/api/einsum.js';
import { compile } from '../src/api/compile.js';
import { setCpuThreads } from '../src/api/threads.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const budgetArg = args.indexOf('--budget');
const budgetS = budgetArg >= 0 ? Number(args[budgetArg + 1]) : 0.4;
const jsonArg = args.indexOf('--json');
const useNumpy = !args.includes('--no-numpy');
const useTfjs = !args.includes('--no-tfjs');
// On a shared machine wall time mostly measures the other processes: --cpu-time times this
// process's CPU time instead (and numpy's process_time), which is what a quiet machine gives.
const cpuTime = args.includes('--cpu-time');
const now = cpuTime
  ? (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  : (): number => performance.now();

/** Median milliseconds of `fn` over at least 3 calls and about `budgetS` seconds, after a warm-up. */
function medianMs(fn: () => unknown, budget = budgetS): number {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budget * 1e3 && times.length < 200)) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function random(n: number, f32: boolean): Float32Array | Float64Array {
  const a = f32 ? new Float32Array(n) : new Float64Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

const gflops = (flops: number, ms: number): number => flops / ms / 1e6;
const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

// ---------------------------------------------------------------- numpy (python3 peer)

interface NumpyResult {
  numpy: string;
  env: Record<string, string | null>;
  gemm: Record<string, number>;
  models: Record<string, number>;
}

function runNumpy(tasks: object, unsetCoreEnv: boolean): NumpyResult | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-'));
  const file = join(dir, 'tasks.json');
  writeFileSync(file, JSON.stringify({ ...tasks, budget_s: budgetS, cpu_time: cpuTime }));
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  if (unsetCoreEnv) {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const script = join(dirname(new URL(import.meta.url).pathname), 'numpy_cpu.py');
  const r = spawnSync('python3', [script, file], { env, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) {
    console.error(`numpy peer failed (${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}); numpy columns left empty`);
    return undefined;
  }
  return JSON.parse(r.stdout) as NumpyResult;
}

// ---------------------------------------------------------------- tfjs

type Tf = typeof import('@tensorflow/tfjs-core');

async function loadTfjs(): Promise<Tf | undefined> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasmBackend = await import('@tensorflow/tfjs-backend-wasm');
    // Local files only (no network): the backend reads its .wasm from node_modules.
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasmBackend.setWasmPaths(`${dist}/`);
    // One thread, to compare with single-threaded numpy and tnc.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return tf;
  } catch (e) {
    console.error(`tfjs unavailable (${(e as Error).message}); tfjs columns left empty`);
    return undefined;
  }
}

async function tfjsMatMulMs(tf: Tf, backend: 'cpu' | 'wasm', n: number): Promise<number | undefined> {
  if (!(await tf.setBackend(backend))) return undefined;
  await tf.ready();
  const a = tf.tensor2d(random(n * n, true) as Float32Array, [n, n]);
  const b = tf.tensor2d(random(n * n, true) as Float32Array, [n, n]);
  // tfjs cpu runs ~1 GFLOP/s: cap its time at n=1024 with a smaller budget (still ≥ 3 calls).
  const ms = medianMs(() => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }, backend === 'cpu' && n >= 1024 ? 0.1 : budgetS);
  a.dispose();
  b.dispose();
  return ms;
}

// ---------------------------------------------------------------- GEMM

interface GemmRow {
  dtype: 'f32' | 'f64';
  n: number;
  tnc: number;
  /** The same product through tnc's public einsum('ab,bc->ac') (plan cached, output allocated). */
  einsum: number;
  plain: number;
  wasm?: number;
  /** wasm kernel split across two threads (worker_threads), when the machine has 2+ cores. */
  threads2?: number;
  tfjsCpu?: number;
  tfjsWasm?: number;
  numpy?: number;
  numpyUnset?: number;
}

function tncGemmMs(gemm: GemmFn, n: number, f32: boolean, budget = budgetS): number {
  const a = random(n * n, f32), b = random(n * n, f32), c = f32 ? new Float32Array(n * n) : new Float64Array(n * n);
  return medianMs(() => gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), budget);
}

function einsumGemmMs(n: number, f32: boolean): number {
  const a = { shape: [n, n], data: random(n * n, f32) }, b = { shape: [n, n], data: random(n * n, f32) };
  return medianMs(() => einsum('ab,bc->ac', a, b));
}

// ---------------------------------------------------------------- models through einsum

interface Model {
  name: string;
  title: string;
  /** Nominal flops of the best contraction order (2 per multiply-add). */
  flops: number;
  eq: string;
  operands: { shape: number[]; data: Float64Array }[];
}

/** Index names beyond 52 letters: CJK ideographs (tnc accepts any Unicode index). */
const ix = (i: number): string => String.fromCodePoint(0x4e00 + i);

function mpsModel(sites = 32, D = 64): Model {
  const d = 2;
  const terms: string[] = [];
  const operands: Model['operands'] = [];
  let next = 0;
  const ket: string[] = [], bra: string[] = [], phys: string[] = [];
  for (let i = 0; i <= sites; i++) {
    ket.push(ix(next++));
    bra.push(ix(next++));
  }
  for (let i = 0; i < sites; i++) phys.push(ix(next++));
  for (let i = 0; i < sites; i++) {
    const shape = [i === 0 ? 1 : D, d, i === sites - 1 ? 1 : D];
    const data = random(shape[0] * shape[1] * shape[2], false) as Float64Array;
    terms.push(ket[i] + phys[i] + ket[i + 1], bra[i] + phys[i] + bra[i + 1]);
    operands.push({ shape, data }, { shape, data });
  }
  // Per inner site: E·A (2·D²·d·D) then ·A (2·D·d·D·D).
  const name = sites === 32 && D === 64 ? 'mps' : `mps-${sites}-${D}`;
  return { name, title: `MPS norm ${sites} sites D=${D}`, flops: (sites - 2) * 4 * d * D ** 3, eq: `${terms.join(',')}->`, operands };
}

/** The issue's 3-matrix chain, n = 512: (A·B)·C. */
function chainModel(): Model {
  const n = 512;
  const operands = [0, 1, 2].map(() => ({ shape: [n, n], data: random(n * n, false) as Float64Array }));
  return { name: 'chain3', title: 'matrix chain 3×512²', flops: 2 * 2 * n ** 3, eq: 'ab,bc,cd->ad', operands };
}

function ttModel(b = 256, r = 16): Model {
  const n = 16;
  const shapes = [[b, n, n, n], [n, n, r], [r, n, n, r], [r, n, n]];
  // x·G3 (2·b·n²·n·n·r), ·G2 (2·b·n·n·r·n·n·r), ·G1 (2·b·n³·n·r).
  const flops = 2 * b * n ** 4 * r + 2 * b * n ** 4 * r * r + 2 * b * n ** 4 * r;
  const name = b === 256 && r === 16 ? 'tt' : `tt-${b}-${r}`;
  return { name, title: `TT-layer 4096² r=${r} b=${b}`, flops, eq: 'bxyz,xir,ryjs,szk->bijk', operands: shapes.map((s) => ({ shape: s, data: random(s.reduce((p, q) => p * q, 1), false) as Float64Array })) };
}

/**
 * A model's equation as a .tn program (each index a dim `x<code point>`, each operand a
 * param `T<i>`, the output `X`), with its operands keyed by param name.
 */
function modelAsTn(m: Model): { source: string; inputs: Record<string, Float64Array>; outLength: number } {
  const [lhs, rhs] = m.eq.split('->');
  const terms = lhs.split(',').map((t) => [...t]);
  const out = [...rhs];
  const name = (c: string) => `x${c.codePointAt(0)}`;
  const sizes = new Map<string, number>();
  terms.forEach((t, i) => t.forEach((c, a) => sizes.set(c, m.operands[i].shape[a])));
  const lines = [`dim ${[...sizes].map(([c, n]) => `${name(c)} = ${n}`).join(', ')}`];
  lines.push(`param ${terms.map((t, i) => `T${i}[${t.map(name).join(', ')}]`).join(', ')}`);
  lines.push(`out X[${out.map(name).join(', ')}] = ${terms.map((t, i) => `T${i}[${t.map(name).join(', ')}]`).join(' ')}`);
  const inputs: Record<string, Float64Array> = {};
  m.operands.forEach((op, i) => (inputs[`T${i}`] = op.data));
  return { source: lines.join('\n') + '\n', inputs, outLength: out.reduce((p, c) => p * sizes.get(c)!, 1) };
}

function tuckerModel(): Model {
  const shapes = [[16, 16, 16], [64, 16], [64, 16], [64, 16]];
  const flops = 2 * (64 * 16 ** 3 + 64 ** 2 * 16 ** 2 + 64 ** 3 * 16);
  return { name: 'tucker', title: 'Tucker 64³ from 16³', flops, eq: 'abc,ia,jb,kc->ijk', operands: shapes.map((s) => ({ shape: s, data: random(s.reduce((p, q) => p * q, 1), false) as Float64Array })) };
}

function pepsModel(): Model {
  const L = 4, D = 4, d = 2;
  let next = 0;
  const h = (layer: number, i: number, j: number) => `h${layer}_${i}_${j}`;
  const v = (layer: number, i: number, j: number) => `v${layer}_${i}_${j}`;
  const names = new Map<string, string>();
  const name = (key: string) => {
    if (!names.has(key)) names.set(key, ix(next++));
    return names.get(key)!;
  };
  const terms: string[] = [];
  const operands: Model['operands'] = [];
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      const legs: [string, number][] = [[`p_${i}_${j}`, d]];
      if (i > 0) legs.push(['U', D]);
      if (j > 0) legs.push(['L', D]);
      if (j < L - 1) legs.push(['R', D]);
      if (i < L - 1) legs.push(['D', D]);
      const shape = legs.map(([, s]) => s);
      const data = random(shape.reduce((p, q) => p * q, 1), false) as Float64Array;
      for (const layer of [0, 1]) {
        const term = legs.map(([k]) => {
          if (k.startsWith('p_')) return name(k);
          if (k === 'U') return name(v(layer, i - 1, j));
          if (k === 'D') return name(v(layer, i, j));
          if (k === 'L') return name(h(layer, i, j - 1));
          return name(h(layer, i, j));
        });
        terms.push(term.join(''));
        operands.push({ shape, data });
      }
    }
  }
  // No single nominal count: the cost depends on the contraction order, so no GFLOP/s here.
  const flops = NaN;
  return { name: 'peps', title: 'PEPS 4×4 norm D=4', flops, eq: `${terms.join(',')}->`, operands };
}

function mttkrpModel(): Model {
  const n = 128, r = 32;
  const shapes = [[n, n, n], [n, r], [n, r]];
  return { name: 'mttkrp', title: 'CP-ALS MTTKRP 128³ r=32', flops: 2 * n ** 3 * r + 2 * n * n * r, eq: 'ijk,jr,kr->ir', operands: shapes.map((s) => ({ shape: s, data: random(s.reduce((p, q) => p * q, 1), false) as Float64Array })) };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const sizes = quick ? [512] : [256, 512, 1024];
  // The issue's targets: the large models (chain3, tt-64-8, tucker) within 2× of numpy; at
  // least 2× faster than numpy where numpy needs under 1 ms (small MPS norms).
  const small = [mpsModel(8, 8), mpsModel(16, 16), mpsModel(32, 16)];
  const models = quick
    ? [mpsModel(), tuckerModel(), pepsModel(), ...small]
    : [mpsModel(), ttModel(), ttModel(64, 8), chainModel(), tuckerModel(), pepsModel(), mttkrpModel(), ...small];
  const tasks = { gemm: (['f32', 'f64'] as const).flatMap((dt) => sizes.map((n) => [n, dt])), models: models.map((m) => m.name) };
  const t0 = performance.now();
  const npAsIs = useNumpy ? runNumpy(tasks, false) : undefined;
  const npUnset = useNumpy ? runNumpy(tasks, true) : undefined;
  const tf = useTfjs ? await loadTfjs() : undefined;

  const wasm = createWasmGemm();
  const plain = createPlainGemm();
  // CPU time adds up both threads, so the two-thread column needs wall time.
  const pool = availableParallelism() > 1 && !cpuTime ? await createGemmThreads(2) : null;
  const rows: GemmRow[] = [];
  for (const dtype of ['f32', 'f64'] as const) {
    for (const n of sizes) {
      const f32 = dtype === 'f32';
      const row: GemmRow = {
        dtype, n,
        tnc: tncGemmMs(fastGemm, n, f32),
        einsum: einsumGemmMs(n, f32),
        plain: tncGemmMs(plain, n, f32, n >= 1024 ? 0.1 : budgetS),
        wasm: wasm ? tncGemmMs(wasm.gemm, n, f32) : undefined,
        threads2: pool ? tncGemmMs(pool.gemm, n, f32) : undefined,
        numpy: npAsIs?.gemm[`${dtype}:${n}`],
        numpyUnset: npUnset?.gemm[`${dtype}:${n}`],
      };
      if (tf && f32) {
        row.tfjsCpu = await tfjsMatMulMs(tf, 'cpu', n);
        row.tfjsWasm = await tfjsMatMulMs(tf, 'wasm', n);
      }
      rows.push(row);
    }
  }

  const modelRows = models.map((m) => {
    const run = () => einsum(m.eq, ...m.operands);
    const ms = medianMs(run);
    // The same network as a compiled .tn function writing into the caller's output buffer
    // (the steady-state interface of generated modules: no allocation per call).
    const { source, inputs, outLength } = modelAsTn(m);
    const fn = compile(source, { dtype: 'f64' }).X as (inputs: Record<string, Float64Array>, dims: undefined, out: Float64Array) => Float64Array;
    const out = new Float64Array(outLength);
    const compiledMs = medianMs(() => fn(inputs, undefined, out));
    return { name: m.name, title: m.title, flops: m.flops, tnc: ms, compiled: compiledMs, numpy: npAsIs?.models[m.name], numpyUnset: npUnset?.models[m.name] };
  });

  // The large models on two threads beside one, in alternating rounds (the pool restarted
  // each time, outside the timing), median of the rounds' medians.
  const largeNames = ['chain3', 'tt-64-8', 'tucker'];
  const threadRows: { name: string; title: string; flops: number; one: number; two: number; threads: number; numpy?: number }[] = [];
  if (availableParallelism() > 1 && !cpuTime) {
    for (const m of models.filter((x) => largeNames.includes(x.name))) {
      const run = () => einsum(m.eq, ...m.operands);
      const one: number[] = [], two: number[] = [];
      let threads = 1;
      for (let round = 0; round < 3; round++) {
        await setCpuThreads(1);
        one.push(medianMs(run));
        threads = await setCpuThreads(2);
        two.push(medianMs(run));
      }
      await setCpuThreads(1);
      const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      threadRows.push({ name: m.name, title: m.title, flops: m.flops, one: mid(one), two: mid(two), threads, numpy: npAsIs?.models[m.name] });
    }
  }

  const envDesc = (r?: NumpyResult) => (r ? `CORETYPE=${r.env.OPENBLAS_CORETYPE ?? 'unset'} L2_SIZE=${r.env.OPENBLAS_L2_SIZE ?? 'unset'}` : 'not run');
  console.log(`tnc bench:cpu (${cpuTime ? 'process CPU time' : 'wall time'}) — node ${process.version}, wasm kernels: ${preferredGemmBytes()?.kind ?? 'none'}, numpy ${npAsIs?.numpy ?? '—'} (1 thread; as-is: ${envDesc(npAsIs)}; second column: ${envDesc(npUnset)}), tfjs 4.22 (wasm: SIMD, 1 thread)`);
  console.log('\nGEMM C = A·B, n×n, GFLOP/s (median); tnc = fastGemm (one thread), einsum = tnc einsum(\'ab,bc->ac\'); ratios = tnc / peer');
  pool?.close();
  const head = ['dtype', 'n', 'tnc', 'einsum', 'plainTS', 'wasm', 'wasm2T', 'tfjsCpu', 'tfjsWasm', 'numpy', 'numpyUnset', 'tnc/tfjsWasm', 'plain/tfjsCpu', 'tnc/numpy', 'tnc/numpyUnset'];
  console.log(head.join('\t'));
  for (const r of rows) {
    const f = 2 * r.n ** 3;
    const g = (ms?: number) => (ms === undefined ? undefined : gflops(f, ms));
    console.log([r.dtype, r.n, fmt(g(r.tnc)), fmt(g(r.einsum)), fmt(g(r.plain), 2), fmt(g(r.wasm)), fmt(g(r.threads2)), fmt(g(r.tfjsCpu), 2), fmt(g(r.tfjsWasm)), fmt(g(r.numpy)), fmt(g(r.numpyUnset)),
      fmt(r.tfjsWasm === undefined ? undefined : r.tfjsWasm / r.tnc, 2), fmt(r.tfjsCpu === undefined ? undefined : r.tfjsCpu / r.plain, 2),
      fmt(r.numpy === undefined ? undefined : r.numpy / r.tnc, 2), fmt(r.numpyUnset === undefined ? undefined : r.numpyUnset / r.tnc, 2)].join('\t'));
  }
  const at512 = (dt: 'f32' | 'f64') => rows.find((r) => r.dtype === dt && r.n === 512);
  const f = 2 * 512 ** 3;
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  const r32 = at512('f32'), r64 = at512('f64');
  if (r32 && r64) {
    console.log('\nIssue targets at n=512, one thread:');
    console.log(`  f32 ≥ 50 GFLOP/s: ${fmt(gflops(f, r32.tnc))} — ${verdict(gflops(f, r32.tnc) >= 50)}`);
    console.log(`  f64 ≥ 25 GFLOP/s: ${fmt(gflops(f, r64.tnc))} — ${verdict(gflops(f, r64.tnc) >= 25)}`);
    const vsWasm = r32.tfjsWasm === undefined ? undefined : r32.tfjsWasm / r32.tnc;
    console.log(`  f32 ≥ 1.2× tfjs wasm matMul: ${fmt(vsWasm, 2)}× — ${verdict(vsWasm === undefined ? undefined : vsWasm >= 1.2)}`);
    const vsCpu = r32.tfjsCpu === undefined ? undefined : r32.tfjsCpu / r32.plain;
    console.log(`  plain TS ≥ 4× tfjs cpu matMul: ${fmt(vsCpu, 2)}× — ${verdict(vsCpu === undefined ? undefined : vsCpu >= 4)}`);
    const two = r32.threads2 === undefined ? undefined : r32.wasm! / r32.threads2;
    console.log(`  two threads ≥ 1.8× one (f32, wall time only): ${fmt(two, 2)}× — ${verdict(two === undefined ? undefined : two >= 1.8)}`);
  }
  console.log('\nModels via tnc einsum (f64), ms (median) and GFLOP/s of the nominal best-order flops; speed-up = numpy ms / tnc ms');
  console.log('(compiled = the same network compiled from .tn, called with an output buffer: no allocation per call; einsum returns a fresh array)');
  console.log(['model', 'tnc ms', 'tnc GF/s', 'compiled ms', 'numpy ms', 'numpyUnset ms', 'speed-up', 'speed-up unset', 'compiled speed-up'].join('\t'));
  for (const r of modelRows) {
    console.log([r.title, fmt(r.tnc, 3), fmt(gflops(r.flops, r.tnc)), fmt(r.compiled, 3), fmt(r.numpy, 3), fmt(r.numpyUnset, 3),
      fmt(r.numpy === undefined ? undefined : r.numpy / r.tnc, 2), fmt(r.numpyUnset === undefined ? undefined : r.numpyUnset / r.tnc, 2),
      fmt(r.numpy === undefined ? undefined : r.numpy / r.compiled, 2)].join('\t'));
  }
  const large = modelRows.filter((r) => largeNames.includes(r.name) && r.numpy !== undefined);
  const quickOnes = modelRows.filter((r) => !largeNames.includes(r.name) && r.numpy !== undefined && r.numpy < 1);
  if (large.length + quickOnes.length > 0) {
    console.log('\nIssue targets for models (numpy as-is):');
    for (const r of large) {
      console.log(`  ${r.title} within 2× of numpy: einsum ${fmt(r.tnc / r.numpy!, 2)}× numpy's time — ${verdict(r.tnc <= 2 * r.numpy!)}; compiled with an output buffer ${fmt(r.compiled / r.numpy!, 2)}× — ${verdict(r.compiled <= 2 * r.numpy!)}`);
    }
    for (const r of quickOnes) console.log(`  ${r.title} (numpy ${fmt(r.numpy, 3)} ms < 1 ms) ≥ 2× faster: ${fmt(r.numpy! / r.tnc, 2)}× — ${verdict(r.numpy! >= 2 * r.tnc)}`);
  }
  if (threadRows.length > 0) {
    console.log('\nLarge models via tnc einsum (f64) with worker threads: setCpuThreads(2) beside one thread, wall time, alternating rounds');
    console.log('(not part of the one-thread targets above; numpy is one OpenBLAS thread, as-is env)');
    console.log(['model', '1T ms', '2T ms', '2T/1T speed-up', '1T GF/s', '2T GF/s', 'numpy ms', '2T × numpy time'].join('\t'));
    for (const r of threadRows) {
      console.log([r.title, fmt(r.one, 3), r.threads === 2 ? fmt(r.two, 3) : `— (threads unavailable: ${r.threads})`, fmt(r.one / r.two, 2), fmt(gflops(r.flops, r.one)), fmt(gflops(r.flops, r.two)),
        fmt(r.numpy, 3), fmt(r.numpy === undefined ? undefined : r.two / r.numpy, 2)].join('\t'));
    }
  } else {
    console.log(`\nLarge models with worker threads: not measured (${cpuTime ? '--cpu-time adds up both threads' : 'one core'}).`);
  }
  console.log('\ntfjs columns for models are absent: tfjs `wasm` has no einsum, and tfjs `cpu` einsum materialises the full product (hours/GBs here).');
  console.log(`total ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  if (jsonArg >= 0) writeFileSync(args[jsonArg + 1], JSON.stringify({ gemm: rows, models: modelRows, modelsThreads: threadRows, numpy: [npAsIs, npUnset] }, null, 2));
}

await main();
