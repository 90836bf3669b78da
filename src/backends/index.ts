// Backends: contraction trees → kernel plans (lower) → module text (emitCpu, emitWebGpu).
// Takes a Program with its planned contractions; returns KernelPlans (plain JSON: buffers
// with dim-name shapes, permute/gemm/einsum/axpy/fill steps, slots, slice loops) and the
// emitted ES module plus `.d.ts`. The CPU runtime runs plans directly for compile()/einsum().

export { lower, lowerNetwork, lowerTerms, MIN_BATCHED_GEMM_WORK, type LowerContext, type LowerTerm } from './lower.js';
export {
  planEvents,
  printPlan,
  stepBuffers,
  validatePlan,
  type AxpyStep,
  type BufferDecl,
  type EinsumStep,
  type FillStep,
  type GemmStep,
  type KernelPlan,
  type PermuteStep,
  type PinnedAxis,
  type PlanEvent,
  type SliceLoop,
  type Step,
} from './plan.js';
export { buildModuleSpec, exportNames, specJson, SPEC_DTS, type ModuleSpec, type SpecDim, type SpecInput, type SpecOutput, type SpecStatement, type SpecTerm } from './module-spec.js';
export { CodeWriter, NameTable } from './code-writer.js';
export { emitCpu, type CpuEmitOptions, type EmittedModule } from './cpu/emit.js';
export { createRunner, createRunners, type Dtype, type Runner } from './cpu/runtime.js';
export { interpret } from './cpu/interpret.js';
export type { FloatArray } from './cpu/kernels.js';
export { emitWebGpu } from './webgpu/emit.js';
