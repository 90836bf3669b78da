// The computation of the example app, kept apart from the page so it also runs in Node
// (the test imports this chunk from the Vite build). `./model.tn` is compiled at build time
// by the tnc plugin; its functions take named row-major typed arrays.
import { X, total, spec } from './model.tn';

/** Deterministic inputs for every tensor the model reads: a smooth pattern, no randomness. */
export function makeInputs(modelSpec) {
  const Float = modelSpec.dtype === 'f64' ? Float64Array : Float32Array;
  const inputs = {};
  modelSpec.inputs.forEach((input, t) => {
    const n = input.shape.reduce((a, b) => a * Number(b), 1);
    const data = new Float(n);
    for (let e = 0; e < n; e++) data[e] = Math.sin(0.7 * e + 1.3 * t + 0.1);
    inputs[input.name] = data;
  });
  return inputs;
}

/** Runs the model on the CPU: returns its inputs, both outputs and the time taken. */
export function runCpu() {
  const inputs = makeInputs(spec);
  const start = globalThis.performance?.now() ?? 0;
  const x = X(inputs);
  const t = total(inputs);
  const ms = (globalThis.performance?.now() ?? 0) - start;
  return { backend: 'cpu', spec, inputs, X: x, total: t[0], ms };
}
