// Seeded generators of the benchmark networks the project builds itself: matrix chains,
// MPS/MPO expectations, TT-layers, PEPS norms, Tucker, CP with weights, hierarchical Tucker,
// random 3-regular graphs and random einsum expressions with hyperedges. Same seed, same
// network. Also a reader for cotengra's JSON network files.

import { readFileSync } from 'node:fs';
import { mulberry32 } from '../src/optimizer/random-greedy.js';
import type { ContractionProblem } from '../src/optimizer/problem.js';

/** A named benchmark problem. */
export interface BenchNetwork {
  name: string;
  family: string;
  problem: ContractionProblem;
}

/** Builds a problem from labelled tensors (labels interned in order of first appearance). */
export function labelled(inputs: string[][], output: string[], size: (label: string) => number): ContractionProblem {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const id = (l: string): number => {
    let k = ids.get(l);
    if (k === undefined) {
      k = names.length;
      ids.set(l, k);
      names.push(l);
    }
    return k;
  };
  const ins = inputs.map((t) => t.map(id));
  const out = output.map(id);
  return { inputs: ins, output: out, sizes: names.map(size), names };
}

/** A chain of n matrices with seeded dimensions in [lo, hi]. */
export function matrixChain(n: number, seed: number, lo = 2, hi = 100): BenchNetwork {
  const rng = mulberry32(seed);
  const dims = Array.from({ length: n + 1 }, () => lo + Math.floor(rng() * (hi - lo + 1)));
  const inputs = Array.from({ length: n }, (_, k) => [`m${k}`, `m${k + 1}`]);
  const problem = labelled(inputs, ['m0', `m${n}`], (l) => dims[Number(l.slice(1))]);
  return { name: `chain-${n}`, family: 'matrix-chain', problem };
}

/** ⟨ψ|W|ψ⟩ for an open MPS ψ (bond chi, physical d) and an MPO W (bond D) on L sites. */
export function mpsExpectation(L: number, chi = 16, d = 2, D = 4): BenchNetwork {
  const inputs: string[][] = [];
  const leg = (p: string, k: number): string[] => (k > 0 && k < L ? [`${p}${k}`] : []);
  for (let k = 0; k < L; k++) inputs.push([...leg('a', k), `p${k}`, ...leg('a', k + 1)]);
  for (let k = 0; k < L; k++) inputs.push([...leg('w', k), `p${k}`, `q${k}`, ...leg('w', k + 1)]);
  for (let k = 0; k < L; k++) inputs.push([...leg('b', k), `q${k}`, ...leg('b', k + 1)]);
  const problem = labelled(inputs, [], (l) => (l[0] === 'a' || l[0] === 'b' ? chi : l[0] === 'w' ? D : d));
  return { name: `mps-mpo-L${L}`, family: 'mps-expectation', problem };
}

/** A TT-matrix (MPO) layer applied to a batch: x[b,i1..iN] · G1[i1,o1,r1] … GN[r,iN,oN] → y[b,o1..oN]. */
export function ttLayer(N: number, mode = 8, rank = 16, batch = 64): BenchNetwork {
  const inputs: string[][] = [['b', ...Array.from({ length: N }, (_, k) => `i${k}`)]];
  for (let k = 0; k < N; k++) {
    inputs.push([...(k > 0 ? [`r${k}`] : []), `i${k}`, `o${k}`, ...(k < N - 1 ? [`r${k + 1}`] : [])]);
  }
  const output = ['b', ...Array.from({ length: N }, (_, k) => `o${k}`)];
  const problem = labelled(inputs, output, (l) => (l === 'b' ? batch : l[0] === 'r' ? rank : mode));
  return { name: `tt-layer-${N}`, family: 'tt-layer', problem };
}

/** The norm ⟨ψ|ψ⟩ of an Lx×Ly PEPS with bond D and physical d (ket and bra layers). */
export function pepsNorm(Lx: number, Ly: number, D = 3, d = 2): BenchNetwork {
  const inputs: string[][] = [];
  for (const layer of ['k', 'b']) {
    for (let x = 0; x < Lx; x++) {
      for (let y = 0; y < Ly; y++) {
        const t = [`p${x}_${y}`];
        if (x > 0) t.push(`${layer}h${x - 1}_${y}`);
        if (x < Lx - 1) t.push(`${layer}h${x}_${y}`);
        if (y > 0) t.push(`${layer}v${x}_${y - 1}`);
        if (y < Ly - 1) t.push(`${layer}v${x}_${y}`);
        inputs.push(t);
      }
    }
  }
  const problem = labelled(inputs, [], (l) => (l[0] === 'p' ? d : D));
  return { name: `peps-${Lx}x${Ly}`, family: 'peps-norm', problem };
}

/** Tucker reconstruction: core G[r1..rN] · U1[i1,r1] … UN[iN,rN] → X[i1..iN]. */
export function tucker(N: number, mode = 32, rank = 8): BenchNetwork {
  const inputs = [Array.from({ length: N }, (_, k) => `r${k}`), ...Array.from({ length: N }, (_, k) => [`i${k}`, `r${k}`])];
  const problem = labelled(inputs, Array.from({ length: N }, (_, k) => `i${k}`), (l) => (l[0] === 'r' ? rank : mode));
  return { name: `tucker-${N}`, family: 'tucker', problem };
}

/** CP with weights: w[r] · A1[i1,r] … AN[iN,r] (r is a hyperedge), reconstructed or projected. */
export function cpWeights(N: number, mode = 32, rank = 16, project = false): BenchNetwork {
  const inputs = [['r'], ...Array.from({ length: N }, (_, k) => [`i${k}`, 'r'])];
  if (project) inputs.push(Array.from({ length: N }, (_, k) => `i${k}`));
  const output = project ? [] : Array.from({ length: N }, (_, k) => `i${k}`);
  const problem = labelled(inputs, output, (l) => (l === 'r' ? rank : mode));
  return { name: `cp-${N}${project ? '-inner' : ''}`, family: 'cp-weights', problem };
}

