// Regenerates src/backends/cpu/wasm/gemm-bytes.ts (the committed SIMD128 GEMM module).
// Run: node --import tsx scripts/gen-wasm-gemm.ts
import { writeFileSync } from 'node:fs';
import { GEMM_BYTES_PATH, renderGemmBytesModule } from '../src/backends/cpu/wasm/gemm-module.js';

writeFileSync(GEMM_BYTES_PATH, renderGemmBytesModule());
console.log(`wrote ${GEMM_BYTES_PATH}`);
