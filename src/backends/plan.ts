// KernelPlan: the imperative IR between the optimizer and the code emitters. `lower` makes
// every decision (GEMM or loop, permutations, buffer reuse); emitters only print it.
// Shapes are lists of dim names so symbolic dims resolve at call time.

/** A buffer: its dims in axis order (row-major). Element count = product of the dims' sizes. */
export interface BufferDecl {
  id: number;
  dims: string[];
  role: 'input' | 'output' | 'temp';
  /** Factor name for inputs. */
  name?: string;
  /**
   * Memory slot for temps: temps with disjoint lifetimes share a slot (sized to the largest).
   * Inputs and the output have no slot.
   */
  slot?: number;
}

/**
 * `dst` gets `src` with axes reordered: dst axis i is src axis `perm[i]`.
 */
export interface PermuteStep {
  kind: 'permute';
  src: number;
  dst: number;
  perm: number[];
}

/**
 * Batched matrix multiply over row-major buffers:
 * a is [batch, m, k] (or [batch, k, m] when transA), b is [batch, k, n] (or [batch, n, k]
 * when transB), c is [batch, m, n]. Each group is a list of dims whose sizes multiply.
 * `beta` 0 overwrites c, 1 accumulates into it; `alpha` scales the product.
 */
export interface GemmStep {
  kind: 'gemm';
  a: number;
  b: number;
  c: number;
  batch: string[];
  m: string[];
  n: string[];
  k: string[];
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: 0 | 1;
}

/**
 * Generic loop nest (fallback, traces, diagonals, reductions, Hadamard products):
 * out[outLabels] = alpha * sum over the other labels of prod_i input_i[labels_i]  (+ out if beta=1).
 * Labels are small integers; `labelDims[l]` is the dim of label l. Labels may repeat in an input.
 */
export interface EinsumStep {
  kind: 'einsum';
  inputs: { buffer: number; labels: number[] }[];
  out: number;
  outLabels: number[];
  labelDims: string[];
  alpha: number;
  beta: 0 | 1;
}

/** dst = alpha * src + beta * dst, elementwise over equal shapes (combining terms). */
export interface AxpyStep {
  kind: 'axpy';
  src: number;
  dst: number;
  alpha: number;
  beta: 0 | 1;
}

/** dst[:] = value (e.g. zero an accumulator). */
export interface FillStep {
  kind: 'fill';
  dst: number;
  value: number;
}

/** Any step of a plan. */
export type Step = PermuteStep | GemmStep | EinsumStep | AxpyStep | FillStep;

/** One compiled statement: the buffers and the steps that fill `output` from `inputs`. */
export interface KernelPlan {
  /** Statement name (unsanitised; emitters sanitise). */
  name: string;
  /** Every dim the plan uses: fixed size, or symbolic (bound at call time). */
  dims: { name: string; size?: number; symbolic: boolean }[];
  buffers: BufferDecl[];
  /** Input buffers, by factor name, in the order the statement first uses them. */
  inputs: { name: string; buffer: number }[];
  output: number;
  steps: Step[];
  /** Slot count for temps (see BufferDecl.slot). */
  slots: number;
  /**
   * Sliced execution (memory limits), absent or empty when not sliced: each loop runs
   * `steps[start, end)` once per assignment of its variables, with its gathers before and
   * its scatter after every iteration. Loops do not nest or overlap.
   */
  loops?: SliceLoop[];
}

/** An axis pinned to the current value of a loop variable. */
export interface PinnedAxis {
  axis: number;
  /** Position of the variable in `SliceLoop.vars`. */
  loopVar: number;
}

/**
 * One sliced loop. `vars[v]` is the dim variable v ranges over (row-major order, last fastest).
 * A gather copies `src` with the `fixed` axes pinned into `dst` (the remaining axes, in order);
 * the scatter does `dst[pinned] = alpha * src + beta * dst[pinned]`.
 */
export interface SliceLoop {
  vars: string[];
  start: number;
  end: number;
  gathers: { src: number; dst: number; fixed: PinnedAxis[] }[];
  scatter?: { src: number; dst: number; fixed: PinnedAxis[]; alpha: number; beta: 0 | 1 };
}

/** One event of a plan in execution order (one loop iteration): a step, a gather or a scatter. */
export interface PlanEvent {
  /** The step index, or -1 for gathers and scatters. */
  step: number;
  what: string;
  reads: number[];
  writes: number[];
  /** The loop this event belongs to, if any. */
  loop?: SliceLoop;
}

