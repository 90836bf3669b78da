// The CPU runtime: executes KernelPlans over Float32Array / Float64Array. Dims are bound per
// call; everything that depends on them (buffer sizes, strides, GEMM shapes, the arena of temp
// slots) is prepared when they change, so calls with unchanged dims allocate nothing but the
// result (and not even that when the caller passes an output buffer). compile() and einsum()
// run this module directly; generated modules inline its transpiled text (runtime-text.ts),
// so both share one code path. Runtime code: it imports only other runtime files.

import type { KernelPlan } from '../plan.js';
import { axpy, einsumLoop, fill, gemm, permute, scatter, type FloatArray } from './kernels.js';
import { chooseGemm, gemmThreadPool, residentMemory, setGemmThreads } from './gemm.js';

/** Element type of a compiled function. */
export type Dtype = 'f32' | 'f64';

/** A compiled statement: named inputs, symbolic dim values, optional output buffer. */
export type Runner = (inputs: Record<string, FloatArray>, dims?: Record<string, number>, out?: FloatArray) => FloatArray;

type Op = PermuteOp | GemmOp
  | { kind: 'einsum'; inputs: number[]; arrays: FloatArray[]; offs: number[]; sizes: number[]; nOut: number; strides: number[]; out: number; alpha: number; beta: number }
  | { kind: 'axpy'; src: number; dst: number; n: number; alpha: number; beta: number }
  | { kind: 'fill'; dst: number; n: number; value: number };

interface PermuteOp {
  kind: 'permute';
  src: number;
  dst: number;
  shape: number[];
  strides: number[];
  /**
   * When this permute only feeds `gemm`'s operand (bit 1: A, 2: B): the same gather written
   * in the kernel's packed panel layout instead, so the GEMM does not pack it again.
   */
  pack?: { gemm: GemmOp; bit: number; shape: number[]; strides: number[] };
}

interface GemmOp {
  kind: 'gemm';
  a: number;
  b: number;
  c: number;
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  /** Operands its feeding permutes wrote in packed layout in this call (bit 1: A, 2: B). */
  prepacked: number;
}

/** A pinned copy (gather) or placement (scatter): shape and strides of the free axes, strides of the pinned ones. */
interface PinnedOp {
  src: number;
  dst: number;
  shape: number[];
  strides: number[];
  pinStrides: number[];
  pinVars: number[];
  alpha: number;
  beta: number;
}

interface PreparedLoop {
  start: number;
  end: number;
  sizes: number[];
  values: Int32Array;
  gathers: PinnedOp[];
  scatter: PinnedOp | undefined;
}

/** The wasm memory that holds temps where WebAssembly SIMD is available (see residentMemory). */
type ResidentMemory = NonNullable<ReturnType<typeof residentMemory>>;

/**
 * Largest arena (bytes) kept in wasm memory: that memory never shrinks, so bigger plans keep
 * their temps in JS arrays (their GEMMs then copy operands in as before).
 */
const RESIDENT_MAX_BYTES = 2 ** 30;

interface Executor {
  plan: KernelPlan;
  dtype: Dtype;
  /** The wasm memory temps live in, null when they are JS arrays (no SIMD; arena too large). */
  resident: ResidentMemory | null;
  /** The thread pool running when the state was prepared (gemmThreadPool), null for none. */
  pool: object | null;
  /** Byte offset and element count of each slot in `resident`'s memory, and the arena's total bytes. */
  slotAt: number[];
  slotLen: number[];
  residentBytes: number;
  /** The memory buffer the slot views were made on (stale once the memory grows). */
  viewBuffer: ArrayBuffer | null;
  /** Dim values the prepared state was computed for. */
  bound: Float64Array;
  prepared: boolean;
  /** Element count per buffer id. */
  sizes: number[];
  slots: FloatArray[];
  /** Array bound to each buffer id during a call. */
  bufs: FloatArray[];
  ops: Op[];
  loops: PreparedLoop[];
  counter: Int32Array;
  offs: Int32Array;
  /** Statements this one reads (`let` intermediates), with their persistent results. */
  deps: Dep[];
  /** Per plan input (same order): the statement computing it, if it is not a caller input. */
  sources: (Dep | undefined)[];
}

