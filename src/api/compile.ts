// compile(source, { target, dtype }): the functions a built module exports, made in memory.
// For the CPU it runs the same runtime module the generated code inlines, on the same plans.

import { hasErrors, SourceFile, TncError } from '../diagnostics.js';
import { planProgram, type BuildOptions } from '../build.js';
import type { ModuleSpec } from '../backends/module-spec.js';
import { createRunners, type Runner } from '../backends/cpu/runtime.js';

/** A compiled program: `spec`, `functions` by export name, and each function as a property. */
export type CompiledModule = {
  readonly spec: ModuleSpec;
  readonly functions: Readonly<Record<string, Runner>>;
} & { readonly [exportName: string]: unknown };

/** Options of compile(); `path` names the source in diagnostics (default `<source>`). */
export interface CompileOptions extends Partial<BuildOptions> {
  path?: string;
}

/**
 * Compiles `.tn` source text for the CPU, synchronously. Throws a TncError (rendered
 * diagnostics) when the source has errors.
 *
 * Example: `compile('dim i = 2\ninput a[i], b[i]\nout s[] = a[i] b[i]', { dtype: 'f64' }).functions.s({ a, b })`.
 */
export function compile(source: string, options: CompileOptions = {}): CompiledModule {
  const path = options.path ?? '<source>';
  const target = options.target ?? 'cpu';
  if (target !== 'cpu') throw new Error(`compile() builds for target 'cpu'; use buildModule(text, path, { target: '${target}' }) for other targets`);
  const build: BuildOptions = { ...options, target, dtype: options.dtype ?? 'f32' };
  const planned = planProgram(source, path, build);
  if (planned.value === undefined || hasErrors(planned.diagnostics)) {
    throw new TncError(planned.diagnostics.filter((d) => d.severity === 'error'), SourceFile.from(path, source));
  }
  const { plans, spec } = planned.value;
  const runners = createRunners(plans, build.dtype);
  const functions: Record<string, Runner> = {};
  for (const out of spec.outputs) functions[out.export] = runners[out.name];
  return Object.freeze({ ...functions, spec, functions: Object.freeze(functions) }) as CompiledModule;
}
