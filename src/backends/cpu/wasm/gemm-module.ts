// Build-time generator of the SIMD128 GEMM module (run by scripts/gen-wasm-gemm.ts; the
// runtime only ever sees the committed bytes in gemm-bytes.ts).
//
// Each exported function multiplies one k-block of packed operands into a padded C:
//   gemm_<dtype>(mp, np, kc, pa, pb, pc, ldcBytes, mc, nc, accumulate)
// pa: mp/MR panels, each kc×MR (k-major); pb: np/NR panels, each kc×NR (k-major); both
// zero-padded. C (row-major, row stride ldcBytes) gets C += A·B, or C = A·B when
// accumulate is 0 (the first k-block, so C is never cleared separately).
// The register tile is MR rows × NV vectors. V8 on x64 allocates 15 XMM registers and its
// scheduler puts all of a k step's loads (B vectors, A load-splats) before the arithmetic,
// so accumulators + B vectors + A broadcasts must fit 15 (plus a temporary per product with
// mul + add) or the accumulators spill: both dtypes use 4 rows × 2 vectors, and the FMA
// module adds a 5×2 f32 kernel whose A broadcasts are shuffles (see KERNELS_FMA). The k loop is not
// unrolled in the module: TurboFan unrolls small innermost loops itself, while an unrolled
// body made its scheduler hoist every load to the top and spill (measured 33 → 24 GFLOP/s
// f32 at unroll 4). The other step orders stay available for measurement (and are tested).

import { encodeBase64 } from './base64.js';
import { FunctionBuilder, ModuleBuilder, ValType } from './encoder.js';
import { PERMUTE_MAX_RANK } from './permute-wasm.js';

/** Shape of one generated micro-kernel. */
export interface KernelShape {
  dtype: 'f32' | 'f64';
  /** Rows of the register tile. */
  mr: number;
  /** v128 vectors per row of the register tile (NR = nv × lanes). */
  nv: number;
  /** Unroll factor of the k loop. */
  unroll: number;
  /**
   * Instruction order of one k step: 'b' loads the B vectors then broadcasts each A value
   * once; 'a' broadcasts all A values then streams B vectors; 'inline' re-broadcasts A per use;
   * 's' loads MR values of A as vectors and broadcasts lanes with shuffles (fewer loads).
   */
  variant?: 'a' | 'b' | 'inline' | 's';
  /**
   * Use relaxed SIMD's relaxed_madd (one fused multiply-add where the engine supports it)
   * instead of mul + add: about 1.3× here under `--experimental-wasm-relaxed-simd`.
   */
  fma?: boolean;
  /**
   * End the k loop (unroll 1 only) by comparing the A pointer with its end instead of
   * counting down: one scalar instruction less per k step, 3–7% on a quiet machine here.
   */
  endByPointer?: boolean;
  /** Exported as `gemm_<dtype>_<suffix>` (a second kernel for the same dtype). */
  suffix?: string;
}

/** The SIMD128 kernels the runtime uses; the driver's blocking (gemm-wasm.ts F32/F64) must use the same MR/NR. */
export const KERNELS: readonly KernelShape[] = [
  { dtype: 'f32', mr: 4, nv: 2, unroll: 1, variant: 'b', endByPointer: true },
  { dtype: 'f64', mr: 4, nv: 2, unroll: 1, variant: 'b', endByPointer: true },
];

/**
 * The relaxed-SIMD (fused multiply-add) kernels, used where the runtime validates them: the
 * same tiles as KERNELS, plus `gemm_f32_wide`, 5×8 (gemm-wasm.ts F32_WIDE), which the
 * single-threaded driver takes for products with many rows. It reads rows 0–3 of A as one
 * v128 and broadcasts them by shuffles ('s'), which TurboFan schedules next to their
 * multiply-adds, so its ten accumulators fit V8's 15 allocatable XMM registers without
 * spilling (load-splats of all five rows are hoisted to the top of the step and need 17).
 * Measured on the kernel alone against a register-only FMA loop (quiet machine): f32 4×2
 * 0.85, 3×3 0.88, 5×2 's' 0.94 of it; f64 4×2 0.82, 3×3 0.87 (not taken: NR = 6 pads
 * power-of-two widths, and the element-wise write-back of padded tiles ate the gain). With
 * mul + add, 5×2 is no faster than 4×2 (15 registers at most, the products need temporaries).
 */