interface Dep {
  name: string;
  exec: Executor;
  /** Scratch for the dependency's dim values. */
  values: Float64Array;
  /** Buffer id of this input in the reading plan. */
  buffer: number;
  result: FloatArray | undefined;
}

function makeArray(dtype: Dtype, n: number): FloatArray {
  return dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

function isDtype(dtype: Dtype, x: unknown): x is FloatArray {
  return dtype === 'f32' ? x instanceof Float32Array : x instanceof Float64Array;
}

function arrayName(dtype: Dtype): string {
  return dtype === 'f32' ? 'Float32Array' : 'Float64Array';
}

function shapeText(plan: KernelPlan, dims: string[], values: Float64Array): string {
  return `[${dims.map((d) => `${d}=${values[plan.dims.findIndex((x) => x.name === d)]}`).join(', ')}]`;
}

/**
 * Binds the plan's dims from the call's `dims` argument into `values`; throws a clear Error
 * naming the dim when a symbolic one is missing or invalid, or a fixed one is contradicted.
 */
function bindDims(fn: string, plan: KernelPlan, dims: Record<string, number> | undefined, values: Float64Array): void {
  if (dims !== undefined && (typeof dims !== 'object' || dims === null)) {
    throw new TypeError(`${fn}: the second argument must be an object of dim values, e.g. { b: 64 }`);
  }
  for (let i = 0; i < plan.dims.length; i++) {
    const d = plan.dims[i];
    // Own properties only: a dim named `toString` must not read Object.prototype's.
    const given = dims === undefined || !Object.hasOwn(dims, d.name) ? undefined : dims[d.name];
    if (d.symbolic) {
      if (given === undefined) {
        throw new Error(`${fn}: symbolic dim '${d.name}' needs a value at call time; pass it in the second argument, e.g. ${fn}(inputs, { ${JSON.stringify(d.name)}: 64 })`);
      }
      if (!Number.isSafeInteger(given) || given < 1) throw new RangeError(`${fn}: dim '${d.name}' must be a positive integer, got ${String(given)}`);
      values[i] = given;
    } else {
      if (given !== undefined && given !== d.size) throw new RangeError(`${fn}: dim '${d.name}' is fixed at ${d.size} by the model, got ${String(given)}`);
      values[i] = d.size!;
    }
  }
}

function elementCount(fn: string, dims: string[], dimIndex: Map<string, number>, values: Float64Array): number {
  let n = 1;
  for (const d of dims) n *= values[dimIndex.get(d)!];
  // Kernels keep element offsets in int32 scratch (no allocation); 2^31 - 1 is also past
  // what typed arrays hold in practice.
  if (n > 0x7fffffff) throw new RangeError(`${fn}: a tensor with dims [${dims.join(', ')}] would have ${n} elements; the CPU runtime supports up to ${0x7fffffff}`);
  return n;
}

/** Recomputes sizes, strides and GEMM shapes for the bound dims; grows the slot arena. */
function prepare(fn: string, exec: Executor, dtype: Dtype, values: Float64Array): void {
  const plan = exec.plan;
  const dimIndex = new Map<string, number>(plan.dims.map((d, i) => [d.name, i]));
  const size = (d: string): number => values[dimIndex.get(d)!];
  const prod = (ds: string[]): number => ds.reduce((p, d) => p * size(d), 1);
  exec.sizes = plan.buffers.map((b) => elementCount(fn, b.dims, dimIndex, values));
  const slotSizes: number[] = new Array<number>(plan.slots).fill(0);
  for (const b of plan.buffers) if (b.role === 'temp') slotSizes[b.slot!] = Math.max(slotSizes[b.slot!], exec.sizes[b.id]);
  let maxRank = 1;
  let maxInputs = 1;
  exec.ops = plan.steps.map((step): Op => {
    switch (step.kind) {
      case 'permute': {
        const srcDims = plan.buffers[step.src].dims;
        const srcStrides: number[] = new Array<number>(srcDims.length);
        let st = 1;
        for (let a = srcDims.length - 1; a >= 0; a--) {
          srcStrides[a] = st;
          st *= size(srcDims[a]);
        }
        maxRank = Math.max(maxRank, srcDims.length);
        return { kind: 'permute', src: step.src, dst: step.dst, shape: step.perm.map((p) => size(srcDims[p])), strides: step.perm.map((p) => srcStrides[p]) };
      }
      case 'gemm':
        return {
          kind: 'gemm',
          a: step.a,
          b: step.b,
          c: step.c,
          batch: prod(step.batch),
          m: prod(step.m),
          n: prod(step.n),
          k: prod(step.k),
          transA: step.transA,
          transB: step.transB,
          alpha: step.alpha,
          beta: step.beta,
          prepacked: 0,
        };
      case 'einsum': {
        // Loops: the output labels (row-major), then every other label once.
        const loops = [...step.outLabels];
        for (const inp of step.inputs) for (const l of inp.labels) if (!loops.includes(l)) loops.push(l);
        const strides: number[] = new Array<number>(step.inputs.length * loops.length).fill(0);
        step.inputs.forEach((inp, t) => {
          let st = 1;
          for (let a = inp.labels.length - 1; a >= 0; a--) {
            strides[t * loops.length + loops.indexOf(inp.labels[a])] += st;
            st *= size(step.labelDims[inp.labels[a]]);
          }
        });
        maxRank = Math.max(maxRank, loops.length);
        maxInputs = Math.max(maxInputs, step.inputs.length);
        return {
          kind: 'einsum',
          inputs: step.inputs.map((i) => i.buffer),
          arrays: new Array<FloatArray>(step.inputs.length),
          offs: step.inputs.map(() => 0),
          sizes: loops.map((l) => size(step.labelDims[l])),
          nOut: step.outLabels.length,
          strides,
          out: step.out,
          alpha: step.alpha,
          beta: step.beta,
        };
      }
      case 'axpy':
        return { kind: 'axpy', src: step.src, dst: step.dst, n: exec.sizes[step.dst], alpha: step.alpha, beta: step.beta };
      case 'fill':
        return { kind: 'fill', dst: step.dst, n: exec.sizes[step.dst], value: step.value };
    }
  });
  const stridesOf = (dims: string[]): number[] => {
    const st: number[] = new Array<number>(dims.length);
    let acc = 1;
    for (let a = dims.length - 1; a >= 0; a--) {
      st[a] = acc;
      acc *= size(dims[a]);
    }
    return st;
  };
  const pinnedOp = (src: number, dst: number, full: number, fixed: { axis: number; loopVar: number }[], alpha: number, beta: number): PinnedOp => {
    const dims = plan.buffers[full].dims;
    const st = stridesOf(dims);
    const free = dims.map((_, a) => a).filter((a) => !fixed.some((f) => f.axis === a));
    maxRank = Math.max(maxRank, dims.length);
    return {
      src,
      dst,
      shape: free.map((a) => size(dims[a])),
      strides: free.map((a) => st[a]),
      pinStrides: fixed.map((f) => st[f.axis]),
      pinVars: fixed.map((f) => f.loopVar),
      alpha,
      beta,
    };
  };
  exec.loops = (plan.loops ?? []).map((l) => ({
    start: l.start,
    end: l.end,
    sizes: l.vars.map(size),
    values: new Int32Array(l.vars.length),
    gathers: l.gathers.map((g) => pinnedOp(g.src, g.dst, g.src, g.fixed, 1, 0)),
    scatter: l.scatter === undefined ? undefined : pinnedOp(l.scatter.src, l.scatter.dst, l.scatter.dst, l.scatter.fixed, l.scatter.alpha, l.scatter.beta),
  }));
  exec.loops.sort((a, b) => a.start - b.start);
  // Temps live in the thread pool's shared memory when one of the plan's products is split
  // across threads (the workers then read and write them in place); otherwise in the
  // one-thread engine's own memory, exactly as without a pool.
  exec.pool = gemmThreadPool();
  const threaded = exec.pool !== null && exec.ops.some((op) => op.kind === 'gemm' && chooseGemm(op.m, op.n, op.k) === 'threads');
  placeSlots(exec, dtype, slotSizes, threaded);
  if (exec.resident !== null) maxRank = Math.max(maxRank, fusePermutes(exec) + 1);
  exec.counter = new Int32Array(maxRank);
  exec.offs = new Int32Array(maxInputs);
  exec.bound.set(values);
  exec.prepared = true;
}

/**
 * Folds permutes into GEMM packing: a permute whose result only feeds one operand of a
 * non-batched GEMM (in the same loop body, if any) gets a second gather that writes the
 * kernel's packed panel layout (MR-row panels of op(A), NR-column panels of op(B), k-major,
 * the whole k deep) into the same temp, and the GEMM then skips packing it. The split needs
 * the operand's innermost free axis to be a multiple of MR (NR) and k ≤ kc. Whether it runs
 * is decided per call (the product must go to the wasm kernel; see runSteps). Returns the
 * highest rank of the packed gathers (for the counter scratch).
 */
function fusePermutes(exec: Executor): number {
  const plan = exec.plan;
  const mem = exec.resident!;
  const reads = new Array<number>(plan.buffers.length).fill(0);
  const writes = new Array<number>(plan.buffers.length).fill(0);
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'permute':
        reads[step.src]++;
        writes[step.dst]++;
        break;
      case 'gemm':
        reads[step.a]++;
        reads[step.b]++;
        if (step.beta === 1) reads[step.c]++;
        writes[step.c]++;
        break;
      case 'einsum':
        for (const inp of step.inputs) reads[inp.buffer]++;
        if (step.beta === 1) reads[step.out]++;
        writes[step.out]++;
        break;
      case 'axpy':
        reads[step.src]++;
        if (step.beta === 1) reads[step.dst]++;
        writes[step.dst]++;
        break;
      case 'fill':
        writes[step.dst]++;
        break;
    }
  }
  const loops = plan.loops ?? [];
  for (const l of loops) {
    for (const g of l.gathers) {
      reads[g.src]++;
      writes[g.dst]++;
    }
    if (l.scatter !== undefined) {
      reads[l.scatter.src]++;
      reads[l.scatter.dst]++;
    }
  }
  const loopOf = (i: number): number => loops.findIndex((l) => l.start <= i && i < l.end);
  let maxRank = 0;
  plan.steps.forEach((step, g) => {
    const op = exec.ops[g];
    if (step.kind !== 'gemm' || op.kind !== 'gemm' || op.batch !== 1 || step.a === step.b) return;
    const bl = mem.blockingFor(exec.dtype === 'f32', op.m);
    if (op.k > bl.kc) return;
    for (const bit of [1, 2]) {
      const t = bit === 1 ? step.a : step.b;
      if (plan.buffers[t].role !== 'temp' || reads[t] !== 1 || writes[t] !== 1) continue;
      const p = plan.steps.findIndex((s) => s.kind === 'permute' && s.dst === t);
      if (p < 0 || p > g || loopOf(p) !== loopOf(g)) continue;
      const pop = exec.ops[p];
      if (pop.kind !== 'permute') continue;
      // The temp's axes: [batch (all of size 1), then m and k (A) or k and n (B), in the
      // order the GEMM reads them]; `free` are m (A) or n (B), split at the innermost.
      const nb = step.batch.length;
      const nk = step.k.length;
      const nf = bit === 1 ? step.m.length : step.n.length;
      const freeFirst = bit === 1 ? !step.transA : step.transB;
      const freeAxes = Array.from({ length: nf }, (_, i) => nb + (freeFirst ? 0 : nk) + i);
      const kAxes = Array.from({ length: nk }, (_, i) => nb + (freeFirst ? nf : 0) + i);
      const r = bit === 1 ? bl.mr : bl.nr;
      const inner = freeAxes[nf - 1];
      if (nf === 0 || pop.shape[inner] % r !== 0) continue;
      const outer = [...Array.from({ length: nb }, (_, i) => i), ...freeAxes.slice(0, -1)];
      pop.pack = {
        gemm: op,
        bit,
        shape: [...outer.map((a) => pop.shape[a]), pop.shape[inner] / r, ...kAxes.map((a) => pop.shape[a]), r],
        strides: [...outer.map((a) => pop.strides[a]), pop.strides[inner] * r, ...kAxes.map((a) => pop.strides[a]), pop.strides[inner]],
      };
      maxRank = Math.max(maxRank, pop.pack.shape.length);
    }
  });
  return maxRank;
}

