import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emitCpu } from '../src/backends/cpu/emit.js';
import { lower, lowerNetwork, printPlan } from '../src/backends/lower.js';
import { buildModuleSpec } from '../src/backends/module-spec.js';
import { NameTable } from '../src/backends/code-writer.js';
import { RUNTIME_JS } from '../src/backends/cpu/runtime-text.js';
import { createRunner } from '../src/backends/cpu/runtime.js';
import { gemm } from '../src/backends/cpu/kernels.js';
import { residentMemory } from '../src/backends/cpu/gemm.js';
import type { Program, TensorNetwork } from '../src/ir/network.js';
import { toProblem } from '../src/optimizer/problem.js';
import { fromSsaPath, toLinearPath } from '../src/optimizer/tree.js';
import { treeCost } from '../src/optimizer/cost.js';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { runtimeTextModule } from '../scripts/gen-runtime-text.js';
import { arbEinsum, randomData, type RandomEinsum } from './helpers/arbitraries.js';
import { maxRelError, referenceEinsum } from './helpers/reference-einsum.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tnc-cpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function programOf(e: RandomEinsum, symbolic: ReadonlySet<string> = new Set()): Program {
  const sym = Object.keys(e.sizes).filter((ix) => symbolic.has(ix));
  return {
    dims: Object.keys(e.sizes).map((ix) => ({
      name: ix,
      size: symbolic.has(ix) ? { kind: 'symbolic' as const, hint: e.sizes[ix] } : { kind: 'fixed' as const, size: e.sizes[ix] },
    })),
    factors: e.inputs.map((ixs, i) => ({ name: `T${i}`, role: 'input' as const, dims: ixs })),
    factorized: [],
    statements: [
      {
        name: 'result',
        kind: 'out',
        output: e.output,
        terms: [{ coefficient: 1, network: { tensors: e.inputs.map((indices, i) => ({ name: `T${i}`, indices })), output: e.output, sizes: e.sizes, symbolic: sym } }],
      },
    ],
  };
}

function emitProgram(program: Program, dtype: 'f32' | 'f64', slice: string[] = []) {
  const planned = program.statements.map((s) =>
    s.terms.map((t) => {
      const p = planContraction(t.network);
      return slice.length > 0 ? { ...p, slices: { indices: slice, count: 0, cost: p.cost, overhead: 1 } } : p;
    }),
  );
  const plans = program.statements.map((s, i) => lower(s, planned[i], program));
  const spec = buildModuleSpec(program, planned, { target: 'cpu', dtype, source: 'test.tn' });
  return emitCpu(program, plans, { dtype, spec, source: 'test.tn' });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function importModule(js: string, dts?: string): Promise<any> {
  const base = join(dir, `m${counter++}`);
  writeFileSync(`${base}.js`, js);
  if (dts !== undefined) writeFileSync(`${base}.d.ts`, dts);
  return import(pathToFileURL(`${base}.js`).href);
}

function dataFor(e: RandomEinsum, seed: number, ctor: Float64ArrayConstructor | Float32ArrayConstructor) {
  return e.inputs.map((ixs, t) => {
    const shape = ixs.map((ix) => e.sizes[ix]);
    return { shape, data: randomData(shape.reduce((p, s) => p * s, 1), seed + t, ctor) };
  });
}

describe('runtime text', () => {
  test('the committed runtime-text.ts is up to date (run `npm run gen:runtime`)', () => {
    expect(readFileSync(join(root, 'src/backends/cpu/runtime-text.ts'), 'utf8')).toBe(runtimeTextModule(root));
  });

  test('the inlined runtime contains no eval or Function constructor', () => {
    expect(RUNTIME_JS).not.toMatch(/\beval\b|Function\(/);
  });
});

describe('kernels', () => {
  test('gemm honours transA/transB, alpha, beta and offsets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.boolean(), fc.nat(), (m, n, k, tA, tB, seed) => {
        const a = randomData(3 + m * k, seed) as Float64Array;
        const b = randomData(2 + k * n, seed + 1) as Float64Array;
        const c0 = randomData(1 + m * n, seed + 2) as Float64Array;
        const c = Float64Array.from(c0);
        gemm(tA, tB, m, n, k, 1.5, a, 3, tA ? m : k, b, 2, tB ? k : n, 1, c, 1, n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (tA ? a[3 + p * m + i] : a[3 + i * k + p]) * (tB ? b[2 + j * k + p] : b[2 + p * n + j]);
            expect(c[1 + i * n + j]).toBeCloseTo(1.5 * s + c0[1 + i * n + j], 12);
          }
        expect(c[0]).toBe(c0[0]);
      }),
    );
  });
});