export const KERNELS_FMA: readonly KernelShape[] = [
  ...KERNELS.map((k) => ({ ...k, fma: true })),
  { dtype: 'f32', mr: 5, nv: 2, unroll: 1, variant: 's', endByPointer: true, fma: true, suffix: 'wide' },
];

/** Bytes per element. */
function elemSize(dtype: 'f32' | 'f64'): number {
  return dtype === 'f32' ? 4 : 8;
}

/**
 * i8x16.shuffle byte indices picking elements of `bytes` width: index e < 16/bytes is element
 * e of the first operand, beyond it of the second.
 */
function lanesOf(elements: number[], bytes: number): number[] {
  return elements.flatMap((e) => Array.from({ length: bytes }, (_, b) => e * bytes + b));
}

/** Builds `gemm_<dtype>` for one kernel shape. */
export function buildKernel(shape: KernelShape): FunctionBuilder {
  const { dtype, mr, nv, unroll } = shape;
  const variant = shape.variant ?? 'b';
  const es = elemSize(dtype);
  const lanes = 16 / es;
  const nr = nv * lanes;
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I]);
  const [mp, np, kc, pa, pb, pc, ldc, mc, nc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const jc = f.local(I), ic = f.local(I), jr = f.local(I), ir = f.local(I);
  const jEnd = f.local(I), iEnd = f.local(I);
  const a = f.local(I), b = f.local(I), c = f.local(I), cnt = f.local(I);
  const panelA = f.local(I), panelB = f.local(I), bStart = f.local(I);
  const av = f.local(ValType.v128);
  const bv: number[] = [];
  for (let v = 0; v < nv; v++) bv.push(f.local(ValType.v128));
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) {
    acc.push([]);
    for (let v = 0; v < nv; v++) acc[r].push(f.local(ValType.v128));
  }
  const splat = (off: number, pushAddress = false) => {
    if (pushAddress) f.get(a);
    return dtype === 'f32' ? f.load32Splat(off) : f.load64Splat(off);
  };
  const vmul = () => (dtype === 'f32' ? f.f32x4Mul() : f.f64x2Mul());
  const vadd = () => (dtype === 'f32' ? f.f32x4Add() : f.f64x2Add());
  /** acc += x·y, with x and y pushed by the callbacks; one relaxed_madd when `fma`. */
  const madd = (accLocal: number, pushX: () => void, pushY: () => void) => {
    if (shape.fma) {
      pushX();
      pushY();
      f.get(accLocal);
      if (dtype === 'f32') f.f32x4RelaxedMadd();
      else f.f64x2RelaxedMadd();
    } else {
      f.get(accLocal);
      pushX();
      pushY();
      vmul();
      vadd();
    }
    f.set(accLocal);
  };

  // One k step at element offset u: load the B row, then broadcast each A value.
  const avs: number[] = [];
  if (variant === 'a') for (let r = 0; r < mr; r++) avs.push(f.local(ValType.v128));
  const rowVecs: number[] = [];
  if (variant === 's') for (let q = 0; q < Math.floor(mr / lanes); q++) rowVecs.push(f.local(ValType.v128));
  const stepArith = (u: number) => {
    if (variant === 's') {
      // One v128 load brings `lanes` rows of A at this k; shuffles broadcast each lane. Rows
      // beyond the last whole group are load-splat.
      for (let q = 0; q < rowVecs.length; q++) f.get(a).v128Load((u * mr + q * lanes) * es).set(rowVecs[q]);
      for (let v = 0; v < nv; v++) f.get(b).v128Load((u * nr + v * lanes) * es).set(bv[v]);
      for (let r = 0; r < mr; r++) {
        const q = Math.floor(r / lanes);
        if (q < rowVecs.length) f.get(rowVecs[q]).get(rowVecs[q]).splatLane(r % lanes, es as 4 | 8).set(av);
        else splat((u * mr + r) * es, true).set(av);
        for (let v = 0; v < nv; v++) madd(acc[r][v], () => f.get(av), () => f.get(bv[v]));
      }
      return;
    }
    if (variant === 'a') {
      for (let r = 0; r < mr; r++) {
        f.get(a);
        splat((u * mr + r) * es).set(avs[r]);
      }
      for (let v = 0; v < nv; v++) {
        f.get(b).v128Load((u * nr + v * lanes) * es).set(bv[0]);
        for (let r = 0; r < mr; r++) madd(acc[r][v], () => f.get(avs[r]), () => f.get(bv[0]));
      }
      return;
    }
    for (let v = 0; v < nv; v++) f.get(b).v128Load((u * nr + v * lanes) * es).set(bv[v]);
    for (let r = 0; r < mr; r++) {
      if (variant === 'b') {
        f.get(a);
        splat((u * mr + r) * es).set(av);
      }
      for (let v = 0; v < nv; v++) {
        const pushA = () => (variant === 'b' ? f.get(av) : splat((u * mr + r) * es, true));
        madd(acc[r][v], pushA, () => f.get(bv[v]));
      }
    }
  };

  // mc and nc down to whole tiles (at least one): the IC/JC blocks must start on tile
  // boundaries, whatever blocking the driver was given.
  f.get(mc).get(mc).i32(mr).remU().sub().set(mc);
  f.i32(mr).get(mc).get(mc).i32(mr).ltS().select().set(mc);
  f.get(nc).get(nc).i32(nr).remU().sub().set(nc);
  f.i32(nr).get(nc).get(nc).i32(nr).ltS().select().set(nc);
  // Panel strides in bytes.
  f.get(kc).i32(mr * es).mul().set(panelA);
  f.get(kc).i32(nr * es).mul().set(panelB);
  // Byte offsets of C's rows 1..MR within a tile (row MR: the next tile down).
  const rowOff: number[] = [-1];
  for (let r = 1; r <= mr; r++) {
    rowOff.push(f.local(I));
    f.get(ldc).i32(r).mul().set(rowOff[r]);
  }

  f.i32(0).set(jc);
  f.loop(); // JC
  {
    // jEnd = min(jc + nc, np)
    f.get(jc).get(nc).add().get(np).get(jc).get(nc).add().get(np).ltS().select().set(jEnd);
    f.i32(0).set(ic);
    f.loop(); // IC
    {
      f.get(ic).get(mc).add().get(mp).get(ic).get(mc).add().get(mp).ltS().select().set(iEnd);
      f.get(jc).set(jr);
      f.loop(); // JR
      {
        // Pointers advance across the IR loop instead of being recomputed per tile: the k
        // loop leaves `a` at the next A panel; B restarts at its panel; C moves MR rows.
        // a = pa + (ic/mr)*panelA ; bStart = pb + (jr/nr)*panelB ; c = pc + ic*ldc + jr*es
        f.get(pa).get(ic).get(kc).mul().i32(es).mul().add().set(a);
        f.get(pb).get(jr).get(kc).mul().i32(es).mul().add().set(bStart);
        f.get(pc).get(ic).get(ldc).mul().add().get(jr).i32(es).mul().add().set(c);
        f.get(ic).set(ir);
        f.loop(); // IR
        {
          f.get(bStart).set(b);
          // Start from C (later k-blocks) or from zero (the first: C need not be cleared).
          f.get(accumulate).if();
          for (let r = 0; r < mr; r++) {
            for (let v = 0; v < nv; v++) {
              f.get(c);
              if (r > 0) f.get(rowOff[r]).add();
              f.v128Load(v * 16).set(acc[r][v]);
            }
          }
          f.else();
          for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.v128Zero().set(acc[r][v]);
          f.end();
          if (shape.endByPointer && unroll === 1) {
            // cnt holds A's end; kc ≥ 1 (the driver never passes an empty k-block).
            f.get(a).get(kc).i32(mr * es).mul().add().set(cnt);
            f.loop();
            stepArith(0);
            f.inc(a, mr * es).inc(b, nr * es);
            f.get(a).get(cnt).ltU().brIf(0);
            f.end();
          } else {
          f.get(kc).set(cnt);
          f.block(); // done
          {
            f.block(); // main done
            {
              f.get(cnt).i32(unroll).ltS().brIf(0);
              f.loop();
              {
                for (let u = 0; u < unroll; u++) stepArith(u);
                f.inc(a, unroll * mr * es).inc(b, unroll * nr * es).inc(cnt, -unroll);
                f.get(cnt).i32(unroll).geS().brIf(0);
              }
              f.end();
            }
            f.end();
            f.get(cnt).eqz().brIf(0);
            f.loop();
            {
              stepArith(0);
              f.inc(a, mr * es).inc(b, nr * es).inc(cnt, -1);
              f.get(cnt).brIf(0);
            }
            f.end();
          }
          f.end();
          }
          for (let r = 0; r < mr; r++) {
            for (let v = 0; v < nv; v++) {
              f.get(c);
              if (r > 0) f.get(rowOff[r]).add();
              f.get(acc[r][v]).v128Store(v * 16);
            }
          }
          f.get(c).get(rowOff[mr]).add().set(c);
          f.inc(ir, mr).get(ir).get(iEnd).ltS().brIf(0);
        }
        f.end();
        f.inc(jr, nr).get(jr).get(jEnd).ltS().brIf(0);
      }
      f.end();
      f.get(ic).get(mc).add().tee(ic).get(mp).ltS().brIf(0);
    }
    f.end();
    f.get(jc).get(nc).add().tee(jc).get(np).ltS().brIf(0);
  }
  f.end();
  return f;
}

