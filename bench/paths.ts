// `npm run bench:paths`: contraction-order quality and planning time of every registered
// optimizer on the project's seeded networks (bench/networks.ts) and on cotengra's eight
// benchmark networks (/work/shared/networks/cotengra), plus numpy.einsum_path (greedy,
// optimal) through python3 where numpy is installed and the network has ≤ 52 indices.
// Costs are exact (opt_einsum convention) and shown as log10 flops; ratios are to the best
// tnc optimizer on that network. Results also go to bench/results/paths.json.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log2Big, treeCost } from '../src/optimizer/cost.js';
import { dpTree, type DpStats } from '../src/optimizer/dp.js';
import { getOptimizer, listOptimizers } from '../src/optimizer/index.js';
import { randomGreedyTree } from '../src/optimizer/random-greedy.js';
import { reconfigure } from '../src/optimizer/reconfigure.js';
import { chooseSlices } from '../src/optimizer/slice.js';
import { exactSlicing } from '../src/optimizer/slice-exact.js';
import { fromLinearPath, validateTree } from '../src/optimizer/tree.js';
import { benchNetworks, readCotengraJson, type BenchNetwork } from './networks.js';

const here = dirname(fileURLToPath(import.meta.url));
const COTENGRA_DIR = process.env.TNC_COTENGRA_DIR ?? '/work/shared/networks/cotengra';
/** Per-optimizer time cap (ms); `auto` runs at its own default budget. */
const CAP_MS = Number(process.env.BENCH_CAP_MS ?? 200);
/** Time allowed for all numpy.einsum_path runs together. */
const NUMPY_TIMEOUT_MS = 60_000;

/** Published figures for cotengra's networks (log10 flops), from /work/shared/networks/README.md. */
const PUBLISHED: Record<string, { label: string; log10: number }[]> = {
  sycamore_n53_m20_s0_e0_pABCDCDAB: [
    { label: 'cotengra random-greedy 128', log10: 18.680759440930593 },
    { label: 'cotengra hyper greedy+kahypar 300s', log10: 18.270356493772695 },
    { label: 'cotengra hyper SA 300s', log10: 18.039147512279065 },
  ],
};

interface Row {
  network: string;
  family: string;
  tensors: number;
  indices: number;
  results: Record<string, { log10Flops: number; log2Size: number; ms: number; error?: string }>;
  best: string;
  numpy?: Record<string, { log10Flops: number; ratio: number; s: number } | null>;
}

const log10 = (x: bigint): number => log2Big(x) / Math.log2(10);

function runAll(net: BenchNetwork, names: string[]): Row {
  const p = net.problem;
  const results: Row['results'] = {};
  for (const name of names) {
    // The exhaustive searches cannot help far beyond their reach; cap them by size too.
    if ((name === 'optimal' || name.startsWith('branch')) && p.inputs.length > 30) continue;
    const opts = name === 'auto' ? {} : { maxTimeMs: CAP_MS };
    const t0 = performance.now();
    try {
      const tree = getOptimizer(name).optimize(p, { ...opts, seed: 1 });
      const ms = performance.now() - t0;
      const bad = validateTree(tree, p);
      if (bad) throw new Error(`invalid tree: ${bad}`);
      const c = treeCost(p, tree);
      results[name] = { log10Flops: log10(c.flops), log2Size: c.log2Size, ms };
    } catch (e) {
      results[name] = { log10Flops: Infinity, log2Size: Infinity, ms: performance.now() - t0, error: String(e).slice(0, 120) };
    }
  }
  const best = Object.entries(results).reduce((a, b) => (b[1].log10Flops < a[1].log10Flops ? b : a))[0];
  return { network: net.name, family: net.family, tensors: p.inputs.length, indices: p.sizes.length, results, best };
}

interface SliceRow {
  network: string;
  limit: number;
  slices: number;
  overhead: number;
  ms: number;
  /**
   * The least possible total over that same unsliced cost, from the exact search
   * (slice-exact.ts), when its range covers the network: `proven` true when it finished
   * (`minOverhead` is then the optimum), else `minOverhead` is a proven lower bound.
   */
  exact?: { minOverhead: number; proven: boolean; ms: number };
}

/** Work cap of the exact slicing search per network in the bench (a few seconds at most). */
const EXACT_SLICING_BENCH_WORK = 30_000_000;

/**
 * The memory-limit target: the limit at 1/16 of the largest intermediate of a flops-optimised
 * tree (random-greedy, 32 runs, then reconfiguration), slices and tree chosen in
 * deterministic mode; overhead is the sliced total over that tree's unsliced cost.
 */
