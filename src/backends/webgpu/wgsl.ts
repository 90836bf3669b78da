// WGSL kernel templates for the KernelPlan steps. Every kernel is shape-generic: sizes, strides
// and offset tables live in one read-only u32 `meta` storage buffer written by the host per
// call, so one pipeline per kernel serves every step, dims binding and device call. Tensor
// coordinates are flat u32 indices decomposed against size/stride arrays (never vecN: plans
// have intermediates of any rank). Storage may be f32 or f16; arithmetic is always f32.
//
// Dispatches are 2-D (x ≤ 65535, y = the rest) and kernels linearise the workgroup id, so
// element counts are bounded by buffer limits, not by `maxComputeWorkgroupsPerDimension`.

/** Storage element type of the generated kernels. */
export type Precision = 'f32' | 'f16';

/** Invocations per workgroup of the elementwise, permute and einsum kernels (fits every device). */
export const ELEMENTWISE_WORKGROUP = 64;

/** Largest input count the einsum kernel is generated for (one binding per input). */
export const MAX_EINSUM_INPUTS = 3;

/**
 * A GEMM tile: `wgX × wgY` invocations, each computing `tm × tn` outputs, stepping `tk` along k.
 * The workgroup covers `wgY·tm` rows of C and `wgX·tn` columns.
 */
export interface GemmTile {
  name: string;
  wgX: number;
  wgY: number;
  tm: number;
  tn: number;
  tk: number;
}

/**
 * The GEMM tile menu, best first. The host picks the first tile whose workgroup fits the
 * device's limits and whose shape suits the step (see `chooseGemmTile`). `g32` fits any
 * WebGPU device, compatibility mode included (64 invocations, 4 KiB of workgroup memory).
 */
export const GEMM_TILES: readonly GemmTile[] = [
  { name: 'g64', wgX: 16, wgY: 16, tm: 4, tn: 4, tk: 16 },
  { name: 'g32', wgX: 8, wgY: 8, tm: 4, tn: 4, tk: 16 },
  { name: 'gcol', wgX: 1, wgY: 64, tm: 4, tn: 1, tk: 8 },
  { name: 'grow', wgX: 64, wgY: 1, tm: 1, tn: 4, tk: 8 },
];

/** Workgroup memory a tile needs, in bytes (A and B panels, f32). */
export function gemmTileBytes(t: GemmTile): number {
  return 4 * t.tk * (t.wgY * t.tm + t.wgX * t.tn);
}

/** Device limits that tile choice depends on (a subset of GPUSupportedLimits). */
export interface TileLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupStorageSize: number;
}

/**
 * Picks the tile for an `m × n` product under the device's limits: skinny shapes (n = 1 or
 * m = 1, matrix–vector products) get the column/row tiles, large ones the 64×64 tile when the
 * device allows 256 invocations, everything else the 32×32 tile.
 */
export function chooseGemmTile(m: number, n: number, limits: TileLimits): GemmTile {
  const fits = (t: GemmTile): boolean =>
    t.wgX * t.wgY <= limits.maxComputeInvocationsPerWorkgroup &&
    t.wgX <= limits.maxComputeWorkgroupSizeX &&
    t.wgY <= limits.maxComputeWorkgroupSizeY &&
    gemmTileBytes(t) <= limits.maxComputeWorkgroupStorageSize;
  const byName = (name: string): GemmTile => GEMM_TILES.find((t) => t.name === name)!;
  const wanted = n <= 2 && m >= 64 ? 'gcol' : m <= 2 && n >= 64 ? 'grow' : m >= 64 && n >= 64 ? 'g64' : 'g32';
  const first = byName(wanted);
  return fits(first) ? first : byName('g32');
}

function header(p: Precision): string {
  return p === 'f16' ? 'enable f16;\nalias T = f16;\n' : 'alias T = f32;\n';
}

const LINEAR_ID = (wg: number): string =>
  `(wid.y * nwg.x + wid.x) * ${wg}u + lid`;

const BUILTINS =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';

/** `dst[i] = value`. meta: [n, bits(value)]. Bindings: 0 dst, 1 meta. */
export function fillWgsl(p: Precision): string {
  const W = ELEMENTWISE_WORKGROUP;
  return `${header(p)}
@group(0) @binding(0) var<storage, read_write> dst: array<T>;
@group(0) @binding(1) var<storage, read> prm: array<u32>;

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let i = ${LINEAR_ID(W)};
  if (i >= prm[0]) { return; }
  dst[i] = T(bitcast<f32>(prm[1]));
}
`;
}