/**
 * Builds `pack_<dtype>(src, rs, ks, count, kb, r, dst)`: packs `count` rows (rows of op(A),
 * or columns of op(B)) of a kb-deep slice into panels of `r` rows, k-major inside a panel,
 * zero-padding the last panel: dst[q·r·kb + p·r + i] = src[(q·r + i)·rs + p·ks]. Addresses
 * and the strides rs/ks are in bytes. In full panels whose rows are adjacent in memory
 * (rs = element size: A transposed, B not) each k step's first 16·⌊r·es/16⌋ bytes move as
 * one to three v128; in full panels whose elements are adjacent along k (A not transposed, B
 * transposed) groups of 16/es rows are transposed in registers. Rows those leave (r not a
 * multiple of the vector width) and all other panels run row by row along k, which reads
 * each source row sequentially.
 */
export function buildPack(dtype: 'f32' | 'f64'): FunctionBuilder {
  const es = elemSize(dtype);
  const lanes = 16 / es;
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I, I, I]);
  const [src, rs, ks, count, kb, r, dst] = [0, 1, 2, 3, 4, 5, 6];
  const q = f.local(I), rows = f.local(I), s = f.local(I), d = f.local(I), p = f.local(I), i = f.local(I), step = f.local(I);
  const rowS = f.local(I), rowD = f.local(I);
  const kv = f.local(I), g = f.local(I), tailS = f.local(I), tailD = f.local(I), tailP = f.local(I), gEnd = f.local(I);
  const tv = [f.local(ValType.v128), f.local(ValType.v128), f.local(ValType.v128), f.local(ValType.v128)];
  const uv = [f.local(ValType.v128), f.local(ValType.v128), f.local(ValType.v128), f.local(ValType.v128)];
  const load = () => (dtype === 'f32' ? f.f32Load() : f.f64Load());
  const store = () => (dtype === 'f32' ? f.f32Store() : f.f64Store());
  const zero = () => (dtype === 'f32' ? f.f32Const(0) : f.f64Const(0));
  // Both fast paths end with `i` = the first row left to the row-by-row loop and `br 1` to it.
  /** A full panel of adjacent rows with ⌊r·es/16⌋ = `vecs`: that many v128 per k step. */
  const vectorPanel = (vecs: 1 | 2 | 3) => {
    f.get(rows).get(r).ne().eqz().get(rs).i32(es).ne().eqz().and();
    f.get(step).i32(16 * vecs).geS().and().get(step).i32(16 * (vecs + 1)).ltS().and().if();
    f.get(kb).set(p).get(s).set(rowS).get(d).set(rowD);
    f.loop();
    for (let v = 0; v < vecs; v++) f.get(rowD).get(rowS).v128Load(16 * v).v128Store(16 * v);
    f.get(rowS).get(ks).add().set(rowS).get(rowD).get(step).add().set(rowD).inc(p, -1).get(p).brIf(0);
    f.end();
    f.i32(vecs * lanes).set(i);
    f.br(1);
    f.end();
  };
  /**
   * A full panel whose elements are adjacent along k: each group of `lanes` rows is read as
   * `lanes` vectors along k and transposed in registers (i8x16.shuffle), so each k step's
   * vector of rows is stored whole; the k tail that does not fill a vector is copied element
   * by element.
   */
  const transposePanel = () => {
    f.get(rows).get(r).ne().eqz().get(ks).i32(es).ne().eqz().and().get(r).i32(lanes).geS().and().if();
    {
      // kv: k steps in whole vectors; gEnd: rows in whole groups.
      f.get(kb).get(kb).i32(lanes - 1).and().sub().set(kv);
      f.get(r).get(r).i32(lanes - 1).and().sub().set(gEnd);
      f.i32(0).set(g);
      f.loop(); // row groups
      {
        f.get(s).get(g).get(rs).mul().add().set(rowS); // first row of the group at k = 0
        f.get(d).get(g).i32(es).mul().add().set(rowD);
        f.i32(0).set(p);
        f.block();
        f.get(kv).eqz().brIf(0);
        f.loop();
        {
          for (let l = 0; l < lanes; l++) {
            f.get(rowS);
            if (l > 0) f.get(rs).i32(l).mul().add();
            f.v128Load().set(tv[l]);
          }
          if (dtype === 'f64') {
            // [r0k0 r0k1], [r1k0 r1k1] → [r0k0 r1k0], [r0k1 r1k1]
            f.get(rowD).get(tv[0]).get(tv[1]).shuffle(lanesOf([0, 2], 8)).v128Store();
            f.get(rowD).get(step).add().get(tv[0]).get(tv[1]).shuffle(lanesOf([1, 3], 8)).v128Store();
          } else {
            // 4×4 transpose: interleave row pairs, then combine 64-bit halves.
            f.get(tv[0]).get(tv[1]).shuffle(lanesOf([0, 4, 1, 5], 4)).set(uv[0]);
            f.get(tv[0]).get(tv[1]).shuffle(lanesOf([2, 6, 3, 7], 4)).set(uv[1]);
            f.get(tv[2]).get(tv[3]).shuffle(lanesOf([0, 4, 1, 5], 4)).set(uv[2]);
            f.get(tv[2]).get(tv[3]).shuffle(lanesOf([2, 6, 3, 7], 4)).set(uv[3]);
            const halves: [number, number, [number, number]][] = [[0, 2, [0, 2]], [0, 2, [1, 3]], [1, 3, [0, 2]], [1, 3, [1, 3]]];
            halves.forEach(([x, y, sel], j) => {
              f.get(rowD);
              if (j > 0) f.get(step).i32(j).mul().add();
              f.get(uv[x]).get(uv[y]).shuffle(lanesOf(sel, 8)).v128Store();
            });
          }
          f.get(rowS).i32(16).add().set(rowS);
          f.get(rowD).get(step).i32(lanes).mul().add().set(rowD);
          f.get(p).i32(lanes).add().tee(p).get(kv).ltS().brIf(0);
        }
        f.end();
        f.end();
        // k tail: element by element for each row of the group.
        f.get(p).get(kb).ltS().if();
        for (let l = 0; l < lanes; l++) {
          f.get(rowS).get(rs).i32(l).mul().add().set(tailS);
          f.get(rowD).i32(l * es).add().set(tailD);
          f.get(p).set(tailP);
          f.loop();
          f.get(tailD).get(tailS);
          load();
          store();
          f.get(tailS).i32(es).add().set(tailS).get(tailD).get(step).add().set(tailD);
          f.inc(tailP, 1).get(tailP).get(kb).ltS().brIf(0);
          f.end();
        }
        f.end();
        f.get(g).i32(lanes).add().tee(g).get(gEnd).ltS().brIf(0);
      }
      f.end();
      f.get(gEnd).set(i);
      f.br(1);
    }
    f.end();
  };
  f.get(r).i32(es).mul().set(step);
  f.i32(0).set(q);
  f.loop(); // panels
  {
    f.get(count).get(q).sub().get(r).get(count).get(q).sub().get(r).ltS().select().set(rows);
    f.get(src).get(q).get(rs).mul().add().set(s);
    f.get(dst).get(q).get(kb).mul().i32(es).mul().add().set(d);
    f.i32(0).set(i);
    f.block(); // row by row from row i
    {
      vectorPanel(3);
      vectorPanel(2);
      vectorPanel(1);
      transposePanel();
    }
    f.end();
    // Row by row: rows [i, rows) copied along k, rows [rows, r) zero.
    f.block();
    f.get(i).get(r).geS().brIf(0);
    f.loop();
    {
      f.get(d).get(i).i32(es).mul().add().set(rowD);
      f.get(kb).set(p);
      f.get(i).get(rows).ltS().if();
      {
        f.get(s).get(i).get(rs).mul().add().set(rowS);
        f.loop();
        f.get(rowD).get(rowS);
        load();
        store();
        f.get(rowS).get(ks).add().set(rowS).get(rowD).get(step).add().set(rowD).inc(p, -1).get(p).brIf(0);
        f.end();
      }
      f.else();
      {
        f.loop();
        f.get(rowD);
        zero();
        store();
        f.get(rowD).get(step).add().set(rowD).inc(p, -1).get(p).brIf(0);
        f.end();
      }
      f.end();
      f.inc(i, 1).get(i).get(r).ltS().brIf(0);
    }
    f.end();
    f.end();
    f.get(q).get(r).add().tee(q).get(count).ltS().brIf(0);
  }
  f.end();
  return f;
}