function slicingRows(nets: BenchNetwork[]): SliceRow[] {
  const out: SliceRow[] = [];
  for (const net of nets.filter((n) => n.family === 'peps-norm' || n.family === 'random-regular')) {
    const p = net.problem;
    const tree = reconfigure(randomGreedyTree(p, { repeats: 32, seed: 1 }), p);
    const limit = Number(treeCost(p, tree).size / 16n);
    if (limit < 1) continue;
    const t0 = performance.now();
    const plan = chooseSlices(p, tree, limit, { deterministic: true });
    const row: SliceRow = { network: net.name, limit, slices: plan.count, overhead: plan.overhead, ms: performance.now() - t0 };
    const t1 = performance.now();
    const exact = exactSlicing(p, limit, { upperBound: plan.slicedCost, maxWork: EXACT_SLICING_BENCH_WORK });
    if (exact) row.exact = { minOverhead: Number(exact.lowerBound) / Number(plan.unslicedCost), proven: exact.proven, ms: performance.now() - t1 };
    out.push(row);
  }
  return out;
}

interface DpProofRow {
  network: string;
  log10Flops: number;
  /** True when dp proved its tree optimal over all trees (exhaustive; plain networks such as these). */
  proven: boolean;
  ms: number;
  rounds: DpStats['rounds'];
}

/**
 * The dp speed target: dp without a time budget on the 4×4 PEPS norm and the 40-site MPS
 * expectation (the optimizer table caps dp at CAP_MS, too short to finish them).
 */
function dpProofRows(nets: BenchNetwork[]): DpProofRow[] {
  return nets
    .filter((n) => n.name === 'peps-4x4' || n.name === 'mps-mpo-L40')
    .map((net) => {
      const stats: DpStats = { rounds: [] };
      const t0 = performance.now();
      const tree = dpTree(net.problem, {}, stats);
      const ms = performance.now() - t0;
      const proven = tree.exhaustive === true && stats.rounds.length > 0 && stats.rounds.at(-1)!.found;
      return { network: net.name, log10Flops: log10(treeCost(net.problem, tree).flops), proven, ms, rounds: stats.rounds };
    });
}

function numpyPaths(nets: BenchNetwork[], rows: Row[]): void {
  const eligible = nets.filter((n) => n.problem.sizes.length <= 52);
  const payload = eligible.map((n) => ({ id: n.name, inputs: n.problem.inputs, output: n.problem.output, sizes: n.problem.sizes }));
  // numpy's exhaustive search can take minutes; keep what arrived within the time limit.
  const r = spawnSync('python3', [join(here, 'numpy_paths.py')], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 1 << 26, timeout: NUMPY_TIMEOUT_MS });
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.trim().startsWith('{'));
  if (lines.length === 0) {
    console.log(`numpy.einsum_path skipped: ${(r.stderr || r.error?.message || 'python3 failed').split('\n').slice(-2).join(' ')}`);
    return;
  }
  const out: Record<string, { greedy?: number[][]; optimal?: number[][]; greedy_s?: number; optimal_s?: number }> = {};
  for (const line of lines) {
    const rec = JSON.parse(line) as { id: string; kind: 'greedy' | 'optimal'; path: number[][]; seconds: number };
    const e = (out[rec.id] ??= {});
    e[rec.kind] = rec.path;
    e[`${rec.kind}_s`] = rec.seconds;
  }
  for (const net of eligible) {
    const row = rows.find((x) => x.network === net.name)!;
    const e = out[net.name];
    if (!e) continue;
    const bestL = row.results[row.best].log10Flops;
    // With the memory limit lifted numpy's paths are pairwise; anything else is not compared.
    const cost = (path: number[][]): number => {
      if (path.some((step) => step.length !== 2)) throw new Error('numpy returned a multi-operand step');
      return log10(treeCost(net.problem, fromLinearPath(net.problem.inputs.length, path)).flops);
    };
    row.numpy = {};
    for (const kind of ['greedy', 'optimal'] as const) {
      const path = e[kind];
      if (!path) {
        row.numpy[kind] = null;
        continue;
      }
      try {
        const l = cost(path);
        row.numpy[kind] = { log10Flops: l, ratio: 10 ** (l - bestL), s: (kind === 'greedy' ? e.greedy_s : e.optimal_s) ?? 0 };
      } catch {
        row.numpy[kind] = null;
      }
    }
  }
}

