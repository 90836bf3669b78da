// KernelPlans → a standalone ES module for WebGPU: WGSL kernels as string constants, the
// prepared plans as JSON data, the inlined host runtime (runtime-text.ts), and `create(device)`
// returning one async function per `out` statement. User names reach the code only as
// JSON.stringify'd strings or through the NameTable (identifiers); nothing is evaluated.

import { InternalError } from '../../diagnostics.js';
import type { Program } from '../../ir/network.js';
import { CodeWriter, jsonForLineComment } from '../code-writer.js';
import { buildModuleSpec, shapeText, SPEC_DTS, TNC_VERSION, type ModuleSpec, type SpecOutput } from '../module-spec.js';
import { validatePlan, type KernelPlan } from '../plan.js';
import { prepareGpuPlan } from './prepare.js';
import { WEBGPU_RUNTIME_JS } from './runtime-text.js';
import type { GpuModuleData } from './runtime.js';
import { allKernels, kernelName, EINSUM_HEADER, ELEMENTWISE_WORKGROUP, GEMM_HEADER, GEMM_TILES, MAX_EINSUM_INPUTS, type Precision } from './wgsl.js';

/** Options of `emitWebGpu` (the build's EmitContext, plus WebGPU-only knobs). */
export interface WebGpuEmitOptions {
  /**
   * Storage precision: 'f32', or 'f16' to also carry f16 kernels, used on devices with
   * `shader-f16` (f32 elsewhere). WebGPU has no f64: 'f64' is rejected (build.ts reports it
   * as a diagnostic before calling the emitter).
   */
  dtype: 'f32' | 'f16' | 'f64';
  /** The spec shared with the CPU target (buildModuleSpec with the planned paths); built without paths if absent. */
  spec?: ModuleSpec;
  /** Source path for the header comment and the spec. */
  source?: string;
  /** Fold permutations into GEMM/einsum kernels (default true; false for tests). */
  fold?: boolean;
}

/** A generated module: JavaScript and its declarations. */
export interface EmittedWebGpuModule {
  js: string;
  dts: string;
}

/** Members of the object `create` resolves to (module-spec's EMITTER_NAMES keeps exports off them). */
const MODEL_MEMBERS = ['precision', 'device', 'destroy'];

/** The data a generated module hands its runtime (exported for tests that skip emission). */
export function webGpuModuleData(plans: readonly KernelPlan[], precisions: Precision[], fold = true): GpuModuleData {
  const prepared = plans.map((p) => prepareGpuPlan(p, { fold }));
  // Only the kernels the steps can dispatch (every GEMM tile: the runtime picks one per call).
  const kinds = new Set<string>();
  for (const plan of prepared) {
    for (const st of plan.steps) {
      if (st.k === 'fill') {
        if (st.value !== 0) kinds.add('fill');
      } else if (st.k === 'einsum') {
        kinds.add(`einsum${st.ins.length}_thread`);
        kinds.add(`einsum${st.ins.length}_group`);
      } else if (st.k === 'gemm') {
        for (const t of GEMM_TILES) kinds.add(`gemm_${t.name}`);
      } else if (st.k === 'permute') {
        // Permutes too large to bind whole run on the one-input einsum kernel, split.
        kinds.add('permute');
        kinds.add('einsum1_thread');
        kinds.add('einsum1_group');
      } else kinds.add(st.k);
    }
  }
  const kernels: Record<string, string> = {};
  for (const p of precisions) {
    const all = allKernels(p);
    for (const k of [...kinds].sort()) kernels[kernelName(k, p)] = all[kernelName(k, p)];
  }
  return {
    kernels,
    plans: prepared,
    tiles: GEMM_TILES.map((t) => ({ ...t })),
    wg: ELEMENTWISE_WORKGROUP,
    einsumHeader: EINSUM_HEADER,
    gemmHeader: GEMM_HEADER,
    maxEinsumInputs: MAX_EINSUM_INPUTS,
    precisions,
  };
}

