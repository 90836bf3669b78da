import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseGemm, createPlainGemm, enableGemmThreads, fastGemm, gemmDirect, THREADS_MIN_WORK, type GemmFn } from '../src/backends/cpu/gemm.js';
import { caseArb, check, fill } from './helpers/gemm-check.js';
import { createGemmThreads } from '../src/backends/cpu/wasm/gemm-threads.js';
import { sleb32, uleb } from '../src/backends/cpu/wasm/encoder.js';
import * as generated from '../src/backends/cpu/wasm/gemm-bytes.js';
import { GEMM_WASM_BYTES, GEMM_WASM_FMA_BYTES, GEMM_WASM_SHARED_BYTES } from '../src/backends/cpu/wasm/gemm-bytes.js';
import { buildAllGemmModules, buildGemmModule, GEMM_BYTES_PATH, KERNELS, renderGemmBytesModule } from '../src/backends/cpu/wasm/gemm-module.js';
import { decodeBase64, encodeBase64 } from '../src/backends/cpu/wasm/base64.js';
import { createWasmGemm, packersOf, preferredGemmBytes, wasmDriver, type Kernel } from '../src/backends/cpu/wasm/gemm-wasm.js';
import { NO_RELAXED_SIMD_ENV, relaxedSimdOptedOut } from '../src/backends/cpu/wasm/relaxed-simd.js';

const wasm = createWasmGemm();
const kernels: [string, GemmFn][] = [
  ['plain', createPlainGemm()],
  ['direct', gemmDirect],
  ['fastGemm', fastGemm],
];
if (wasm) kernels.push(['wasm', wasm.gemm]);