/** `dst[i] = alpha·src[i] + beta·dst[i]`. meta: [n, bits(alpha), beta]. Bindings: 0 src, 1 dst, 2 meta. */
export function axpyWgsl(p: Precision): string {
  const W = ELEMENTWISE_WORKGROUP;
  return `${header(p)}
@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read_write> dst: array<T>;
@group(0) @binding(2) var<storage, read> prm: array<u32>;

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let i = ${LINEAR_ID(W)};
  if (i >= prm[0]) { return; }
  var v = bitcast<f32>(prm[1]) * f32(src[i]);
  if (prm[2] != 0u) { v += f32(dst[i]); }
  dst[i] = T(v);
}
`;
}

/**
 * Strided gather into a contiguous `dst`: dst axis j has size `sizes[j]` and reads `src` with
 * element stride `strides[j]` (a permutation, or any view). meta: [n, rank, sizes…, strides…].
 * Bindings: 0 src, 1 dst, 2 meta.
 */
export function permuteWgsl(p: Precision): string {
  const W = ELEMENTWISE_WORKGROUP;
  return `${header(p)}
@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read_write> dst: array<T>;
@group(0) @binding(2) var<storage, read> prm: array<u32>;

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let i = ${LINEAR_ID(W)};
  if (i >= prm[0]) { return; }
  let rank = prm[1];
  var rem = i;
  var o = 0u;
  for (var j = rank; j > 0u; j--) {
    let d = prm[1u + j];
    o += (rem % d) * prm[1u + rank + j];
    rem = rem / d;
  }
  dst[i] = src[o];
}
`;
}

/** Index of the first word after the einsum meta header. */
export const EINSUM_HEADER = 12;

/**
 * Generic loop-nest einsum over `nIn` inputs:
 * out[o] = alpha · Σ_r Π_i in_i[base_i(o) + red_i(r)] (+ out[o] when beta = 1).
 * Labels are split into output labels (sizes `osz`) and reduced labels (sizes `rsz`); each input
 * has one stride per label (the sum of its axis strides carrying that label, so repeated labels
 * read diagonals, and 0 where it lacks the label).
 * meta: [nOut, nRed, nOL, nRL, bits(alpha), beta, o0, base_0, base_1, base_2, r0, 0,
 *        osz[nOL], rsz[nRL], then per input: ostride[nOL], rstride[nRL]].
 * The 'group' kernel sums the reduction range r0 … nRed−1 only (r0 = 0 in 'thread' mode), so
 * the host can split a long reduction over dispatches that accumulate (beta = 1).
 * A dispatch may cover a chunk of the output: elements o0 … o0+nOut−1, written at dst[0…]
 * (dst bound from element o0), inputs bound from element base_k (subtracted from offsets;
 * u32 arithmetic wraps, so partial sums may dip below the base).
 * Bindings: 0..nIn-1 inputs, nIn out, nIn+1 meta.
 *
 * `mode` 'thread' gives each invocation one output element (the innermost reduced label runs
 * as a strided inner loop); 'group' gives each workgroup one output element and reduces in
 * workgroup memory, for few outputs with long reductions (dot products, full traces).
 */
