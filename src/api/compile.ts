// compile(source, { target, dtype }): the functions a built module exports, made in memory.
// It runs the same runtime modules the generated code inlines, on the same plans: for the
// CPU, functions at once; for WebGPU, `create(device)` as in a built module.

import { error, hasErrors, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import { cpuSizeDiagnostics, planProgram, type BuildOptions, type PlannedProgram } from '../build.js';
import { checkPathOptions } from './path-options.js';
import type { ModuleSpec } from '../backends/module-spec.js';
import { createRunners, type Runner } from '../backends/cpu/runtime.js';
import { webGpuModuleData } from '../backends/webgpu/emit.js';
import { gpuCreateModel, type GpuCallOptions, type GpuCreateOptions, type GpuInputs } from '../backends/webgpu/runtime.js';

/** A program compiled for the CPU: `spec`, `functions` by export name, and each function as a property. */
export type CompiledModule = {
  readonly spec: ModuleSpec;
  readonly functions: Readonly<Record<string, Runner>>;
} & { readonly [exportName: string]: unknown };

/** One compiled WebGPU function: resolves to a GPUBuffer, or a Float32Array with `read: true`. */
export type GpuFunction = (inputs: GpuInputs, dims?: Record<string, number>, options?: GpuCallOptions) => Promise<GPUBuffer | Float32Array>;

/** What `create(device)` resolves to: the built module's model, plus `functions` by export name. */
export type GpuCompiledModel = {
  readonly precision: 'f32' | 'f16';
  readonly device: GPUDevice;
  destroy(): void;
  readonly functions: Readonly<Record<string, GpuFunction>>;
} & { readonly [exportName: string]: unknown };

/** A program compiled for WebGPU: `spec` and `create(device)`, as a built module exports. */
export interface CompiledGpuModule {
  readonly spec: ModuleSpec;
  create(device: GPUDevice, options?: GpuCreateOptions): Promise<GpuCompiledModel>;
}

/** Options of compile(); `path` names the source in diagnostics (default `<source>`). */
export interface CompileOptions extends Partial<BuildOptions> {
  path?: string;
}

/** One option value against its valid values: a TncError with a caret under the bad value. */
function checkChoice(name: string, value: unknown, valid: readonly string[]): void {
  if (value === undefined || valid.includes(value as string)) return;
  const text = typeof value === 'string' ? value : String(value);
  const message = `${name} must be one of ${valid.map((v) => `'${v}'`).join(', ')}, got ${typeof value === 'string' ? `'${value}'` : text}`;
  throw new TncError([error(`options/${name}`, message, { start: 0, end: Math.max(1, text.length) })], SourceFile.from(name, text));
}

/** Refuses what would otherwise be ignored or fail late: a non-string source, an unknown target or dtype, a bad optimizer or memoryLimit. */
function checkOptions(source: unknown, options: unknown): void {
  if (typeof source !== 'string') throw new TypeError(`compile: the source must be a string of .tn text, got ${source === null ? 'null' : typeof source}`);
  if (typeof options !== 'object' || options === null) throw new TypeError('compile: options must be an object, e.g. { target: \'cpu\', dtype: \'f32\' }');
  const o = options as CompileOptions;
  checkChoice('target', o.target, ['cpu', 'webgpu']);
  checkChoice('dtype', o.dtype, ['f32', 'f64']);
  checkPathOptions({ optimizer: o.optimizer, memoryLimit: o.memoryLimit });
}

function planOrThrow(source: string, path: string, build: BuildOptions): PlannedProgram {
  const planned = planProgram(source, path, build);
  const fail = (diagnostics: Diagnostic[]): never => {
    throw new TncError(diagnostics, SourceFile.from(path, source));
  };
  if (planned.value === undefined || hasErrors(planned.diagnostics)) return fail(planned.diagnostics.filter((d) => d.severity === 'error'));
  if (build.target === 'webgpu') {
    const whole = { start: 0, end: 0 };
    if (build.dtype === 'f64') fail([error('unsupported/dtype', 'WebGPU has no f64 arithmetic: compile for webgpu with dtype f32', whole)]);
    const slicedAt = planned.value.plans.findIndex((p) => (p.loops?.length ?? 0) > 0);
    if (slicedAt >= 0) {
      // At the statement, as `tnc build` reports it (it pointed at line 1).
      const statement = planned.value.program.statements[slicedAt];
      fail([error('unsupported/sliced', `\`${statement.name}\` needs slicing to fit the memory limit, which only the cpu target runs`, statement.span ?? whole)]);
    }
  } else {
    const tooLarge = cpuSizeDiagnostics(planned.value.program, planned.value.plans);
    if (tooLarge.length > 0) fail(tooLarge);
  }
  return planned.value;
}

/**
 * Compiles `.tn` source text. For the CPU (the default) the functions are ready at once; for
 * WebGPU, `create(device)` compiles the kernels for a device. Throws a TncError (rendered
 * diagnostics) when the source has errors.
 *
 * Example: `compile('dim i = 2\ninput a[i], b[i]\nout s[] = a[i] b[i]', { dtype: 'f64' }).functions.s({ a, b })`.
 */
export function compile(source: string, options?: CompileOptions & { target?: 'cpu' }): CompiledModule;
export function compile(source: string, options: CompileOptions & { target: 'webgpu' }): CompiledGpuModule;
export function compile(source: string, options: CompileOptions = {}): CompiledModule | CompiledGpuModule {
  checkOptions(source, options);
  const path = options.path ?? '<source>';
  const target = options.target ?? 'cpu';
  const build: BuildOptions = { ...options, target, dtype: options.dtype ?? 'f32' };
  const { plans, spec } = planOrThrow(source, path, build);
  if (target === 'webgpu') {
    const data = webGpuModuleData(plans, ['f32']);
    return Object.freeze({
      spec,
      async create(device: GPUDevice, createOptions?: GpuCreateOptions): Promise<GpuCompiledModel> {
        const model = await gpuCreateModel(device, data, createOptions);
        const functions: Record<string, GpuFunction> = {};
        for (const out of spec.outputs) functions[out.export] = (inputs, dims, callOptions) => model.run(out.name, inputs, dims, callOptions);
        return Object.freeze({ ...functions, precision: model.precision, device: model.device, destroy: () => model.destroy(), functions: Object.freeze(functions) });
      },
    });
  }
  const runners = createRunners(plans, build.dtype);
  const functions: Record<string, Runner> = {};
  for (const out of spec.outputs) functions[out.export] = runners[out.name];
  return Object.freeze({ ...functions, spec, functions: Object.freeze(functions) }) as CompiledModule;
}