/**
 * Puts the temps' slots in wasm memory where it is available (so GEMM and permute steps use
 * them in place, without copies), each at a 64-byte aligned offset; else, or when the engine
 * refuses the memory, in JS arrays (grow-only).
 */
function placeSlots(exec: Executor, dtype: Dtype, slotSizes: number[], shared: boolean): void {
  const es = dtype === 'f32' ? 4 : 8;
  const mem = residentMemory(shared);
  let bytes = 0;
  exec.slotAt = slotSizes.map((n) => {
    const at = bytes;
    bytes += Math.ceil((n * es) / 64) * 64;
    return at;
  });
  exec.slotLen = slotSizes;
  // Views of wasm memory are never kept as JS arrays: they detach when the memory grows.
  const wasResident = exec.resident !== null;
  exec.resident = null;
  exec.viewBuffer = null;
  if (mem !== null && bytes <= RESIDENT_MAX_BYTES) {
    try {
      mem.reserve(bytes);
      exec.resident = mem;
      exec.residentBytes = bytes;
      makeViews(exec);
      return;
    } catch {
      exec.resident = null; // the engine refused the memory: JS arrays below
    }
  }
  if (wasResident) exec.slots = [];
  for (let s = 0; s < slotSizes.length; s++) {
    if (exec.slots[s] === undefined || exec.slots[s].length < slotSizes[s]) exec.slots[s] = makeArray(dtype, slotSizes[s]);
  }
  bindTemps(exec);
}

