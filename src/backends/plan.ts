// KernelPlan: the imperative IR between the optimizer and the code emitters. `lower` makes
// every decision (GEMM or loop, permutations, buffer reuse); emitters only print it.
// Shapes are lists of dim names so symbolic dims resolve at call time.

/** A buffer: its dims in axis order (row-major). Element count = product of the dims' sizes. */
export interface BufferDecl {
  id: number;
  dims: string[];
  role: 'input' | 'output' | 'temp';
  /** Factor name for inputs. */
  name?: string;
  /**
   * Memory slot for temps: temps with disjoint lifetimes share a slot (sized to the largest).
   * Inputs and the output have no slot.
   */
  slot?: number;
}

/**
 * `dst` gets `src` with axes reordered: dst axis i is src axis `perm[i]`.
 */
export interface PermuteStep {
  kind: 'permute';
  src: number;
  dst: number;
  perm: number[];
}

/**
 * Batched matrix multiply over row-major buffers:
 * a is [batch, m, k] (or [batch, k, m] when transA), b is [batch, k, n] (or [batch, n, k]
 * when transB), c is [batch, m, n]. Each group is a list of dims whose sizes multiply.
 * `beta` 0 overwrites c, 1 accumulates into it; `alpha` scales the product.
 */
export interface GemmStep {
  kind: 'gemm';
  a: number;
  b: number;
  c: number;
  batch: string[];
  m: string[];
  n: string[];
  k: string[];
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: 0 | 1;
}

/**
 * Generic loop nest (fallback, traces, diagonals, reductions, Hadamard products):
 * out[outLabels] = alpha * sum over the other labels of prod_i input_i[labels_i]  (+ out if beta=1).
 * Labels are small integers; `labelDims[l]` is the dim of label l. Labels may repeat in an input.
 */
export interface EinsumStep {
  kind: 'einsum';
  inputs: { buffer: number; labels: number[] }[];
  out: number;
  outLabels: number[];
  labelDims: string[];
  alpha: number;
  beta: 0 | 1;
}

/** dst = alpha * src + beta * dst, elementwise over equal shapes (combining terms). */
export interface AxpyStep {
  kind: 'axpy';
  src: number;
  dst: number;
  alpha: number;
  beta: 0 | 1;
}

/** dst[:] = value (e.g. zero an accumulator). */
export interface FillStep {
  kind: 'fill';
  dst: number;
  value: number;
}

export type Step = PermuteStep | GemmStep | EinsumStep | AxpyStep | FillStep;

/** One compiled statement: the buffers and the steps that fill `output` from `inputs`. */
export interface KernelPlan {
  /** Statement name (unsanitised; emitters sanitise). */
  name: string;
  /** Every dim the plan uses: fixed size, or symbolic (bound at call time). */
  dims: { name: string; size?: number; symbolic: boolean }[];
  buffers: BufferDecl[];
  /** Input buffers, by factor name, in the order the statement first uses them. */
  inputs: { name: string; buffer: number }[];
  output: number;
  steps: Step[];
  /** Slot count for temps (see BufferDecl.slot). */
  slots: number;
}
