// The IR stages: `check` resolves an Ast.Program (dims, tensors, families, comprehensions)
// into a CheckedProgram; `expand` flattens it into a Program of plain TensorNetworks over
// factor tensors; `buildGraph` gives the graphology incidence view of one network.
// Every stage returns `{ value, diagnostics }` and throws only on internal bugs.

export { check, MAX_UNROLL, type CheckedExpr, type CheckedProgram, type CheckedStatement, type CheckOptions, type TensorEntry } from './check.js';
export { expand, MAX_TERMS } from './expand.js';
export { buildGraph, networkFromGraph, components, type NetworkGraph } from './graph.js';
export {
  DEFAULT_SYMBOLIC_HINT,
  planningSize,
  printNetwork,
  type DimInfo,
  type DimSize,
  type FactorizedTensor,
  type FactorSpec,
  type NetworkTensor,
  type Program,
  type Statement,
  type TensorNetwork,
  type Term,
} from './network.js';
