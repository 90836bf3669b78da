// A plain, obviously-correct einsum evaluator: one loop over every assignment of every index,
// in float64. Slow on purpose; used as the independent reference in property tests.

export interface DenseTensor {
  shape: number[];
  data: Float64Array | Float32Array | number[];
}

/**
 * Evaluates `inputs` (index lists per operand, repeats allowed) into `output` indices.
 * `sizes` maps every index to its size. Returns a row-major Float64Array.
 */
export function referenceEinsum(
  inputs: string[][],
  output: string[],
  operands: DenseTensor[],
  sizes?: Record<string, number>,
): Float64Array {
  const dims: Record<string, number> = { ...(sizes ?? {}) };
  inputs.forEach((ixs, t) => ixs.forEach((ix, a) => (dims[ix] = operands[t].shape[a])));
  const all = [...new Set([...inputs.flat(), ...output])];
  const outSize = output.reduce((p, ix) => p * dims[ix], 1);
  const result = new Float64Array(outSize);
  const value: Record<string, number> = {};
  for (const ix of all) value[ix] = 0;
  const total = all.reduce((p, ix) => p * dims[ix], 1);
  if (total === 0) return result;
  for (let count = 0; count < total; count++) {
    // Decode `count` into one assignment (last index fastest).
    let rem = count;
    for (let k = all.length - 1; k >= 0; k--) {
      const ix = all[k];
      value[ix] = rem % dims[ix];
      rem = Math.floor(rem / dims[ix]);
    }
    let prod = 1;
    for (let t = 0; t < inputs.length; t++) {
      let off = 0;
      for (let a = 0; a < inputs[t].length; a++) off = off * operands[t].shape[a] + value[inputs[t][a]];
      prod *= Number(operands[t].data[off]);
    }
    let o = 0;
    for (const ix of output) o = o * dims[ix] + value[ix];
    result[o] += prod;
  }
  return result;
}

/** Parses 'ab,bc->ac' into index lists (single characters, explicit output required). */
export function splitEquation(eq: string): { inputs: string[][]; output: string[] } {
  const [lhs, rhs] = eq.split('->');
  return {
    inputs: lhs.split(',').map((t) => [...t.trim()]),
    output: [...(rhs ?? '').trim()],
  };
}

/** Max |a-b| / (1 + |b|) over elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
