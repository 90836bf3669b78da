// The CPU runtime's permute kernel against a naive index computation: plain strided copies
// and the tiled transpose path (destination's innermost axis strided in the source).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { permute, scatter } from '../src/backends/cpu/kernels.js';
import { createWasmGemm, IN_PLACE_TILE } from '../src/backends/cpu/wasm/gemm-wasm.js';
import { PERMUTE_RESIDENT_MIN, PERMUTE_WASM_MIN, wasmPermuter, type PermuteKernel } from '../src/backends/cpu/wasm/permute-wasm.js';
import { GEMM_WASM_BYTES } from '../src/backends/cpu/wasm/gemm-bytes.js';

/** Source shape, a permutation (destination axis i is source axis perm[i]), offsets. */
const permuteCase = fc
  .array(fc.constantFrom<number>(1, 2, 3, 5, 16, 17, 33, 40), { minLength: 1, maxLength: 4 })
  .filter((shape) => shape.reduce((p, q) => p * q, 1) <= 60000)
  .chain((shape) => fc.record({
    shape: fc.constant(shape),
    perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
    srcOff: fc.integer({ min: 0, max: 4 }),
    dstOff: fc.integer({ min: 0, max: 4 }),
    f32: fc.boolean(),
  }));

/** Source strides (row-major) of `shape`. */
function stridesOf(shape: number[]): number[] {
  const out: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = acc;
    acc *= shape[i];
  }
  return out;
}

