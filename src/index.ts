// The public API of tnc. Explicit named exports only: the pipeline stages for tools, the
// three everyday entry points (contractPath, einsum, compile), building modules, and types.
//
//   contractPath('ab,bc,cd->ad', [[10,20],[20,30],[30,40]])   → { path, flops: 36000, size, … }
//   einsum('ij,jk->ik', a, b)                                 → { shape, data }
//   compile(source, { dtype: 'f64' })                          → { spec, functions, <out>: fn }

export { SourceFile, TncError, InternalError, render, type Diagnostic, type Span, type StageResult, type Severity } from './diagnostics.js';

// Front end: text → AST → checked program → flat Program of networks.
export { parse, printProgram } from './parser/index.js';
export type { Ast } from './parser/index.js';
export { check } from './ir/check.js';
export { expand } from './ir/expand.js';
export { analyze } from './frontend.js';
export { einsumNetwork, parseEquation } from './ir/einsum.js';
export { buildGraph, networkFromGraph, components, type NetworkGraph } from './ir/graph.js';
export type { TensorNetwork, Program, Statement, Term, FactorSpec, FactorizedTensor, DimInfo, DimSize } from './ir/network.js';
export { families, getFamily, type Family } from './ir/families/index.js';
export { describeFactorized, type FactorReport } from './ir/factor-report.js';
export { initParams, type InitOptions, type InitSpec, type InitModuleSpec } from './ir/init-params.js';

// Contraction orders.
export { contractPath } from './api/contract-path.js';
export type { PathInfo, PathStep } from './optimizer/contract-path.js';
export { planContraction, type PathOptions, type PlannedContraction } from './optimizer/plan-contraction.js';
export { listOptimizers, getOptimizer } from './optimizer/index.js';
export { toProblem, type ContractionProblem } from './optimizer/problem.js';
export { fromLinearPath, toLinearPath, validateTree, printTree, type ContractionTree, type LinearPath } from './optimizer/tree.js';
export { treeCost, type Cost } from './optimizer/cost.js';
export { createRegistry, type Optimizer, type OptimizeOptions, type Objective, type OptimizerRegistry } from './optimizer/registry.js';
export { symbolicCost, formatPolynomial, formatScaling, type Polynomial } from './optimizer/symbolic.js';

// Execution and code generation.
export { einsum, type EinsumOperand, type EinsumResult } from './api/einsum.js';
export { compile, type CompiledModule, type CompileOptions } from './api/compile.js';
export { setCpuThreads } from './api/threads.js';
export { buildModule, type BuildOptions, type Target, type Dtype } from './build.js';
export { lower } from './backends/lower.js';
export type { KernelPlan, Step } from './backends/plan.js';
export type { ModuleSpec } from './backends/module-spec.js';
