// node --import tsx bench/wasm-kernels.ts [--dtype f32|f64] [--tiles 4x2b,5x2s,...] [--rounds N] [--mul-add]
//
// The generated GEMM micro-kernels alone, on packed panels resident in L1/L2, against the
// machine's 128-bit FMA ceiling measured in the same process: a register-only loop of twelve
// independent relaxed_madd chains (no loads; enough chains to cover the FMA latency). Each
// tile is MRxNV<variant> (rows × v128 per row, the step order of gemm-module.ts: b =
// load-splat, s = shuffles, a, inline). Rounds interleave the ceiling and every kernel and
// time process CPU, so a shared machine's noise shows up as spread rather than bias; the
// fraction of the ceiling is taken per round (the clock moves on a VM). Needs relaxed SIMD
// (on Node 20 the runtime's own flag logic turns it on). This is what docs/CPU-BACKEND.md's
// tile table was measured with.

import { buildKernel, type KernelShape } from '../src/backends/cpu/wasm/gemm-module.js';
import { FunctionBuilder, ModuleBuilder, ValType } from '../src/backends/cpu/wasm/encoder.js';
import { relaxedSimdValidates } from '../src/backends/cpu/wasm/relaxed-simd.js';
import { GEMM_WASM_FMA_BYTES } from '../src/backends/cpu/wasm/gemm-bytes.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const dtypes = opt('--dtype', 'f32,f64').split(',') as ('f32' | 'f64')[];
const rounds = Number(opt('--rounds', '12'));
const fma = !args.includes('--mul-add');

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const median = (a: number[]): number => sorted(a)[a.length >> 1];
const p90 = (a: number[]): number => sorted(a)[Math.min(a.length - 1, Math.floor(a.length * 0.9))];

function instantiate(fn: FunctionBuilder, pages: number): { run: (...a: number[]) => void; memory: WebAssembly.Memory } {
  const mod = new ModuleBuilder({ min: 1 });
  mod.addFunction('k', fn);
  const memory = new WebAssembly.Memory({ initial: pages });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } });
  return { run: inst.exports.k as (...a: number[]) => void, memory };
}

/** GFLOP/s of a register-only loop of twelve independent FMA chains (one burst). */
function ceiling(dtype: 'f32' | 'f64'): () => number {
  const f = new FunctionBuilder([ValType.i32]);
  const x = f.local(ValType.v128), y = f.local(ValType.v128);
  const acc = Array.from({ length: 12 }, () => f.local(ValType.v128));
  f.loop();
  for (const a of acc) {
    f.get(x).get(y).get(a);
    if (dtype === 'f32') f.f32x4RelaxedMadd();
    else f.f64x2RelaxedMadd();
    f.set(a);
  }
  f.inc(0, -1).get(0).brIf(0);
  f.end();
  // Stored, so the chains are live.
  acc.forEach((a, i) => f.i32(i * 16).get(a).v128Store());
  const { run } = instantiate(f, 1);
  const flopsPerIter = 12 * 2 * (dtype === 'f32' ? 4 : 2);
  for (let i = 0; i < 20; i++) run(1e5);
  return () => {
    const t = cpuMs();
    run(1e6);
    return (flopsPerIter * 1e6) / ((cpuMs() - t) * 1e6);
  };
}

/** GFLOP/s of one kernel over mr·32 rows × ~512 columns × kc 256 of packed panels (one ~25 ms burst). */
function kernel(shape: KernelShape): () => number {
  const es = shape.dtype === 'f32' ? 4 : 8;
  const nr = shape.nv * (16 / es);
  const mp = shape.mr * 32, np = nr * Math.floor(512 / nr), kc = 256;
  const { run, memory } = instantiate(buildKernel(shape), 256);
  const view = shape.dtype === 'f32' ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  for (let i = 0; i < view.length; i++) view[i] = (i % 7) * 0.01;
  const call = (): void => run(mp, np, kc, 1 << 22, 1 << 23, 0, np * es, mp, 1024, 1);
  const warm = performance.now();
  while (performance.now() - warm < 150) call(); // past V8's tier-up to TurboFan
  return () => {
    let calls = 0;
    const t = cpuMs(), w = performance.now();
    while (performance.now() - w < 25) {
      call();
      calls++;
    }
    return (2 * mp * np * kc * calls) / ((cpuMs() - t) * 1e6);
  };
}

if (!relaxedSimdValidates(GEMM_WASM_FMA_BYTES)) {
  console.log('relaxed SIMD is not available here (Node < 20.16 without the flag, or TNC_NO_RELAXED_SIMD set)');
  process.exit(1);
}
for (const dtype of dtypes) {
  const tiles = opt('--tiles', dtype === 'f32' ? '4x2b,5x2s,3x3b,6x2b' : '4x2b,3x3b,5x2s');
  const runners: [string, () => number][] = tiles.split(',').map((t) => {
    const m = /^(\d+)x(\d+)(a|b|s|inline)$/.exec(t);
    if (m === null) throw new Error(`bad tile ${t}: MRxNV followed by a, b, s or inline`);
    const shape: KernelShape = { dtype, mr: Number(m[1]), nv: Number(m[2]), unroll: 1, variant: m[3] as KernelShape['variant'], endByPointer: true, fma };
    return [t, kernel(shape)];
  });
  const peak = ceiling(dtype);
  const peaks: number[] = [];
  const got = new Map<string, { g: number[]; f: number[] }>(runners.map(([t]) => [t, { g: [], f: [] }]));
  for (let r = 0; r < rounds; r++) {
    const p = Math.max(peak(), peak());
    peaks.push(p);
    for (const [t, run] of runners) {
      const g = run();
      got.get(t)!.g.push(g);
      got.get(t)!.f.push(g / p);
    }
  }
  console.log(`${dtype} (${fma ? 'relaxed_madd' : 'mul + add'}), ${rounds} rounds: FMA ceiling median ${median(peaks).toFixed(1)} GFLOP/s (p90 ${p90(peaks).toFixed(1)})`);
  for (const [t, { g, f }] of got) {
    console.log(`  ${t.padEnd(8)} median ${median(g).toFixed(1)}  p90 ${p90(g).toFixed(1)}  min ${Math.min(...g).toFixed(1)} GFLOP/s   fraction of the ceiling ${median(f).toFixed(2)}`);
  }
}