export function einsumWgsl(p: Precision, nIn: number, mode: 'thread' | 'group'): string {
  const W = ELEMENTWISE_WORKGROUP;
  const H = EINSUM_HEADER;
  const ins = Array.from({ length: nIn }, (_, k) => k);
  const bindings = ins.map((k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<T>;`).join('\n');
  const strideBase = ins.map((k) => `  let s${k} = ${H}u + nOL + nRL + ${k}u * (nOL + nRL);`).join('\n');
  const declBase = ins.map((k) => `  var b${k} = 0u - prm[${7 + k}u];`).join('\n');
  const addBase = ins.map((k) => `    b${k} += c * prm[s${k} + j - 1u];`).join('\n');
  const product = (offs: string): string => ins.map((k) => `f32(in${k}[${offs}${k}])`).join(' * ');
  const common = `${header(p)}
${bindings}
@group(0) @binding(${nIn}) var<storage, read_write> dst: array<T>;
@group(0) @binding(${nIn + 1}) var<storage, read> prm: array<u32>;
`;
  const prologue = `  let nOut = prm[0];
  let nRed = prm[1];
  let nOL = prm[2];
  let nRL = prm[3];
${strideBase}
${declBase}
  var rem = o + prm[6];
  for (var j = nOL; j > 0u; j--) {
    let d = prm[${H}u + j - 1u];
    let c = rem % d;
    rem = rem / d;
${addBase}
  }`;
  const epilogue = (acc: string): string => `    var v = bitcast<f32>(prm[4]) * ${acc};
    if (prm[5] != 0u) { v += f32(dst[o]); }
    dst[o] = T(v);`;
  if (mode === 'thread') {
    const declOff = ins.map((k) => `      var o${k} = b${k};`).join('\n');
    const addOff = ins.map((k) => `        o${k} += c * prm[s${k} + nOL + j - 1u];`).join('\n');
    const lastStride = ins.map((k) => `    let l${k} = prm[s${k} + nOL + nRL - 1u];`).join('\n');
    const step = ins.map((k) => `        o${k} += l${k};`).join('\n');
    return `${common}
@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let o = ${LINEAR_ID(W)};
  if (o >= prm[0]) { return; }
${prologue}
  var acc = 0.0;
  if (nRL == 0u) {
    acc = ${product('b')};
  } else if (nRed > 0u) {
    let last = prm[${H}u + nOL + nRL - 1u];
${lastStride}
    let nOuter = nRed / last;
    for (var r = 0u; r < nOuter; r++) {
${declOff}
      var rr = r;
      for (var j = nRL - 1u; j > 0u; j--) {
        let d = prm[${H}u + nOL + j - 1u];
        let c = rr % d;
        rr = rr / d;
${addOff}
      }
      for (var t = 0u; t < last; t++) {
        acc += ${product('o')};
${step}
      }
    }
  }
${epilogue('acc')}
}
`;
  }
  const declOff = ins.map((k) => `    var o${k} = b${k};`).join('\n');
  const addOff = ins.map((k) => `      o${k} += c * prm[s${k} + nOL + j - 1u];`).join('\n');
  return `${common}
var<workgroup> part: array<f32, ${W}>;

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= prm[0]) { return; }
${prologue}
  var acc = 0.0;
  for (var r = prm[10] + lid; r < nRed; r += ${W}u) {
${declOff}
    var rr = r;
    for (var j = nRL; j > 0u; j--) {
      let d = prm[${H}u + nOL + j - 1u];
      let c = rr % d;
      rr = rr / d;
${addOff}
    }
    acc += ${product('o')};
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var h = ${W / 2}u; h > 0u; h = h / 2u) {
    if (lid < h) { part[lid] += part[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
${epilogue('part[0]')}
  }
}
`;
}

/** Index of the first word after the GEMM meta header. */
export const GEMM_HEADER = 20;

/**
 * The part both GEMM kernels share: bindings, the caller's workgroup arrays, the entry point
 * and the decoding of the flat tile id into batch, row and column tile and operand bases.
 */
function gemmPrologue(p: Precision, t: GemmTile, TM: number, TN: number, workgroupVars: string[]): string[] {
  const lines: string[] = [];
  const L = (s: string): void => {
    lines.push(s);
  };
  L(header(p));
  L('@group(0) @binding(0) var<storage, read> A: array<T>;');
  L('@group(0) @binding(1) var<storage, read> B: array<T>;');
  L('@group(0) @binding(2) var<storage, read_write> C: array<T>;');
  L('@group(0) @binding(3) var<storage, read> prm: array<u32>;');
  for (const d of workgroupVars) L(d);
  L('');
  L(`@compute @workgroup_size(${t.wgX}, ${t.wgY})`);
  L('fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) li: u32) {');
  L('  let M = prm[0]; let N = prm[1]; let K = prm[2];');
  L('  let tilesN = prm[6]; let tilesM = prm[7];');
  L('  let tile = wid.y * nwg.x + wid.x;');
  L('  if (tile >= tilesN * tilesM * prm[3]) { return; }');
  L('  let tn = tile % tilesN;');
  L('  let tmi = (tile / tilesN) % tilesM;');
  L('  let b = tile / (tilesN * tilesM);');
  L(`  let row0 = tmi * ${TM}u;`);
  L(`  let col0 = tn * ${TN}u;`);
  L('  let aK = prm[10]; let bK = prm[12];');
  L('  let aBase = prm[prm[8] + b]; let bBase = prm[prm[11] + b];');
  return lines;
}

/**
 * Batched, tiled GEMM with every operand addressed through offset tables, so permutations,
 * batch strides and transposes cost nothing: element (b, i, j) of C lives at
 * cB[b] + cM[i] + cN[j], A(b, i, k) at aB[b] + aM[i] + aK[k], B(b, k, j) at bB[b] + bK[k] + bN[j].
 * C = alpha·A·B (+ C when beta = 1). Panels of A and B are staged in workgroup memory.
 * meta: [M, N, K, batch, bits(alpha), beta, tilesN, tilesM, then the start (in meta) of the
 *        tables aB, aM, aK, bB, bK, bN, cB, cM, cN, then flags "k is A's / B's contiguous axis"
 *        (load order only), padding to GEMM_HEADER, then the tables].
 * Bindings: 0 A, 1 B, 2 C, 3 meta.
 */
export function gemmWgsl(p: Precision, t: GemmTile): string {
  if (t.tm === 4 && t.tn === 4 && (t.tk * t.wgY) % t.wgX === 0 && (t.tk * t.wgX) % t.wgY === 0) return gemmVec4Wgsl(p, t);
  const TM = t.wgY * t.tm;
  const TN = t.wgX * t.tn;
  const NT = t.wgX * t.wgY;
  // A panel has tk·TM elements, B panel tk·TN; each invocation loads ceil(panel / NT) of them
  // (the last round guarded when the panel does not divide evenly).
  const loadsA = Math.ceil((t.tk * TM) / NT);
  const loadsB = Math.ceil((t.tk * TN) / NT);
  const guardA = (q: number): string => ((q + 1) * NT > t.tk * TM ? ` && ea${q} < ${t.tk * TM}u` : '');
  const guardB = (q: number): string => ((q + 1) * NT > t.tk * TN ? ` && eb${q} < ${t.tk * TN}u` : '');
  const rows = Array.from({ length: t.tm }, (_, r) => r);
  const cols = Array.from({ length: t.tn }, (_, c) => c);
  const lines: string[] = [];
  const L = (s: string): void => {
    lines.push(s);
  };
  lines.push(...gemmPrologue(p, t, TM, TN, [`var<workgroup> As: array<f32, ${t.tk * TM}>;`, `var<workgroup> Bs: array<f32, ${t.tk * TN}>;`]));
  // Each invocation loads fixed rows of the A panel and fixed columns of the B panel at every
  // k step, so their row/column offsets are looked up once, outside the k loop.
  for (let q = 0; q < loadsA; q++) {
    L(`  let ea${q} = li + ${q * NT}u;`);
    L(`  let ka${q} = ea${q} / ${TM}u; let ra${q} = ea${q} % ${TM}u;`);
    L(`  let okA${q} = row0 + ra${q} < M${guardA(q)};`);
    L(`  var offA${q} = 0u; if (okA${q}) { offA${q} = aBase + prm[prm[9] + row0 + ra${q}]; }`);
  }
  for (let q = 0; q < loadsB; q++) {
    L(`  let eb${q} = li + ${q * NT}u;`);
    L(`  let kb${q} = eb${q} / ${TN}u; let cb${q} = eb${q} % ${TN}u;`);
    L(`  let okB${q} = col0 + cb${q} < N${guardB(q)};`);
    L(`  var offB${q} = 0u; if (okB${q}) { offB${q} = bBase + prm[prm[13] + col0 + cb${q}]; }`);
  }
  for (const r of rows) for (const c of cols) L(`  var acc${r}_${c} = 0.0;`);
  // Invocation (x, y) owns rows y + r·wgY and columns x + c·wgX: neighbouring invocations read
  // neighbouring panel entries and write neighbouring outputs (vector loads on CPU SIMD
  // implementations, conflict-free workgroup reads and coalesced stores on GPUs).
  L('  let ty = lid3.y;');
  L('  let tx = lid3.x;');
  L(`  for (var k0 = 0u; k0 < K; k0 += ${t.tk}u) {`);
  for (let q = 0; q < loadsA; q++) {
    L(`    { let kg = k0 + ka${q}; var v = 0.0; if (okA${q} && kg < K) { v = f32(A[offA${q} + prm[aK + kg]]); } ${guardA(q) ? `if (ea${q} < ${t.tk * TM}u) { As[ea${q}] = v; }` : `As[ea${q}] = v;`} }`);
  }
  for (let q = 0; q < loadsB; q++) {
    L(`    { let kg = k0 + kb${q}; var v = 0.0; if (okB${q} && kg < K) { v = f32(B[offB${q} + prm[bK + kg]]); } ${guardB(q) ? `if (eb${q} < ${t.tk * TN}u) { Bs[eb${q}] = v; }` : `Bs[eb${q}] = v;`} }`);
  }
  L('    workgroupBarrier();');
  L(`    for (var kk = 0u; kk < ${t.tk}u; kk++) {`);
  for (const r of rows) L(`      let a${r} = As[kk * ${TM}u + ty + ${r * t.wgY}u];`);
  for (const c of cols) L(`      let b${c} = Bs[kk * ${TN}u + tx + ${c * t.wgX}u];`);
  for (const r of rows) for (const c of cols) L(`      acc${r}_${c} += a${r} * b${c};`);
  L('    }');
  L('    workgroupBarrier();');
  L('  }');
  L('  let alpha = bitcast<f32>(prm[4]);');
  L('  let beta = prm[5] != 0u;');
  L('  let cBase = prm[prm[14] + b];');
  for (const r of rows) {
    L(`  { let i = row0 + ty + ${r * t.wgY}u; if (i < M) {`);
    L('    let ci = cBase + prm[prm[15] + i];');
    for (const c of cols) {
      L(`    { let j = col0 + tx + ${c * t.wgX}u; if (j < N) { let at = ci + prm[prm[16] + j]; var v = alpha * acc${r}_${c}; if (beta) { v += f32(C[at]); } C[at] = T(v); } }`);
    }
    L('  } }');
  }
  L('}');
  return lines.join('\n') + '\n';
}

/**
 * The 4×4-per-invocation GEMM: panels are stored as vec4 (four consecutive rows of A, four
 * consecutive columns of B), so the inner loop does two vector reads per 16 multiply–adds and
 * accumulates four vec4 rows. Same parameters and bindings as the scalar GEMM.
 */
function gemmVec4Wgsl(p: Precision, t: GemmTile): string {
  const TM = t.wgY * 4;
  const TN = t.wgX * 4;
  const NT = t.wgX * t.wgY;
  const groupsA = (t.tk * TM) / 4;
  const groupsB = (t.tk * TN) / 4;
  const perA = Math.ceil(groupsA / NT);
  const perB = Math.ceil(groupsB / NT);
  const q4 = [0, 1, 2, 3];
  const lines: string[] = [];
  const L = (s: string): void => {
    lines.push(s);
  };
  lines.push(...gemmPrologue(p, t, TM, TN, [`var<workgroup> As: array<vec4<f32>, ${groupsA}>;`, `var<workgroup> Bs: array<vec4<f32>, ${groupsB}>;`]));
  // Load group g of the A panel: four consecutive rows at one k. Neighbouring invocations take
  // neighbouring row groups, or neighbouring k when k is A's contiguous axis (flag prm[17]),
  // so global reads coalesce either way; likewise for B's column groups (prm[18]). The row
  // (column) offsets are looked up once, outside the k loop.
  L('  let kfa = prm[17] != 0u;');
  L('  let kfb = prm[18] != 0u;');
  for (let q = 0; q < perA; q++) {
    const guard = (q + 1) * NT > groupsA ? ` && ga${q} < ${groupsA}u` : '';
    L(`  let ga${q} = li + ${q * NT}u;`);
    L(`  let ka${q} = select(ga${q} / ${TM / 4}u, ga${q} % ${t.tk}u, kfa);`);
    L(`  let ra${q} = select(ga${q} % ${TM / 4}u, ga${q} / ${t.tk}u, kfa) * 4u;`);
    L(`  let inA${q} = true${guard};`);
    for (const e of q4) L(`  var oa${q}_${e} = 0xffffffffu; if (inA${q} && row0 + ra${q} + ${e}u < M) { oa${q}_${e} = aBase + prm[prm[9] + row0 + ra${q} + ${e}u]; }`);
  }
  for (let q = 0; q < perB; q++) {
    const guard = (q + 1) * NT > groupsB ? ` && gb${q} < ${groupsB}u` : '';
    L(`  let gb${q} = li + ${q * NT}u;`);
    L(`  let kb${q} = select(gb${q} / ${TN / 4}u, gb${q} % ${t.tk}u, kfb);`);
    L(`  let cb${q} = select(gb${q} % ${TN / 4}u, gb${q} / ${t.tk}u, kfb) * 4u;`);
    L(`  let inB${q} = true${guard};`);
    for (const e of q4) L(`  var ob${q}_${e} = 0xffffffffu; if (inB${q} && col0 + cb${q} + ${e}u < N) { ob${q}_${e} = bBase + prm[prm[13] + col0 + cb${q} + ${e}u]; }`);
  }
  for (const r of q4) L(`  var acc${r} = vec4<f32>(0.0);`);
  L('  let ty = lid3.y;');
  L('  let tx = lid3.x;');
  L(`  for (var k0 = 0u; k0 < K; k0 += ${t.tk}u) {`);
  for (let q = 0; q < perA; q++) {
    L(`    if (inA${q}) {`);
    L(`      let kg = k0 + ka${q};`);
    L('      var v = vec4<f32>(0.0);');
    L(`      if (kg < K) { let ko = prm[aK + kg]; ${q4.map((e) => `if (oa${q}_${e} != 0xffffffffu) { v[${e}] = f32(A[oa${q}_${e} + ko]); }`).join(' ')} }`);
    L(`      As[ka${q} * ${TM / 4}u + ra${q} / 4u] = v;`);
    L('    }');
  }
  for (let q = 0; q < perB; q++) {
    L(`    if (inB${q}) {`);
    L(`      let kg = k0 + kb${q};`);
    L('      var v = vec4<f32>(0.0);');
    L(`      if (kg < K) { let ko = prm[bK + kg]; ${q4.map((e) => `if (ob${q}_${e} != 0xffffffffu) { v[${e}] = f32(B[ob${q}_${e} + ko]); }`).join(' ')} }`);
    L(`      Bs[kb${q} * ${TN / 4}u + cb${q} / 4u] = v;`);
    L('    }');
  }
  L('    workgroupBarrier();');
  L(`    for (var kk = 0u; kk < ${t.tk}u; kk++) {`);
  L(`      let a = As[kk * ${TM / 4}u + ty];`);
  L(`      let bv = Bs[kk * ${TN / 4}u + tx];`);
  for (const r of q4) L(`      acc${r} += a[${r}] * bv;`);
  L('    }');
  L('    workgroupBarrier();');
  L('  }');
  L('  let alpha = bitcast<f32>(prm[4]);');
  L('  let beta = prm[5] != 0u;');
  L('  let cBase = prm[prm[14] + b];');
  for (const r of q4) {
    L(`  { let i = row0 + ty * 4u + ${r}u; if (i < M) {`);
    L('    let ci = cBase + prm[prm[15] + i];');
    for (const c of q4) {
      L(`    { let j = col0 + tx * 4u + ${c}u; if (j < N) { let at = ci + prm[prm[16] + j]; var v = alpha * acc${r}[${c}]; if (beta) { v += f32(C[at]); } C[at] = T(v); } }`);
    }
    L('  } }');
  }
  L('}');
  return lines.join('\n') + '\n';
}

/** Name of a kernel in a module's kernel table, e.g. `gemm_g64_f32`, `einsum2_group_f16`. */
export function kernelName(kind: string, p: Precision): string {
  return `${kind}_${p}`;
}

/** Every kernel the host runtime may dispatch, by name, for one precision. */
export function allKernels(p: Precision): Record<string, string> {
  const out: Record<string, string> = {};
  out[kernelName('fill', p)] = fillWgsl(p);
  out[kernelName('axpy', p)] = axpyWgsl(p);
  out[kernelName('permute', p)] = permuteWgsl(p);
  for (let n = 1; n <= MAX_EINSUM_INPUTS; n++) {
    out[kernelName(`einsum${n}_thread`, p)] = einsumWgsl(p, n, 'thread');
    out[kernelName(`einsum${n}_group`, p)] = einsumWgsl(p, n, 'group');
  }
  for (const t of GEMM_TILES) out[kernelName(`gemm_${t.name}`, p)] = gemmWgsl(p, t);
  return out;
}