/** Points every temp at its slot's array. */
function bindTemps(exec: Executor): void {
  const buffers = exec.plan.buffers;
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i];
    if (b.role === 'temp') exec.bufs[b.id] = exec.slots[b.slot!];
  }
}

/** (Re)makes the slot views on the resident memory's current buffer and binds the temps to them. */
function makeViews(exec: Executor): void {
  const buffer = exec.resident!.reserve(exec.residentBytes);
  exec.slots.length = exec.slotLen.length;
  for (let s = 0; s < exec.slotLen.length; s++) {
    const n = exec.slotLen[s];
    exec.slots[s] = exec.dtype === 'f32' ? new Float32Array(buffer, exec.slotAt[s], n) : new Float64Array(buffer, exec.slotAt[s], n);
  }
  bindTemps(exec);
  exec.viewBuffer = buffer;
}

/**
 * Remakes the slot views when the wasm memory grew since they were made (growth detaches
 * every view of it): before every step, as any GEMM or permute may grow it. Allocates only
 * after a growth, which stops once the memory is large enough for the plans being run.
 */
function freshViews(exec: Executor): void {
  // Growth detaches the old buffer (its byteLength becomes 0): a field read, where reading
  // `memory.buffer` costs a call per step.
  if (exec.resident !== null && exec.viewBuffer!.byteLength === 0) makeViews(exec);
}

