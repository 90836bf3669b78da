// Child-process probe for test/gemm.test.ts: in a fresh Node (no V8 flags), which GEMM module
// the runtime picks and whether fastGemm's results show fused multiply-adds. Prints one JSON
// line. Run with TNC_NO_RELAXED_SIMD=1 to check the opt-out.
import { fastGemm } from '../../src/backends/cpu/gemm.js';
import { GEMM_WASM_FMA_BYTES } from '../../src/backends/cpu/wasm/gemm-bytes.js';
import { preferredGemmBytes } from '../../src/backends/cpu/wasm/gemm-wasm.js';

/**
 * C = A·B with k = 2 where every element is a1·1 + t·t, t = 1 + 2^-e and a1 = −(1 + 2^-(e-1)):
 * exactly 2^-2e with one fused multiply-add for the second step, 0 when t·t is rounded first.
 */
function fusedProbe(f32: boolean): number {
  const e = f32 ? 20 : 30;
  const t = 1 + 2 ** -e, a1 = -(1 + 2 ** -(e - 1));
  const m = 32, n = 32, k = 2;
  const A = f32 ? new Float32Array(m * k) : new Float64Array(m * k);
  const B = f32 ? new Float32Array(k * n) : new Float64Array(k * n);
  const C = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
  for (let i = 0; i < m; i++) { A[i * k] = a1; A[i * k + 1] = t; }
  for (let j = 0; j < n; j++) { B[j] = 1; B[n + j] = t; }
  fastGemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
  const v = C[0];
  return C.every((x) => x === v) ? v * 2 ** (2 * e) : NaN;
}

const before = WebAssembly.validate(GEMM_WASM_FMA_BYTES);
const kind = preferredGemmBytes()?.kind ?? null;
const sharedKind = preferredGemmBytes(true)?.kind ?? null;
const after = WebAssembly.validate(GEMM_WASM_FMA_BYTES);
console.log(JSON.stringify({ node: process.versions.node, before, kind, sharedKind, after, fusedF32: fusedProbe(true), fusedF64: fusedProbe(false) }));
