// buildModule: .tn source → generated module text, the pipeline behind `tnc build`:
// analyze (parse, check, expand) → plan every term (optimizer) → lower to kernel plans →
// emit for the target. `planProgram` stops before emitting; compile() runs its plans directly.

import { hasErrors, SourceFile, type Diagnostic, type StageResult } from './diagnostics.js';
import { analyze } from './frontend.js';
import type { Program } from './ir/network.js';
import { planContraction, type PathOptions, type PlannedContraction } from './optimizer/plan-contraction.js';
import { log2Big, treeCost } from './optimizer/cost.js';
import { chooseSlices, slicedProblem } from './optimizer/slice.js';
import { toLinearPath } from './optimizer/tree.js';
import { lower } from './backends/lower.js';
import type { KernelPlan } from './backends/plan.js';
import { buildModuleSpec, type ModuleSpec } from './backends/module-spec.js';
import { emitCpu, type EmittedModule } from './backends/cpu/emit.js';
import { emitWebGpu } from './backends/webgpu/emit.js';

/** Code generation targets. */
export type Target = 'cpu' | 'webgpu';
/** Element types of generated code. */
export type Dtype = 'f32' | 'f64';

/** Options of `tnc build`, buildModule and compile. */
export interface BuildOptions {
  target: Target;
  dtype: Dtype;
  /** Optimizer name (default 'auto'). */
  optimizer?: string;
  /** Largest intermediate allowed, in elements. */
  memoryLimit?: number;
  /** Time budget for path searches, per term. */
  maxTimeMs?: number;
}

/** Everything between the source and the emitted text, for emitters, compile() and tools. */
export interface PlannedProgram {
  program: Program;
  /** Per statement, per term: the planned contraction. */
  planned: PlannedContraction[][];
  /** Per statement (program order): the kernel plan. */
  plans: KernelPlan[];
  spec: ModuleSpec;
}

/** What a backend's emitter receives besides the program and plans. */
export interface EmitContext {
  dtype: Dtype;
  spec: ModuleSpec;
  source?: string;
}

/** An emitter: program + plans → module text. */
export type ModuleEmitter = (program: Program, plans: readonly KernelPlan[], context: EmitContext) => EmittedModule;

/** Emitters by target; a target without one is reported as `unsupported/target`. */
export const EMITTERS: Readonly<Record<Target, ModuleEmitter | undefined>> = {
  cpu: (program, plans, context) => emitCpu(program, plans, context),
  webgpu: (program, plans, context) => emitWebGpu(program, plans, context),
};

/**
 * Slices a planned contraction whose largest intermediate is over the memory limit, when the
 * planner reported it (`overLimit`) without slicing it itself. Uses the deterministic
 * search (fixed work, no clock), so builds stay byte-identical.
 */
export function withSlices(planned: PlannedContraction, memoryLimit: number | undefined): PlannedContraction {
  if (memoryLimit === undefined || planned.slices !== undefined || planned.overLimit !== true) return planned;
  const plan = chooseSlices(planned.problem, planned.tree, memoryLimit, { deterministic: true });
  if (plan.indices.length === 0) return planned;
  const perSlice = treeCost(slicedProblem(planned.problem, plan.indices), plan.tree);
  const count = BigInt(plan.count);
  return {
    ...planned,
    tree: plan.tree,
    path: toLinearPath(plan.tree),
    cost: treeCost(planned.problem, plan.tree),
    slices: {
      indices: plan.indices.map((i) => planned.problem.names[i]),
      count: plan.count,
      cost: { flops: plan.slicedCost, size: perSlice.size, write: perSlice.write * count, log2Flops: log2Big(plan.slicedCost), log2Size: perSlice.log2Size },
      overhead: plan.overhead,
    },
  };
}

/** Plans every statement of an analyzed program and lowers it. */
export function planAnalyzed(program: Program, options: BuildOptions, source?: string): PlannedProgram {
  const pathOptions: PathOptions = {};
  if (options.optimizer !== undefined) pathOptions.optimizer = options.optimizer;
  if (options.memoryLimit !== undefined) pathOptions.memoryLimit = options.memoryLimit;
  // Builds are byte-identical on any machine: plans use fixed work, not time budgets,
  // unless the caller asks for a time budget.
  if (options.maxTimeMs !== undefined) pathOptions.maxTimeMs = options.maxTimeMs;
  else pathOptions.deterministic = true;
  const planned = program.statements.map((s) => s.terms.map((t) => withSlices(planContraction(t.network, pathOptions), options.memoryLimit)));
  const plans = program.statements.map((s, i) => lower(s, planned[i], program));
  const spec = buildModuleSpec(program, planned, { target: options.target, dtype: options.dtype, source });
  return { program, planned, plans, spec };
}

