// The example page: runs the imported .tn model and shows the result.
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

const { runCpu } = await import('./compute.js');
const cpu = runCpu();
show('CPU', [
  `model: ${cpu.spec.outputs.map((o) => `${o.name}[${o.dims.join(',')}]`).join(', ')} from ${cpu.spec.inputs.map((i) => i.name).join(', ')}`,
  `X[0,0,0..3] = ${Array.from(cpu.X.slice(0, 4), (v) => v.toFixed(5)).join(', ')}`,
  `total = ${cpu.total.toFixed(5)}`,
  `time: ${cpu.ms.toFixed(2)} ms`,
]);
document.body.dataset.total = String(cpu.total);
document.body.dataset.status = 'done';
