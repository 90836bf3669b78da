// Regression tests for defects found by using tnc from the outside, exactly as DESIGN.md and
// the issues describe it (CLI, library API, generated modules), on inputs of our own.
import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from '../src/api/compile.js';
import { main } from '../src/cli.js';
import { nodeIO, type CliIO } from '../src/cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'tnc-qa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ...nodeIO, stdout: (t) => out.push(t), stderr: (t) => err.push(t), out, err };
}

type Fn = (inputs: Record<string, Float64Array | Float32Array>, dims?: Record<string, number>, out?: Float64Array | Float32Array) => Float64Array | Float32Array;

describe('statements named then or __proto__', () => {
  const source = 'dim i = 2\nparam a[i]\nout then[i] = a[i]\nout __proto__[i] = 2 * a[i]\n';
  const a = new Float64Array([1, 2]);

  test('a built module with `out then` imports (its namespace is no thenable) and computes', async () => {
    const file = join(dir, 'then.tn');
    writeFileSync(file, source);
    const io = captureIO();
    expect(await main(['build', file, '--dtype', 'f64', '--out', dir], io)).toBe(0);
    const mod = (await import(pathToFileURL(join(dir, 'then.tn.js')).href)) as Record<string, unknown> & {
      spec: { outputs: { name: string; export: string }[] };
    };
    expect(mod.then).toBeUndefined();
    const exports = Object.fromEntries(mod.spec.outputs.map((o) => [o.name, o.export]));
    expect(exports.then).not.toBe('then');
    expect(exports.__proto__).not.toBe('__proto__');
    expect([...(mod[exports.then] as Fn)({ a })]).toEqual([1, 2]);
    expect([...(mod[exports.__proto__] as Fn)({ a })]).toEqual([2, 4]);
  });

  test("compile()'s module is no thenable and keeps __proto__'s function as an own property", async () => {
    const mod = compile(source, { dtype: 'f64' });
    await expect(Promise.resolve(mod).then(() => 'resolved')).resolves.toBe('resolved');
    const exports = mod.spec.outputs.map((o) => o.export);
    for (const e of exports) {
      expect(Object.prototype.hasOwnProperty.call(mod, e)).toBe(true);
      expect(typeof mod[e]).toBe('function');
    }
    expect(Object.getPrototypeOf(mod)).not.toBeInstanceOf(Function);
  });
});