/** The most elements one CPU tensor may have (the runtime keeps element offsets in int32). */
export const CPU_MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * One `limit/too-large` error per statement whose plan needs a tensor over CPU_MAX_ELEMENTS
 * with fixed dims alone, so the build fails with a span instead of every call throwing.
 * Tensors with symbolic dims are checked at call time, when their size is known.
 */
export function cpuSizeDiagnostics(program: Program, plans: readonly KernelPlan[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  plans.forEach((plan, i) => {
    const fixed = new Map(plan.dims.map((d) => [d.name, d.symbolic ? undefined : d.size]));
    for (const b of plan.buffers) {
      const sizes = b.dims.map((d) => fixed.get(d));
      if (sizes.some((x) => x === undefined)) continue;
      const n = sizes.reduce((p: bigint, x) => p * BigInt(x!), 1n);
      if (n <= BigInt(CPU_MAX_ELEMENTS)) continue;
      const statement = program.statements[i];
      const what = b.role === 'output' ? 'its output' : b.role === 'input' ? `input \`${b.name}\`` : 'an intermediate';
      const hint = b.role === 'temp' ? '; a --memory-limit slices intermediates' : '';
      out.push({
        code: 'limit/too-large',
        severity: 'error',
        message: `\`${statement.name}\` needs a tensor of ${n} elements (${what}, [${b.dims.join(', ')}]), more than the ${CPU_MAX_ELEMENTS} the CPU target supports${hint}`,
        span: statement.span ?? { start: 0, end: 0 },
      });
      return;
    }
  });
  return out;
}

/** analyze → plan → lower. The value is undefined when the source has errors. */
export function planProgram(text: string, path: string, options: BuildOptions): StageResult<PlannedProgram | undefined> {
  const analyzed = analyze(SourceFile.from(path, text));
  if (analyzed.value === undefined || hasErrors(analyzed.diagnostics)) return { value: undefined, diagnostics: analyzed.diagnostics };
  return { value: planAnalyzed(analyzed.value, options, path), diagnostics: analyzed.diagnostics };
}

/**
 * Builds the module text for a `.tn` source. Diagnostics carry spans into `text`; the value
 * is undefined when there are errors.
 */
export function buildModule(text: string, path: string, options: BuildOptions): StageResult<EmittedModule | undefined> {
  const planned = planProgram(text, path, options);
  if (planned.value === undefined) return { value: undefined, diagnostics: planned.diagnostics };
  const emitter = EMITTERS[options.target];
  if (emitter === undefined) {
    const d: Diagnostic = {
      code: 'unsupported/target',
      severity: 'error',
      message: `target '${options.target}' has no emitter in this build; valid targets: ${Object.keys(EMITTERS).filter((t) => EMITTERS[t as Target]).join(', ')}`,
      span: { start: 0, end: 0 },
    };
    return { value: undefined, diagnostics: [...planned.diagnostics, d] };
  }
  if (options.target === 'webgpu' && options.dtype === 'f64') {
    const d: Diagnostic = {
      code: 'unsupported/dtype',
      severity: 'error',
      message: "WebGPU has no f64 arithmetic: build --target webgpu with --dtype f32",
      span: { start: 0, end: 0 },
    };
    return { value: undefined, diagnostics: [...planned.diagnostics, d] };
  }
  const { program, plans, spec } = planned.value;
  const slicedAt = program.statements.findIndex((_, i) => (plans[i].loops?.length ?? 0) > 0);
  if (options.target !== 'cpu' && slicedAt >= 0) {
    // Sliced plans (memory limits) run on the CPU runtime; other backends do not loop yet.
    const d: Diagnostic = {
      code: 'unsupported/sliced',
      severity: 'error',
      message: `\`${program.statements[slicedAt].name}\` needs slicing to fit the memory limit, which only the cpu target runs; raise --memory-limit or build --target cpu`,
      span: program.statements[slicedAt].span ?? { start: 0, end: 0 },
    };
    return { value: undefined, diagnostics: [...planned.diagnostics, d] };
  }
  if (options.target === 'cpu') {
    const tooLarge = cpuSizeDiagnostics(program, plans);
    if (tooLarge.length > 0) return { value: undefined, diagnostics: [...planned.diagnostics, ...tooLarge] };
  }
  return { value: emitter(program, plans, { dtype: options.dtype, spec, source: path }), diagnostics: planned.diagnostics };
}