/** Hierarchical Tucker over a balanced binary dimension tree with `legs` leaves (a power of 2). */
export function hierarchicalTucker(legs: number, mode = 4, rank = 4): BenchNetwork {
  const inputs: string[][] = [];
  let level = Array.from({ length: legs }, (_, k) => {
    inputs.push([`i${k}`, `u${k}`]);
    return `u${k}`;
  });
  let t = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let k = 0; k < level.length; k += 2) {
      if (level.length === 2) inputs.push([level[k], level[k + 1]]);
      else {
        const r = `t${t++}`;
        inputs.push([level[k], level[k + 1], r]);
        next.push(r);
      }
    }
    level = next;
  }
  const problem = labelled(inputs, Array.from({ length: legs }, (_, k) => `i${k}`), (l) => (l[0] === 'i' ? mode : rank));
  return { name: `ht-${legs}`, family: 'hierarchical-tucker', problem };
}

/** A random 3-regular graph (configuration model, seeded) as a scalar network with bond d. */
export function randomRegular(nodes: number, seed: number, degree = 3, d = 2): BenchNetwork {
  const rng = mulberry32(seed);
  for (let attempt = 0; ; attempt++) {
    const stubs: number[] = [];
    for (let v = 0; v < nodes; v++) for (let k = 0; k < degree; k++) stubs.push(v);
    for (let i = stubs.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [stubs[i], stubs[j]] = [stubs[j], stubs[i]];
    }
    const seen = new Set<string>();
    const inputs: string[][] = Array.from({ length: nodes }, () => []);
    let ok = true;
    for (let k = 0; k < stubs.length; k += 2) {
      const a = Math.min(stubs[k], stubs[k + 1]);
      const b = Math.max(stubs[k], stubs[k + 1]);
      const key = `${a}-${b}`;
      if (a === b || seen.has(key)) {
        ok = false;
        break;
      }
      seen.add(key);
      inputs[a].push(key);
      inputs[b].push(key);
    }
    if (ok || attempt > 1000) {
      const problem = labelled(inputs, [], () => d);
      return { name: `rrg-${nodes}`, family: 'random-regular', problem };
    }
  }
}

/**
 * A random einsum expression in the style of opt_einsum's random equations: `n` tensors,
 * about `degree` index slots each, some indices shared by 3+ tensors (hyperedges), a few
 * kept in the output, sizes in [2, maxSize].
 */
export function randomEinsum(n: number, seed: number, degree = 3, maxSize = 6, hyper = 0.2, kept = 2): BenchNetwork {
  const rng = mulberry32(seed);
  const nEdges = Math.max(1, Math.round((n * degree) / 2));
  const inputs: string[][] = Array.from({ length: n }, () => []);
  const sizes: number[] = [];
  for (let e = 0; e < nEdges; e++) {
    sizes.push(2 + Math.floor(rng() * (maxSize - 1)));
    const holders = rng() < hyper ? 3 + Math.floor(rng() * 2) : 2;
    const chosen = new Set<number>();
    while (chosen.size < Math.min(holders, n)) chosen.add(Math.floor(rng() * n));
    for (const v of chosen) inputs[v].push(`e${e}`);
  }
  // Keep every tensor attached: an index per isolated tensor to a random neighbour.
  for (let v = 0; v < n; v++) {
    if (inputs[v].length === 0) {
      const e = sizes.length;
      sizes.push(2 + Math.floor(rng() * (maxSize - 1)));
      inputs[v].push(`e${e}`);
      inputs[(v + 1 + Math.floor(rng() * (n - 1))) % n].push(`e${e}`);
    }
  }
  const output: string[] = [];
  for (let k = 0; k < kept; k++) {
    const e = `e${Math.floor(rng() * sizes.length)}`;
    if (!output.includes(e)) output.push(e);
  }
  const problem = labelled(inputs, output, (l) => sizes[Number(l.slice(1))]);
  return { name: `rand-eq-${n}-s${seed}`, family: 'random-einsum', problem };
}

/** The project's benchmark set (fixed seeds). */
export function benchNetworks(): BenchNetwork[] {
  return [
    matrixChain(10, 1),
    matrixChain(40, 2),
    mpsExpectation(4),
    mpsExpectation(16),
    mpsExpectation(40),
    mpsExpectation(64),
    ttLayer(4),
    ttLayer(6, 4, 8, 32),
    pepsNorm(2, 2),
    pepsNorm(3, 3),
    pepsNorm(4, 4),
    pepsNorm(5, 5),
    pepsNorm(6, 6),
    tucker(3, 64, 16),
    tucker(5, 16, 4),
    cpWeights(3, 64, 8),
    cpWeights(4, 32, 16, true),
    hierarchicalTucker(4, 16, 8),
    hierarchicalTucker(8),
    randomRegular(10, 1),
    randomRegular(20, 2),
    randomRegular(50, 3),
    randomRegular(120, 4),
    randomRegular(200, 5),
    randomRegular(500, 6),
    randomEinsum(8, 1),
    randomEinsum(12, 2),
    randomEinsum(20, 3),
    randomEinsum(40, 4, 3, 4),
  ];
}

/** Reads a network in cotengra's JSON form (`inputs`, `output`, `size_dict`). */
export function readCotengraJson(path: string, name: string): BenchNetwork {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { inputs: string[][]; output: string[]; size_dict: Record<string, number> };
  const problem = labelled(json.inputs, json.output, (l) => json.size_dict[l]);
  return { name, family: 'cotengra', problem };
}
