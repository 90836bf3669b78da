/// <reference types="@webgpu/types" />
// The WebGPU host runtime: runs prepared KernelPlans on a GPUDevice. Generated modules inline
// its transpiled text (runtime-text.ts, made by scripts/gen-webgpu-runtime.ts), so this file is
// self-contained: no imports, only type references, and no identifiers that could collide with
// a generated module's own (everything here starts with `gpu`, `Gpu` or `tncGpu`).
//
// Per GPUDevice, each kernel is compiled once (a WeakMap keyed by device; entries vanish with
// the device). Per model and dims binding, buffers, offset tables and dispatch sizes are
// prepared once and reused (a small LRU, see GPU_BINDINGS_KEPT); a call then writes inputs,
// records every step of the statement (and of the `let` statements it reads) into one command
// encoder and submits it under error scopes, so device errors come back as exceptions.

/** A plan step as the runtime consumes it (see emit.ts `prepareSteps`). */
export type GpuStep =
  | { k: 'fill'; dst: number; value: number }
  | { k: 'axpy'; src: number; dst: number; alpha: number; beta: number }
  | { k: 'permute'; src: number; dst: number; perm: number[] }
  | { k: 'einsum'; ins: { b: number; labels: number[] }[]; out: number; outLabels: number[]; labelDims: string[]; alpha: number; beta: number }
  | {
      k: 'gemm';
      /** Operand views: logical axis i of the operand is physical axis perm[i] of buffer b. */
      a: GpuView;
      b: GpuView;
      c: GpuView;
      batch: string[];
      m: string[];
      n: string[];
      kd: string[];
      transA: boolean;
      transB: boolean;
      alpha: number;
      beta: number;
    };

/** An operand of a GEMM: a buffer read through an axis permutation (null: identity). */
export interface GpuView {
  b: number;
  perm: number[] | null;
}

/** A statement prepared for the GPU. Buffer roles and slots are the KernelPlan's. */
export interface GpuPlan {
  name: string;
  dims: { name: string; size?: number; symbolic: boolean }[];
  buffers: { dims: string[]; role: 'input' | 'output' | 'temp'; name?: string; slot?: number }[];
  inputs: { name: string; buffer: number }[];
  output: number;
  steps: GpuStep[];
}

/** A GEMM tile (mirrors wgsl.ts GemmTile). */
export interface GpuTile {
  name: string;
  wgX: number;
  wgY: number;
  tm: number;
  tn: number;
  tk: number;
}

/** Everything a generated module hands the runtime. */
export interface GpuModuleData {
  /** WGSL by kernel name (`<kind>_<precision>`). */
  kernels: Record<string, string>;
  plans: GpuPlan[];
  tiles: GpuTile[];
  /** Invocations per workgroup of the elementwise kernels. */
  wg: number;
  einsumHeader: number;
  gemmHeader: number;
  maxEinsumInputs: number;
  /** Precisions the module carries kernels for. */
  precisions: ('f32' | 'f16')[];
}

/** Options of `create`. */
export interface GpuCreateOptions {
  /** 'f16' needs the device feature `shader-f16` and a module with f16 kernels (emitWebGpu dtype 'f16'); 'auto' (default) uses f16 when both hold. */
  precision?: 'auto' | 'f32' | 'f16';
  /**
   * Largest storage binding to use, in bytes (default and upper bound: the device's
   * maxStorageBufferBindingSize). Steps touching more are split; lowering it exercises that.
   */
  maxBindingBytes?: number;
}

/** Options of one call. */
export interface GpuCallOptions {
  /** Write the result here (a STORAGE buffer at least as large as the result). */
  output?: GPUBuffer;
  /** Read the result back and resolve to a Float32Array instead of a GPUBuffer. */
  read?: boolean;
}

/** Inputs of one call: per input name, a typed array (row-major) or a GPUBuffer holding it. */
export type GpuInputs = Record<string, Float32Array | Float64Array | GPUBuffer>;

/** A compiled model bound to one device. */
export interface GpuModel {
  readonly precision: 'f32' | 'f16';
  readonly device: GPUDevice;
  /** Runs a statement by plan name. */
  run(name: string, inputs: GpuInputs, dims?: Record<string, number>, options?: GpuCallOptions): Promise<GPUBuffer | Float32Array>;
  /** Frees the buffers this model keeps between calls (not the compiled pipelines, which belong to the device). */
  destroy(): void;
}

/** The error every runtime failure is reported with. */
export class GpuTncError extends Error {
  constructor(message: string) {
    super(`tnc webgpu: ${message}`);
    this.name = 'TncWebGpuError';
  }
}

const GPU_STORAGE = 0x80;
const GPU_COPY_SRC = 0x04;
const GPU_COPY_DST = 0x08;
const GPU_MAP_READ = 0x01;
const GPU_MAP_MODE_READ = 0x01;
/** Dims bindings (sets of symbolic dim values) kept per statement; older ones are freed. */
const GPU_BINDINGS_KEPT = 4;
/**
 * Most iterations of a kernel's runtime-bounded loops one invocation may run in one dispatch.
 * Mesa's llvmpipe (the CI adapter) stops every loop of an invocation after 65535 iterations in
 * all, silently, so longer reductions are split into dispatches that accumulate; on GPUs this
 * also keeps single dispatches short.
 */
const GPU_MAX_LOOP = 32768;

/**
 * Compiled pipelines per device, keyed by WGSL text: a cache keyed by its inputs (entries go
 * with the device). It lives on globalThis under a registered symbol so that every generated
 * module in a page or process (each inlines this runtime) shares it: identical kernels are
 * compiled once per device, whichever model asks first.
 */
