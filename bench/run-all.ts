// `npm run bench`: every benchmark in turn — contraction orders (bench:paths), CPU kernels and
// models (bench:cpu) and WebGPU (bench:webgpu). Extra arguments go to each (e.g. `-- --quick`).
// Each prints its own ratios against peers measured in the same run.
import { spawnSync } from 'node:child_process';

const benches = ['bench/paths.ts', 'bench/cpu.ts', 'bench/webgpu.ts'];
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