describe('permute', () => {
  it('the wasm permute tiles transposes exactly, with outer axes on both sides of the contiguous one', () => {
    const permuteW = createWasmGemm()!.permute!;
    for (const T of [Float32Array, Float64Array]) {
      const cases: [number[], number[]][] = [[[3, 40, 5, 33], [0, 3, 2, 1]], [[70, 65], [1, 0]], [[16, 2, 16], [2, 1, 0]]];
      for (const [shape, perm] of cases) {
        const n = shape.reduce((p, q) => p * q, 1);
        const src = new T(n + 3).map((_, i) => i);
        const st = stridesOf(shape);
        const dstShape = perm.map((p) => shape[p]), dstStrides = perm.map((p) => st[p]);
        const dst = new T(n), ref = new T(n);
        const taken = permuteW(src, 3, dst, 0, dstShape, dstStrides);
        expect(taken).toBe(n >= PERMUTE_WASM_MIN);
        if (!taken) continue;
        const idx = new Array<number>(dstShape.length).fill(0);
        for (let lin = 0; lin < n; lin++) {
          let off = 3;
          for (let i = 0; i < idx.length; i++) off += idx[i] * dstStrides[i];
          ref[lin] = src[off];
          for (let ax = idx.length - 1; ax >= 0; ax--) {
            if (++idx[ax] < dstShape[ax]) break;
            idx[ax] = 0;
          }
        }
        expect(Array.from(dst)).toEqual(Array.from(ref));
      }
    }
  });

  it('the wasm permute runs large same-dtype permutes (exactly) and declines the rest', () => {
    const w = createWasmGemm()!;
    expect(w.permute).toBeDefined();
    const permuteW = w.permute!;
    for (const T of [Float32Array, Float64Array]) {
      const shape = [7, 33, 40];
      const n = 7 * 33 * 40;
      expect(n).toBeGreaterThanOrEqual(PERMUTE_WASM_MIN);
      const src = new T(n + 5).map((_, i) => i * 0.5 - 3);
      const st = stridesOf(shape);
      const perm = [2, 0, 1];
      const dst = new T(n + 2).fill(-9), ref = new T(n + 2).fill(-9);
      // Taken: dst written at offset 1, exactly as the JS loop (run on a small copy below).
      expect(permuteW(src, 5, dst, 1, perm.map((p) => shape[p]), perm.map((p) => st[p]))).toBe(true);
      let lin = 1;
      for (let c = 0; c < 40; c++) for (let a = 0; a < 7; a++) for (let b = 0; b < 33; b++) ref[lin++] = src[5 + a * st[0] + b * st[1] + c];
      expect(Array.from(dst)).toEqual(Array.from(ref));
      // Declined: too small, source array far larger than the part read, mixed dtypes, rank > 16.
      expect(permuteW(src, 0, dst, 0, [10, 10], [1, 10])).toBe(false);
      expect(permuteW(new T(4 * n), 0, dst, 0, shape, st)).toBe(false);
      expect(permuteW(new (T === Float32Array ? Float64Array : Float32Array)(n), 0, dst, 0, shape, st)).toBe(false);
      expect(permuteW(src, 0, dst, 0, [...new Array<number>(16).fill(1), n], [...new Array<number>(16).fill(0), 1])).toBe(false);
      // Memory that cannot grow: declined, nothing written.
      const small = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      const ex = new WebAssembly.Instance(new WebAssembly.Module(GEMM_WASM_BYTES), { env: { memory: small } }).exports;
      const bounded = wasmPermuter(small, ex.permute_f32 as PermuteKernel, ex.permute_f64 as PermuteKernel);
      expect(bounded(new T(40000), 0, new T(40000), 0, [200, 200], [1, 200])).toBe(false);
      expect(Array.from(dst)).toEqual(Array.from(ref));
    }
  });


  it('equals the naive transpose for any rank ≤ 4, permutation, offsets and dtype (tiled and plain paths)', () => {
    fc.assert(fc.property(permuteCase, ({ shape, perm, srcOff, dstOff, f32 }) => {
      const n = shape.reduce((p, q) => p * q, 1);
      const T = f32 ? Float32Array : Float64Array;
      const src = new T(srcOff + n).map((_, i) => i - srcOff);
      const dst = new T(dstOff + n + 3).fill(-1);
      const srcStrides: number[] = [];
      let acc = 1;
      for (let i = shape.length - 1; i >= 0; i--) {
        srcStrides[i] = acc;
        acc *= shape[i];
      }
      const dstShape = perm.map((p) => shape[p]);
      permute(src, srcOff, dst, dstOff, dstShape, perm.map((p) => srcStrides[p]), new Int32Array(4));
      // Destination element at multi-index idx (row-major in dstShape) is source element
      // Σ idx[i]·srcStrides[perm[i]], whose value is its own linear index.
      const idx = new Array<number>(dstShape.length).fill(0);
      for (let lin = 0; lin < n; lin++) {
        let want = 0;
        for (let i = 0; i < idx.length; i++) want += idx[i] * srcStrides[perm[i]];
        if (dst[dstOff + lin] !== want) expect(dst[dstOff + lin], `element ${lin} of ${JSON.stringify({ shape, perm })}`).toBe(want);
        for (let ax = idx.length - 1; ax >= 0; ax--) {
          if (++idx[ax] < dstShape[ax]) break;
          idx[ax] = 0;
        }
      }
      for (let i = 0; i < dstOff; i++) expect(dst[i]).toBe(-1);
      for (let i = dstOff + n; i < dst.length; i++) expect(dst[i]).toBe(-1);
    }), { numRuns: 300 });
  });
});

