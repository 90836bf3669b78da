// Child-process check for test/gemm.test.ts: run under `node --experimental-wasm-relaxed-simd`
// (engines without relaxed SIMD by default), it checks the FMA kernels against the naive loop.
import fc from 'fast-check';
import { GEMM_WASM_FMA_BYTES, GEMM_WASM_FMA_SHARED_BYTES } from '../../src/backends/cpu/wasm/gemm-bytes.js';
import { createWasmGemm } from '../../src/backends/cpu/wasm/gemm-wasm.js';
import { caseArb, check } from './gemm-check.js';

if (!WebAssembly.validate(GEMM_WASM_FMA_BYTES) || !WebAssembly.validate(GEMM_WASM_FMA_SHARED_BYTES)) {
  console.error('relaxed SIMD is not available in this engine');
  process.exit(1);
}
const g = createWasmGemm(GEMM_WASM_FMA_BYTES)!;
fc.assert(fc.property(caseArb(23, 300), (c) => check(g.gemm, c)), { numRuns: 80 });
const dflt = createWasmGemm()!;
fc.assert(fc.property(caseArb(23, 40), (c) => check(dflt.gemm, c)), { numRuns: 20 });
console.log('fma kernels ok');
