// Benchmark networks in JSON: cotengra's form `{inputs, output, size_dict}` (labels are
// strings, usually single Unicode characters) and OMEinsum's `{einsum: {ixs, iy}, size}`
// (integer labels, sizes keyed by the label written as a decimal string). Both become a
// TensorNetwork; labels that are not single characters are renamed to single characters in
// order of first appearance (OMEinsum's integer labels always), so the network also prints
// as an einsum equation.

import { error, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import type { TensorNetwork } from '../ir/network.js';

/** A parsed network file. */
export interface JsonNetwork {
  format: 'cotengra' | 'omeinsum';
  network: TensorNetwork;
  /** The network as an einsum equation, e.g. `ab,bc->ac`. */
  equation: string;
  shapes: number[][];
  /** The file's own label for each renamed index (absent when no label was renamed). */
  labels?: Record<string, string>;
}

const RESERVED = new Set([',', '-', '>', '.']);

/** The k-th single-character label: a–z, A–Z, then letters from U+00C0 on (skipping reserved ones). */
export function labelSymbol(k: number): string {
  const base = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (k < base.length) return base[k];
  let cp = 0xc0 + (k - base.length);
  if (cp >= 0xd800) cp += 0x800; // skip the surrogate range
  return String.fromCodePoint(cp);
}

function isSingleLabel(s: string): boolean {
  return [...s].length === 1 && !RESERVED.has(s) && !/\s/u.test(s);
}

/** A key or array position on the way from the document root to a value. */
type JsonPath = readonly (string | number)[];

function fail(file: SourceFile, message: string, code = 'network/format', at: JsonPath = []): never {
  const span = jsonSpan(file.text, at) ?? { start: 0, end: Math.min(file.text.length, 1) };
  throw new TncError([error(code, message, span)], file);
}

/**
 * The span of the value at `path` in a text that JSON.parse accepted (so the scanner may
 * assume valid JSON), or undefined when the path leads nowhere. Used only for error spans,
 * so the value is found by a plain scan instead of keeping positions for every value.
 */
export function jsonSpan(text: string, path: JsonPath): { start: number; end: number } | undefined {
  const ws = (i: number): number => {
    while (i < text.length && /\s/.test(text[i])) i++;
    return i;
  };
  const stringEnd = (i: number): number => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    return i + 1;
  };
  // Skips one value starting at i (no leading white space); iterative so deep nesting is safe.
  const valueEnd = (i: number): number => {
    let depth = 0;
    do {
      const c = text[i];
      if (c === '"') i = stringEnd(i);
      else if (c === '{' || c === '[') {
        depth++;
        i++;
      } else if (c === '}' || c === ']') {
        depth--;
        i++;
      } else if (c === ',' || c === ':' || /\s/.test(c)) i++;
      else {
        while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
      }
      if (depth > 0) i = ws(i);
    } while (depth > 0 && i < text.length);
    return i;
  };
  let i = ws(0);
  for (const key of path) {
    const open = text[i];
    if ((typeof key === 'number' && open !== '[') || (typeof key === 'string' && open !== '{')) return undefined;
    i = ws(i + 1);
    let found = false;
    for (let k = 0; text[i] !== ']' && text[i] !== '}' && i < text.length; k++) {
      let match = k === key;
      if (open === '{') {
        const end = stringEnd(i);
        match = JSON.parse(text.slice(i, end)) === key;
        i = ws(ws(end) + 1);
      }
      if (match) {
        found = true;
        break;
      }
      i = ws(valueEnd(i));
      if (text[i] === ',') i = ws(i + 1);
    }
    if (!found) return undefined;
  }
  return { start: i, end: valueEnd(i) };
}

/** Offset of a JSON.parse error, when the engine reports one. */
function jsonErrorOffset(message: string, text: string): number {
  const m = /position (\d+)/.exec(message);
  if (m) return Math.min(Number(m[1]), text.length);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const file = SourceFile.from('', text);
    return (file.lineStarts[Number(lc[1]) - 1] ?? 0) + Number(lc[2]) - 1;
  }
  return 0;
}

