// The computation of the example app, kept apart from the page so it also runs in Node
// (the tests import this chunk from the Vite build). `./model.tn` is compiled at build time
// by the tnc plugin; `./model.tn?target=webgpu` is the same model compiled for WebGPU.
import { X, total, spec } from './model.tn';

/** Deterministic inputs for every tensor the model reads: a smooth pattern, no randomness. */
export function makeInputs(modelSpec) {
  const Float = modelSpec.dtype === 'f64' ? Float64Array : Float32Array;
  const inputs = {};
  modelSpec.inputs.forEach((input, t) => {
    const n = input.shape.reduce((a, b) => a * Number(b), 1);
    const data = new Float(n);
    for (let e = 0; e < n; e++) data[e] = 0.5 + Math.sin(0.7 * e + 1.3 * t + 0.1);
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

/**
 * Runs the model on WebGPU through `gpu` (the browser's `navigator.gpu` by default, or any
 * object with the same interface); resolves to undefined when no adapter is available.
 */
export async function runWebGpu(gpu = globalThis.navigator?.gpu, adapterOptions = {}) {
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter(adapterOptions);
  if (!adapter) return undefined;
  const device = await adapter.requestDevice();
  const gpuModel = await import('./model.tn?target=webgpu');
  const model = await gpuModel.create(device);
  try {
    const inputs = makeInputs(gpuModel.spec);
    const start = globalThis.performance?.now() ?? 0;
    const x = await model.X(inputs, undefined, { read: true });
    const t = await model.total(inputs, undefined, { read: true });
    const ms = (globalThis.performance?.now() ?? 0) - start;
    return { backend: 'webgpu', spec: gpuModel.spec, inputs, X: x, total: t[0], ms };
  } finally {
    model.destroy();
    device.destroy();
  }
}
