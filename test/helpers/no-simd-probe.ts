// Run with `node --import tsx test/helpers/no-simd-probe.ts`: the CPU runtime where the engine
// has no WebAssembly SIMD (WebAssembly.validate refuses every module before the runtime loads),
// so temps stay in JS arrays and GEMMs take the plain TypeScript kernel. Prints, as JSON, the
// kernel fastGemm picks for a 64³ product and the worst relative error against the reference
// over random einsums (f64) and a chain, a TT-layer-like and a Tucker-like network.
// Used by test/cpu.test.ts in a child process (the stub must precede every runtime import).

import fc from 'fast-check';

WebAssembly.validate = () => false;
const { chooseGemm, residentMemory } = await import('../../src/backends/cpu/gemm.js');
const { einsum } = await import('../../src/api/einsum.js');
const { arbEinsum, randomData } = await import('./arbitraries.js');
const { maxRelError, referenceEinsum } = await import('./reference-einsum.js');

let worst = 0;
let cases = 0;
const check = (inputs: string[][], output: string[], sizes: Record<string, number>, seed: number): void => {
  const ops = inputs.map((ixs, t) => {
    const shape = ixs.map((ix) => sizes[ix]);
    return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + t, Float64Array) as Float64Array };
  });
  const got = einsum(`${inputs.map((t) => t.join('')).join(',')}->${output.join('')}`, ...ops);
  const want = referenceEinsum(inputs, output, ops, sizes);
  worst = Math.max(worst, maxRelError(got.data, want));
  cases++;
};
fc.assert(fc.property(arbEinsum({ maxOperands: 5, maxSize: 6, maxTotalElements: 40000 }), fc.nat(), (e, seed) => check(e.inputs, e.output, e.sizes, seed)), { numRuns: 60 });
check([['a', 'b'], ['b', 'c'], ['c', 'd']], ['a', 'd'], { a: 20, b: 24, c: 22, d: 18 }, 1);
check([['b', 'x', 'y'], ['x', 'i', 'r'], ['r', 'y', 'j']], ['b', 'i', 'j'], { b: 6, x: 5, y: 5, i: 5, r: 3, j: 5 }, 2);
check([['a', 'b', 'c'], ['i', 'a'], ['j', 'b'], ['k', 'c']], ['i', 'j', 'k'], { a: 4, b: 4, c: 4, i: 7, j: 7, k: 7 }, 3);
console.log(JSON.stringify({ engine: chooseGemm(64, 64, 64), resident: residentMemory() !== null, cases, worst }));