/**
 * Builds `permute_<dtype>(src, dst, rank, meta)`: the strided copy of the CPU runtime's
 * permute step inside wasm memory. `meta` holds PERMUTE_MAX_RANK i32 each of the
 * destination shape, the source strides (bytes) per destination axis, and scratch counters;
 * dst (contiguous) is written in row-major order.
 */
export function buildPermute(dtype: 'f32' | 'f64'): FunctionBuilder {
  const es = elemSize(dtype);
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I]);
  const [src, dst, rank, meta] = [0, 1, 2, 3];
  const inner = f.local(I), innerStride = f.local(I), s = f.local(I), d = f.local(I), t = f.local(I), j = f.local(I);
  const ax = f.local(I), at = f.local(I), c = f.local(I);
  const STRIDES = 4 * PERMUTE_MAX_RANK, COUNTERS = 8 * PERMUTE_MAX_RANK;
  // at = meta + 4·(rank − 1): the innermost axis' entries.
  f.get(meta).get(rank).i32(1).sub().i32(4).mul().add().set(at);
  f.get(at).i32Load().set(inner);
  f.get(at).i32Load(STRIDES).set(innerStride);
  f.i32(0).set(ax);
  f.loop();
  f.get(meta).get(ax).i32(4).mul().add().i32(0).i32Store(COUNTERS);
  f.inc(ax, 1).get(ax).get(rank).ltS().brIf(0);
  f.end();
  f.get(src).set(s);
  f.get(dst).set(d);
  f.loop(); // one run along the innermost axis per iteration
  {
    f.get(s).set(t).get(inner).set(j);
    f.loop();
    f.get(d).get(t);
    if (dtype === 'f32') f.f32Load().f32Store();
    else f.f64Load().f64Store();
    f.get(t).get(innerStride).add().set(t).inc(d, es).inc(j, -1).get(j).brIf(0);
    f.end();
    // Odometer over the outer axes.
    f.get(rank).i32(2).sub().set(ax);
    f.loop();
    {
      f.get(ax).i32(0).ltS().if().ret().end();
      f.get(meta).get(ax).i32(4).mul().add().set(at);
      f.get(at).i32Load(COUNTERS).i32(1).add().set(c);
      f.get(s).get(at).i32Load(STRIDES).add().set(s);
      f.get(c).get(at).i32Load().ltS().if();
      f.get(at).get(c).i32Store(COUNTERS);
      f.br(2);
      f.end();
      f.get(s).get(at).i32Load(STRIDES).get(at).i32Load().mul().sub().set(s);
      f.get(at).i32(0).i32Store(COUNTERS);
      f.inc(ax, -1).br(0);
    }
    f.end();
  }
  f.end();
  return f;
}