const gpuPipelineCache: WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>> = (() => {
  const key = Symbol.for('tnc.webgpu.pipelines.v1');
  const g = globalThis as unknown as Record<symbol, WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>> | undefined>;
  return (g[key] ??= new WeakMap());
})();

function gpuFail(message: string): never {
  throw new GpuTncError(message);
}

function gpuPipeline(device: GPUDevice, data: GpuModuleData, name: string): Promise<GPUComputePipeline> {
  let cache = gpuPipelineCache.get(device);
  if (cache === undefined) {
    cache = new Map();
    gpuPipelineCache.set(device, cache);
  }
  const code = data.kernels[name];
  if (code === undefined) gpuFail(`internal: the module has no kernel '${name}'`);
  let p = cache.get(code);
  if (p === undefined) {
    p = gpuCompile(device, name, code);
    cache.set(code, p);
  }
  return p;
}

async function gpuCompile(device: GPUDevice, name: string, code: string): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: `tnc ${name}` });
  let pipeline: GPUComputePipeline | undefined;
  let thrown: unknown;
  try {
    pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: `tnc ${name}` });
  } catch (e) {
    thrown = e;
  }
  const err = await device.popErrorScope();
  if (err !== null || pipeline === undefined) {
    gpuFail(`kernel ${name} failed to compile on this device: ${err !== null ? err.message : String((thrown as Error)?.message ?? thrown)}`);
  }
  return pipeline;
}

function gpuProd(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

function gpuBits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}

/** Row-major strides of a shape. */
function gpuStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Offsets of every coordinate of a row-major index space with the given per-axis strides. */
/** Most entries in one GEMM offset table (they travel in the metadata buffer, 4 bytes each). */
const GPU_MAX_TABLE = 2 ** 25;

function gpuTable(sizes: readonly number[], strides: readonly number[], fn: string): number[] {
  // Checked before building: a huge symbolic dim would otherwise exhaust the JS heap.
  const total = gpuProd(sizes);
  if (total > GPU_MAX_TABLE) {
    gpuFail(`${fn}: a GEMM step spans ${total} rows or columns in one operand, above the ${GPU_MAX_TABLE} this runtime indexes (per-row offset tables); use smaller dims or the cpu target`);
  }
  let t = [0];
  for (let a = 0; a < sizes.length; a++) {
    const next = new Array<number>(t.length * sizes[a]);
    let w = 0;
    for (const base of t) for (let c = 0; c < sizes[a]; c++) next[w++] = base + c * strides[a];
    t = next;
  }
  return t;
}

/** f32 → IEEE half bits, round to nearest even (for f16 models). */
function gpuToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  e = h >>> 10;
  return sign | h;
}

/** IEEE half bits → number. */
function gpuFromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A buffer bound to one binding: a byte window of buffer `id` (aligned for storage offsets). */
interface GpuBindEntry {
  id: number;
  offset: number;
  size: number;
}

interface GpuOp {
  kernel: string | null;
  /** Buffers bound in binding order (the meta segment comes last); for a clear, [dst]. */
  bind: GpuBindEntry[];
  metaOffset: number;
  metaBytes: number;
  groups: [number, number];
}

interface GpuBinding {
  key: string;
  counts: number[];
  bytes: number[];
  /** Temp buffers by id (undefined for inputs and the output). */
  temps: (GPUBuffer | undefined)[];
  owned: GPUBuffer[];
  ops: GpuOp[];
  meta: GPUBuffer | null;
  staging: Map<number, GPUBuffer>;
  /** The output buffer reused when the caller reads the result back or the statement is a dependency. */
  out: GPUBuffer | null;
  readback: GPUBuffer | null;
}

interface GpuStatement {
  plan: GpuPlan;
  /** Per plan input: the statement computing it (a `let`), or undefined for caller data. */
  sources: (GpuStatement | undefined)[];
  bindings: GpuBinding[];
}

function gpuSegmentAlign(device: GPUDevice): number {
  return Math.max(4, device.limits.minStorageBufferOffsetAlignment);
}

function gpuDescribe(plan: GpuPlan, id: number): string {
  const b = plan.buffers[id];
  const what = b.role === 'input' ? `input '${b.name}'` : b.role === 'output' ? 'the output' : 'an intermediate';
  return `${what} [${b.dims.join(', ')}]`;
}

/** Values of a plan's dims: fixed sizes, or the caller's values for symbolic dims. */
function gpuResolveDims(fn: string, plan: GpuPlan, dims: Record<string, number> | undefined): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const d of plan.dims) {
    const v = dims?.[d.name];
    // A string shown bare ("got 2") would hide why "2" is refused.
    const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
    if (!d.symbolic) {
      // As on the CPU target: a value for a fixed dim must agree with the model, not be ignored.
      if (v !== undefined && v !== d.size) gpuFail(`${fn}: dim '${d.name}' is fixed at ${d.size} by the model, got ${shown}`);
      sizes.set(d.name, d.size!);
      continue;
    }
    if (v === undefined) gpuFail(`${fn}: symbolic dim '${d.name}' needs a value: pass it in the dims argument, e.g. { ${JSON.stringify(d.name)}: 8 }`);
    // Sizes are at least 1 (as on the CPU target): an empty tensor has no buffer to bind.
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) gpuFail(`${fn}: dim '${d.name}' must be a positive integer, got ${shown}`);
    sizes.set(d.name, v);
  }
  return sizes;
}