function functionDoc(out: SpecOutput, spec: ModuleSpec): string[] {
  const inputs = new Map(spec.inputs.map((i) => [i.name, i]));
  const lines = [`Computes \`${out.name}[${out.dims.join(', ')}]\` on the GPU.`, ''];
  lines.push('@param inputs - per input, a row-major Float32Array/Float64Array or a GPUBuffer holding it, axes in declared order:');
  for (const name of out.inputs) {
    const i = inputs.get(name);
    lines.push(i ? `  - \`${name}\` (${i.role}): ${shapeText(i.shape, i.dims)}` : `  - \`${name}\``);
  }
  if (out.symbolicDims.length > 0) lines.push(`@param dims - sizes of the symbolic dims: ${out.symbolicDims.map((d) => `\`${d}\``).join(', ')}`);
  else lines.push('@param dims - none needed (every dim is fixed); may be omitted');
  lines.push(`@param options - \`output\`: a STORAGE GPUBuffer to write; \`read\`: resolve to a Float32Array`);
  lines.push(`@returns the result ${shapeText(out.shape, out.dims)}: a GPUBuffer (owned by the caller unless passed as \`output\`), or a Float32Array with \`read: true\``);
  return lines;
}

/**
 * Emits the WebGPU module for a program: `plans` holds one plan per statement, in program
 * order (`let` statements are computed by the functions that read them, in the same command
 * encoder). Exports: `spec`, `create(device, options?)` resolving to a model with one async
 * function per `out` statement, `name(inputs, dims?, { output?, read? })`, and `TncWebGpuError`.
 */