/** Side of the square tiles of `permute_tiled_<dtype>` (elements). */
export const PERMUTE_TILE = 32;

/**
 * Builds `permute_tiled_<dtype>(src, dst, rank, meta, b)`: `permute_<dtype>` for a transpose,
 * where destination axis `b` is the source's contiguous axis and the innermost destination
 * axis is strided in the source. For each position of the other axes, the (b, innermost)
 * plane is copied in PERMUTE_TILE² tiles so the tile's source lines stay in L1. `meta` as
 * for permute_<dtype>, plus the destination strides (bytes) after the counters.
 */
export function buildPermuteTiled(dtype: 'f32' | 'f64'): FunctionBuilder {
  const es = elemSize(dtype);
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I]);
  const [src, dst, rank, meta, b] = [0, 1, 2, 3, 4];
  const STRIDES = 4 * PERMUTE_MAX_RANK, COUNTERS = 8 * PERMUTE_MAX_RANK, DSTRIDES = 12 * PERMUTE_MAX_RANK;
  const L = () => f.local(I);
  const na = L(), sa = L(), nb = L(), db = L(), s = L(), d = L(), b0 = L(), bEnd = L(), a0 = L(), aLen = L();
  const bb = L(), sj = L(), dj = L(), cnt = L(), ax = L(), at = L(), c = L();
  f.get(meta).get(rank).i32(1).sub().i32(4).mul().add().set(at);
  f.get(at).i32Load().set(na);
  f.get(at).i32Load(STRIDES).set(sa);
  f.get(meta).get(b).i32(4).mul().add().set(at);
  f.get(at).i32Load().set(nb);
  f.get(at).i32Load(DSTRIDES).set(db);
  f.i32(0).set(ax);
  f.loop();
  f.get(meta).get(ax).i32(4).mul().add().i32(0).i32Store(COUNTERS);
  f.inc(ax, 1).get(ax).get(rank).ltS().brIf(0);
  f.end();
  f.get(src).set(s);
  f.get(dst).set(d);
  f.loop(); // one (b, innermost) plane per iteration
  {
    f.i32(0).set(b0);
    f.loop();
    {
      f.get(b0).i32(PERMUTE_TILE).add().get(nb).get(b0).i32(PERMUTE_TILE).add().get(nb).ltS().select().set(bEnd);
      f.i32(0).set(a0);
      f.loop();
      {
        f.get(na).get(a0).sub().set(aLen);
        f.i32(PERMUTE_TILE).get(aLen).get(aLen).i32(PERMUTE_TILE).gtS().select().set(aLen);
        f.get(b0).set(bb);
        f.loop();
        {
          // Source axis b is contiguous: its stride is one element.
          f.get(s).get(bb).i32(es).mul().add().get(a0).get(sa).mul().add().set(sj);
          f.get(d).get(bb).get(db).mul().add().get(a0).i32(es).mul().add().set(dj);
          f.get(aLen).set(cnt);
          f.loop();
          f.get(dj).get(sj);
          if (dtype === 'f32') f.f32Load().f32Store();
          else f.f64Load().f64Store();
          f.get(sj).get(sa).add().set(sj).inc(dj, es).inc(cnt, -1).get(cnt).brIf(0);
          f.end();
          f.inc(bb, 1).get(bb).get(bEnd).ltS().brIf(0);
        }
        f.end();
        f.get(a0).i32(PERMUTE_TILE).add().tee(a0).get(na).ltS().brIf(0);
      }
      f.end();
      f.get(b0).i32(PERMUTE_TILE).add().tee(b0).get(nb).ltS().brIf(0);
    }
    f.end();
    // Odometer over the axes other than b and the innermost.
    f.get(rank).i32(2).sub().set(ax);
    f.loop();
    {
      f.get(ax).i32(0).ltS().if().ret().end();
      f.get(ax).get(b).ne().if();
      {
        f.get(meta).get(ax).i32(4).mul().add().set(at);
        f.get(at).i32Load(COUNTERS).i32(1).add().set(c);
        f.get(s).get(at).i32Load(STRIDES).add().set(s);
        f.get(d).get(at).i32Load(DSTRIDES).add().set(d);
        f.get(c).get(at).i32Load().ltS().if();
        f.get(at).get(c).i32Store(COUNTERS);
        f.br(3);
        f.end();
        f.get(s).get(at).i32Load(STRIDES).get(at).i32Load().mul().sub().set(s);
        f.get(d).get(at).i32Load(DSTRIDES).get(at).i32Load().mul().sub().set(d);
        f.get(at).i32(0).i32Store(COUNTERS);
      }
      f.end();
      f.inc(ax, -1).br(0);
    }
    f.end();
  }
  f.end();
  return f;
}

