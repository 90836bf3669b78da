// KernelPlan → GpuPlan: the runtime's step list, with permutations folded into the kernels
// that consume or produce them. A GEMM reads its operands through offset tables and an einsum
// through per-label strides, so a permute whose only reader is a GEMM or einsum becomes a view
// (no transpose pass, no temp), and a permute whose only source is a GEMM or einsum result is
// written directly by that kernel. Folding checks lifetimes per buffer; the temps the folded
// steps still use then get fresh slots (lower's sharing was computed for the unfolded steps).

import type { KernelPlan, Step } from '../plan.js';
import { stepBuffers } from '../plan.js';
import type { GpuPlan, GpuStep } from './runtime.js';

function toGpuStep(s: Step): GpuStep {
  switch (s.kind) {
    case 'fill':
      return { k: 'fill', dst: s.dst, value: s.value };
    case 'axpy':
      return { k: 'axpy', src: s.src, dst: s.dst, alpha: s.alpha, beta: s.beta };
    case 'permute':
      return { k: 'permute', src: s.src, dst: s.dst, perm: [...s.perm] };
    case 'einsum':
      return {
        k: 'einsum',
        ins: s.inputs.map((i) => ({ b: i.buffer, labels: [...i.labels] })),
        out: s.out,
        outLabels: [...s.outLabels],
        labelDims: [...s.labelDims],
        alpha: s.alpha,
        beta: s.beta,
      };
    case 'gemm':
      return {
        k: 'gemm',
        a: { b: s.a, perm: null },
        b: { b: s.b, perm: null },
        c: { b: s.c, perm: null },
        batch: [...s.batch],
        m: [...s.m],
        n: [...s.n],
        kd: [...s.k],
        transA: s.transA,
        transB: s.transB,
        alpha: s.alpha,
        beta: s.beta,
      };
  }
}

/** Composes views: logical axis i → axis `inner[i]` of an intermediate → axis `outer[inner[i]]`. */
function compose(outer: number[], inner: number[] | null): number[] {
  return inner === null ? [...outer] : inner.map((p) => outer[p]);
}

function invert(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, q) => (inv[p] = q));
  return inv;
}

/**
 * Prepares a plan for the WebGPU runtime, folding permutations into neighbouring GEMM and
 * einsum steps where that is safe (`fold: false` keeps every step as planned, for tests).
 */
export function prepareGpuPlan(plan: KernelPlan, options: { fold?: boolean } = {}): GpuPlan {
  const all: (GpuStep | null)[] = plan.steps.map(toGpuStep);
  const fold = options.fold !== false;
  // Folding judges lifetimes per buffer (the plan's slot sharing would forbid folds whose
  // source slot is reused right after); slots are then reassigned for the folded steps.
  if (fold) foldPermutes(plan, all);
  const steps = all.filter((s): s is GpuStep => s !== null);
  const slots = fold ? assignGpuSlots(plan, steps) : plan.buffers.map((b) => b.slot);
  return {
    name: plan.name,
    dims: plan.dims.map((d) => (d.size === undefined ? { name: d.name, symbolic: d.symbolic } : { name: d.name, size: d.size, symbolic: d.symbolic })),
    buffers: plan.buffers.map((b, id) => {
      const out: GpuPlan['buffers'][number] = { dims: [...b.dims], role: b.role };
      if (b.name !== undefined) out.name = b.name;
      if (slots[id] !== undefined) out.slot = slots[id];
      return out;
    }),
    inputs: plan.inputs.map((i) => ({ name: i.name, buffer: i.buffer })),
    output: plan.output,
    steps,
  };
}

/** Buffers a prepared step reads and writes. */
export function gpuStepBuffers(s: GpuStep): { reads: number[]; writes: number[] } {
  switch (s.k) {
    case 'fill':
      return { reads: [], writes: [s.dst] };
    case 'axpy':
      return { reads: s.beta ? [s.src, s.dst] : [s.src], writes: [s.dst] };
    case 'permute':
      return { reads: [s.src], writes: [s.dst] };
    case 'einsum':
      return { reads: [...s.ins.map((i) => i.b), ...(s.beta ? [s.out] : [])], writes: [s.out] };
    case 'gemm':
      return { reads: [s.a.b, s.b.b, ...(s.beta ? [s.c.b] : [])], writes: [s.c.b] };
  }
}

/**
 * Slots for the temps the prepared steps still use, by lifetime (first write to last use):
 * a temp takes the lowest slot whose previous holder was last used strictly before the temp
 * is first written, so no step binds one slot twice. Temps no step uses get no slot (the
 * runtime allocates nothing for them).
 */