describe('GEMM kernels equal a naive triple loop', () => {
  it('this runtime has WebAssembly SIMD (Node ≥ 20), so the wasm kernel is under test', () => {
    expect(wasm).not.toBeNull();
  });

  for (const [name, gemm] of kernels) {
    it(`${name}: random small shapes, flags, strides, offsets, alpha/beta, f32/f64`, () => {
      fc.assert(fc.property(caseArb(23, 40), (c) => check(gemm, c)));
    });
    it(`${name}: k across the k-block size and shapes across register tiles`, () => {
      fc.assert(fc.property(caseArb(13, 700), (c) => check(gemm, c)), { numRuns: 12 });
    });
  }

  it('wasm and plain: m and n across the C tiles (full-width row bands, and column tiles for very wide C)', () => {
    const base = { transA: false, transB: true, padA: 1, padB: 0, padC: 2, offA: 3, offB: 0, offC: 1, alpha: 1.5, beta: 1, seed: 7 };
    for (const f32 of [true, false]) {
      for (const [m, n, k] of [[1030, 9, 5], [6, 1029, 4], [520, 517, 3], [1030, 1029, 2], [70, 16500, 3], [300, 4100, 2]]) {
        for (const [, gemm] of kernels.filter(([nm]) => nm === 'wasm' || nm === 'plain')) {
          check(gemm, { ...base, m, n, k, f32 });
        }
      }
    }
  });

  it('fastGemm sends tiny products to the direct loop and larger ones to wasm (plain without SIMD), all correct', () => {
    expect(chooseGemm(2, 3, 4)).toBe('direct');
    expect(chooseGemm(64, 64, 64)).toBe(wasm ? 'wasm' : 'plain');
    // Large outer products (k = 1) take the SIMD kernel; without SIMD, and tiny ones, the loop.
    expect(chooseGemm(128, 128, 1)).toBe(wasm ? 'wasm' : 'direct');
    expect(chooseGemm(8, 8, 1)).toBe('direct');
    expect(chooseGemm(128, 128, 0)).toBe('direct');
    for (const [m, n, k] of [[2, 3, 4], [20, 20, 20], [64, 64, 64], [70, 33, 129], [130, 67, 1], [7, 300, 1]]) {
      for (const f32 of [true, false]) {
        check(fastGemm, { m, n, k, f32, transA: true, transB: false, padA: 2, padB: 1, padC: 0, offA: 1, offB: 2, offC: 3, alpha: -1, beta: 0, seed: m + n + k });
      }
    }
  });

  it('wasm: contiguous C written back by one copy, across shape changes and memory growth', () => {
    const g = createWasmGemm()!;
    const base = { transA: false, transB: false, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, alpha: 1, beta: 0 };
    const shapes = [[5, 8, 3], [9, 16, 300], [5, 8, 3], [300, 24, 40], [5, 8, 3], [1030, 16, 2], [9, 16, 300]];
    for (const f32 of [true, false]) {
      shapes.forEach(([m, n, k], i) => check(g.gemm, { ...base, m, n, k, f32, offC: i % 3, seed: 100 + i }));
    }
  });

  it('every kernel variant and tile shape the generator offers computes the same GEMM (mul + add and FMA)', () => {
    // [f32 MR, f32 vectors, f64 MR, f64 vectors]: the old 4×2 tiles, the runtime's, and others.
    const tiles = [[4, 2, 4, 2], [5, 2, 3, 3], [3, 3, 5, 2], [6, 1, 2, 4]] as const;
    let t = 0;
    for (const fma of [false, true]) {
      for (const variant of ['a', 'b', 'inline', 's'] as const) {
        for (const [unroll, endByPointer] of [[1, false], [1, true], [3, false]] as const) {
          const [mr32, nv32, mr64, nv64] = tiles[t++ % tiles.length];
          const bytes = buildGemmModule([
            { dtype: 'f32', mr: mr32, nv: nv32, unroll, variant, endByPointer, fma },
            { dtype: 'f64', mr: mr64, nv: nv64, unroll, variant, endByPointer, fma },
          ]);
          // Blocks of odd sizes too: the kernel rounds mc/nc down to whole tiles.
          const g = createWasmGemm(bytes, {
            f32: { mr: mr32, nr: 4 * nv32, kc: 7, mc: 2 * mr32 + 1, nc: 8 * nv32 + 3, tileM: 6 * mr32, tileN: 12 * nv32 },
            f64: { mr: mr64, nr: 2 * nv64, kc: 9, mc: 3 * mr64, nc: 2 * nv64 + 1, tileM: 7 * mr64, tileN: 6 * nv64 },
          })!;
          expect(g, 'module validates').not.toBeNull();
          fc.assert(fc.property(caseArb(23, 40), (c) => check(g.gemm, c)), { numRuns: 12 });
        }
      }
    }
  });

  it('the FMA module\'s wide f32 kernel (5×8) equals the naive loop and gives the same bits as the 4×8 one', () => {
    expect(preferredGemmBytes()?.kind).toBe('fma');
    const names = WebAssembly.Module.exports(new WebAssembly.Module(GEMM_WASM_FMA_BYTES)).map((e) => e.name);
    expect(names).toContain('gemm_f32_wide');
    // Small blocks so modest shapes cross C tiles, k-blocks and mc/nc blocks of the wide kernel.
    const wide = createWasmGemm(GEMM_WASM_FMA_BYTES, { f32Wide: { minRows: 1, kc: 11, mc: 15, nc: 16, tileM: 35, tileN: 48 } })!;
    const narrow = createWasmGemm(GEMM_WASM_FMA_BYTES, { f32Wide: { minRows: Infinity } })!;
    fc.assert(fc.property(caseArb(37, 60), (c) => check(wide.gemm, c)), { numRuns: 60 });
    const dflt = createWasmGemm(GEMM_WASM_FMA_BYTES)!;
    fc.assert(fc.property(fc.integer({ min: 1, max: 140 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), fc.boolean(),
      (m, n, k, ta, tb) => {
        const a = new Float32Array(m * k), b = new Float32Array(k * n), c1 = new Float32Array(m * n);
        fill(a, m + k);
        fill(b, n + 3 * k);
        fill(c1, 5);
        const c2 = c1.slice(), c3 = c1.slice();
        const args = [ta, tb, m, n, k, 0.75, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.5] as const;
        wide.gemm(...args, c1, 0, n);
        narrow.gemm(...args, c2, 0, n);
        dflt.gemm(...args, c3, 0, n);
        expect(Array.from(c1)).toEqual(Array.from(c2));
        expect(Array.from(c3)).toEqual(Array.from(c2));
      }), { numRuns: 40 });
  });

  it('drivers refuse blockings whose blocks are not whole register tiles', () => {
    expect(() => createWasmGemm(undefined, { f32: { tileM: 66 } })).toThrow(RangeError);
    expect(() => createWasmGemm(undefined, { f64: { tileN: 1022 } })).toThrow(RangeError);
    expect(() => createWasmGemm(undefined, { f32Wide: { tileM: 64 } })).toThrow(RangeError);
    expect(createWasmGemm(undefined, { f32: { tileM: 68, mc: 68 }, f64: { tileN: 68, nc: 66 }, f32Wide: { tileM: 65, mc: 64 } })).not.toBeNull();
  });

  it('steady state allocates nothing: repeated calls do not grow the heap', () => {
    // A per-call object (even 16 bytes) adds ≥ 48 KB to every 3000-call window. Until the
    // optimizing JIT (concurrent, slow on a loaded machine) has installed its code, windows
    // may allocate too, so up to ten windows run and the least growth is what is checked.
    for (const [name, gemm] of kernels) {
      for (const T of [Float32Array, Float64Array]) {
        const [m, n, k] = [12, 20, 18];
        const a = T.from(Array.from({ length: m * k }, (_, i) => (i % 7) - 3));
        const b = T.from(Array.from({ length: k * n }, (_, i) => (i % 5) - 2));
        const c = new T(m * n);
        const run = (times: number) => {
          for (let i = 0; i < times; i++) {
            const tb = i % 2 === 0;
            gemm(false, tb, m, n, k, 1, a, 0, k, b, 0, tb ? k : n, i % 3 === 0 ? 0 : 1, c, 0, n);
          }
        };
        run(3000);
        let least = Infinity;
        for (let w = 0; w < 10 && least >= 16384; w++) {
          const before = process.memoryUsage().heapUsed;
          run(3000);
          least = Math.min(least, process.memoryUsage().heapUsed - before);
        }
        expect(least, `${name} ${T.name}`).toBeLessThan(16384);
      }
    }
  });

  it('wasm packers: panels of r rows, k-major, zero-padded, for any strides (v128, in-register transpose with leftover rows, and row-by-row paths)', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const packers = packersOf(new WebAssembly.Instance(new WebAssembly.Module(buildGemmModule()), { env: { memory } }).exports)!;
    fc.assert(fc.property(
      fc.record({
        f32: fc.boolean(), r: fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 12), count: fc.integer({ min: 1, max: 30 }), kb: fc.integer({ min: 1, max: 11 }),
        adjacentRows: fc.boolean(), pad: fc.integer({ min: 0, max: 3 }), off: fc.integer({ min: 0, max: 7 }), seed: fc.integer({ min: 1, max: 1 << 30 }),
      }),
      ({ f32, r, count, kb, adjacentRows, pad, off, seed }) => {
        const es = f32 ? 4 : 8;
        const view = f32 ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
        // Rows adjacent (rs = 1 element, k stride ≥ count) or k adjacent (ks = 1, row stride ≥ kb).
        const [rs, ks] = adjacentRows ? [1, count + pad] : [kb + pad, 1];
        const srcLen = off + (count - 1) * rs + (kb - 1) * ks + 1;
        const src = 16, dst = 4096;
        fill(view.subarray(src, src + srcLen), seed);
        view.fill(NaN, dst, dst + 2 * (count + r) * kb);
        (f32 ? packers.f32 : packers.f64)((src + off) * es, rs * es, ks * es, count, kb, r, dst * es);
        const panels = Math.ceil(count / r);
        for (let q = 0; q < panels; q++) {
          for (let p = 0; p < kb; p++) {
            for (let i = 0; i < r; i++) {
              const row = q * r + i;
              const want = row < count ? view[src + off + row * rs + p * ks] : 0;
              expect(view[dst + q * r * kb + p * r + i]).toBe(want);
            }
          }
        }
        // Nothing written past the last panel.
        expect(Number.isNaN(view[dst + panels * r * kb])).toBe(true);
      },
    ), { numRuns: 400 });
  });

  it('wasm: operands packed in wasm (staged) and from JS (large shared buffers) give the same exact products', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(GEMM_WASM_BYTES), { env: { memory } }).exports;
    const staged = wasmDriver(memory, ex.gemm_f32 as Kernel, ex.gemm_f64 as Kernel, {}, Infinity, undefined, packersOf(ex));
    // Slice t of a batched buffer much larger than one operand: packed from JS.
    const batched: GemmFn = (ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
      const T = a instanceof Float32Array ? Float32Array : Float64Array;
      const big = (x: Float32Array | Float64Array, off: number) => {
        const y = new T(7 * x.length + 4096);
        y.set(x, 3 * x.length);
        return [y, off + 3 * x.length] as const;
      };
      const [a2, ao] = big(a, aOff), [b2, bo] = big(b, bOff);
      staged(ta, tb, m, n, k, alpha, a2, ao, lda, b2, bo, ldb, beta, c, cOff, ldc);
    };
    fc.assert(fc.property(caseArb(23, 40), (c) => {
      check(staged, c);
      check(batched, c);
    }), { numRuns: 60 });
    for (const k of [1, 2, 300, 513]) {
      for (const f32 of [true, false]) {
        const c = { m: 37, n: 19, k, transA: k % 2 === 0, transB: k > 2, padA: 1, padB: 2, padC: 0, offA: 2, offB: 0, offC: 1, alpha: 1, beta: 0, f32, seed: k };
        check(staged, c);
        check(batched, c);
      }
    }
  });

  it('wasm: when memory cannot grow for staged copies, operands are packed from JS (still exact)', () => {
    // 64 pages (4 MiB) hold the blocks of this product but not a staged copy of A (~7 MB).
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(GEMM_WASM_BYTES), { env: { memory } }).exports;
    const g = wasmDriver(memory, ex.gemm_f32 as Kernel, ex.gemm_f64 as Kernel, {}, Infinity, undefined, packersOf(ex));
    check(g, { m: 300, n: 40, k: 3000, transA: false, transB: true, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, offC: 0, alpha: 1, beta: 0, f32: false, seed: 5 });
    expect(memory.buffer.byteLength).toBeLessThanOrEqual(64 * 65536);
  });

  it('m, n or k zero leaves C = beta·C', () => {
    for (const [, gemm] of kernels) {
      const c = Float64Array.from([1, 2, 3, 4]);
      gemm(false, false, 2, 2, 0, 1, new Float64Array(0), 0, 1, new Float64Array(0), 0, 2, 0.5, c, 0, 2);
      expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
      gemm(false, false, 0, 2, 3, 1, new Float64Array(0), 0, 3, new Float64Array(6), 0, 2, 0, c, 0, 2);
      expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
    }
  });
});

