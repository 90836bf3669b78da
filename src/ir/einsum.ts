// Einsum equations ('ab,bc->ac') plus shapes → a TensorNetwork. Any character other than
// ',', '-', '>', '.', and whitespace is an index, so every Unicode letter works (as in
// opt_einsum beyond 52 indices). Without '->' the output is numpy's implicit one: the
// indices that appear exactly once, in code-point order.

import { countNoun, error, type Diagnostic, type StageResult } from '../diagnostics.js';
import type { TensorNetwork } from './network.js';

export interface ParsedEquation {
  inputs: string[][];
  output: string[];
  /** Start offset of each input term in the equation text, for error spans. */
  inputOffsets: number[];
  /** Offset of every index character, per term (inputs, then the output). */
  indexOffsets: number[][];
  outputOffsets: number[];
}

/** Splits an equation into terms of indices; reports misplaced characters with spans. */
export function parseEquation(eq: string): StageResult<ParsedEquation> {
  const diagnostics: Diagnostic[] = [];
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 2) >= 0) {
    const second = eq.indexOf('->', arrow + 2);
    diagnostics.push(error('einsum/syntax', "an equation has at most one '->'", { start: second, end: second + 2 }));
  }
  const lhsEnd = arrow >= 0 ? arrow : eq.length;
  const inputs: string[][] = [];
  const inputOffsets: number[] = [];
  const indexOffsets: number[][] = [];
  let current: string[] = [];
  let currentOffsets: number[] = [];
  let termStart = 0;
  const scan = (from: number, to: number, into: string[], offsets: number[], allowComma: boolean): void => {
    for (let i = from; i < to; ) {
      const cp = eq.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const width = ch.length;
      if (/\s/u.test(ch)) {
        i += width;
        continue;
      }
      if (ch === ',' && allowComma) {
        inputs.push(current);
        inputOffsets.push(termStart);
        indexOffsets.push(currentOffsets);
        current = [];
        currentOffsets = [];
        termStart = i + 1;
        into = current;
        offsets = currentOffsets;
      } else if (ch === '.') {
        diagnostics.push(error('unsupported/ellipsis', "broadcasting with '...' is not supported; name every index", { start: i, end: i + 1 }));
      } else if (ch === ',' || ch === '-' || ch === '>') {
        diagnostics.push(error('einsum/syntax', `unexpected '${ch}' in ${allowComma ? 'the inputs' : 'the output'}`, { start: i, end: i + 1 }));
      } else {
        into.push(ch);
        offsets.push(i);
      }
      i += width;
    }
  };
  scan(0, lhsEnd, current, currentOffsets, true);
  inputs.push(current);
  inputOffsets.push(termStart);
  indexOffsets.push(currentOffsets);
  let output: string[];
  const outputOffsets: number[] = [];
  if (arrow >= 0) {
    output = [];
    scan(arrow + 2, eq.length, output, outputOffsets, false);
    const seen = new Map<string, number>();
    output.forEach((ix, k) => {
      if (seen.has(ix)) {
        diagnostics.push(error('einsum/repeated-output', `output index '${ix}' appears twice`, { start: outputOffsets[k], end: outputOffsets[k] + ix.length }));
      }
      seen.set(ix, k);
    });
    const all = new Set(inputs.flat());
    output.forEach((ix, k) => {
      if (!all.has(ix)) {
        diagnostics.push(error('einsum/unknown-output', `output index '${ix}' does not appear in any input`, { start: outputOffsets[k], end: outputOffsets[k] + ix.length }));
      }
    });
  } else {
    const count = new Map<string, number>();
    for (const t of inputs) for (const ix of t) count.set(ix, (count.get(ix) ?? 0) + 1);
    output = [...count.entries()].filter(([, c]) => c === 1).map(([ix]) => ix);
    output.sort((a, b) => (a.codePointAt(0)! - b.codePointAt(0)!));
  }
  return { value: { inputs, output, inputOffsets, indexOffsets, outputOffsets }, diagnostics };
}

/**
 * Builds a network from an equation and one shape per input; tensors are named `T0, T1, …`.
 * Reports operand-count, rank and size mismatches naming the operand, the index and both sizes.
 *
 * Example: `einsumNetwork('ab,bc->ac', [[2,3],[3,4]])` gives sizes `{a:2,b:3,c:4}`.
 */
export function einsumNetwork(eq: string, shapes: readonly (readonly number[])[]): StageResult<TensorNetwork | undefined> {
  const parsed = parseEquation(eq);
  const diagnostics = [...parsed.diagnostics];
  const whole = { start: 0, end: Math.max(1, eq.length) };
  if (diagnostics.length > 0) return { value: undefined, diagnostics };
  const { inputs, output, indexOffsets, inputOffsets } = parsed.value;
  if (inputs.length !== shapes.length) {
    diagnostics.push(error('einsum/operand-count', `the equation has ${countNoun(inputs.length, 'input term')} but ${countNoun(shapes.length, 'shape was', 'shapes were')} given`, whole));
    return { value: undefined, diagnostics };
  }
  const sizes: Record<string, number> = {};
  const firstSeen: Record<string, string> = {};
  for (let t = 0; t < inputs.length; t++) {
    const term = inputs[t];
    const shape = shapes[t];
    const termSpan = { start: inputOffsets[t], end: Math.max(inputOffsets[t] + 1, (indexOffsets[t].at(-1) ?? inputOffsets[t]) + 1) };
    if (term.length !== shape.length) {
      diagnostics.push(error('einsum/rank', `operand ${t} has ${countNoun(term.length, 'index', 'indices')} '${term.join('')}' but its shape [${shape.join(', ')}] has ${countNoun(shape.length, 'axis', 'axes')}`, termSpan));
      continue;
    }
    for (let a = 0; a < term.length; a++) {
      const ix = term[a];
      const size = shape[a];
      const span = { start: indexOffsets[t][a], end: indexOffsets[t][a] + ix.length };
      if (!Number.isSafeInteger(size) || size < 1) {
        diagnostics.push(error('einsum/bad-size', `operand ${t}, axis ${a} (index '${ix}'): size ${size} is not a positive safe integer`, span));
        continue;
      }
      if (sizes[ix] === undefined) {
        sizes[ix] = size;
        firstSeen[ix] = `operand ${t}, axis ${a}`;
      } else if (sizes[ix] !== size) {
        diagnostics.push(error('einsum/size-conflict', `index '${ix}' has size ${size} at operand ${t}, axis ${a}, but size ${sizes[ix]} at ${firstSeen[ix]}`, span));
      }
    }
  }
  if (diagnostics.length > 0) return { value: undefined, diagnostics };
  return {
    value: { tensors: inputs.map((indices, i) => ({ name: `T${i}`, indices })), output, sizes },
    diagnostics,
  };
}