/**
 * The plan's reads and writes in execution order, loops listed once (gathers, body, scatter):
 * what lifetime analysis and validation walk.
 */
export function planEvents(plan: KernelPlan): PlanEvent[] {
  const events: PlanEvent[] = [];
  const loops = plan.loops ?? [];
  plan.steps.forEach((step, i) => {
    for (const loop of loops) {
      if (loop.start !== i) continue;
      loop.gathers.forEach((g, k) => events.push({ step: -1, what: `gather ${k} of the loop at step ${i}`, reads: [g.src], writes: [g.dst], loop }));
    }
    const loop = loops.find((l) => l.start <= i && i < l.end);
    events.push({ step: i, what: `step ${i} (${step.kind})`, ...stepBuffers(step), ...(loop ? { loop } : {}) });
    for (const l of loops) {
      if (l.end - 1 !== i || l.scatter === undefined) continue;
      const sc = l.scatter;
      events.push({ step: -1, what: `scatter of the loop ending at step ${i}`, reads: sc.beta === 1 ? [sc.src, sc.dst] : [sc.src], writes: [sc.dst], loop: l });
    }
  });
  return events;
}

/** Buffers a step reads and writes (ids): what lifetime analysis and validation use. */
export function stepBuffers(step: Step): { reads: number[]; writes: number[] } {
  switch (step.kind) {
    case 'permute':
      return { reads: [step.src], writes: [step.dst] };
    case 'gemm':
      return { reads: step.beta === 1 ? [step.a, step.b, step.c] : [step.a, step.b], writes: [step.c] };
    case 'einsum': {
      const reads = step.inputs.map((i) => i.buffer);
      if (step.beta === 1) reads.push(step.out);
      return { reads, writes: [step.out] };
    }
    case 'axpy':
      return { reads: step.beta === 1 ? [step.src, step.dst] : [step.src], writes: [step.dst] };
    case 'fill':
      return { reads: [], writes: [step.dst] };
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Checks a plan's internal consistency and returns every problem found (empty when valid):
 * buffers exist, inputs are never written, every temp and the output is written before it is
 * read, permutations are permutations whose result dims match, GEMM groups match the operands'
 * dims, einsum labels match their buffers, temps sharing a slot never overlap in lifetime, and
 * the output is written.
 */
export function validatePlan(plan: KernelPlan): string[] {
  const problems: string[] = [];
  const byId = new Map<number, BufferDecl>();
  for (const b of plan.buffers) {
    if (byId.has(b.id)) problems.push(`buffer %${b.id} is declared twice`);
    byId.set(b.id, b);
    if (b.role === 'temp' && (b.slot === undefined || b.slot < 0 || b.slot >= plan.slots)) {
      problems.push(`temp %${b.id} has slot ${b.slot}, outside 0..${plan.slots - 1}`);
    }
  }
  const dimNames = new Set(plan.dims.map((d) => d.name));
  for (const b of plan.buffers) {
    for (const d of b.dims) if (!dimNames.has(d)) problems.push(`buffer %${b.id} uses undeclared dim '${d}'`);
  }
  const out = byId.get(plan.output);
  if (!out || out.role !== 'output') problems.push(`plan output %${plan.output} is not an output buffer`);
  for (const i of plan.inputs) {
    const b = byId.get(i.buffer);
    if (!b || b.role !== 'input') problems.push(`input '${i.name}' refers to %${i.buffer}, which is not an input buffer`);
  }
  const written = new Set<number>(plan.inputs.map((i) => i.buffer));
  // Slot occupancy: which temp currently holds each slot's contents.
  const holder = new Map<number, number>();
  const dims = (id: number): string[] => byId.get(id)?.dims ?? [];
  const loops = plan.loops ?? [];
  loops.forEach((loop, l) => {
    const where = `loop ${l}`;
    if (!(0 <= loop.start && loop.start < loop.end && loop.end <= plan.steps.length)) problems.push(`${where}: range [${loop.start}, ${loop.end}) is empty or outside the steps`);
    loops.forEach((other, o) => {
      if (o > l && other.start < loop.end && loop.start < other.end) problems.push(`${where} overlaps loop ${o}`);
    });
    for (const v of loop.vars) if (!dimNames.has(v)) problems.push(`${where}: variable over undeclared dim '${v}'`);
    const checkPinned = (full: number, part: number, fixed: PinnedAxis[], what: string): void => {
      const fd = dims(full);
      const pinned = new Set(fixed.map((f) => f.axis));
      for (const f of fixed) {
        if (loop.vars[f.loopVar] === undefined) problems.push(`${where}: ${what} pins axis ${f.axis} to missing variable ${f.loopVar}`);
        else if (fd[f.axis] !== loop.vars[f.loopVar]) problems.push(`${where}: ${what} pins axis ${f.axis} ('${fd[f.axis]}') to a variable over '${loop.vars[f.loopVar]}'`);
      }
      if (!sameList(dims(part), fd.filter((_, a) => !pinned.has(a)))) problems.push(`${where}: ${what} dims [${dims(part)}] are not [${fd}] without the pinned axes`);
    };
    loop.gathers.forEach((g, k) => checkPinned(g.src, g.dst, g.fixed, `gather ${k}`));
    if (loop.scatter) checkPinned(loop.scatter.dst, loop.scatter.src, loop.scatter.fixed, 'the scatter');
  });
  // Temps read inside a loop must be written earlier in the same iteration.
  const writtenInLoop = new Map<SliceLoop, Set<number>>();
  for (const ev of planEvents(plan)) {
    const where = ev.what;
    const { reads, writes } = ev;
    for (const id of [...reads, ...writes]) if (!byId.has(id)) problems.push(`${where}: buffer %${id} does not exist`);
    for (const id of reads) {
      if (!written.has(id)) problems.push(`${where}: reads %${id} before it is written`);
      const b = byId.get(id);
      if (b?.role === 'temp' && holder.get(b.slot!) !== id) {
        problems.push(`${where}: reads %${id} but slot ${b.slot} was overwritten by %${holder.get(b.slot!)}`);
      }
      if (ev.loop && b?.role === 'temp' && !writtenInLoop.get(ev.loop)?.has(id)) problems.push(`${where}: reads %${id}, which this loop iteration has not written`);
    }
    for (const id of writes) {
      const b = byId.get(id);
      if (b?.role === 'input') problems.push(`${where}: writes input %${id}`);
      if (b?.role === 'temp') {
        for (const r of reads) {
          const rb = byId.get(r);
          if (r !== id && rb?.role === 'temp' && rb.slot === b.slot) problems.push(`${where}: reads %${r} and writes %${id} in the same slot ${b.slot}`);
        }
      }
    }
    for (const id of writes) {
      written.add(id);
      const b = byId.get(id);
      if (b?.role === 'temp') holder.set(b.slot!, id);
      if (ev.loop) {
        if (!writtenInLoop.has(ev.loop)) writtenInLoop.set(ev.loop, new Set());
        writtenInLoop.get(ev.loop)!.add(id);
      }
    }
    if (ev.step < 0) continue;
    const step = plan.steps[ev.step];
    switch (step.kind) {
      case 'permute': {
        const n = dims(step.src).length;
        const sorted = [...step.perm].sort((a, b) => a - b);
        if (sorted.length !== n || sorted.some((x, i) => x !== i)) problems.push(`${where}: [${step.perm}] is not a permutation of ${n} axes`);
        else if (!sameList(dims(step.dst), step.perm.map((p) => dims(step.src)[p]))) {
          problems.push(`${where}: dst dims [${dims(step.dst)}] are not src dims [${dims(step.src)}] permuted by [${step.perm}]`);
        }
        break;
      }
      case 'gemm': {
        const a = step.transA ? [...step.batch, ...step.k, ...step.m] : [...step.batch, ...step.m, ...step.k];
        const b = step.transB ? [...step.batch, ...step.n, ...step.k] : [...step.batch, ...step.k, ...step.n];
        const c = [...step.batch, ...step.m, ...step.n];
        if (!sameList(dims(step.a), a)) problems.push(`${where}: a has dims [${dims(step.a)}], expected [${a}]`);
        if (!sameList(dims(step.b), b)) problems.push(`${where}: b has dims [${dims(step.b)}], expected [${b}]`);
        if (!sameList(dims(step.c), c)) problems.push(`${where}: c has dims [${dims(step.c)}], expected [${c}]`);
        break;
      }
      case 'einsum': {
        const check = (id: number, labels: number[], what: string): void => {
          const d = dims(id);
          if (d.length !== labels.length) problems.push(`${where}: ${what} %${id} has ${d.length} axes but ${labels.length} labels`);
          labels.forEach((l, ax) => {
            if (step.labelDims[l] === undefined) problems.push(`${where}: label ${l} has no dim`);
            else if (d[ax] !== undefined && step.labelDims[l] !== d[ax]) problems.push(`${where}: ${what} %${id} axis ${ax} is '${d[ax]}' but label ${l} is '${step.labelDims[l]}'`);
          });
        };
        step.inputs.forEach((i, k) => check(i.buffer, i.labels, `input ${k}`));
        check(step.out, step.outLabels, 'out');
        if (new Set(step.outLabels).size !== step.outLabels.length) problems.push(`${where}: output labels repeat`);
        const inLabels = new Set(step.inputs.flatMap((i) => i.labels));
        for (const l of step.outLabels) if (!inLabels.has(l)) problems.push(`${where}: output label ${l} is in no input`);
        break;
      }
      case 'axpy':
        if (!sameList(dims(step.src), dims(step.dst))) problems.push(`${where}: src dims [${dims(step.src)}] differ from dst dims [${dims(step.dst)}]`);
        break;
      case 'fill':
        break;
    }
  }
  if (!written.has(plan.output)) problems.push(`the output %${plan.output} is never written`);
  return problems;
}

/** A readable listing of a plan: dims, buffers (with slots), then one line per step. */
export function printPlan(plan: KernelPlan): string {
  const lines: string[] = [];
  const dim = (d: KernelPlan['dims'][number]): string => (d.symbolic ? `${d.name}=?${d.size !== undefined ? `~${d.size}` : ''}` : `${d.name}=${d.size}`);
  lines.push(`plan ${plan.name}: dims ${plan.dims.map(dim).join(' ') || '(none)'}; ${plan.slots} slot(s)`);
  for (const b of plan.buffers) {
    const role = b.role === 'input' ? `input ${b.name}` : b.role === 'temp' ? `temp slot ${b.slot}` : 'output';
    lines.push(`  %${b.id} [${b.dims.join(',')}] ${role}`);
  }
  const ab = (alpha: number, beta: number): string => `${alpha !== 1 ? ` alpha=${alpha}` : ''}${beta !== 0 ? ' +=' : ''}`;
  plan.steps.forEach((s, i) => {
    let text: string;
    switch (s.kind) {
      case 'permute':
        text = `permute %${s.src} -> %${s.dst} perm [${s.perm.join(',')}]`;
        break;
      case 'gemm':
        text =
          `gemm %${s.a}${s.transA ? "'" : ''} x %${s.b}${s.transB ? "'" : ''} -> %${s.c}` +
          ` batch[${s.batch}] m[${s.m}] n[${s.n}] k[${s.k}]${ab(s.alpha, s.beta)}`;
        break;
      case 'einsum': {
        const name = (l: number): string => s.labelDims[l] ?? `?${l}`;
        const ins = s.inputs.map((x) => `%${x.buffer}(${x.labels.map((l) => `${l}:${name(l)}`).join(',')})`).join(' * ');
        text = `einsum ${ins} -> %${s.out}(${s.outLabels.map((l) => `${l}:${name(l)}`).join(',')})${ab(s.alpha, s.beta)}`;
        break;
      }
      case 'axpy':
        text = `axpy %${s.src} -> %${s.dst}${ab(s.alpha, s.beta)}`;
        break;
      case 'fill':
        text = `fill %${s.dst} = ${s.value}`;
        break;
    }
    for (const [l, loop] of (plan.loops ?? []).entries()) {
      if (loop.start !== i) continue;
      const pin = (f: PinnedAxis[]): string => f.map((x) => `axis ${x.axis}=v${x.loopVar}`).join(',');
      lines.push(`  loop ${l} over ${loop.vars.map((v, k) => `v${k}:${v}`).join(' ')} (steps ${loop.start}..${loop.end - 1})`);
      for (const g of loop.gathers) lines.push(`    gather %${g.src} -> %${g.dst} pin ${pin(g.fixed)}`);
      const sc = loop.scatter;
      if (sc) lines.push(`    then scatter %${sc.src} -> %${sc.dst} pin ${pin(sc.fixed)}${ab(sc.alpha, sc.beta)}`);
    }
    lines.push(`  ${i}: ${text}`);
  });
  return lines.join('\n');
}