function assignGpuSlots(plan: KernelPlan, steps: readonly GpuStep[]): (number | undefined)[] {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  steps.forEach((s, i) => {
    const { reads, writes } = gpuStepBuffers(s);
    for (const id of [...reads, ...writes]) {
      if (!first.has(id)) first.set(id, i);
      last.set(id, i);
    }
  });
  const slots: (number | undefined)[] = plan.buffers.map(() => undefined);
  const temps = plan.buffers.filter((b) => b.role === 'temp' && first.has(b.id)).sort((x, y) => first.get(x.id)! - first.get(y.id)! || x.id - y.id);
  const freeAfter: number[] = [];
  for (const t of temps) {
    const start = first.get(t.id)!;
    let slot = freeAfter.findIndex((end) => end < start);
    if (slot < 0) slot = freeAfter.length;
    freeAfter[slot] = last.get(t.id)!;
    slots[t.id] = slot;
  }
  return slots;
}

function foldPermutes(plan: KernelPlan, steps: (GpuStep | null)[]): void {
  const storage = (id: number): string => `b${id}`;
  const isTemp = (id: number): boolean => plan.buffers[id].role === 'temp';
  const access = plan.steps.map(stepBuffers);
  const readers = (id: number): number[] => access.flatMap((a, i) => (steps[i] !== null && a.reads.includes(id) ? [i] : []));
  const writers = (id: number): number[] => access.flatMap((a, i) => (steps[i] !== null && a.writes.includes(id) ? [i] : []));
  /**
   * 'keep-read': no step in (from, to] writes storage `st` (a source read later stays intact).
   * 'write-early': no step in (from, to) reads or writes `st` (a result written earlier).
   */
  const untouched = (st: string, from: number, to: number, mode: 'keep-read' | 'write-early'): boolean => {
    const last = mode === 'keep-read' ? to : to - 1;
    for (let k = from + 1; k <= last; k++) {
      if (steps[k] === null) continue;
      const a = access[k];
      if (a.writes.some((w) => storage(w) === st)) return false;
      if (mode === 'write-early' && a.reads.some((r) => storage(r) === st)) return false;
    }
    return true;
  };
  const uses = (s: GpuStep, t: number): number =>
    s.k === 'gemm' ? [s.a.b, s.b.b].filter((x) => x === t).length : s.k === 'einsum' ? s.ins.filter((x) => x.b === t).length : 0;

  // Inputs: permute P (i) → temp t → only reader GEMM/einsum at j.
  steps.forEach((s, j) => {
    if (s === null || (s.k !== 'gemm' && s.k !== 'einsum')) return;
    const operands = s.k === 'gemm' ? (['a', 'b'] as const) : null;
    const tryFold = (t: number, apply: (src: number, perm: number[]) => void): void => {
      if (!isTemp(t)) return;
      const w = writers(t);
      const r = readers(t);
      if (w.length !== 1 || r.length !== 1 || r[0] !== j || w[0] >= j || uses(s, t) !== 1) return;
      const p = steps[w[0]];
      if (p === null || p.k !== 'permute') return;
      if (!untouched(storage(p.src), w[0], j, 'keep-read')) return;
      apply(p.src, p.perm);
      steps[w[0]] = null;
      access[j] = { reads: access[j].reads.map((x) => (x === t ? p.src : x)), writes: access[j].writes };
    };
    if (operands !== null && s.k === 'gemm') {
      for (const o of operands) tryFold(s[o].b, (src, perm) => (s[o] = { b: src, perm: compose(perm, s[o].perm) }));
    } else if (s.k === 'einsum') {
      s.ins.forEach((inp, x) =>
        tryFold(inp.b, (src, perm) => {
          const labels = new Array<number>(perm.length);
          perm.forEach((p, q) => (labels[p] = inp.labels[q]));
          s.ins[x] = { b: src, labels };
        }),
      );
    }
  });

  // Outputs: GEMM/einsum at i (beta 0) → temp t → only reader permute P at j → d.
  steps.forEach((s, i) => {
    if (s === null || (s.k !== 'gemm' && s.k !== 'einsum') || s.beta !== 0) return;
    const t = s.k === 'gemm' ? s.c.b : s.out;
    if (!isTemp(t)) return;
    const w = writers(t);
    const r = readers(t);
    if (w.length !== 1 || w[0] !== i || r.length !== 1 || r[0] <= i) return;
    const j = r[0];
    const p = steps[j];
    if (p === null || p.k !== 'permute') return;
    const d = p.dst;
    const dst = storage(d);
    if (access[i].reads.some((x) => storage(x) === dst)) return;
    if (!untouched(dst, i, j, 'write-early')) return;
    if (s.k === 'gemm') s.c = { b: d, perm: compose(invert(p.perm), s.c.perm) };
    else {
      s.out = d;
      s.outLabels = p.perm.map((q) => s.outLabels[q]);
    }
    steps[j] = null;
    access[i] = { reads: access[i].reads, writes: [d] };
  });
}
