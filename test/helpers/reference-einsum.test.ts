import { describe, expect, it } from 'vitest';
import { referenceEinsum, splitEquation } from './reference-einsum.js';

const t = (shape: number[], data: number[]) => ({ shape, data });

describe('referenceEinsum (checked by hand)', () => {
  it('matrix product', () => {
    const { inputs, output } = splitEquation('ab,bc->ac');
    const r = referenceEinsum(inputs, output, [t([2, 2], [1, 2, 3, 4]), t([2, 2], [5, 6, 7, 8])]);
    expect([...r]).toEqual([19, 22, 43, 50]);
  });
  it('trace and diagonal', () => {
    const m = t([2, 2], [1, 2, 3, 4]);
    expect([...referenceEinsum([['i', 'i']], [], [m])]).toEqual([5]);
    expect([...referenceEinsum([['i', 'i']], ['i'], [m])]).toEqual([1, 4]);
  });
  it('transpose, outer product and scalar', () => {
    expect([...referenceEinsum([['a', 'b']], ['b', 'a'], [t([2, 3], [1, 2, 3, 4, 5, 6])])]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...referenceEinsum([['a'], ['b']], ['a', 'b'], [t([2], [1, 2]), t([2], [3, 4])])]).toEqual([3, 4, 6, 8]);
    expect([...referenceEinsum([['a'], ['a']], [], [t([3], [1, 2, 3]), t([3], [4, 5, 6])])]).toEqual([32]);
  });
  it('hyperedge: three tensors share an index', () => {
    // sum_r u[r] v[r] w[r] = 1*4*7 + 2*5*8 + 3*6*9
    const r = referenceEinsum([['r'], ['r'], ['r']], [], [t([3], [1, 2, 3]), t([3], [4, 5, 6]), t([3], [7, 8, 9])]);
    expect([...r]).toEqual([28 + 80 + 162]);
  });
  it('batch index kept (Hadamard)', () => {
    const r = referenceEinsum([['b', 'i'], ['b', 'i']], ['b'], [t([2, 2], [1, 2, 3, 4]), t([2, 2], [1, 1, 2, 2])]);
    expect([...r]).toEqual([3, 14]);
  });
  it('index summed from a single operand, and size-1 dims', () => {
    const r = referenceEinsum([['a', 'b'], ['c']], ['c'], [t([1, 3], [1, 2, 3]), t([2], [10, 20])]);
    expect([...r]).toEqual([60, 120]);
  });
});
