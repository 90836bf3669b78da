// The example page: runs the imported .tn model on the CPU, then on WebGPU when the browser
// has it, and shows both results.
const out = document.getElementById('out');

function show(title, lines) {
  const section = document.createElement('section');
  const h = document.createElement('h2');
  h.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = lines.join('\n');
  section.append(h, pre);
  out.append(section);
}

function summary(r) {
  return [
    `model: ${r.spec.outputs.map((o) => `${o.name}[${o.dims.join(',')}]`).join(', ')} from ${r.spec.inputs.map((i) => i.name).join(', ')}`,
    `X[0,0,0..3] = ${Array.from(r.X.slice(0, 4), (v) => v.toFixed(5)).join(', ')}`,
    `total = ${r.total.toFixed(5)}`,
    `time: ${r.ms.toFixed(2)} ms`,
  ];
}

const { runCpu, runWebGpu } = await import('./compute.js');
const cpu = runCpu();
show('CPU', summary(cpu));
document.body.dataset.cpuTotal = String(cpu.total);
try {
  const gpu = await runWebGpu();
  if (gpu) {
    show('WebGPU', summary(gpu));
    document.body.dataset.gpuTotal = String(gpu.total);
  } else {
    show('WebGPU', ['not available in this browser (navigator.gpu or an adapter is missing)']);
  }
} catch (e) {
  show('WebGPU', [`failed: ${e instanceof Error ? e.message : String(e)}`]);
}
document.body.dataset.status = 'done';
