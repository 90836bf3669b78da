// Small helpers for tests that analyze .tn text and compare compiled results with the
// reference evaluator: analysis with error checks, seeded data, a relative error.
import { expect } from 'vitest';
import { SourceFile, type Diagnostic } from '../../src/diagnostics.js';
import { analyze } from '../../src/frontend.js';
import type { Program } from '../../src/ir/network.js';

/** Parses, checks and expands `text` as the file `t.tn`. */
export function analyzeText(text: string): { value: Program | undefined; diagnostics: Diagnostic[] } {
  return analyze(SourceFile.from('t.tn', text));
}

/** The program of `text`, asserting it has no errors. */
export function analyzeOk(text: string): Program {
  const r = analyzeText(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.value!;
}

/** `n` values in [-0.5, 0.5) from a linear congruential generator seeded with `seed`. */
export function seededData(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Largest |got − want| relative to the largest |want| (lengths must agree). */
export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let scale = 1e-300;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return worst;
}

/** Calls f for every multi-index of `shape`, last axis fastest. */
export function eachIndex(shape: readonly number[], f: (idx: number[]) => void): void {
  const total = shape.reduce((p, s) => p * s, 1);
  const idx = shape.map(() => 0);
  for (let c = 0; c < total; c++) {
    let rem = c;
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = rem % shape[a];
      rem = Math.floor(rem / shape[a]);
    }
    f(idx);
  }
}
