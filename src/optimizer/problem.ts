// ContractionProblem: the interned, array-based form every optimizer sees. Index labels are
// numbered 0..m-1; tensors are lists of index ids in axis order (repeats allowed).

import type { TensorNetwork } from '../ir/network.js';

export interface ContractionProblem {
  /** Per input tensor, its index ids in axis order (an id may repeat: trace/diagonal). */
  inputs: number[][];
  /** Output index ids, in order. */
  output: number[];
  /** Planning size of each index id. */
  sizes: number[];
  /** Label of each index id, for printing. */
  names: string[];
  /** Per index id: bound at call time (symbolic dims). Absent means none are symbolic. */
  symbolic?: boolean[];
}

/**
 * Interns a network's index labels in order of first appearance (inputs, then output).
 * Example: `ab,bc->ac` gives inputs [[0,1],[1,2]], output [0,2].
 */
export function toProblem(net: TensorNetwork): ContractionProblem {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const intern = (ix: string): number => {
    let id = ids.get(ix);
    if (id === undefined) {
      id = names.length;
      ids.set(ix, id);
      names.push(ix);
    }
    return id;
  };
  const inputs = net.tensors.map((t) => t.indices.map(intern));
  const output = net.output.map(intern);
  const sizes = names.map((n) => net.sizes[n]);
  const sym = new Set(net.symbolic ?? []);
  const problem: ContractionProblem = { inputs, output, sizes, names };
  if (sym.size > 0) problem.symbolic = names.map((n) => sym.has(n));
  return problem;
}

/** Builds a problem directly from index-id lists (tests, JSON networks). */
export function makeProblem(inputs: number[][], output: number[], sizes: number[], names?: string[]): ContractionProblem {
  return { inputs, output, sizes, names: names ?? sizes.map((_, i) => `i${i}`) };
}