describe('worker-thread GEMM', () => {
  it('splits rows across threads and equals the naive loop (bands of every size; 2 and 3 threads, none for 1)', async () => {
    for (const threads of [2, 3]) {
      const pool = await createGemmThreads(threads);
      expect(pool).not.toBeNull();
      try {
        fc.assert(fc.property(caseArb(40, 60), (c) => check(pool!.gemm, c)), { numRuns: 40 });
        check(pool!.gemm, { m: 67, n: 40, k: 300, transA: true, transB: false, padA: 1, padB: 2, padC: 0, offA: 2, offB: 0, offC: 4, alpha: 0.5, beta: -0.75, f32: false, seed: 3 });
        check(pool!.gemm, { m: 67, n: 40, k: 300, transA: false, transB: true, padA: 0, padB: 0, padC: 3, offA: 0, offB: 1, offC: 0, alpha: 1, beta: 0, f32: true, seed: 4 });
      } finally {
        pool!.close();
      }
    }
    expect(await createGemmThreads(1)).toBeNull();
  });

  it('fastGemm uses the pool for large products once enabled, and stops using it', async () => {
    expect(await enableGemmThreads(2)).toBe(2);
    try {
      const [m, n, k] = [160, 100, Math.ceil(THREADS_MIN_WORK / 16000) + 3];
      expect(chooseGemm(m, n, k)).toBe('threads');
      expect(chooseGemm(16, 16, 16)).not.toBe('threads');
      for (const f32 of [true, false]) {
        check(fastGemm, { m, n, k, f32, transA: false, transB: false, padA: 0, padB: 1, padC: 2, offA: 0, offB: 3, offC: 1, alpha: 1, beta: 1, seed: 11 });
      }
    } finally {
      expect(await enableGemmThreads(1)).toBe(1);
    }
    expect(chooseGemm(160, 100, 200)).toBe(wasm ? 'wasm' : 'plain');
  });
});

