// Deterministic planning (what builds use): the same network gives the same tree whatever
// the clock says. The clock is made to race ahead to prove no time budget is consulted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planContraction } from '../src/optimizer/plan-contraction.js';
import { buildModule } from '../src/build.js';
import type { TensorNetwork } from '../src/ir/network.js';
import { main } from '../src/cli.js';
import type { CliIO } from '../src/cli/io.js';

/** A periodic 2-D grid of rank-4 tensors, bond size 3 (a PEPS-norm-like network). */
function grid(rows: number, cols: number): TensorNetwork {
  const tensors: TensorNetwork['tensors'] = [];
  const sizes: Record<string, number> = {};
  const h = (r: number, c: number) => `h${r}_${c}`;
  const v = (r: number, c: number) => `v${r}_${c}`;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ix = [h(r, c), h(r, (c + 1) % cols), v(r, c), v((r + 1) % rows, c)];
      for (const i of ix) sizes[i] = 3;
      tensors.push({ name: `T${r}_${c}`, indices: ix });
    }
  }
  return { tensors, output: [], sizes };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deterministic planning', () => {
  for (const [rows, cols] of [[2, 3], [4, 5], [8, 9]] as const) {
    it(`auto on a ${rows}x${cols} grid ignores the clock`, () => {
      const net = grid(rows, cols);
      const calm = planContraction(net, { deterministic: true });
      // Every clock read jumps a minute ahead: any time budget would be exhausted at once.
      let t = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (t += 60_000));
      const rushed = planContraction(net, { deterministic: true });
      expect(rushed.path).toEqual(calm.path);
      expect(rushed.cost.flops).toBe(calm.cost.flops);
    });
  }

  it('a rushed clock does change time-budgeted auto (so the test above can fail)', () => {
    const net = grid(8, 9);
    const calm = planContraction(net, { maxTimeMs: 2000 });
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 60_000));
    const rushed = planContraction(net, { maxTimeMs: 2000 });
    expect(rushed.cost.flops).toBeGreaterThan(calm.cost.flops);
  });

  for (const optimizer of ['optimal', 'dp', 'branch-all']) {
    it(`${optimizer} without a time budget gets a default one (no call can hang)`, () => {
      // A 4x5 grid is far beyond exhaustive search; a racing clock makes the default budget
      // run out at once, so this returns quickly only if a deadline is in force.
      let t = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (t += 60_000));
      const planned = planContraction(grid(4, 5), { optimizer });
      expect(planned.path).toHaveLength(19);
      expect(planned.tree.exhaustive).not.toBe(true);
    });
  }

  it('builds are byte-identical under a rushed clock', () => {
    const src = [
      'dim p = 2, a = 4, b = 4, c = 4, d = 4, e = 4',
      'param A[p, a], B[a, p, b], C[b, p, c], D[c, p, d], E[d, p, e], F[e, p]',
      'out n[] = A[p, a] B[a, p, b] C[b, p, c] D[c, p, d] E[d, p, e] F[e, p]',
    ].join('\n');
    const first = buildModule(src, 'chain.tn', { target: 'cpu', dtype: 'f64' }).value!;
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 60_000));
    const second = buildModule(src, 'chain.tn', { target: 'cpu', dtype: 'f64' }).value!;
    expect(second.js).toBe(first.js);
    expect(second.dts).toBe(first.dts);
  });

  it('tnc path --batch plans with fixed work: a rushed clock gives the same paths', async () => {
    const net = grid(5, 6);
    const eq = `${net.tensors.map((t) => t.indices.map((i) => String.fromCodePoint(0x4e00 + Object.keys(net.sizes).indexOf(i))).join('')).join(',')}->`;
    const line = JSON.stringify({ id: 'g', eq, shapes: net.tensors.map((t) => t.indices.map(() => 3)) });
    const run = async (): Promise<{ path: number[][]; flops: number }> => {
      const out: string[] = [];
      const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => out.push(t), readFile: () => line + '\n', writeFile: () => undefined, cwd: '.' };
      expect(await main(['path', '--batch', 'problems.jsonl'], io)).toBe(0);
      return JSON.parse(out.join('').trim());
    };
    const calm = await run();
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 60_000));
    const rushed = await run();
    expect(rushed.path).toEqual(calm.path);
    expect(rushed.flops).toBe(calm.flops);
  });
});