describe('scatter', () => {
  // scatter walks the source's shape row-major, reading src contiguously and updating dst at
  // `strides` (dst's stride per source axis): dst = alpha·src + beta·dst. Large and
  // transposed cases must not take permute's shortcuts (they copy without alpha/beta and
  // read strides as source strides).
  it('matches a naive scatter, large and transposed cases included', () => {
    fc.assert(
      fc.property(permuteCase, fc.constantFrom(1, 0.5, -2), fc.constantFrom(0, 1, 0.25), ({ shape, perm, srcOff, dstOff, f32 }, alpha, beta) => {
        const T = f32 ? Float32Array : Float64Array;
        const n = shape.reduce((p, q) => p * q, 1);
        // dst holds the permuted tensor: source axis perm[i] is dst axis i.
        const dstShape = perm.map((p) => shape[p]);
        const dstStrides = stridesOf(dstShape);
        const strides: number[] = [];
        perm.forEach((p, i) => (strides[p] = dstStrides[i]));
        const src = new T(n + srcOff).map((_, i) => (i % 7) - 3);
        const dst = new T(n + dstOff).map((_, i) => (i % 5) - 2);
        const want = T.from(dst);
        const idx = new Array<number>(shape.length).fill(0);
        for (let e = 0; e < n; e++) {
          let d = dstOff;
          for (let a = 0; a < shape.length; a++) d += idx[a] * strides[a];
          want[d] = beta === 0 ? alpha * src[srcOff + e] : alpha * src[srcOff + e] + beta * want[d];
          for (let a = shape.length - 1; a >= 0 && ++idx[a] === shape[a]; a--) idx[a] = 0;
        }
        scatter(src, srcOff, dst, dstOff, shape, strides, alpha, beta, new Int32Array(16));
        expect(Array.from(dst)).toEqual(Array.from(want));
      }),
      { numRuns: 60 },
    );
  });
});

