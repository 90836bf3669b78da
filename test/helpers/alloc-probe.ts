// Run with `node --expose-gc --import tsx test/helpers/alloc-probe.ts`: prints, as JSON, the
// heap bytes allocated per call of compiled CPU functions in steady state (output buffer
// given). Used by test/cpu.test.ts in a child process, since vitest workers have no gc().

import { compile } from '../../src/api/compile.js';

const SOURCE = `
dim b ~ 4
dim i = 6, j = 5, k = 4, r = 3
input x[b, i]
param A[i, j], B[j, k], C[k, i], w[r], U[i, r]
out chain[b, k] = x[b, i] A[i, j] B[j, k]
out combo[k, b] = x[b, i] A[i, j] B[j, k] - 2 * x[b, i] C[k, i]
out hadamard[b, i] = x[b, i] x[b, i] U[i, r] w[r]
out trace[] = A[i, j] B[j, k] C[k, i]
`;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const m = compile(SOURCE, { dtype: 'f64' });
const result: Record<string, number> = {};
for (const out of m.spec.outputs) {
  const dims = { b: 4 };
  const inputs: Record<string, Float64Array> = {};
  for (const name of out.inputs) {
    const spec = m.spec.inputs.find((i) => i.name === name)!;
    inputs[name] = new Float64Array(spec.shape.reduce((p: number, s) => p * (typeof s === 'number' ? s : 4), 1)).fill(0.5);
  }
  const fn = m.functions[out.export];
  const buf = fn(inputs, dims);
  for (let i = 0; i < 20000; i++) fn(inputs, dims, buf);
  gc();
  const before = process.memoryUsage().heapUsed;
  const calls = 50000;
  for (let i = 0; i < calls; i++) fn(inputs, dims, buf);
  result[out.name] = (process.memoryUsage().heapUsed - before) / calls;
}
console.log(JSON.stringify(result));