export function emitWebGpu(program: Program, plans: readonly KernelPlan[], options: WebGpuEmitOptions): EmittedWebGpuModule {
  if (options.dtype === 'f64') throw new Error("WebGPU has no f64 arithmetic: build with --dtype f32 (or f16 on devices with 'shader-f16')");
  if (plans.length !== program.statements.length) throw new InternalError(`emitWebGpu: ${program.statements.length} statements but ${plans.length} plans`);
  plans.forEach((p, i) => {
    if (p.name !== program.statements[i].name) throw new InternalError(`emitWebGpu: plan ${i} is '${p.name}', statement is '${program.statements[i].name}'`);
    const problems = validatePlan(p);
    if (problems.length > 0) throw new InternalError(`emitWebGpu: invalid plan for '${p.name}': ${problems.join('; ')}`);
  });
  const precisions: Precision[] = options.dtype === 'f16' ? ['f32', 'f16'] : ['f32'];
  const spec = options.spec ?? buildModuleSpec(program, undefined, { target: 'webgpu', dtype: 'f32', source: options.source });
  for (const out of spec.outputs) if (MODEL_MEMBERS.includes(out.export)) throw new InternalError(`export name '${out.export}' collides with a model member`);
  const data = webGpuModuleData(plans, precisions, options.fold ?? true);
  const header = `// Generated by tnc ${TNC_VERSION} (target webgpu, dtype ${options.dtype})${options.source !== undefined ? ` from ${jsonForLineComment(options.source)}` : ''}. Do not edit.`;

  const js = new CodeWriter();
  js.line(header);
  js.line('// Standalone: the WGSL kernels, the prepared kernel plans and the host runtime are inlined.');
  js.line(`const tncGpu = ${WEBGPU_RUNTIME_JS};`);
  js.line(`const tncGpuData = ${JSON.stringify(data)};`);
  js.line();
  js.doc([
    'Compiles this module\'s kernels for `device` (once per GPUDevice: later calls, from any',
    'module instance, reuse them) and resolves to a model with one async function per `out`',
    "statement. `options.precision`: 'auto' (default), 'f32', or 'f16' (needs 'shader-f16' and a module with f16 kernels).",
  ]);
  js.block('export async function create(device, options) {', () => {
    js.line('const model = await tncGpu.gpuCreateModel(device, tncGpuData, options);');
    js.block('return {', () => {
      js.line('precision: model.precision,');
      js.line('device: model.device,');
      js.line('destroy: () => model.destroy(),');
      for (const out of spec.outputs) js.line(`${out.export}: (inputs, dims, opts) => model.run(${JSON.stringify(out.name)}, inputs, dims, opts),`);
    }, '};');
  });
  js.line();
  js.line('/** The error class runtime failures are thrown with (messages start with "tnc webgpu:"). */');
  js.line('export const TncWebGpuError = tncGpu.GpuTncError;');
  js.line();
  js.line('/** What this module computes: dims, inputs, outputs, contraction paths and costs. */');
  js.line(`export const spec = ${JSON.stringify(spec, null, 2)};`);

  const dts = new CodeWriter();
  dts.line(header);
  dts.line();
  dts.line('/** GPUBuffer / GPUDevice from @webgpu/types when present, structural stand-ins otherwise. */');
  dts.line('type TncGpuBuffer = typeof globalThis extends { GPUBuffer: { prototype: infer B } } ? B : { readonly size: number; readonly usage: number; destroy(): void };');
  dts.line('type TncGpuDevice = typeof globalThis extends { GPUDevice: { prototype: infer D } } ? D : object;');
  dts.line();
  dts.line(SPEC_DTS);
  dts.line();
  dts.doc(['Per-call options: write into `output` (a STORAGE GPUBuffer), or `read` the result back as a Float32Array.']);
  dts.block('export interface CallOptions {', () => {
    dts.line('output?: TncGpuBuffer;');
    dts.line('read?: boolean;');
  });
  dts.line();
  dts.doc(['A model bound to one GPUDevice (from `create`).']);
  dts.block('export interface Model {', () => {
    dts.line('/** Storage precision in use. */');
    dts.line("readonly precision: 'f32' | 'f16';");
    dts.line('readonly device: TncGpuDevice;');
    dts.line('/** Frees the buffers kept between calls (pipelines stay cached per device). */');
    dts.line('destroy(): void;');
    for (const out of spec.outputs) {
      const inputsType = `{ ${out.inputs.map((n) => `readonly ${JSON.stringify(n)}: Float32Array | Float64Array | TncGpuBuffer;`).join(' ')} }`;
      const dimsParam =
        out.symbolicDims.length > 0
          ? `dims: { ${out.symbolicDims.map((d) => `readonly ${JSON.stringify(d)}: number`).join('; ')}; readonly [dim: string]: number }`
          : 'dims?: { readonly [dim: string]: number }';
      dts.doc(functionDoc(out, spec));
      // Before a required `options`, dims must be a required parameter (`undefined` allowed when no dim is symbolic).
      const dimsBeforeOptions = out.symbolicDims.length > 0 ? dimsParam : 'dims: { readonly [dim: string]: number } | undefined';
      dts.line(`${out.export}(inputs: ${inputsType}, ${dimsBeforeOptions}, options: CallOptions & { read: true }): Promise<Float32Array>;`);
      dts.line(`${out.export}(inputs: ${inputsType}, ${dimsParam}, options?: CallOptions): Promise<TncGpuBuffer>;`);
    }
  });
  dts.line();
  dts.doc(["Compiles the kernels for `device` (cached per device). `precision: 'f16'` needs 'shader-f16' and a module with f16 kernels (emitWebGpu dtype 'f16'; tnc build emits f32 only)."]);
  dts.line("export declare function create(device: TncGpuDevice, options?: { precision?: 'auto' | 'f32' | 'f16'; maxBindingBytes?: number }): Promise<Model>;");
  dts.line();
  dts.line('/** The error class runtime failures are thrown with. */');
  dts.line('export declare const TncWebGpuError: { new (message: string): Error };');
  dts.line();
  dts.line('/** What this module computes: dims, inputs, outputs, contraction paths and costs. */');
  dts.line('export declare const spec: TncModuleSpec;');
  return { js: js.toString(), dts: dts.toString() };
}