describe('emitCpu', () => {
  test('emitted modules, imported, match the reference (f64 tight, f32 loose)', async () => {
    await fc.assert(
      fc.asyncProperty(arbEinsum({ maxOperands: 8, maxIndicesPerOperand: 6, maxSize: 5 }), fc.boolean(), fc.nat(), async (e, f32, seed) => {
        const dtype = f32 ? 'f32' : 'f64';
        const mod = await importModule(emitProgram(programOf(e), dtype).js);
        const ops = dataFor(e, seed, f32 ? Float32Array : Float64Array);
        const got = mod.result(Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data])));
        expect(got).toBeInstanceOf(f32 ? Float32Array : Float64Array);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        if (!f32) expect(maxRelError(got, want)).toBeLessThan(1e-10);
        else {
          const scale = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) })), e.sizes);
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 * (1 + scale[i]));
        }
        expect(mod.spec.outputs[0]).toMatchObject({ name: 'result', export: 'result', dims: e.output });
      }),
      { numRuns: 25 },
    );
  });

  const e: RandomEinsum = { inputs: [['b', 'i'], ['i', 'o']], output: ['b', 'o'], sizes: { b: 4, i: 3, o: 2 } };

  test('symbolic dims are bound at call time; the output buffer is written in place', async () => {
    const { js } = emitProgram(programOf(e, new Set(['b'])), 'f64');
    const mod = await importModule(js);
    for (const b of [1, 7]) {
      const x = randomData(b * 3, b) as Float64Array;
      const W = randomData(6, 2) as Float64Array;
      const out = new Float64Array(b * 2);
      const got = mod.result({ T0: x, T1: W }, { b }, out);
      expect(got).toBe(out);
      const want = referenceEinsum(e.inputs, e.output, [
        { shape: [b, 3], data: x },
        { shape: [3, 2], data: W },
      ]);
      expect(maxRelError(out, want)).toBeLessThan(1e-12);
    }
    expect(mod.spec.dims.find((d: { name: string }) => d.name === 'b')).toEqual({ name: 'b', symbolic: true, hint: 4 });
    expect(mod.spec.inputs[0]).toMatchObject({ name: 'T0', shape: ['b', 3] });
    expect(mod.spec.statements[0].terms[0]).toMatchObject({ path: [[0, 1]], flops: 4 * 3 * 2 * 2 });
  });

  test('bad calls give clear errors naming the input or dim', async () => {
    const mod = await importModule(emitProgram(programOf(e, new Set(['b'])), 'f32').js);
    const x = new Float32Array(6);
    const W = new Float32Array(6);
    expect(() => mod.result({ T0: x, T1: W })).toThrow(/symbolic dim 'b' needs a value/);
    expect(() => mod.result({ T0: x, T1: W }, { b: 3 })).toThrow("result: input 'T0' has 6 elements but its shape [b=3, i=3] needs 9");
    expect(() => mod.result({ T0: x }, { b: 2 })).toThrow(/missing input 'T1'; expected inputs: T0, T1/);
    expect(() => mod.result({ T0: new Float64Array(6), T1: W }, { b: 2 })).toThrow(/input 'T0' must be a Float32Array/);
    expect(() => mod.result({ T0: x, T1: W }, { b: 2.5 })).toThrow(/dim 'b' must be a positive integer/);
    expect(() => mod.result({ T0: x, T1: W }, { b: 2 }, new Float32Array(3))).toThrow(/output buffer has 3 elements .* needs 4/);
    expect(() => mod.result({ T0: x, T1: W }, { b: 2, i: 4 })).toThrow(/dim 'i' is fixed at 3/);
    expect(() => mod.result({ T0: x, T1: W }, { b: 2 }, x.subarray(0, 4))).toThrow(/output buffer overlaps input 'T0'/);
  });

  test('hostile user names are sanitized and never reach the code unquoted', async () => {
    const program = programOf(e);
    const evil = 'x"]; globalThis.pwned = 1; //*/';
    program.factors[0].name = evil;
    program.statements[0].terms[0].network.tensors[0].name = evil;
    program.statements[0].name = 'delete';
    program.statements.push({ ...program.statements[0], name: 'spec' });
    const { js, dts } = emitProgram(program, 'f64');
    expect(js).not.toMatch(/\beval\b|Function\(/);
    const mod = await importModule(js);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
    expect(mod.spec.outputs.map((o: { export: string }) => o.export)).toEqual(['delete_2', 'spec_2']);
    const got = mod.delete_2({ [evil]: new Float64Array(12).fill(1), T1: new Float64Array(6).fill(1) });
    expect(Array.from(got)).toEqual(new Array(8).fill(3));
    expect(dts).toContain('export declare function spec_2(');
    // In doc comments the name cannot close the comment; in types it is a JSON string key.
    expect(dts).toContain('pwned = 1; //*\\/` (input)');
    expect(dts).toContain(`readonly ${JSON.stringify(evil)}: Float64Array`);
  });

  test('a sliced plan (memory limit) runs in the emitted module and is reported in the spec', async () => {
    const s: RandomEinsum = { inputs: [['a', 'b'], ['b', 'c'], ['c', 'd']], output: ['a', 'd'], sizes: { a: 3, b: 4, c: 2, d: 5 } };
    const { js } = emitProgram(programOf(s), 'f64', ['b', 'a']);
    const mod = await importModule(js);
    const ops = dataFor(s, 5, Float64Array);
    const got = mod.result({ T0: ops[0].data, T1: ops[1].data, T2: ops[2].data });
    expect(maxRelError(got, referenceEinsum(s.inputs, s.output, ops, s.sizes))).toBeLessThan(1e-12);
    expect(mod.spec.statements[0].terms[0].sliced).toEqual(['b', 'a']);
  });

  test('emission is deterministic', () => {
    const p = programOf({ inputs: [['a', 'b'], ['b', 'c'], ['c', 'a']], output: [], sizes: { a: 2, b: 3, c: 4 } });
    expect(emitProgram(p, 'f32')).toEqual(emitProgram(p, 'f32'));
  });

  test('the .d.ts typechecks a usage file and rejects a wrong dtype', () => {
    const { js, dts } = emitProgram(programOf(e, new Set(['b'])), 'f32');
    const d = mkdtempSync(join(tmpdir(), 'tnc-dts-'));
    try {
      writeFileSync(join(d, 'model.js'), js);
      writeFileSync(join(d, 'model.d.ts'), dts);
      writeFileSync(
        join(d, 'use.ts'),
        [
          "import { result, spec } from './model.js';",
          'const y: Float32Array = result({ T0: new Float32Array(6), T1: new Float32Array(6) }, { b: 2 });',
          'const z: Float32Array = result({ T0: new Float32Array(6), T1: new Float32Array(6) }, { b: 2 }, y);',
          'const n: string = spec.outputs[0].export;',
          'export { z, n };',
        ].join('\n'),
      );
      writeFileSync(join(d, 'bad.ts'), "import { result } from './model.js';\nexport const y = result({ T0: new Float64Array(6), T1: new Float32Array(6) }, { b: 2 });\n");
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
      execFileSync(process.execPath, [tsc, ...args, join(d, 'use.ts')], { cwd: d, stdio: 'pipe' });
      let failed = false;
      try {
        execFileSync(process.execPath, [tsc, ...args, join(d, 'bad.ts')], { cwd: d, stdio: 'pipe' });
      } catch (err) {
        failed = true;
        expect(String((err as { stdout: Buffer }).stdout)).toContain('Float64Array');
      }
      expect(failed).toBe(true);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('runtime', () => {
  test('unchanged dims reuse the arena: repeated calls with an output buffer allocate no slots', () => {
    const program = programOf({ inputs: [['a', 'b'], ['b', 'c'], ['c', 'd']], output: ['d', 'a'], sizes: { a: 3, b: 4, c: 5, d: 2 } });
    const planned = planContraction(program.statements[0].terms[0].network);
    const plan = lower(program.statements[0], [planned], program);
    const run = createRunner(plan, 'f64');
    const inputs = { T0: randomData(12, 1) as Float64Array, T1: randomData(20, 2) as Float64Array, T2: randomData(10, 3) as Float64Array };
    const out = new Float64Array(6);
    run(inputs, undefined, out);
    const first = Float64Array.from(out);
    for (let i = 0; i < 50; i++) run(inputs, undefined, out);
    expect(Array.from(out)).toEqual(Array.from(first));
  });
});

describe('temps in wasm memory', () => {
  test('a GEMM that grows the wasm memory mid-plan (staging big operands) leaves later steps correct', () => {
    // 'ab,ac,cd->bd' with a long `a`: the first GEMM copies both big inputs into wasm memory
    // after the temps' views were made, growing it (which detaches those views); the second
    // step reads a temp. Each round is sized past the memory's current size, so it grows.
    const mem = residentMemory();
    expect(mem).not.toBeNull();
    const runners: { run: ReturnType<typeof createRunner>; inputs: Record<string, Float64Array>; want: number[] }[] = [];
    for (let round = 0; round < 2; round++) {
      const a = Math.ceil(mem!.memory.buffer.byteLength / 8 / 4) + 4096;
      const e: RandomEinsum = { inputs: [['a', 'b'], ['a', 'c'], ['c', 'd']], output: ['b', 'd'], sizes: { a, b: 4, c: 4, d: 3 } };
      const program = programOf(e);
      const plan = lower(program.statements[0], [planContraction(program.statements[0].terms[0].network)], program);
      expect(plan.steps.map((st) => st.kind)).toEqual(['gemm', 'gemm']);
      const data = dataFor(e, 40 + round, Float64Array);
      const inputs = { T0: data[0].data as Float64Array, T1: data[1].data as Float64Array, T2: data[2].data as Float64Array };
      const before = mem!.memory.buffer;
      const run = createRunner(plan, 'f64');
      const got = run(inputs);
      expect(mem!.memory.buffer).not.toBe(before);
      // Σ_a Σ_c T0[a,b]·T1[a,c]·T2[c,d] by direct loops (the reference evaluator would walk a·48 assignments).
      const want = new Array<number>(12).fill(0);
      for (let i = 0; i < a; i++) {
        for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 3; d++) want[b * 3 + d] += inputs.T0[i * 4 + b] * inputs.T1[i * 4 + c] * inputs.T2[c * 3 + d];
      }
      expect(maxRelError(Array.from(got), want)).toBeLessThan(1e-10);
      runners.push({ run, inputs, want });
    }
    // The first runner's views were detached by the second's growth: it remakes them.
    for (const r of runners) expect(maxRelError(Array.from(r.run(r.inputs)), r.want)).toBeLessThan(1e-10);
  });
});

/**
 * Einsums with few indices of sizes 6–24 (the reference evaluator walks their product, kept
 * under 200k): most steps are GEMMs beyond the direct loop's 512 multiply-adds, batched ones
 * included, and permutes of 64+ elements.
 */
function bigEinsum(): fc.Arbitrary<RandomEinsum> {
  const labels = 'abcde';
  return fc
    .record({
      nIdx: fc.integer({ min: 3, max: 5 }),
      sizes: fc.array(fc.oneof(fc.integer({ min: 6, max: 24 }), fc.constantFrom(8, 12, 16, 24)), { minLength: 5, maxLength: 5 }),
      ops: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 4 }),
      keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      rotate: fc.nat(),
    })
    .map(({ nIdx, sizes, ops, keep, rotate }) => {
      const inputs = ops.map((o) => [...new Set(o.map((x) => labels[x % nIdx]))]);
      const used = [...new Set(inputs.flat())];
      const out = used.filter((ix) => keep[labels.indexOf(ix)]);
      const r = out.length > 0 ? rotate % out.length : 0;
      return { inputs, output: [...out.slice(r), ...out.slice(0, r)], sizes: Object.fromEntries(used.map((ix) => [ix, sizes[labels.indexOf(ix)]])) };
    })
    .filter((e) => Object.values(e.sizes).reduce((p, q) => p * q, 1) <= 200000);
}

describe('wasm-sized steps against the reference', () => {
  // Sizes up to 12 send GEMMs to the wasm driver (resident operands packed in place, C
  // written in place with edge strips, batched GEMMs over resident slices) and permutes of
  // 64+ elements to the wasm permute between resident buffers; random trees, symbolic dims
  // and sliced indices vary the plans. Each runner is called twice (the second time into an
  // output buffer, reusing the arena).
  const arbBig = bigEinsum();
  test('random einsums with random trees, symbolic dims and slices match the reference (f64 tight, f32 loose)', () => {
    fc.assert(
      fc.property(arbBig, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.nat(), fc.boolean(),
        (e, picks, symMask, sliceMask, seed, f32) => {
          const ixs = Object.keys(e.sizes);
          const symbolic = ixs.filter((_, i) => symMask[i % 8]);
          const net: TensorNetwork = { tensors: e.inputs.map((indices, i) => ({ name: `T${i}`, indices })), output: e.output, sizes: e.sizes, symbolic };
          const problem = toProblem(net);
          const live = problem.inputs.map((_, i) => i);
          const ssa: number[][] = [];
          for (let p = 0, next = live.length; live.length > 1; next++) {
            const [x] = live.splice(picks[p++ % picks.length] % live.length, 1);
            const [y] = live.splice(picks[p++ % picks.length] % live.length, 1);
            ssa.push([x, y]);
            live.push(next);
          }
          const tree = fromSsaPath(problem.inputs.length, ssa);
          const cost = treeCost(problem, tree);
          const sliced = ixs.filter((_, i) => sliceMask[(i + 3) % 8] && sliceMask[i % 8]);
          const planned = { problem, tree, path: toLinearPath(tree), cost, optimizer: 'test', ...(sliced.length > 0 ? { slices: { indices: sliced, count: sliced.reduce((q, ix) => q * e.sizes[ix], 1), cost, overhead: 1 } } : {}) };
          const plan = lowerNetwork(net, planned);
          const ops = dataFor(e, seed, f32 ? Float32Array : Float64Array);
          const inputs = Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data]));
          const dims = Object.fromEntries(symbolic.map((ix) => [ix, e.sizes[ix]]));
          const run = createRunner(plan, f32 ? 'f32' : 'f64');
          const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
          // f32: within 1e-4 of the sum of |terms|, so cancellation does not inflate the error.
          const scale = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) })), e.sizes);
          const check = (got: Float32Array | Float64Array): void => {
            if (!f32) expect(maxRelError(got, want), printPlan(plan)).toBeLessThan(1e-10);
            else for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + scale[i]))) expect(got[i], printPlan(plan)).toBeCloseTo(want[i], 3);
          };
          const first = run(inputs, dims);
          check(first);
          check(run(inputs, dims, (f32 ? new Float32Array(first.length) : new Float64Array(first.length)).fill(NaN)));
        }),
      { numRuns: 100 },
    );
  });
});