function pinnedBase(op: PinnedOp, values: Int32Array): number {
  let base = 0;
  for (let i = 0; i < op.pinStrides.length; i++) base += op.pinStrides[i] * values[op.pinVars[i]];
  return base;
}

/** Runs the plan: steps outside loops once, each loop's range once per assignment. */
function execute(exec: Executor): void {
  let next = 0;
  for (let l = 0; l < exec.loops.length; l++) {
    const loop = exec.loops[l];
    runSteps(exec, next, loop.start);
    runLoop(exec, loop);
    next = loop.end;
  }
  runSteps(exec, next, exec.ops.length);
}

function runLoop(exec: Executor, loop: PreparedLoop): void {
  const bufs = exec.bufs;
  const { sizes, values } = loop;
  values.fill(0);
  for (;;) {
    for (let k = 0; k < loop.gathers.length; k++) {
      const g = loop.gathers[k];
      freshViews(exec);
      permute(bufs[g.src], pinnedBase(g, values), bufs[g.dst], 0, g.shape, g.strides, exec.counter);
    }
    runSteps(exec, loop.start, loop.end);
    const sc = loop.scatter;
    freshViews(exec);
    if (sc !== undefined) scatter(bufs[sc.src], 0, bufs[sc.dst], pinnedBase(sc, values), sc.shape, sc.strides, sc.alpha, sc.beta, exec.counter);
    let v = sizes.length - 1;
    for (; v >= 0; v--) {
      if (++values[v] < sizes[v]) break;
      values[v] = 0;
    }
    if (v < 0) return;
  }
}