/** Parses a cotengra or OMEinsum network file; errors are TncErrors naming the file. */
export function parseNetworkJson(text: string, path: string): JsonNetwork {
  const file = SourceFile.from(path, text);
  let data: unknown;
  try {
    // A byte-order mark (Windows editors write one) is no JSON; a space keeps every offset.
    data = JSON.parse(text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = jsonErrorOffset(msg, text);
    const d: Diagnostic = error('network/json', `not valid JSON: ${msg}`, { start: at, end: Math.min(text.length, at + 1) || 1 });
    throw new TncError([d], file);
  }
  if (typeof data !== 'object' || data === null) fail(file, 'a network file is a JSON object');
  const obj = data as Record<string, unknown>;
  let rawInputs: unknown;
  let rawOutput: unknown;
  let rawSizes: unknown;
  let format: JsonNetwork['format'];
  // Where each part sits in the document, for error spans.
  let inputsAt: JsonPath;
  let outputAt: JsonPath;
  let sizesAt: JsonPath;
  if ('inputs' in obj) {
    format = 'cotengra';
    rawInputs = obj.inputs;
    rawOutput = obj.output ?? [];
    rawSizes = obj.size_dict;
    [inputsAt, outputAt, sizesAt] = [['inputs'], ['output'], ['size_dict']];
  } else if ('einsum' in obj || 'ixs' in obj) {
    format = 'omeinsum';
    const nested = 'einsum' in obj;
    const e = ((nested ? obj.einsum : obj) ?? {}) as Record<string, unknown>;
    rawInputs = e.ixs;
    rawOutput = e.iy ?? [];
    rawSizes = obj.size;
    [inputsAt, outputAt, sizesAt] = nested ? [['einsum', 'ixs'], ['einsum', 'iy'], ['size']] : [['ixs'], ['iy'], ['size']];
  } else {
    fail(file, "unknown network format: expected cotengra's {inputs, output, size_dict} or OMEinsum's {einsum: {ixs, iy}, size}");
  }
  const toLabelList = (x: unknown, what: string, at: JsonPath): string[] => {
    if (typeof x === 'string') return [...x];
    if (!Array.isArray(x)) fail(file, `${what} must be a list of labels`, 'network/format', at);
    return x.map((l, j) => {
      if (typeof l === 'string' || (typeof l === 'number' && Number.isInteger(l))) return String(l);
      fail(file, `${what} has a label ${JSON.stringify(l)} that is neither a string nor an integer`, 'network/format', [...at, j]);
    });
  };
  if (!Array.isArray(rawInputs)) fail(file, `${format === 'cotengra' ? 'inputs' : 'einsum.ixs'} must be a list of tensors`, 'network/format', inputsAt);
  const inputs = rawInputs.map((t, k) => toLabelList(t, `tensor ${k}`, [...inputsAt, k]));
  const outputName = format === 'cotengra' ? 'output' : 'einsum.iy';
  const output = toLabelList(rawOutput, outputName, outputAt);
  if (typeof rawSizes !== 'object' || rawSizes === null || Array.isArray(rawSizes)) {
    fail(file, `${format === 'cotengra' ? 'size_dict' : 'size'} must be an object from label to size`, 'network/format', sizesAt);
  }
  const sizeOf = rawSizes as Record<string, unknown>;
  // Rename when any label is not a single usable character.
  const all: string[] = [];
  const seen = new Set<string>();
  for (const l of [...inputs.flat(), ...output]) {
    if (!seen.has(l)) {
      seen.add(l);
      all.push(l);
    }
  }
  // OMEinsum labels are integers: always renamed (step 7 of the benchmark README).
  const rename = format === 'omeinsum' || !all.every(isSingleLabel);
  const name = new Map(all.map((l, k) => [l, rename ? labelSymbol(k) : l]));
  const firstUse = (l: string): JsonPath => {
    for (let k = 0; k < inputs.length; k++) {
      const j = inputs[k].indexOf(l);
      if (j >= 0) return [...inputsAt, k, j];
    }
    return [...outputAt, output.indexOf(l)];
  };
  const sizes: Record<string, number> = {};
  for (const l of all) {
    const s = Object.hasOwn(sizeOf, l) ? sizeOf[l] : undefined;
    if (s === undefined) fail(file, `label ${JSON.stringify(l)} has no size`, 'network/size', firstUse(l));
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1) {
      fail(file, `label ${JSON.stringify(l)} has size ${JSON.stringify(s)}, not a positive safe integer`, 'network/size', [...sizesAt, l]);
    }
    sizes[name.get(l)!] = s;
  }
  output.forEach((l, j) => {
    if (!inputs.some((t) => t.includes(l))) fail(file, `output label ${JSON.stringify(l)} appears in no tensor`, 'network/output', [...outputAt, j]);
    if (output.indexOf(l) !== j) fail(file, `output label ${JSON.stringify(l)} appears twice in ${outputName}`, 'network/output', [...outputAt, j]);
  });
  const network: TensorNetwork = {
    tensors: inputs.map((t, k) => ({ name: `T${k}`, indices: t.map((l) => name.get(l)!) })),
    output: output.map((l) => name.get(l)!),
    sizes,
  };
  const equation = `${network.tensors.map((t) => t.indices.join('')).join(',')}->${network.output.join('')}`;
  const shapes = network.tensors.map((t) => t.indices.map((l) => sizes[l]));
  const labels = rename ? Object.fromEntries(all.map((l) => [name.get(l)!, l])) : undefined;
  return { format, network, equation, shapes, ...(labels ? { labels } : {}) };
}