describe('permutes folded into GEMM packing', () => {
  // Two or three operands over m, k and n indices in random axis orders, sizes mostly
  // multiples of 4 or 8: the GEMMs read permuted operands, which fusePermutes writes in the
  // kernel's panel layout when their innermost free axis splits into whole panels.
  const permutedGemms = fc
    .record({
      orders: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      sizes: fc.array(fc.constantFrom(3, 4, 8, 12, 16, 24), { minLength: 6, maxLength: 6 }),
      third: fc.boolean(),
    })
    .map(({ orders, sizes, third }): RandomEinsum => {
      const shuffle = (xs: string[], seed: number): string[] => {
        const out = [...xs];
        for (let i = out.length - 1; i > 0; i--) {
          const j = (seed = (seed * 1103515245 + 12345) >>> 0) % (i + 1);
          [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
      };
      const inputs = [shuffle(['m', 'p', 'k', 'l'], orders[0]), shuffle(['k', 'l', 'n'], orders[1])];
      if (third) inputs.push(shuffle(['n', 'q'], orders[2]));
      const output = shuffle(third ? ['m', 'p', 'q'] : ['m', 'p', 'n'], orders[3]);
      const names = ['m', 'p', 'k', 'l', 'n', 'q'];
      return { inputs, output, sizes: Object.fromEntries(names.map((ix, i) => [ix, sizes[i]])) };
    })
    .filter((e) => Object.values(e.sizes).reduce((p, q) => p * q, 1) <= 150000);

  test('random axis orders: results match the reference, and some products ran prepacked (f64 and f32)', () => {
    const before = residentMemory()!.prepackedProducts();
    fc.assert(
      fc.property(permutedGemms, fc.boolean(), fc.nat(), (e, f32, seed) => {
        const program = programOf(e);
        const plan = lower(program.statements[0], [planContraction(program.statements[0].terms[0].network)], program);
        const ops = dataFor(e, seed, f32 ? Float32Array : Float64Array);
        const got = createRunner(plan, f32 ? 'f32' : 'f64')(Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data])));
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        const scale = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) })), e.sizes);
        for (let i = 0; i < want.length; i++) {
          const tol = (f32 ? 1e-4 : 1e-10) * (1 + scale[i]);
          if (!(Math.abs(got[i] - want[i]) <= tol)) expect(got[i], printPlan(plan)).toBe(want[i]);
        }
      }),
      { numRuns: 40 },
    );
    expect(residentMemory()!.prepackedProducts()).toBeGreaterThan(before + 5);
  });

  test('a TT-layer (each GEMM fed by a permute) and a transposed chain match the reference with prepacked operands, f64 and f32', () => {
    const cases: RandomEinsum[] = [
      { inputs: [['b', 'x', 'y', 'z'], ['x', 'i', 'r'], ['r', 'y', 'j', 's'], ['s', 'z', 'k']], output: ['b', 'i', 'j', 'k'], sizes: { b: 2, x: 4, y: 4, z: 4, i: 4, r: 2, j: 4, s: 2, k: 4 } },
      { inputs: [['a', 'b', 'c'], ['d', 'c', 'b'], ['d', 'e']], output: ['e', 'a'], sizes: { a: 16, b: 8, c: 4, d: 8, e: 16 } },
    ];
    for (const f32 of [false, true]) {
      for (const [n, e] of cases.entries()) {
        const program = programOf(e);
        const plan = lower(program.statements[0], [planContraction(program.statements[0].terms[0].network)], program);
        const before = residentMemory()!.prepackedProducts();
        const ops = dataFor(e, 70 + n, f32 ? Float32Array : Float64Array);
        const run = createRunner(plan, f32 ? 'f32' : 'f64');
        const got = run(Object.fromEntries(ops.map((o, i) => [`T${i}`, o.data])));
        expect(residentMemory()!.prepackedProducts(), printPlan(plan)).toBeGreaterThan(before);
        const want = referenceEinsum(e.inputs, e.output, ops, e.sizes);
        const scale = referenceEinsum(e.inputs, e.output, ops.map((o) => ({ shape: o.shape, data: Float64Array.from(o.data, Math.abs) })), e.sizes);
        for (let i = 0; i < want.length; i++) {
          const tol = f32 ? 1e-4 * (1 + scale[i]) : 1e-10 * (1 + scale[i]);
          if (!(Math.abs(got[i] - want[i]) <= tol)) expect(got[i], `${f32 ? 'f32' : 'f64'} case ${n}\n${printPlan(plan)}`).toBe(want[i]);
        }
      }
    }
  });
});

