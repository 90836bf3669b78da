// The user-facing interfaces as an outside user meets them (DESIGN.md "Interfaces that users
// and tests rely on"): regression tests for defects found by checking the CLI, the library
// API and generated modules from the outside.
import { describe, expect, test } from 'vitest';
import { compile } from '../src/api/compile.js';
import { referenceEinsum } from './helpers/reference-einsum.js';

type Fn = (inputs: Record<string, Float64Array | Float32Array>, dims?: Record<string, number>, out?: Float64Array | Float32Array) => Float64Array | Float32Array;

describe('names that are Object.prototype members', () => {
  const source = [
    'dim toString = 2, valueOf ~ 3',
    'input constructor[toString, valueOf], __proto__[valueOf]',
    'out hasOwnProperty[valueOf] = constructor[toString, valueOf] __proto__[valueOf]',
  ].join('\n');

  test('dims and tensors named toString/valueOf/constructor/__proto__ compile and compute', () => {
    const m = compile(source, { dtype: 'f64' });
    const f = m.functions[m.spec.outputs[0].export] as Fn;
    const c = Float64Array.from({ length: 6 }, (_, k) => k + 1);
    const p = Float64Array.from([2, -1, 0.5]);
    const inputs = { ['constructor']: c, ['__proto__']: p };
    const got = f(inputs, { valueOf: 3 });
    const want = referenceEinsum([['t', 'v'], ['v']], ['v'], [{ shape: [2, 3], data: c }, { shape: [3], data: p }]);
    expect([...got]).toEqual([...want]);
    // An empty dims object must not read Object.prototype.toString as the fixed dim's value.
    expect([...f(inputs, { valueOf: 3, toString: 2 })]).toEqual([...want]);
  });

  test('a missing input named after a prototype member is reported as missing', () => {
    const m = compile(source, { dtype: 'f64' });
    const f = m.functions[m.spec.outputs[0].export] as Fn;
    expect(() => f({ ['__proto__']: new Float64Array(3) }, { valueOf: 3 })).toThrow(/missing input 'constructor'/);
  });
});