describe('generated wasm GEMM module', () => {
  it('is deterministic and the committed bytes are up to date (regenerate: node --import tsx scripts/gen-wasm-gemm.ts)', () => {
    expect(buildAllGemmModules()).toEqual(buildAllGemmModules());
    const fresh = buildAllGemmModules();
    for (const [name, bytes] of Object.entries(fresh)) {
      expect(Array.from((generated as Record<string, Uint8Array>)[name])).toEqual(Array.from(bytes));
    }
    expect(readFileSync(GEMM_BYTES_PATH, 'utf8')).toBe(renderGemmBytesModule());
  });

  it('validates and exports one kernel, one packer and one permute per dtype', () => {
    expect(WebAssembly.validate(GEMM_WASM_BYTES)).toBe(true);
    for (const bytes of [GEMM_WASM_BYTES, GEMM_WASM_SHARED_BYTES]) {
      expect(WebAssembly.validate(bytes)).toBe(true);
      const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
      expect(names.sort()).toEqual([...KERNELS.map((k) => `gemm_${k.dtype}`), 'pack_f32', 'pack_f64', 'permute_f32', 'permute_f64', 'permute_tiled_f32', 'permute_tiled_f64'].sort());
    }
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(GEMM_WASM_SHARED_BYTES));
    expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('base64 round-trips every length and matches known encodings', () => {
    expect(encodeBase64(new TextEncoder().encode('Man'))).toBe('TWFu');
    expect(encodeBase64(new TextEncoder().encode('Ma'))).toBe('TWE=');
    expect(encodeBase64(new TextEncoder().encode('M'))).toBe('TQ==');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
      expect(Array.from(decodeBase64(encodeBase64(bytes)))).toEqual(Array.from(bytes));
    }));
  });

  it('the relaxed-SIMD (FMA) kernels equal the naive loop (in a child node with relaxed SIMD enabled when this one lacks it)', () => {
    if (WebAssembly.validate(GEMM_WASM_FMA_BYTES)) {
      const g = createWasmGemm(GEMM_WASM_FMA_BYTES)!;
      fc.assert(fc.property(caseArb(23, 300), (c) => check(g.gemm, c)), { numRuns: 60 });
      return;
    }
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/helpers/gemm-fma-check.ts'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr + r.stdout).toContain('fma kernels ok');
    expect(r.status).toBe(0);
  });

  it('relaxed SIMD: a fresh Node picks the FMA kernels (turning on V8\'s flag where needed) and fastGemm fuses; TNC_NO_RELAXED_SIMD=1 keeps SIMD128 and the flag off', () => {
    const probe = (env: Record<string, string | undefined>) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/gemm-relaxed-check.ts'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: boolean; kind: string; sharedKind: string; after: boolean; fusedF32: number; fusedF64: number };
    };
    const on = probe({ [NO_RELAXED_SIMD_ENV]: undefined });
    // Node ≥ 20.16 reaches node:v8 synchronously; Node 20 needs the flag (before = false), 22+ does not.
    expect(on).toMatchObject({ kind: 'fma', sharedKind: 'fma', after: true, fusedF32: 1, fusedF64: 1 });
    const off = probe({ [NO_RELAXED_SIMD_ENV]: '1' });
    expect(off).toMatchObject({ kind: 'simd128', sharedKind: 'simd128', fusedF32: 0, fusedF64: 0 });
    expect(off.after).toBe(off.before);
  });

  it('relaxed SIMD opt-out is read at each choice: TNC_NO_RELAXED_SIMD=1 picks SIMD128, unset or 0 the FMA kernels', () => {
    const saved = process.env[NO_RELAXED_SIMD_ENV];
    try {
      process.env[NO_RELAXED_SIMD_ENV] = '1';
      expect(relaxedSimdOptedOut()).toBe(true);
      expect(preferredGemmBytes()?.kind).toBe('simd128');
      expect(preferredGemmBytes(true)?.kind).toBe('simd128');
      process.env[NO_RELAXED_SIMD_ENV] = '0';
      expect(relaxedSimdOptedOut()).toBe(false);
      expect(preferredGemmBytes()?.kind).toBe('fma');
      delete process.env[NO_RELAXED_SIMD_ENV];
      expect(preferredGemmBytes(true)?.kind).toBe('fma');
    } finally {
      if (saved === undefined) delete process.env[NO_RELAXED_SIMD_ENV];
      else process.env[NO_RELAXED_SIMD_ENV] = saved;
    }
  });

  it('LEB128 encodings match the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb32(63)).toEqual([0x3f]);
    expect(sleb32(64)).toEqual([0xc0, 0x00]);
    expect(sleb32(-64)).toEqual([0x40]);
    expect(sleb32(-65)).toEqual([0xbf, 0x7f]);
  });
});