/** The exported name of a kernel. */
export function kernelName(shape: KernelShape): string {
  return shape.suffix === undefined ? `gemm_${shape.dtype}` : `gemm_${shape.dtype}_${shape.suffix}`;
}

/** Maximum pages (64 KiB) of the shared memory used with worker threads: 1 GiB. */
export const SHARED_MAX_PAGES = 16384;

/**
 * Encodes the GEMM module with the given kernels (default: the runtime's). `shared` imports
 * a shared memory (limits 1..SHARED_MAX_PAGES) so worker threads can run the same kernels.
 */
export function buildGemmModule(kernels: readonly KernelShape[] = KERNELS, shared = false): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder(shared ? { min: 1, sharedMax: SHARED_MAX_PAGES } : { min: 1 });
  for (const k of kernels) mod.addFunction(kernelName(k), buildKernel(k));
  for (const dtype of ['f32', 'f64'] as const) mod.addFunction(`pack_${dtype}`, buildPack(dtype));
  for (const dtype of ['f32', 'f64'] as const) mod.addFunction(`permute_${dtype}`, buildPermute(dtype));
  for (const dtype of ['f32', 'f64'] as const) mod.addFunction(`permute_tiled_${dtype}`, buildPermuteTiled(dtype));
  return mod.encode();
}