function gpuDispatchGroups(device: GPUDevice, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  if (y > max) gpuFail(`a step needs ${groups} workgroups, more than this device can dispatch (${max}²)`);
  return [Math.ceil(groups / y), y];
}

/** Picks a GEMM tile for an m × n product under the device's limits (see wgsl.ts chooseGemmTile). */
function gpuChooseTile(device: GPUDevice, tiles: GpuTile[], m: number, n: number): GpuTile {
  const l = device.limits;
  const fits = (t: GpuTile): boolean =>
    t.wgX * t.wgY <= l.maxComputeInvocationsPerWorkgroup &&
    t.wgX <= l.maxComputeWorkgroupSizeX &&
    t.wgY <= l.maxComputeWorkgroupSizeY &&
    4 * t.tk * (t.wgY * t.tm + t.wgX * t.tn) <= l.maxComputeWorkgroupStorageSize;
  const byName = (name: string): GpuTile => tiles.find((t) => t.name === name)!;
  const wanted = n <= 2 && m >= 64 ? 'gcol' : m <= 2 && n >= 64 ? 'grow' : m >= 64 && n >= 64 ? 'g64' : 'g32';
  const first = byName(wanted);
  return fits(first) ? first : byName('g32');
}

/** Prepares a statement for one dims binding: sizes, buffers, kernel parameters, dispatch sizes. */
function gpuBind(
  device: GPUDevice,
  data: GpuModuleData,
  precision: 'f32' | 'f16',
  maxBinding: number,
  fn: string,
  plan: GpuPlan,
  sizes: Map<string, number>,
  key: string,
  owned: GPUBuffer[],
): GpuBinding {
  const elem = precision === 'f16' ? 2 : 4;
  const size = (d: string): number => sizes.get(d)!;
  const shapes = plan.buffers.map((b) => b.dims.map(size));
  const counts = shapes.map((s, id) => {
    const n = gpuProd(s);
    if (!Number.isSafeInteger(n)) gpuFail(`${fn}: ${gpuDescribe(plan, id)} has more elements than can be counted exactly`);
    return n;
  });
  const bytes = counts.map((n, id) => {
    const b = Math.max(4, Math.ceil((n * elem) / 4) * 4);
    if (b > device.limits.maxBufferSize) gpuFail(`${fn}: ${gpuDescribe(plan, id)} needs ${b} bytes, above this device's maxBufferSize (${device.limits.maxBufferSize})`);
    return b;
  });
  // The limit is the device's unless create(device, { maxBindingBytes }) lowered it.
  const fromOption = maxBinding < device.limits.maxStorageBufferBindingSize;
  const tooBig = (id: number, need: number): never =>
    gpuFail(
      `${fn}: a step binds ${gpuDescribe(plan, id)} (${need} bytes), above the storage binding limit (${maxBinding} bytes, ${fromOption ? 'the maxBindingBytes given to create()' : "the device's maxStorageBufferBindingSize"}) and it cannot be split; ` +
        (fromOption ? 'raise maxBindingBytes or use smaller dims' : "request a device with the adapter's limits (requiredLimits) or use smaller dims"),
    );
  const whole = (id: number): GpuBindEntry => (bytes[id] > maxBinding ? tooBig(id, bytes[id]) : { id, offset: 0, size: bytes[id] });
  const strides = shapes.map(gpuStrides);
  const make = (n: number, usage: number, label: string): GPUBuffer => {
    const buf = device.createBuffer({ size: n, usage, label });
    owned.push(buf);
    return buf;
  };
  const usage = GPU_STORAGE | GPU_COPY_SRC | GPU_COPY_DST;
  const slotBytes: number[] = [];
  plan.buffers.forEach((b, id) => {
    if (b.role === 'temp' && b.slot !== undefined) slotBytes[b.slot] = Math.max(slotBytes[b.slot] ?? 4, bytes[id]);
  });
  const slotBufs = slotBytes.map((n, s) => (n === undefined ? undefined : make(n, usage, `tnc ${fn} slot ${s}`)));
  // Temps without a slot get their own buffer, unless no step uses them (folded away).
  const used = new Set<number>();
  for (const st of plan.steps) {
    if (st.k === 'gemm') [st.a.b, st.b.b, st.c.b].forEach((id) => used.add(id));
    else if (st.k === 'einsum') [...st.ins.map((i) => i.b), st.out].forEach((id) => used.add(id));
    else if (st.k === 'fill') used.add(st.dst);
    else [st.src, st.dst].forEach((id) => used.add(id));
  }
  const temps = plan.buffers.map((b, id) =>
    b.role !== 'temp' || !used.has(id) ? undefined : b.slot !== undefined ? slotBufs[b.slot] : make(bytes[id], usage, `tnc ${fn} temp ${id}`),
  );

  const align = gpuSegmentAlign(device);
  const segments: Uint32Array[] = [];
  const ops: GpuOp[] = [];
  let metaLen = 0;
  const kname = (kind: string): string => `${kind}_${precision}`;
  const push = (kernel: string, bind: GpuBindEntry[], meta: number[], groups: number): void => {
    if (groups === 0) return;
    const seg = Uint32Array.from(meta);
    const offset = metaLen;
    segments.push(seg);
    metaLen += Math.ceil((seg.byteLength) / align) * align;
    ops.push({ kernel: kname(kernel), bind, metaOffset: offset, metaBytes: seg.byteLength, groups: gpuDispatchGroups(device, groups) });
  };
  const W = data.wg;
  /** Contiguous element ranges [start, count] whose byte windows fit the binding limit. */
  const chunks = (n: number): [number, number][] => {
    const per = Math.max(align / elem, Math.floor(maxBinding / align) * (align / elem));
    const out: [number, number][] = [];
    for (let e0 = 0; e0 < n; e0 += per) out.push([e0, Math.min(per, n - e0)]);
    return out;
  };
  const windowOf = (id: number, e0: number, n: number): GpuBindEntry => {
    const offset = e0 * elem;
    return { id, offset, size: Math.min(bytes[id] - offset, Math.max(4, Math.ceil((n * elem) / 4) * 4)) };
  };
  const einsum = (st: Extract<GpuStep, { k: 'einsum' }>): void => {
    const nIn = st.ins.length;
    if (nIn > data.maxEinsumInputs) gpuFail(`internal: an einsum step has ${nIn} inputs (at most ${data.maxEinsumInputs})`);
    if (nIn + 2 > device.limits.maxStorageBuffersPerShaderStage) {
      gpuFail(`${fn}: a step binds ${nIn + 2} storage buffers but this device allows ${device.limits.maxStorageBuffersPerShaderStage} per shader stage`);
    }
    const outSet = new Set(st.outLabels);
    const red: number[] = [];
    for (const inp of st.ins) for (const l of inp.labels) if (!outSet.has(l) && !red.includes(l)) red.push(l);
    const osz = st.outLabels.map((l) => size(st.labelDims[l]));
    const rsz = red.map((l) => size(st.labelDims[l]));
    const nOut = gpuProd(osz);
    const nRed = gpuProd(rsz);
    const ostr: number[][] = [];
    const rstr: number[][] = [];
    for (const inp of st.ins) {
      const per = new Map<number, number>();
      inp.labels.forEach((l, ax) => per.set(l, (per.get(l) ?? 0) + strides[inp.b][ax]));
      ostr.push(st.outLabels.map((l) => per.get(l) ?? 0));
      rstr.push(red.map((l) => per.get(l) ?? 0));
    }
    // Loop iterations of one 'thread' invocation: it walks the whole reduction (GPU_MAX_LOOP).
    const last = rsz.length > 0 ? rsz[rsz.length - 1] : 1;
    const threadLoops = osz.length + (nRed / last) * rsz.length + nRed;
    const group = nRed >= 64 && (nOut <= 1024 || threadLoops > GPU_MAX_LOOP);
    const kernel = `einsum${nIn}_${group ? 'group' : 'thread'}`;
    // A 'group' invocation takes every W-th reduction element, decoding each with a loop over
    // the reduced labels; longer reductions run as several dispatches that accumulate.
    const redChunk = group ? W * Math.max(1, Math.floor(GPU_MAX_LOOP / (rsz.length + 2))) : nRed;
    const emitChunk = (o0: number, n: number, wins: GpuBindEntry[]): void => {
      for (let r0 = 0; r0 < nRed; r0 += redChunk) {
        const meta = [n, Math.min(nRed, r0 + redChunk), osz.length, rsz.length, gpuBits(st.alpha), r0 === 0 ? st.beta : 1, o0];
        st.ins.forEach((_, k) => meta.push(wins[k].offset / elem));
        while (meta.length < data.einsumHeader) meta.push(0);
        meta[10] = r0; // where the 'group' kernel's reduction range starts (wgsl.ts einsumWgsl)
        meta.push(...osz, ...rsz);
        st.ins.forEach((_, k) => meta.push(...ostr[k], ...rstr[k]));
        push(kernel, wins, meta, group ? n : Math.ceil(n / W));
      }
    };
    if (nOut === 0) return;
    if (st.ins.every((i) => bytes[i.b] <= maxBinding) && bytes[st.out] <= maxBinding) {
      emitChunk(0, nOut, [...st.ins.map((i) => whole(i.b)), whole(st.out)]);
      return;
    }
    // Split the output into aligned ranges; each input is bound through the window its range
    // touches (the base offsets of the range's outputs plus the reduction's extent).
    const redMax = rstr.map((rs) => rs.reduce((acc, x, q) => acc + x * (rsz[q] - 1), 0));
    const step = align / elem;
    const split = (o0: number, n: number): void => {
      const lo = st.ins.map(() => Infinity);
      const hi = st.ins.map(() => -Infinity);
      const coord = new Array<number>(osz.length).fill(0);
      let rem = o0;
      for (let j = osz.length - 1; j >= 0; j--) {
        coord[j] = rem % osz[j];
        rem = Math.floor(rem / osz[j]);
      }
      for (let e = 0; e < n; e++) {
        st.ins.forEach((_, k) => {
          let b = 0;
          for (let j = 0; j < osz.length; j++) b += coord[j] * ostr[k][j];
          if (b < lo[k]) lo[k] = b;
          if (b > hi[k]) hi[k] = b;
        });
        for (let j = osz.length - 1; j >= 0; j--) {
          if (++coord[j] < osz[j]) break;
          coord[j] = 0;
        }
      }
      const wins: GpuBindEntry[] = st.ins.map((inp, k) => {
        const offset = Math.floor((lo[k] * elem) / align) * align;
        return { id: inp.b, offset, size: Math.min(bytes[inp.b] - offset, Math.ceil(((hi[k] + redMax[k] + 1) * elem - offset) / 4) * 4) };
      });
      wins.push(windowOf(st.out, o0, n));
      const over = wins.findIndex((w) => w.size > maxBinding);
      if (over < 0) return emitChunk(o0, n, wins);
      if (n <= step) return tooBig(wins[over].id, wins[over].size);
      const h = Math.ceil(n / 2 / step) * step;
      split(o0, h);
      split(o0 + h, n - h);
    };
    split(0, nOut);
  };
  for (const st of plan.steps) {
    switch (st.k) {
      case 'fill':
        if (st.value === 0) ops.push({ kernel: null, bind: [{ id: st.dst, offset: 0, size: bytes[st.dst] }], metaOffset: 0, metaBytes: 0, groups: [0, 0] });
        else for (const [e0, n] of chunks(counts[st.dst])) push('fill', [windowOf(st.dst, e0, n)], [n, gpuBits(st.value)], Math.ceil(n / W));
        break;
      case 'axpy':
        for (const [e0, n] of chunks(counts[st.dst])) push('axpy', [windowOf(st.src, e0, n), windowOf(st.dst, e0, n)], [n, gpuBits(st.alpha), st.beta], Math.ceil(n / W));
        break;
      case 'permute': {
        const src = strides[st.src];
        const rank = st.perm.length;
        if (bytes[st.src] <= maxBinding && bytes[st.dst] <= maxBinding) {
          push('permute', [whole(st.src), whole(st.dst)], [counts[st.dst], rank, ...shapes[st.dst], ...st.perm.map((p) => src[p])], Math.ceil(counts[st.dst] / W));
        } else {
          // Too large to bind whole: the one-input einsum kernel splits over output ranges.
          const labels = new Array<number>(rank);
          st.perm.forEach((p, q) => (labels[p] = q));
          einsum({ k: 'einsum', ins: [{ b: st.src, labels }], out: st.dst, outLabels: st.perm.map((_, q) => q), labelDims: [...plan.buffers[st.dst].dims], alpha: 1, beta: 0 });
        }
        break;
      }
      case 'einsum':
        einsum(st);
        break;
      case 'gemm': {
        const g = (names: string[]): number[] => names.map(size);
        const bS = g(st.batch);
        const mS = g(st.m);
        const nS = g(st.n);
        const kS = g(st.kd);
        const [Bt, M, N, K] = [gpuProd(bS), gpuProd(mS), gpuProd(nS), gpuProd(kS)];
        const tables = (v: GpuView, groups: number[][]): number[][] => {
          const phys = strides[v.b];
          let li = 0;
          return groups.map((grp) =>
            gpuTable(
              grp,
              grp.map(() => {
                const p = v.perm === null ? li : v.perm[li];
                li++;
                return phys[p];
              }),
              fn,
            ),
          );
        };
        const [aB, a1, a2] = tables(st.a, st.transA ? [bS, kS, mS] : [bS, mS, kS]);
        const [bB, b1, b2] = tables(st.b, st.transB ? [bS, nS, kS] : [bS, kS, nS]);
        const [cB, cM, cN] = tables(st.c, [bS, mS, nS]);
        const list = [aB, st.transA ? a2 : a1, st.transA ? a1 : a2, bB, st.transB ? b2 : b1, st.transB ? b1 : b2, cB, cM, cN];
        const tile = gpuChooseTile(device, data.tiles, M, N);
        const TM = tile.wgY * tile.tm;
        const TN = tile.wgX * tile.tn;
        const tilesN = Math.ceil(N / TN);
        // Bind each operand through the window of elements the step touches; when a window
        // exceeds the binding limit, split the batch range, then the rows of C (and of A), in
        // halves until every window fits. Tables are rebased on their window (u32 arithmetic
        // wraps, so a negative batch entry still sums to the right in-window offset).
        const [aM, aK, bK, bN] = [list[1], list[2], list[4], list[5]];
        const span = (ts: number[][]): [number, number] => {
          let lo = 0;
          let hi = 0;
          for (const t of ts) {
            let tl = Infinity;
            let th = -Infinity;
            for (const x of t) {
              if (x < tl) tl = x;
              if (x > th) th = x;
            }
            lo += tl;
            hi += th;
          }
          return [lo, hi];
        };
        const emit = (b0: number, b1: number, i0: number, i1: number, k0: number, k1: number): void => {
          const rowsA = aM.slice(i0, i1);
          const rowsC = cM.slice(i0, i1);
          const kA = aK.slice(k0, k1);
          const kB = bK.slice(k0, k1);
          const ranges: [number, number[][]][] = [
            [st.a.b, [aB.slice(b0, b1), rowsA, kA]],
            [st.b.b, [bB.slice(b0, b1), kB, bN]],
            [st.c.b, [cB.slice(b0, b1), rowsC, cN]],
          ];
          const wins = ranges.map(([id, ts]) => {
            const [lo, hi] = span(ts);
            const offset = Math.floor((lo * elem) / align) * align;
            const size = Math.min(bytes[id] - offset, Math.ceil(((hi + 1) * elem - offset) / 4) * 4);
            return { id, offset, size };
          });
          const over = wins.findIndex((w) => w.size > maxBinding);
          if (over >= 0) {
            if (b1 - b0 > 1) {
              const h = b0 + Math.floor((b1 - b0) / 2);
              emit(b0, h, i0, i1, k0, k1);
              emit(h, b1, i0, i1, k0, k1);
              return;
            }
            if (i1 - i0 > 1 && over !== 1) {
              const h = i0 + Math.floor((i1 - i0) / 2);
              emit(b0, b1, i0, h, k0, k1);
              emit(b0, b1, h, i1, k0, k1);
              return;
            }
            tooBig(wins[over].id, wins[over].size);
          }
          const m = i1 - i0;
          const bt = b1 - b0;
          const tm = Math.ceil(m / TM);
          const rebase = (t: number[], w: GpuBindEntry): number[] => t.map((x) => (x - w.offset / elem) >>> 0);
          const chunk = [rebase(aB.slice(b0, b1), wins[0]), rowsA, kA, rebase(bB.slice(b0, b1), wins[1]), kB, bN, rebase(cB.slice(b0, b1), wins[2]), rowsC, cN];
          const kc = k1 - k0;
          // Later k ranges add to what the first wrote.
          const meta = [m, N, kc, bt, gpuBits(st.alpha), k0 === 0 ? st.beta : 1, tilesN, tm];
          let at = data.gemmHeader;
          for (const t of chunk) {
            meta.push(at);
            at += t.length;
          }
          // Whether k is each operand's contiguous axis: the kernel then loads along k.
          meta.push(kc > 1 && kA[1] - kA[0] === 1 ? 1 : 0, kc > 1 && kB[1] - kB[0] === 1 ? 1 : 0);
          while (meta.length < data.gemmHeader) meta.push(0);
          for (const t of chunk) for (const x of t) meta.push(x);
          push(`gemm_${tile.name}`, wins, meta, tilesN * tm * bt);
        };
        // The k loop runs K / tk iterations per invocation: long ones go in ranges (GPU_MAX_LOOP,
        // with room for the loop over a k tile where the shader compiler keeps it).
        const kStep = Math.floor(GPU_MAX_LOOP / 16) * tile.tk;
        if (Bt > 0 && M > 0 && N > 0) for (let k0 = 0; k0 < K; k0 += kStep) emit(0, Bt, 0, M, k0, Math.min(K, k0 + kStep));
        break;
      }
    }
  }
  let meta: GPUBuffer | null = null;
  if (metaLen > 0) {
    meta = make(metaLen, GPU_STORAGE | GPU_COPY_DST, `tnc ${fn} params`);
    const all = new Uint8Array(metaLen);
    let w = 0;
    for (const s of segments) {
      all.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), w);
      w += Math.ceil(s.byteLength / align) * align;
    }
    device.queue.writeBuffer(meta, 0, all);
  }
  return { key, counts, bytes, temps, owned: owned.splice(0), ops, meta, staging: new Map(), out: null, readback: null };
}