describe('resident operands (views of the wasm memory, as the runtime keeps its temps)', () => {
  // The drivers read resident A/B/src and write resident C/dst in place. A fresh instance per
  // case starts with one page, so most cases grow the memory during the call, which detaches
  // the views passed in: results are read back through new views at the same offsets.
  const gemmCase = fc.record({
    // Multiples of 8 give tiles the kernel writes into a resident C in place.
    m: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(8, 16, 32, 40)),
    n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(8, 16, 32, 40)),
    k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 300 })),
    transA: fc.boolean(),
    transB: fc.boolean(),
    alpha: fc.constantFrom(1, 1, 0.5, -2),
    beta: fc.constantFrom(0, 0, 1, 0.25),
    pad: fc.integer({ min: 0, max: 3 }),
    off: fc.integer({ min: 0, max: 3 }),
    resident: fc.record({ a: fc.boolean(), b: fc.boolean(), c: fc.boolean() }),
    f32: fc.boolean(),
    pregrow: fc.boolean(),
  });

  it('GEMM: any mix of resident and JS operands, transposed, strided, with alpha/beta, equals the naive product', () => {
    fc.assert(fc.property(gemmCase, ({ m, n, k, transA, transB, alpha, beta, pad, off, resident, f32, pregrow }) => {
      const T = f32 ? Float32Array : Float64Array;
      const es = f32 ? 4 : 8;
      const w = createWasmGemm()!;
      const [ar, ac] = transA ? [k, m] : [m, k];
      const [br, bc] = transB ? [n, k] : [k, n];
      const lda = ac + pad, ldb = bc + pad, ldc = n + pad;
      const lens = { a: off + ar * lda + 2, b: off + br * ldb + 2, c: off + m * ldc + 2 };
      // Resident arrays sit one after another (odd element offsets included) in the reserved region.
      const at = { a: 8, b: 8 + lens.a + 3, c: 8 + lens.a + lens.b + 9 };
      const reserved = (at.c + lens.c + 5) * es;
      w.reserve(reserved);
      if (pregrow) w.memory.grow(64);
      const fillA = (i: number): number => ((i * 7) % 11) - 5;
      const fillB = (i: number): number => ((i * 5) % 13) - 6;
      const make = (which: 'a' | 'b' | 'c', init: (i: number) => number): Float32Array | Float64Array => {
        const arr = resident[which] ? new T(w.memory.buffer, at[which] * es, lens[which]) : new T(lens[which]);
        for (let i = 0; i < arr.length; i++) arr[i] = init(i);
        return arr;
      };
      const a = make('a', fillA), b = make('b', fillB);
      // C: NaN inside when beta is 0 (must not be read), a sentinel in the row padding.
      const cInit = (i: number): number => {
        const r = Math.floor((i - off) / ldc), j = (i - off) % ldc;
        return i >= off && r < m && j < n ? (beta === 0 ? NaN : (i % 3) - 1) : 7;
      };
      const c = make('c', cInit);
      w.gemm(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc);
      const out = resident.c ? new T(w.memory.buffer, at.c * es, lens.c) : c;
      const tol = f32 ? 1e-4 : 1e-12;
      for (let i = 0; i < lens.c; i++) {
        const r = Math.floor((i - off) / ldc), j = (i - off) % ldc;
        if (!(i >= off && r < m && j < n)) {
          if (out[i] !== 7) expect(out[i], `C padding ${i} overwritten`).toBe(7);
          continue;
        }
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = fillA(off + (transA ? p * lda + r : r * lda + p));
          const bv = fillB(off + (transB ? j * ldb + p : p * ldb + j));
          s += av * bv;
        }
        const want = beta === 0 ? alpha * s : alpha * s + beta * cInit(i);
        if (Math.abs(out[i] - want) > tol * Math.max(1, Math.abs(want))) expect(out[i], `C[${r}][${j}]`).toBeCloseTo(want, 10);
      }
      // Resident operands are left as they were (the scratch lies beyond the reserved region).
      for (const [which, init] of [['a', fillA], ['b', fillB]] as const) {
        if (!resident[which]) continue;
        const now = new T(w.memory.buffer, at[which] * es, lens[which]);
        for (let i = 0; i < now.length; i++) if (now[i] !== Math.fround(init(i))) expect(now[i], `${which}[${i}] changed`).toBe(init(i));
      }
    }), { numRuns: 150 });
  });

  it('GEMM into a resident C spanning several in-place tiles (rows or columns past IN_PLACE_TILE), with edge strips', () => {
    for (const f32 of [false, true]) {
      for (const [m, n, k, beta] of [[IN_PLACE_TILE + 7, 13, 5, 0], [11, IN_PLACE_TILE + 9, 3, 1], [IN_PLACE_TILE * 2 + 1, 6, 260, 1]] as const) {
        const T = f32 ? Float32Array : Float64Array;
        const es = f32 ? 4 : 8;
        const w = createWasmGemm()!;
        const a = new T(m * k).map((_, i) => ((i * 7) % 11) - 5);
        const b = new T(k * n).map((_, i) => ((i * 5) % 13) - 6);
        const c0 = new T(m * n).map((_, i) => (i % 3) - 1);
        w.reserve((m * n + 16) * es);
        new T(w.memory.buffer, 8 * es, m * n).set(c0);
        w.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, beta, new T(w.memory.buffer, 8 * es, m * n), 0, n);
        const c = new T(w.memory.buffer, 8 * es, m * n);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = beta * c0[i * n + j];
            for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
            if (Math.abs(c[i * n + j] - s) > (f32 ? 1e-3 : 1e-9) * Math.max(1, Math.abs(s))) expect(c[i * n + j], `${m}×${n}×${k} C[${i}][${j}]`).toBe(s);
          }
        }
      }
    }
  });

  it('GEMM with prepacked operands (panel layout, as fused permutes write it) across several tiles equals the naive product', () => {
    const cases: [number, number, number, number][] = [
      [2 * IN_PLACE_TILE + 8, 12, 16, 1], // A prepacked, several in-place row tiles
      [600, 200, 24, 3], // both prepacked, C to a caller's array in several scratch tiles
      [8, IN_PLACE_TILE + 16, 8, 2], // B prepacked, several in-place column tiles
      [96, 40, 20, 1], // f32: the wide kernel's MR
    ];
    for (const f32 of [false, true]) {
      for (const [m, n, k, mask] of cases) {
        const T = f32 ? Float32Array : Float64Array;
        const es = f32 ? 4 : 8;
        const w = createWasmGemm()!;
        const bl = w.blockingFor(f32, m);
        if (m % bl.mr !== 0 || n % bl.nr !== 0) continue;
        const av = (i: number, p: number): number => ((i * 7 + p * 3) % 11) - 5;
        const bv = (p: number, j: number): number => ((p * 5 + j * 2) % 13) - 6;
        // Resident region: [A panels m·k][B panels k·n][C m·n].
        const cIn = mask !== 3;
        w.reserve((m * k + k * n + m * n + 64) * es);
        const A = new T(w.memory.buffer, 0, m * k);
        const B = new T(w.memory.buffer, m * k * es, k * n);
        for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) A[mask & 1 ? Math.floor(i / bl.mr) * bl.mr * k + p * bl.mr + (i % bl.mr) : i * k + p] = av(i, p);
        for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) B[mask & 2 ? Math.floor(j / bl.nr) * bl.nr * k + p * bl.nr + (j % bl.nr) : p * n + j] = bv(p, j);
        const c0 = (i: number): number => (i % 3) - 1;
        const C = cIn ? new T(w.memory.buffer, (m * k + k * n) * es, m * n) : new T(m * n);
        for (let i = 0; i < m * n; i++) C[i] = c0(i);
        const before = w.prepackedProducts();
        w.gemmPrepacked(mask, false, false, m, n, k, 1, A, 0, k, B, 0, n, 1, C, 0, n);
        expect(w.prepackedProducts()).toBe(before + 1);
        const out = cIn ? new T(w.memory.buffer, (m * k + k * n) * es, m * n) : C;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = c0(i * n + j);
            for (let p = 0; p < k; p++) s += av(i, p) * bv(p, j);
            if (Math.abs(out[i * n + j] - s) > (f32 ? 1e-3 : 1e-9) * Math.max(1, Math.abs(s))) expect(out[i * n + j], `${f32 ? 'f32' : 'f64'} ${m}×${n}×${k} mask ${mask} C[${i}][${j}]`).toBe(s);
          }
        }
      }
    }
  });

  it('permute: resident source and/or destination equal the naive transpose', () => {
    fc.assert(fc.property(permuteCase, fc.boolean(), fc.boolean(), ({ shape, perm, srcOff, dstOff, f32 }, srcIn, dstIn) => {
      const T = f32 ? Float32Array : Float64Array;
      const es = f32 ? 4 : 8;
      const n = shape.reduce((p, q) => p * q, 1);
      const w = createWasmGemm()!;
      const srcLen = srcOff + n, dstLen = dstOff + n + 3;
      const srcAt = 16, dstAt = 16 + srcLen + 1;
      w.reserve((dstAt + dstLen) * es);
      const src = srcIn ? new T(w.memory.buffer, srcAt * es, srcLen) : new T(srcLen);
      for (let i = 0; i < srcLen; i++) src[i] = i - srcOff;
      const dst = dstIn ? new T(w.memory.buffer, dstAt * es, dstLen) : new T(dstLen);
      dst.fill(-1);
      const st = stridesOf(shape);
      const dstShape = perm.map((p) => shape[p]);
      const taken = w.permute!(src, srcOff, dst, dstOff, dstShape, perm.map((p) => st[p]));
      expect(taken).toBe(n >= (srcIn && dstIn ? PERMUTE_RESIDENT_MIN : PERMUTE_WASM_MIN));
      if (!taken) return;
      const out = dstIn ? new T(w.memory.buffer, dstAt * es, dstLen) : dst;
      const idx = new Array<number>(dstShape.length).fill(0);
      for (let lin = 0; lin < n; lin++) {
        let want = 0;
        for (let i = 0; i < idx.length; i++) want += idx[i] * st[perm[i]];
        if (out[dstOff + lin] !== want) expect(out[dstOff + lin], `element ${lin} of ${JSON.stringify({ shape, perm })}`).toBe(want);
        for (let ax = idx.length - 1; ax >= 0; ax--) {
          if (++idx[ax] < dstShape[ax]) break;
          idx[ax] = 0;
        }
      }
      for (let i = 0; i < dstOff; i++) expect(out[i]).toBe(-1);
      for (let i = dstOff + n; i < dstLen; i++) expect(out[i]).toBe(-1);
    }), { numRuns: 150 });
  });
});
