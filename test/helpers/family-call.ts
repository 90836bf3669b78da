// Test helpers for family plug-ins without the real parser: a tiny reader for the argument
// syntax `tt(legs: [a, b], rank: 2)` that produces a FamilyCall with real spans into the text,
// and a FamilyContext that records fresh dims and diagnostics.

import type { Diagnostic } from '../../src/diagnostics.js';
import type { FamilyArg, FamilyCall, FamilyContext, FamilyExpansion, FamilyValue } from '../../src/ir/families/types.js';
import { getFamily } from '../../src/ir/families/index.js';
import type { DimInfo, FactorizedTensor } from '../../src/ir/network.js';

/** Reads `name(args)` into a FamilyCall for tensor `tensorName`. Throws on malformed test input. */
export function parseCall(text: string, tensorName = 'W'): FamilyCall {
  const tokens: { text: string; start: number; end: number }[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+(?:\.\d+)?)|([()[\],:]))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    const t = m[1] ?? m[2] ?? m[3];
    const end = re.lastIndex;
    tokens.push({ text: t, start: end - t.length, end });
  }
  let p = 0;
  const peek = () => tokens[p]?.text;
  const next = () => tokens[p++];
  const expect = (s: string) => {
    const t = next();
    if (t?.text !== s) throw new Error(`test call syntax: expected '${s}' at ${t?.start}`);
    return t;
  };
  const value = (): FamilyValue => {
    const t = next();
    if (t.text === '[' || t.text === '(') {
      const close = t.text === '[' ? ']' : ')';
      const items: FamilyValue[] = [];
      while (peek() !== close) {
        items.push(value());
        if (peek() === ',') next();
      }
      const c = expect(close);
      return { kind: 'list', bracket: t.text, items, span: { start: t.start, end: c.end } };
    }
    if (/^-?\d/.test(t.text)) return { kind: 'number', value: Number(t.text), span: { start: t.start, end: t.end } };
    return { kind: 'name', name: t.text, span: { start: t.start, end: t.end } };
  };
  const head = next();
  expect('(');
  const args: FamilyArg[] = [];
  while (peek() !== ')') {
    const start = tokens[p].start;
    let name: string | undefined;
    if (tokens[p + 1]?.text === ':') {
      name = next().text;
      next();
    }
    const v = value();
    args.push(name === undefined ? { value: v, span: v.span } : { name, value: v, span: { start, end: v.span.end } });
    if (peek() === ',') next();
  }
  const close = expect(')');
  return { family: head.text, tensorName, args, span: { start: head.start, end: close.end } };
}

/** A FamilyContext over fixed dims (`'sym'` marks a symbolic dim) that records what the family does. */
export function testContext(dims: Record<string, number | 'sym'>) {
  const infos = new Map<string, DimInfo>();
  const sizes: Record<string, number> = {};
  for (const [name, s] of Object.entries(dims)) {
    infos.set(name, { name, size: s === 'sym' ? { kind: 'symbolic', hint: 3 } : { kind: 'fixed', size: s } });
    sizes[name] = s === 'sym' ? 3 : s;
  }
  const diagnostics: Diagnostic[] = [];
  const fresh: string[] = [];
  /** Dims made by `aliasDim`, each mapped to the symbolic dim it ranges over. */
  const aliases = new Map<string, string>();
  const ctx: FamilyContext = {
    dims: infos,
    freshDim(base, size) {
      if (!(Number.isSafeInteger(size) && size >= 1)) throw new Error(`freshDim(${base}, ${size}): bad size`);
      let name = base;
      for (let k = 2; infos.has(name); k++) name = `${base}#${k}`;
      infos.set(name, { name, size: { kind: 'fixed', size }, origin: base });
      sizes[name] = size;
      fresh.push(name);
      return name;
    },
    aliasDim(base, dim) {
      const info = infos.get(dim);
      if (!info || info.size.kind !== 'symbolic') throw new Error(`aliasDim(${base}, ${dim}): not a symbolic dim`);
      let name = base;
      for (let k = 2; infos.has(name); k++) name = `${base}#${k}`;
      infos.set(name, { name, size: { ...info.size }, origin: base });
      sizes[name] = sizes[dim];
      aliases.set(name, dim);
      fresh.push(name);
      return name;
    },
    report(d) {
      diagnostics.push(d);
    },
  };
  return { ctx, diagnostics, sizes, fresh, dims: infos, aliases };
}

/** Expands `text` (a family call) over `dims`; returns the expansion, diagnostics and all sizes. */
export function expandText(text: string, dims: Record<string, number | 'sym'>, tensorName = 'W') {
  const call = parseCall(text, tensorName);
  const family = getFamily(call.family);
  if (!family) throw new Error(`no family ${call.family}`);
  const t = testContext(dims);
  const expansion = family.expand(call, t.ctx);
  return { call, expansion, diagnostics: t.diagnostics, sizes: t.sizes, dims: t.dims, fresh: t.fresh, aliases: t.aliases };
}

/** The FactorizedTensor a program would hold for this expansion (factor names `${tensorName}_${suffix}`). */
export function toFactorized(tensorName: string, family: string, e: FamilyExpansion, sizes: Record<string, number>): FactorizedTensor {
  const tensors = e.factors.map((f) => ({ name: `${tensorName}_${f.suffix}`, indices: f.dims }));
  const used: Record<string, number> = {};
  for (const ix of [...e.legs, ...e.factors.flatMap((f) => f.dims)]) used[ix] = sizes[ix];
  return {
    name: tensorName,
    role: 'param',
    family,
    legs: e.legs,
    factors: tensors.map((t) => t.name),
    network: { tensors, output: e.legs, sizes: used },
  };
}