/** Path of the committed generated module, relative to the repository root. */
export const GEMM_BYTES_PATH = 'src/backends/cpu/wasm/gemm-bytes.ts';

/** The four generated modules: baseline SIMD128 or relaxed-SIMD FMA, private or shared memory. */
export function buildAllGemmModules(): Record<'GEMM_WASM_BYTES' | 'GEMM_WASM_SHARED_BYTES' | 'GEMM_WASM_FMA_BYTES' | 'GEMM_WASM_FMA_SHARED_BYTES', Uint8Array<ArrayBuffer>> {
  return {
    GEMM_WASM_BYTES: buildGemmModule(KERNELS),
    GEMM_WASM_SHARED_BYTES: buildGemmModule(KERNELS, true),
    GEMM_WASM_FMA_BYTES: buildGemmModule(KERNELS_FMA),
    GEMM_WASM_FMA_SHARED_BYTES: buildGemmModule(KERNELS_FMA, true),
  };
}

const DOCS: Record<string, string> = {
  GEMM_WASM_BYTES: 'SIMD128 kernels (mul + add); import env.memory',
  GEMM_WASM_SHARED_BYTES: `SIMD128 kernels; import a shared env.memory (max ${SHARED_MAX_PAGES} pages) for worker threads`,
  GEMM_WASM_FMA_BYTES: 'relaxed-SIMD kernels (relaxed_madd, and gemm_f32_wide); import env.memory',
  GEMM_WASM_FMA_SHARED_BYTES: 'relaxed-SIMD kernels (and gemm_f32_wide); import a shared env.memory for worker threads',
};

/** The text of gemm-bytes.ts: each module as a base64 literal, 96 characters a line. */
export function renderGemmBytesModule(modules: Record<string, Uint8Array> = buildAllGemmModules()): string {
  const lines = [
    '// GENERATED by scripts/gen-wasm-gemm.ts from src/backends/cpu/wasm/gemm-module.ts; do not edit.',
    '// test/gemm.test.ts checks that these bytes are up to date.',
    '',
    "import { decodeBase64 } from './base64.js';",
  ];
  for (const [name, bytes] of Object.entries(modules)) {
    const b64 = encodeBase64(bytes);
    const chunks: string[] = [];
    for (let i = 0; i < b64.length; i += 96) chunks.push(`  '${b64.slice(i, i + 96)}'`);
    lines.push('', `/** ${DOCS[name] ?? name}; exports gemm_, pack_ and permute_ f32/f64 (${bytes.length} bytes). */`);
    lines.push(`export const ${name}: Uint8Array<ArrayBuffer> = /* @__PURE__ */ decodeBase64(`, chunks.join(' +\n') + ',', ');');
  }
  lines.push('');
  return lines.join('\n');
}