function runSteps(exec: Executor, from: number, to: number): void {
  const bufs = exec.bufs;
  for (let i = from; i < to; i++) {
    const op = exec.ops[i];
    // The step before may have grown the wasm memory the temps live in.
    freshViews(exec);
    switch (op.kind) {
      case 'permute': {
        const pk = op.pack;
        // Packed for its GEMM only when that product goes to the wasm kernel (not the direct
        // loop, the plain kernel or the thread pool, which pack for themselves).
        if (pk !== undefined && chooseGemm(pk.gemm.m, pk.gemm.n, pk.gemm.k) === 'wasm') {
          permute(bufs[op.src], 0, bufs[op.dst], 0, pk.shape, pk.strides, exec.counter);
          pk.gemm.prepacked |= pk.bit;
        } else {
          permute(bufs[op.src], 0, bufs[op.dst], 0, op.shape, op.strides, exec.counter);
          if (pk !== undefined) pk.gemm.prepacked &= ~pk.bit;
        }
        break;
      }
      case 'gemm': {
        const { m, n, k } = op;
        const lda = op.transA ? m : k;
        const ldb = op.transB ? k : n;
        if (op.prepacked !== 0) {
          exec.resident!.gemmPrepacked(op.prepacked, op.transA, op.transB, m, n, k, op.alpha, bufs[op.a], 0, lda, bufs[op.b], 0, ldb, op.beta, bufs[op.c], 0, n);
          break;
        }
        for (let t = 0; t < op.batch; t++) {
          if (t > 0) freshViews(exec);
          gemm(op.transA, op.transB, m, n, k, op.alpha, bufs[op.a], t * m * k, lda, bufs[op.b], t * k * n, ldb, op.beta, bufs[op.c], t * m * n, n);
        }
        break;
      }
      case 'einsum':
        for (let t = 0; t < op.inputs.length; t++) op.arrays[t] = bufs[op.inputs[t]];
        einsumLoop(op.arrays, op.offs, op.sizes, op.nOut, op.strides, bufs[op.out], 0, op.alpha, op.beta, exec.counter, exec.offs);
        break;
      case 'axpy':
        axpy(op.n, op.alpha, bufs[op.src], 0, op.beta, bufs[op.dst], 0);
        break;
      case 'fill':
        fill(op.n, op.value, bufs[op.dst], 0);
        break;
    }
  }
}

function makeExecutor(plan: KernelPlan, deps: Dep[], dtype: Dtype): Executor {
  return {
    dtype,
    resident: null,
    pool: null,
    slotAt: [],
    slotLen: [],
    residentBytes: 0,
    viewBuffer: null,
    sources: plan.inputs.map((i) => deps.find((d) => d.name === i.name)),
    plan,
    bound: new Float64Array(plan.dims.length),
    prepared: false,
    sizes: [],
    slots: [],
    bufs: new Array<FloatArray>(plan.buffers.length),
    ops: [],
    loops: [],
    counter: new Int32Array(1),
    offs: new Int32Array(1),
    deps,
  };
}

/**
 * Throws the missing-input error. Kept out of runExecutor: a closure there would make V8
 * allocate a context on every call, and calls must not allocate.
 */
function missingInput(fn: string, exec: Executor, name: string): never {
  const names = exec.plan.inputs.filter((_, j) => exec.sources[j] === undefined).map((x) => x.name);
  throw new TypeError(`${fn}: missing input '${name}'; expected inputs: ${[...new Set(names)].join(', ')}`);
}