function main(): void {
  const names = listOptimizers();
  const nets = benchNetworks();
  if (existsSync(COTENGRA_DIR)) {
    for (const f of readdirSync(COTENGRA_DIR).filter((x) => x.endsWith('.json')).sort()) {
      nets.push(readCotengraJson(join(COTENGRA_DIR, f), f.replace(/\.json$/, '')));
    }
  }
  const start = performance.now();
  const rows: Row[] = [];
  for (const net of nets) {
    const row = runAll(net, names);
    rows.push(row);
    const best = row.results[row.best];
    console.log(`${net.name.padEnd(34)} n=${String(row.tensors).padStart(3)}  best ${best.log10Flops.toFixed(2)} (log2 size ${best.log2Size.toFixed(1)}) by ${row.best}`);
  }
  // Matrices: one column per optimizer, keyed by letter (legend first).
  const keys = names.map((_, k) => String.fromCharCode(65 + k));
  console.log(`\ncolumns: ${names.map((n, k) => `${keys[k]}=${n}`).join('  ')}`);
  const table = (title: string, cell: (r: Row['results'][string], row: Row) => string, width: number): void => {
    console.log(`\n${title}`);
    console.log(`${''.padEnd(34)}${keys.map((k) => k.padStart(width)).join('')}`);
    for (const row of rows) {
      const cells = names.map((n) => {
        const r = row.results[n];
        return (r === undefined ? '—' : r.error ? 'ERR' : cell(r, row)).padStart(width);
      });
      console.log(`${row.network.padEnd(34)}${cells.join('')}`);
    }
  };
  table('log10 flops / log2 largest intermediate', (r) => `${r.log10Flops.toFixed(2)}/${r.log2Size.toFixed(0)}`, 11);
  table('cost ratio to the best optimizer on the network', (r, row) => (10 ** (r.log10Flops - row.results[row.best].log10Flops)).toPrecision(3), 10);
  table('planning time (ms)', (r) => r.ms.toFixed(0), 7);
  numpyPaths(nets, rows);
  console.log('\nnumpy.einsum_path (ratio to tnc best):');
  for (const row of rows) {
    if (!row.numpy) continue;
    const g = row.numpy.greedy;
    const o = row.numpy.optimal;
    console.log(`  ${row.network.padEnd(34)} greedy ${g ? g.ratio.toPrecision(3) + '×' : '—'}  optimal ${o ? o.ratio.toPrecision(3) + '×' : '—'}`);
  }
  console.log('\nauto vs best per family (geometric-mean ratio, share where auto is best):');
  const families = [...new Set(rows.map((r) => r.family)), 'all'];
  for (const fam of families) {
    const rs = rows.filter((r) => (fam === 'all' || r.family === fam) && r.results.auto && !r.results.auto.error);
    if (rs.length === 0) continue;
    const ratios = rs.map((r) => 10 ** (r.results.auto.log10Flops - r.results[r.best].log10Flops));
    const geo = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
    const hits = ratios.filter((x) => x <= 1 + 1e-9).length;
    console.log(`  ${fam.padEnd(22)} ${geo.toFixed(3)}  ${hits}/${ratios.length}  worst ${Math.max(...ratios).toFixed(3)}`);
  }
  console.log('\ncotengra networks vs published figures (log10 flops):');
  for (const row of rows.filter((r) => r.family === 'cotengra')) {
    const pub = PUBLISHED[row.network];
    const ours = row.results[row.best].log10Flops;
    const auto = row.results.auto?.log10Flops;
    const pubText = pub ? pub.map((x) => `${x.label} ${x.log10.toFixed(2)}`).join('; ') : 'no published cost';
    console.log(`  ${row.network.padEnd(34)} tnc best ${ours.toFixed(2)} (${row.best}), auto ${auto?.toFixed(2) ?? '—'} | ${pubText}`);
  }
  console.log('\nmemory limit at 1/16 of the largest intermediate (deterministic slicing; overhead = sliced total / unsliced;');
  console.log('proven min overhead: the exact search over every slice set and tree, "=" optimum, ">=" lower bound, "—" out of its range):');
  const slicing = slicingRows(nets);
  for (const r of slicing) {
    const ex = r.exact ? `${r.exact.proven ? '= ' : '>='}${r.exact.minOverhead.toFixed(3)}x (${r.exact.ms.toFixed(0)} ms)` : '—';
    console.log(`  ${r.network.padEnd(34)} limit ${String(r.limit).padStart(12)}  ${String(r.slices).padStart(8)} slices  overhead ${r.overhead.toFixed(3)}x  ${r.ms.toFixed(0)} ms  proven min overhead ${ex}`);
  }
  console.log('\ndp without a time budget (proven: optimal over all trees, outer products included):');
  const dpProof = dpProofRows(nets);
  for (const r of dpProof) {
    const work = r.rounds.map((x) => `cap ${x.cap.toPrecision(3)}: ${x.subsets} subsets, ${x.scanned} scanned`).join('; ');
    console.log(`  ${r.network.padEnd(34)} ${r.log10Flops.toFixed(4)} ${r.proven ? 'proven' : 'NOT proven'} in ${r.ms.toFixed(0)} ms  (${work})`);
  }
  const total = (performance.now() - start) / 1000;
  console.log(`\ntotal ${total.toFixed(1)} s`);
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'paths.json'), JSON.stringify({ capMs: CAP_MS, optimizers: names, rows, slicing, dpProof, seconds: total }, null, 2));
}

main();