describe('without WebAssembly SIMD', () => {
  test('temps stay in JS arrays, GEMMs run the plain kernel, and results match the reference', () => {
    // A child process: the stub that refuses every wasm module must run before the runtime loads.
    const text = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/no-simd-probe.ts')], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(text.trim().split('\n').at(-1)!) as { engine: string; resident: boolean; cases: number; worst: number };
    expect(r).toMatchObject({ engine: 'plain', resident: false, cases: 63 });
    expect(r.worst).toBeLessThan(1e-10);
  });
});

describe('steady state', () => {
  test('compiled functions called with an output buffer allocate (almost) nothing per call', () => {
    // A child process, because gc() needs --expose-gc. One allocated object per call would
    // be ≥ 16 bytes; what remains below that is measurement noise.
    const text = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'test/helpers/alloc-probe.ts')], { cwd: root, encoding: 'utf8' });
    const perCall = JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(Object.keys(perCall).sort()).toEqual(['chain', 'combo', 'hadamard', 'trace']);
    for (const [name, bytes] of Object.entries(perCall)) expect(bytes, name).toBeLessThan(12);
  });
});

describe('NameTable', () => {
  test('claims unique safe identifiers', () => {
    const t = new NameTable(['spec']);
    expect(t.claim('tt-layer')).toBe('tt_layer');
    expect(t.claim('tt_layer')).toBe('tt_layer_2');
    expect(t.claim('spec')).toBe('spec_2');
    expect(t.claim('1x')).toBe('_1x');
    expect(t.claim('class')).toBe('class_2');
    expect(t.claim('é')).toBe('é');
    expect(t.claim('·x')).toBe('_·x');
    expect(t.claim('a b')).toBe('a_b');
  });
});