/** Runs one executor (and, first, the statements it reads) with inputs already type-checked. */
function runExecutor(
  fn: string,
  exec: Executor,
  dtype: Dtype,
  inputs: Record<string, FloatArray>,
  dims: Record<string, number> | undefined,
  values: Float64Array,
  out: FloatArray | undefined,
): FloatArray {
  const plan = exec.plan;
  bindDims(fn, plan, dims, values);
  let same = exec.prepared;
  for (let i = 0; i < values.length; i++) if (values[i] !== exec.bound[i]) same = false;
  // Starting or stopping a thread pool may move the temps (to or from its shared memory).
  if (exec.pool !== gemmThreadPool()) same = false;
  if (!same) prepare(fn, exec, dtype, values);
  for (let d = 0; d < exec.deps.length; d++) {
    const dep = exec.deps[d];
    const need = exec.sizes[dep.buffer];
    if (dep.result === undefined || dep.result.length !== need) dep.result = makeArray(dtype, need);
    runExecutor(fn, dep.exec, dtype, inputs, dims, dep.values, dep.result);
  }
  for (let i = 0; i < plan.inputs.length; i++) {
    const inp = plan.inputs[i];
    const dep = exec.sources[i];
    // Own properties only, so a missing input named `constructor` is reported as missing.
    const arr = dep !== undefined ? dep.result! : Object.hasOwn(inputs, inp.name) ? inputs[inp.name] : undefined;
    const need = exec.sizes[inp.buffer];
    if (arr === undefined) missingInput(fn, exec, inp.name);
    if (!isDtype(dtype, arr)) throw new TypeError(`${fn}: input '${inp.name}' must be a ${arrayName(dtype)}`);
    if (arr.length !== need) {
      throw new RangeError(`${fn}: input '${inp.name}' has ${arr.length} elements but its shape ${shapeText(plan, plan.buffers[inp.buffer].dims, values)} needs ${need}`);
    }
    exec.bufs[inp.buffer] = arr;
  }
  // Temps are bound to their slots when the slots change (placeSlots, makeViews); the
  // dependencies ran first and may have grown the wasm memory.
  freshViews(exec);
  const need = exec.sizes[plan.output];
  let result: FloatArray;
  if (out === undefined) result = makeArray(dtype, need);
  else {
    if (!isDtype(dtype, out)) throw new TypeError(`${fn}: the output buffer must be a ${arrayName(dtype)}`);
    if (out.length !== need) throw new RangeError(`${fn}: the output buffer has ${out.length} elements but the output shape ${shapeText(plan, plan.buffers[plan.output].dims, values)} needs ${need}`);
    // Steps read inputs after the output is first written, so they must not share memory.
    for (let i = 0; i < plan.inputs.length; i++) {
      const inp = plan.inputs[i];
      const arr = exec.bufs[inp.buffer];
      if (arr.buffer === out.buffer && arr.byteOffset < out.byteOffset + out.byteLength && out.byteOffset < arr.byteOffset + arr.byteLength) {
        throw new RangeError(`${fn}: the output buffer overlaps input '${inp.name}'; pass a separate array`);
      }
    }
    result = out;
  }
  exec.bufs[plan.output] = result;
  execute(exec);
  return result;
}

/**
 * Builds one runner per plan, keyed by plan name. A plan input named after another plan (an
 * intermediate statement) is computed by that plan first, into a buffer kept between calls.
 */
export function createRunners(plans: readonly KernelPlan[], dtype: Dtype): Record<string, Runner> {
  const byName = new Map<string, KernelPlan>(plans.map((p) => [p.name, p]));
  const executorFor = (plan: KernelPlan, seen: string[]): Executor => {
    if (seen.includes(plan.name)) throw new Error(`statement '${plan.name}' depends on itself`);
    const deps: Dep[] = [];
    for (const inp of plan.inputs) {
      const dep = byName.get(inp.name);
      if (dep !== undefined && dep !== plan) {
        deps.push({ name: inp.name, exec: executorFor(dep, [...seen, plan.name]), values: new Float64Array(dep.dims.length), buffer: inp.buffer, result: undefined });
      }
    }
    return makeExecutor(plan, deps, dtype);
  };
  const runners: Record<string, Runner> = {};
  for (const plan of plans) {
    const exec = executorFor(plan, []);
    const values = new Float64Array(plan.dims.length);
    const fn = plan.name;
    runners[fn] = (inputs, dims, out) => {
      if (typeof inputs !== 'object' || inputs === null) throw new TypeError(`${fn}: the first argument must be an object of input arrays keyed by name`);
      return runExecutor(fn, exec, dtype, inputs, dims, values, out);
    };
  }
  return runners;
}

/** A runner for a single plan. */
export function createRunner(plan: KernelPlan, dtype: Dtype): Runner {
  return createRunners([plan], dtype)[plan.name];
}

/**
 * Sets how many threads large matrix products use (a positive integer, or 'auto'; 1 = off):
 * see setGemmThreads. Generated modules export it as `setThreads`; compile() and einsum()
 * share this module's pool (the library's setCpuThreads).
 */
export function setThreads(threads: number | 'auto'): Promise<number> {
  return setGemmThreads(threads);
}
