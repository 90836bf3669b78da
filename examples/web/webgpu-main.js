// Runs a model built with `tnc build model.tn --target webgpu` in the browser: asks for an
// adapter, creates a device with the adapter's limits, compiles the model's pipelines once
// (create), fills the inputs with deterministic pseudo-random data, runs every `out` function
// and reads the results back. The outcome is shown on the page and left in `window.tncResult`
// (test/browser.test.ts reads it there and checks it against the CPU target).
import { create, spec } from './webgpu-gen/model.tn.js';

/** Deterministic data in [-1, 1) (mulberry32), so runs are reproducible. */
function randomData(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function finish(result) {
  window.tncResult = result;
  document.getElementById('status').textContent =
    result.status === 'ok' ? `Done on WebGPU in ${result.totalMs.toFixed(1)} ms.` : `${result.status}: ${result.message}`;
}

function show(rows) {
  const table = document.getElementById('results');
  table.innerHTML = '<tr><th>output</th><th>shape</th><th>ms</th><th>first values</th></tr>';
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const text of [r.name, `[${r.shape.join(', ')}]`, r.ms.toFixed(2), r.values.slice(0, 6).map((v) => v.toFixed(4)).join(', ')]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    table.appendChild(tr);
  }
}

async function main() {
  if (!('gpu' in navigator)) {
    return finish({ status: 'no-webgpu', message: `navigator.gpu is missing (secure context: ${window.isSecureContext}); this browser has no WebGPU enabled` });
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (adapter === null) return finish({ status: 'no-adapter', message: 'navigator.gpu.requestAdapter() returned null (Chromium needs --enable-unsafe-webgpu where WebGPU is not enabled by default)' });
  // The device defaults are far below what most adapters offer: ask for the adapter's limits.
  const requiredLimits = {};
  for (const key in adapter.limits) if (typeof adapter.limits[key] === 'number') requiredLimits[key] = adapter.limits[key];
  const device = await adapter.requestDevice({ requiredLimits });
  const t0 = performance.now();
  const model = await create(device);
  const compileMs = performance.now() - t0;

  const dims = {};
  for (const d of spec.dims) if (d.symbolic) dims[d.name] = d.hint;
  const sizeOf = (s) => (typeof s === 'number' ? s : dims[s]);
  const inputs = {};
  spec.inputs.forEach((inp, t) => {
    const n = inp.shape.map(sizeOf).reduce((p, x) => p * x, 1);
    inputs[inp.name] = randomData(n, 1000 + t);
  });

  const rows = [];
  const outputs = {};
  for (const out of spec.outputs) {
    const args = Object.fromEntries(out.inputs.map((name) => [name, inputs[name]]));
    const t1 = performance.now();
    const values = await model[out.export](args, dims, { read: true });
    const ms = performance.now() - t1;
    outputs[out.name] = Array.from(values);
    rows.push({ name: out.name, shape: out.shape.map(sizeOf), ms, values: outputs[out.name] });
  }
  show(rows);
  model.destroy();
  finish({
    status: 'ok',
    precision: model.precision,
    compileMs,
    totalMs: performance.now() - t0,
    dims,
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.from(v)])),
    outputs,
  });
}

main().catch((e) => finish({ status: 'error', message: String((e && e.message) || e) }));
