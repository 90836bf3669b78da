// A small WebAssembly binary encoder: just enough of the core format and SIMD128 to write
// GEMM kernels at build time without any external toolchain. Output is deterministic: the
// same calls produce the same bytes.

/** Value types used by our kernels (binary codes from the core spec). */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** A value-type code. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128 of a non-negative safe integer. */
export function uleb(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uleb: ${value}`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (i32.const immediates). */
export function sleb32(value: number): number[] {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new RangeError(`sleb32: ${value}`);
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(name: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(name));
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Opcodes of the core instructions we emit. */
const Op = {
  block: 0x02, loop: 0x03, select: 0x1b, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, i32Store: 0x36, f32Store: 0x38, f64Store: 0x39,
  i32Const: 0x41, f32Const: 0x43, f64Const: 0x44, i32Ne: 0x47, i32And: 0x71, i32Eqz: 0x45, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GeS: 0x4e,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32RemU: 0x70, i32Shl: 0x74,
  simd: 0xfd,
} as const;

/** SIMD128 opcodes (after the 0xfd prefix) that the kernels use. */
const SimdOp = {
  v128Load: 0x00, v128Const: 0x0c, i8x16Shuffle: 0x0d, v128Load32Splat: 0x09, v128Load64Splat: 0x0a, v128Store: 0x0b,
  f32x4Splat: 0x13, f64x2Splat: 0x14,
  f32x4Add: 0xe4, f32x4Mul: 0xe6, f64x2Add: 0xf0, f64x2Mul: 0xf2,
  f32x4RelaxedMadd: 0x105, f64x2RelaxedMadd: 0x107,
} as const;

/**
 * Builds one function body. Parameters are locals 0..n-1; `local(type)` adds more.
 * Methods append instructions and return `this` so bodies read like the text format.
 */
export class FunctionBuilder {
  readonly params: ValType[];
  readonly results: ValType[];
  private readonly locals: ValType[] = [];
  private readonly code: number[] = [];

  constructor(params: ValType[], results: ValType[] = []) {
    this.params = params;
    this.results = results;
  }

  /** Declares a new local and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(Op.simd, ...uleb(opcode), ...imm);
  }

  /** `block` with an empty block type. */
  block(): this { return this.op(Op.block, 0x40); }
  /** `loop` with an empty block type. */
  loop(): this { return this.op(Op.loop, 0x40); }
  /** `if` (i32 condition on the stack) with an empty block type. */
  if(): this { return this.op(Op.if, 0x40); }
  /** `else` of an `if`. */
  else(): this { return this.op(Op.else); }
  /** `end` of a block, loop or the function. */
  end(): this { return this.op(Op.end); }
  /** `br depth`. */
  br(depth: number): this { return this.op(Op.br, ...uleb(depth)); }
  /** `br_if depth`. */
  brIf(depth: number): this { return this.op(Op.brIf, ...uleb(depth)); }
  /** `local.get`. */
  get(index: number): this { return this.op(Op.localGet, ...uleb(index)); }
  /** `local.set`. */
  set(index: number): this { return this.op(Op.localSet, ...uleb(index)); }
  /** `local.tee`. */
  tee(index: number): this { return this.op(Op.localTee, ...uleb(index)); }
  /** `i32.const`. */
  i32(value: number): this { return this.op(Op.i32Const, ...sleb32(value)); }
  /** `select`: first operand when the i32 condition is non-zero, else the second. */
  select(): this { return this.op(Op.select); }
  /** `i32.add`. */
  add(): this { return this.op(Op.i32Add); }
  /** `i32.sub`. */
  sub(): this { return this.op(Op.i32Sub); }
  /** `i32.mul`. */
  mul(): this { return this.op(Op.i32Mul); }
  /** `i32.rem_u`. */
  remU(): this { return this.op(Op.i32RemU); }
  /** `i32.and`. */
  and(): this { return this.op(Op.i32And); }
  /** `i32.ne`. */
  ne(): this { return this.op(Op.i32Ne); }
  /** `i32.shl`. */
  shl(): this { return this.op(Op.i32Shl); }
  /** `i32.lt_s`. */
  ltS(): this { return this.op(Op.i32LtS); }
  /** `i32.lt_u`. */
  ltU(): this { return this.op(Op.i32LtU); }
  /** `i32.gt_s`. */
  gtS(): this { return this.op(Op.i32GtS); }
  /** `i32.ge_s`. */
  geS(): this { return this.op(Op.i32GeS); }
  /** `i32.eqz`. */
  eqz(): this { return this.op(Op.i32Eqz); }
  /** `local += delta` for an i32 local. */
  inc(index: number, delta: number): this { return this.get(index).i32(delta).add().set(index); }
  /** `return`. */
  ret(): this { return this.op(Op.return); }
  /** `i32.load offset` (address on the stack). */
  i32Load(offset = 0): this { return this.op(Op.i32Load, 2, ...uleb(offset)); }
  /** `i32.store offset` (address, value on the stack). */
  i32Store(offset = 0): this { return this.op(Op.i32Store, 2, ...uleb(offset)); }
  /** `f32.load offset` (address on the stack). */
  f32Load(offset = 0): this { return this.op(Op.f32Load, 2, ...uleb(offset)); }
  /** `f64.load offset` (address on the stack). */
  f64Load(offset = 0): this { return this.op(Op.f64Load, 3, ...uleb(offset)); }
  /** `f32.store offset` (address, value on the stack). */
  f32Store(offset = 0): this { return this.op(Op.f32Store, 2, ...uleb(offset)); }
  /** `f64.store offset` (address, value on the stack). */
  f64Store(offset = 0): this { return this.op(Op.f64Store, 3, ...uleb(offset)); }
  /** `f32.const` (little-endian IEEE bits). */
  f32Const(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.op(Op.f32Const, ...bytes);
  }
  /** `f64.const` (little-endian IEEE bits). */
  f64Const(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.op(Op.f64Const, ...bytes);
  }
  /** `v128.load offset` (address on the stack). */
  v128Load(offset = 0): this { return this.simd(SimdOp.v128Load, 4, ...uleb(offset)); }
  /** `v128.store offset` (address, value on the stack). */
  v128Store(offset = 0): this { return this.simd(SimdOp.v128Store, 4, ...uleb(offset)); }
  /** `v128.load32_splat offset`. */
  load32Splat(offset = 0): this { return this.simd(SimdOp.v128Load32Splat, 2, ...uleb(offset)); }
  /** `v128.load64_splat offset`. */
  load64Splat(offset = 0): this { return this.simd(SimdOp.v128Load64Splat, 3, ...uleb(offset)); }
  /** `i8x16.shuffle` of the two v128 operands by 16 lane indices (0–31). */
  shuffle(lanes: number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new RangeError('shuffle lanes');
    return this.simd(SimdOp.i8x16Shuffle, ...lanes);
  }
  /** Shuffle that broadcasts element `lane` of width `bytes` (4 or 8) of the top operand. */
  splatLane(lane: number, bytes: 4 | 8): this {
    const lanes: number[] = [];
    for (let i = 0; i < 16; i++) lanes.push(lane * bytes + (i % bytes));
    return this.shuffle(lanes);
  }
  /** `v128.const` of sixteen zero bytes. */
  v128Zero(): this { return this.simd(SimdOp.v128Const, ...new Array<number>(16).fill(0)); }
  /** `f32x4.splat`. */
  f32x4Splat(): this { return this.simd(SimdOp.f32x4Splat); }
  /** `f64x2.splat`. */
  f64x2Splat(): this { return this.simd(SimdOp.f64x2Splat); }
  /** `f32x4.add`. */
  f32x4Add(): this { return this.simd(SimdOp.f32x4Add); }
  /** `f32x4.mul`. */
  f32x4Mul(): this { return this.simd(SimdOp.f32x4Mul); }
  /** `f64x2.add`. */
  f64x2Add(): this { return this.simd(SimdOp.f64x2Add); }
  /** `f64x2.mul`. */
  f64x2Mul(): this { return this.simd(SimdOp.f64x2Mul); }

  /** `f32x4.relaxed_madd` (relaxed SIMD): a·b + c, fused or not as the engine chooses. */
  f32x4RelaxedMadd(): this { return this.simd(SimdOp.f32x4RelaxedMadd); }
  /** `f64x2.relaxed_madd` (relaxed SIMD). */
  f64x2RelaxedMadd(): this { return this.simd(SimdOp.f64x2RelaxedMadd); }

  /** The encoded body: local declarations (run-length grouped) then code, with `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, Op.end];
    return [...uleb(body.length), ...body];
  }
}

