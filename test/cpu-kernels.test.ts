// The CPU runtime's permute kernel against a naive index computation: plain strided copies
// and the tiled transpose path (destination's innermost axis strided in the source).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { permute, scatter } from '../src/backends/cpu/kernels.js';
import { createWasmGemm } from '../src/backends/cpu/wasm/gemm-wasm.js';
import { PERMUTE_WASM_MIN, wasmPermuter, type PermuteKernel } from '../src/backends/cpu/wasm/permute-wasm.js';
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