function gpuIsBuffer(x: unknown): x is GPUBuffer {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && typeof (x as GPUBuffer).size === 'number' && typeof (x as GPUBuffer).usage === 'number';
}

/** Creates a model bound to `device`: compiles (or reuses) the kernels its statements need. */
export async function gpuCreateModel(device: GPUDevice, data: GpuModuleData, given?: GpuCreateOptions | null): Promise<GpuModel> {
  if (typeof device !== 'object' || device === null || typeof device.createComputePipelineAsync !== 'function') {
    gpuFail('create(device) needs a GPUDevice (from adapter.requestDevice())');
  }
  const options = given ?? {};
  const want = options.precision ?? 'auto';
  // Anything else ('f64', a typo) would otherwise run as 'auto'.
  if (want !== 'auto' && want !== 'f32' && want !== 'f16') gpuFail(`precision must be 'auto', 'f32' or 'f16', got ${JSON.stringify(want)}`);
  const hasF16 = device.features.has('shader-f16') && data.precisions.includes('f16');
  if (want === 'f16' && !hasF16) {
    // tnc build and compile() emit f32 kernels only; f16 ones come from emitWebGpu(…, { dtype: 'f16' }).
    gpuFail(data.precisions.includes('f16') ? "precision 'f16' needs a device created with the 'shader-f16' feature" : "precision 'f16' needs a module with f16 kernels (emitWebGpu(program, plans, { dtype: 'f16' })); tnc build and compile() emit f32 kernels only");
  }
  const precision: 'f32' | 'f16' = want === 'f16' || (want === 'auto' && hasF16) ? 'f16' : 'f32';
  const deviceMax = device.limits.maxStorageBufferBindingSize;
  const maxBinding = Math.min(deviceMax, options.maxBindingBytes ?? deviceMax);
  if (!(maxBinding >= gpuSegmentAlign(device))) gpuFail(`maxBindingBytes must be at least ${gpuSegmentAlign(device)}`);
  let lost: string | null = null;
  void device.lost.then((info) => {
    lost = `the device was lost (${info.reason}): ${info.message}`;
  });

  const byName = new Map<string, GpuPlan>(data.plans.map((p) => [p.name, p]));
  const statements = new Map<string, GpuStatement>();
  const statementFor = (plan: GpuPlan, seen: string[]): GpuStatement => {
    const known = statements.get(plan.name);
    if (known) return known;
    if (seen.includes(plan.name)) gpuFail(`statement '${plan.name}' depends on itself`);
    const sources = plan.inputs.map((i) => {
      const dep = byName.get(i.name);
      return dep !== undefined && dep !== plan ? statementFor(dep, [...seen, plan.name]) : undefined;
    });
    const s: GpuStatement = { plan, sources, bindings: [] };
    statements.set(plan.name, s);
    return s;
  };
  for (const p of data.plans) statementFor(p, []);

  // Compile up front what the planning sizes need, so the first call does not pay for it.
  const kinds = new Set<string>();
  for (const p of data.plans) {
    for (const st of p.steps) {
      if (st.k === 'fill' && st.value !== 0) kinds.add('fill');
      else if (st.k === 'axpy' || st.k === 'permute') kinds.add(st.k);
      else if (st.k === 'einsum') kinds.add(`einsum${st.ins.length}_thread`);
      else if (st.k === 'gemm') {
        const hint = (names: string[]): number => gpuProd(names.map((n) => p.dims.find((d) => d.name === n)?.size ?? 16));
        kinds.add(`gemm_${gpuChooseTile(device, data.tiles, hint(st.m), hint(st.n)).name}`);
      }
    }
  }
  await Promise.all([...kinds].sort().map((k) => gpuPipeline(device, data, `${k}_${precision}`)));

  const elem = precision === 'f16' ? 2 : 4;
  // Buffers a binding preparation allocates; they move into the binding when it succeeds.
  const created: GPUBuffer[] = [];
  const bindingFor = (fn: string, s: GpuStatement, dims: Record<string, number> | undefined): GpuBinding => {
    const sizes = gpuResolveDims(fn, s.plan, dims);
    const key = s.plan.dims.filter((d) => d.symbolic).map((d) => sizes.get(d.name)).join(',');
    const i = s.bindings.findIndex((b) => b.key === key);
    if (i >= 0) {
      const b = s.bindings[i];
      s.bindings.splice(i, 1);
      s.bindings.push(b);
      return b;
    }
    let b: GpuBinding;
    try {
      b = gpuBind(device, data, precision, maxBinding, fn, s.plan, sizes, key, created);
    } catch (e) {
      // A preparation that fails (a step too large, say) frees what it had allocated.
      for (const buf of created.splice(0)) buf.destroy();
      throw e;
    }
    s.bindings.push(b);
    if (s.bindings.length > GPU_BINDINGS_KEPT) gpuFreeBinding(s.bindings.shift()!);
    return b;
  };

  const upload = (fn: string, b: GpuBinding, id: number, what: string, data32: Float32Array | Float64Array): GPUBuffer => {
    if (data32.length !== b.counts[id]) gpuFail(`${fn}: ${what} has ${data32.length} elements but its shape needs ${b.counts[id]}`);
    let buf = b.staging.get(id);
    if (buf === undefined) {
      buf = device.createBuffer({ size: b.bytes[id], usage: GPU_STORAGE | GPU_COPY_DST | GPU_COPY_SRC, label: `tnc ${fn} ${what}` });
      b.owned.push(buf);
      b.staging.set(id, buf);
    }
    if (elem === 2) {
      const h = new Uint16Array(b.bytes[id] / 2);
      for (let i = 0; i < data32.length; i++) h[i] = gpuToHalf(data32[i]);
      device.queue.writeBuffer(buf, 0, h);
    } else {
      // Copied unless a Float32Array over a plain ArrayBuffer: Dawn's writeBuffer refuses a
      // SharedArrayBuffer (arrays shared with workers) with a bare TypeError.
      const f = data32 instanceof Float32Array && data32.buffer instanceof ArrayBuffer ? data32 : Float32Array.from(data32);
      device.queue.writeBuffer(buf, 0, f.buffer, f.byteOffset, f.byteLength);
    }
    return buf;
  };

  const checkBuffer = (fn: string, what: string, buf: GPUBuffer, need: number): void => {
    if ((buf.usage & GPU_STORAGE) === 0) gpuFail(`${fn}: ${what} is a GPUBuffer without STORAGE usage`);
    if (buf.size < need) gpuFail(`${fn}: ${what} is a GPUBuffer of ${buf.size} bytes but needs ${need}`);
  };

  /** Records a statement (after the statements it reads) into `enc`; returns its output buffer. */
  const record = async (fn: string, s: GpuStatement, enc: GPUCommandEncoder, inputs: GpuInputs, dims: Record<string, number> | undefined, output: GPUBuffer | undefined, keepOut: boolean, readOutput = false): Promise<{ out: GPUBuffer; binding: GpuBinding }> => {
    const plan = s.plan;
    const b = bindingFor(fn, s, dims);
    const bufs: GPUBuffer[] = b.temps.slice() as GPUBuffer[];
    for (let i = 0; i < plan.inputs.length; i++) {
      const inp = plan.inputs[i];
      const src = s.sources[i];
      if (src !== undefined) {
        bufs[inp.buffer] = (await record(fn, src, enc, inputs, dims, undefined, true)).out;
        continue;
      }
      const v = inputs[inp.name];
      const what = `input '${inp.name}'`;
      if (v === undefined) gpuFail(`${fn}: missing ${what} (expected inputs: ${plan.inputs.filter((_, j) => s.sources[j] === undefined).map((x) => x.name).join(', ')})`);
      if (gpuIsBuffer(v)) {
        checkBuffer(fn, what, v, b.counts[inp.buffer] * elem);
        bufs[inp.buffer] = v;
      } else if (v instanceof Float32Array || v instanceof Float64Array) {
        bufs[inp.buffer] = upload(fn, b, inp.buffer, what, v);
      } else {
        gpuFail(`${fn}: ${what} must be a Float32Array, Float64Array or GPUBuffer`);
      }
    }
    let out: GPUBuffer;
    if (output !== undefined) {
      if (!gpuIsBuffer(output)) gpuFail(`${fn}: the output buffer must be a GPUBuffer with STORAGE usage (typed-array results come from read: true)`);
      checkBuffer(fn, 'the output buffer', output, b.counts[plan.output] * elem);
      // read: true copies the result out of this buffer, which the device allows only with COPY_SRC.
      if (readOutput && (output.usage & GPU_COPY_SRC) === 0) gpuFail(`${fn}: with read: true the output buffer needs COPY_SRC usage as well as STORAGE`);
      for (const inp of plan.inputs) if (bufs[inp.buffer] === output) gpuFail(`${fn}: the output buffer is also passed as input '${inp.name}'`);
      out = output;
    } else if (keepOut) {
      if (b.out === null) {
        b.out = device.createBuffer({ size: b.bytes[plan.output], usage: GPU_STORAGE | GPU_COPY_SRC | GPU_COPY_DST, label: `tnc ${plan.name} result` });
        b.owned.push(b.out);
      }
      out = b.out;
    } else {
      out = device.createBuffer({ size: b.bytes[plan.output], usage: GPU_STORAGE | GPU_COPY_SRC | GPU_COPY_DST, label: `tnc ${plan.name} result` });
    }
    bufs[plan.output] = out;
    const pipelines = await Promise.all(b.ops.map((op) => (op.kernel === null ? null : gpuPipeline(device, data, op.kernel))));
    let pass: GPUComputePassEncoder | null = null;
    b.ops.forEach((op, i) => {
      const pipe = pipelines[i];
      if (pipe === null) {
        if (pass !== null) {
          pass.end();
          pass = null;
        }
        enc.clearBuffer(bufs[op.bind[0].id], 0, b.bytes[op.bind[0].id]);
        return;
      }
      if (pass === null) pass = enc.beginComputePass({ label: `tnc ${plan.name}` });
      const entries: GPUBindGroupEntry[] = op.bind.map((e, binding) => ({ binding, resource: { buffer: bufs[e.id], offset: e.offset, size: e.size } }));
      entries.push({ binding: op.bind.length, resource: { buffer: b.meta!, offset: op.metaOffset, size: op.metaBytes } });
      pass.setPipeline(pipe);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(op.groups[0], op.groups[1]);
    });
    if (pass !== null) (pass as GPUComputePassEncoder).end();
    return { out, binding: b };
  };

  // Calls are serialised per model: they share staging, result and readback buffers, and a
  // later call's input uploads must not overtake an earlier call's recorded work.
  let queue: Promise<void> = Promise.resolve();
  const run = async (name: string, inputs: GpuInputs, dims?: Record<string, number>, given?: GpuCallOptions | null): Promise<GPUBuffer | Float32Array> => {
    const options = given ?? {};
    const s = statements.get(name);
    if (s === undefined) gpuFail(`no statement named '${name}'`);
    if (typeof inputs !== 'object' || inputs === null) gpuFail(`${name}: the first argument must be an object of inputs keyed by name`);
    const prev = queue;
    let release!: () => void;
    queue = new Promise<void>((r) => (release = r));
    await prev;
    try {
      if (lost !== null) gpuFail(`${name}: ${lost}`);
      device.pushErrorScope('internal');
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let result: GPUBuffer | Float32Array;
      let thrown: unknown = null;
      let readback: GPUBuffer | null = null;
      let count = 0;
      let created: GPUBuffer | null = null;
      try {
        const enc = device.createCommandEncoder({ label: `tnc ${name}` });
        const read = options.read === true;
        const { out, binding } = await record(name, s, enc, inputs, dims, options.output, read, read);
        if (options.output === undefined && !read) created = out;
        count = binding.counts[s.plan.output];
        if (read) {
          if (binding.readback === null) {
            binding.readback = device.createBuffer({ size: binding.bytes[s.plan.output], usage: GPU_MAP_READ | GPU_COPY_DST, label: `tnc ${name} readback` });
            binding.owned.push(binding.readback);
          }
          readback = binding.readback;
          enc.copyBufferToBuffer(out, 0, readback, 0, binding.bytes[s.plan.output]);
        }
        device.queue.submit([enc.finish()]);
        result = out;
      } catch (e) {
        thrown = e;
        result = null as never;
      }
      // The error scopes and the result's mapping are awaited together: each settles only on
      // the device's next event poll, and waiting for them one after another cost a poll each.
      const pops = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
      const mapping = readback !== null && thrown === null ? readback.mapAsync(GPU_MAP_MODE_READ).then(() => null, (e: unknown) => e as Error) : null;
      const errors = await Promise.all(pops);
      const kinds = ['validation error', 'out of memory', 'internal error'];
      const firstError = errors.findIndex((e) => e !== null);
      if (firstError >= 0 || thrown !== null) {
        created?.destroy();
        if (mapping !== null && (await mapping) === null) readback!.unmap();
        if (firstError >= 0) gpuFail(`${name}: ${kinds[firstError]}: ${errors[firstError]!.message}${lost !== null ? ` (${lost})` : ''}`);
        throw thrown;
      }
      if (readback !== null) {
        const failed = await mapping;
        if (failed !== null) gpuFail(`${name}: reading the result back failed: ${failed!.message}${lost !== null ? ` (${lost})` : ''}`);
        const mapped = readback.getMappedRange();
        let res: Float32Array;
        if (elem === 2) {
          const h = new Uint16Array(mapped, 0, count);
          res = new Float32Array(count);
          for (let i = 0; i < count; i++) res[i] = gpuFromHalf(h[i]);
        } else {
          res = new Float32Array(mapped, 0, count).slice();
        }
        readback.unmap();
        return res;
      }
      return result;
    } finally {
      release();
    }
  };

  return {
    precision,
    device,
    run,
    destroy() {
      // Queued like a call: buffers that calls made before it still use are freed once those
      // calls finish (freeing at once failed them with "reading the result back failed").
      const prev = queue;
      let release!: () => void;
      queue = new Promise<void>((r) => (release = r));
      void prev.then(() => {
        for (const s of statements.values()) {
          for (const b of s.bindings) gpuFreeBinding(b);
          s.bindings = [];
        }
        release();
      });
    },
  };
}

function gpuFreeBinding(b: GpuBinding): void {
  for (const buf of b.owned) buf.destroy();
  b.owned = [];
}

/** f32 ↔ f16 conversions, exported for tests. */
export const gpuHalf = { toHalf: gpuToHalf, fromHalf: gpuFromHalf };