/** Limits of the imported memory: a shared memory (for worker threads) needs a maximum. */
export interface MemoryLimits {
  min: number;
  /** Present for a shared memory. */
  sharedMax?: number;
}

/** A module importing one memory (`env.memory`) and exporting functions by name. */
export class ModuleBuilder {
  private readonly functions: { name: string; fn: FunctionBuilder }[] = [];

  constructor(private readonly memory: MemoryLimits = { min: 1 }) {}

  /** Adds an exported function; returns its function index. */
  addFunction(name: string, fn: FunctionBuilder): number {
    this.functions.push({ name, fn });
    return this.functions.length - 1;
  }

  /** The module's binary encoding. */
  encode(): Uint8Array<ArrayBuffer> {
    const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
    const types = this.functions.map(({ fn }) => [0x60, ...vec(fn.params.map((t) => [t])), ...vec(fn.results.map((t) => [t]))]);
    const { min, sharedMax } = this.memory;
    // Limits flag 0x00: min only; 0x03: min and max, shared.
    const limits = sharedMax === undefined ? [0x00, ...uleb(min)] : [0x03, ...uleb(min), ...uleb(sharedMax)];
    const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, ...limits];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vec(types)),
      ...section(2, vec([memoryImport])),
      ...section(3, vec(this.functions.map((_, i) => uleb(i)))),
      ...section(7, vec(this.functions.map(({ name }, i) => [...utf8(name), 0x00, ...uleb(i)]))),
      ...section(10, vec(this.functions.map(({ fn }) => fn.encode()))),
    ];
    return Uint8Array.from(bytes);
  }
}
