// The check stage: Ast.Program → CheckedProgram. Resolves consts, dims (including index
// families `m{n}`), tensor declarations (running model families), and statements; unrolls
// `prod(...)` comprehensions and evaluates brace arithmetic so that every access in the result
// names one concrete tensor and concrete dims. Reports every user error it finds, each with a
// span; the value is complete only when there are no errors.

import { error, nearest, type Diagnostic, type Span } from '../diagnostics.js';
import { indexedName, type Ast } from '../parser/index.js';
import { families as builtinFamilies, getFamily } from './families/index.js';
import type { Family, FamilyArg, FamilyCall, FamilyValue } from './families/types.js';
import { evalInt, type IntScope } from './int-eval.js';
import { planningSize, type DimInfo, type FactorizedTensor, type FactorSpec, type TensorNetwork } from './network.js';

/** Most concrete elements one comprehension or indexed declaration may unroll into. */
export const MAX_UNROLL = 100_000;

/** A tensor name after resolution: a factor with data, a family tensor, or an earlier statement. */
export type TensorEntry =
  | { kind: 'factor'; name: string; role: 'input' | 'param'; dims: string[]; span: Span }
  | { kind: 'family'; name: string; role: 'input' | 'param'; legs: string[]; tensor: FactorizedTensor; span: Span }
  | { kind: 'statement'; name: string; dims: string[]; statement: number; span: Span };

/** A statement body with comprehensions unrolled and every name resolved. */
export type CheckedExpr =
  | { kind: 'access'; tensor: string; indices: string[]; span: Span }
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'product'; factors: CheckedExpr[]; span: Span }
  | { kind: 'sum'; items: { sign: '+' | '-'; expr: CheckedExpr }[]; span: Span };

/** A statement with its output indices resolved and its body checked. */
export interface CheckedStatement {
  name: string;
  mode: 'out' | 'let';
  /** Output indices (= dim names), in axis order. */
  output: string[];
  body: CheckedExpr;
  span: Span;
}

/** The AST plus resolved consts, dims, tensors and statements. */
export interface CheckedProgram {
  consts: Map<string, number>;
  /** Declared dims, then dims created by families, in creation order. */
  dims: Map<string, DimInfo>;
  /**
   * Dims declared as another symbolic dim (`dim a{n in 1..5} = D`), each mapped to the dim it
   * ranges over (never itself an alias). They are in `dims` too (symbolic, with the target's
   * hint), so that they resolve as indices; expansion maps them to their target.
   */
  aliases: Map<string, string>;
  tensors: Map<string, TensorEntry>;
  factors: FactorSpec[];
  factorized: FactorizedTensor[];
  statements: CheckedStatement[];
}

/** Options of `check` (and `analyze`). */
export interface CheckOptions {
  /** Family lookup; defaults to the built-in registry. Tests pass their own. */
  getFamily?: (name: string) => Family | undefined;
  /** Names listed in `unknown family` messages; defaults to the built-in ones. */
  familyNames?: readonly string[];
}

/** Checks a parsed program. Never throws on user input. */
export function check(program: Ast.Program, options: CheckOptions = {}): { value: CheckedProgram; diagnostics: Diagnostic[] } {
  const c = new Checker(options);
  c.run(program);
  // Source order reads best; the sort is stable, so ties keep the order they were found in.
  return { value: c.result, diagnostics: dedupe(c.diagnostics).sort((a, b) => a.span.start - b.span.start) };
}

/**
 * Keeps one finding per code and place: one token inside a comprehension is visited once
 * per value of its ranges (`A{n}[q{n}]` over 1..100000 would otherwise report q{1}, q{2}, …
 * one by one). The first is kept, with a note counting the others that differ in message.
 */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const first = new Map<string, { d: Diagnostic; messages: Set<string> }>();
  const out: Diagnostic[] = [];
  for (const d of ds) {
    const key = `${d.code}|${d.span.start}|${d.span.end}`;
    const seen = first.get(key);
    if (seen) {
      seen.messages.add(d.message);
      continue;
    }
    first.set(key, { d, messages: new Set([d.message]) });
    out.push(d);
  }
  return out.map((d) => {
    const more = first.get(`${d.code}|${d.span.start}|${d.span.end}`)!.messages.size - 1;
    if (more === 0) return d;
    const note = { message: `and ${more} more like it here, for other values of the enclosing ranges` };
    return { ...d, notes: [...(d.notes ?? []), note] };
  });
}

/** A plain description of a dim for messages: `i (64)`, `b (symbolic)`, `a1 (ranges over D)`. */
function describeDim(d: DimInfo, over?: string): string {
  if (over !== undefined) return `\`${d.name}\` (ranges over symbolic \`${over}\`)`;
  return d.size.kind === 'fixed' ? `\`${d.name}\` (size ${d.size.size})` : `\`${d.name}\` (symbolic)`;
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly result: CheckedProgram = {
    consts: new Map(),
    dims: new Map(),
    aliases: new Map(),
    tensors: new Map(),
    factors: [],
    factorized: [],
    statements: [],
  };
  private readonly constSpans = new Map<string, Span>();
  /** Factor names made by families, with the family tensor they belong to. */
  private readonly familyFactors = new Map<string, { of: string; span: Span }>();
  /** Tensors whose declaration had errors: uses are not reported again (no cascades). */
  private readonly broken = new Set<string>();
  /** Name spans of broken statements, so a later duplicate still gets its note. */
  private readonly brokenSpans = new Map<string, Span>();
  /** Dims whose declared size had errors: uses are not reported as unknown (no cascades). */
  private readonly brokenDims = new Set<string>();
  /** Bases of indexed dims whose declaration ranges had errors (`dim a{n in 1..1e9}`): same. */
  private readonly brokenDimBases = new Set<string>();
  private readonly lookupFamily: (name: string) => Family | undefined;
  private readonly familyNames: readonly string[];

  constructor(options: CheckOptions) {
    this.lookupFamily = options.getFamily ?? getFamily;
    this.familyNames = options.familyNames ?? builtinFamilies.map((f) => f.name);
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  /** Comprehension variables of the statement being checked, for the unknown-name hint. */
  private prodVars = new Set<string>();

  private scope(vars: ReadonlyMap<string, number> = new Map()): IntScope {
    return {
      consts: this.result.consts,
      vars,
      dims: this.result.dims,
      unknownHint: (name) =>
        this.prodVars.has(name)
          ? `\`${name}\` is bound only inside its \`prod(...)\` or \`sum(...)\`, whose body is the one factor after it; put the repeated factors in parentheses`
          : undefined,
    };
  }

  private int(e: Ast.IntExpr, vars?: ReadonlyMap<string, number>): number | undefined {
    return evalInt(e, this.scope(vars), this.diagnostics);
  }

  run(program: Ast.Program): void {
    // Consts first (in order: a const may use earlier ones), then dims, then tensors, then
    // statements; declarations are visible to every statement regardless of position.
    for (const item of program.items) if (item.kind === 'const') this.constDecl(item);
    for (const item of program.items) if (item.kind === 'dim') for (const d of item.items) this.dimItem(d);
    for (const item of program.items) if (item.kind === 'tensor') for (const t of item.items) this.tensorItem(item.role, t);
    for (const item of program.items) if (item.kind === 'statement') this.statement(item);
  }

  private constDecl(c: Ast.ConstDecl): void {
    const first = this.constSpans.get(c.name);
    if (first) {
      this.report(error('check/duplicate', `const \`${c.name}\` is declared twice`, c.nameSpan, [{ message: 'first declared here', span: first }]));
      return;
    }
    const v = this.int(c.value);
    this.constSpans.set(c.name, c.nameSpan);
    if (v !== undefined) this.result.consts.set(c.name, v);
  }

  /**
   * Every assignment of a declaration's selectors: `{n in 1..3}` gives [1], [2], [3] with
   * `n` bound. Reports bad ranges; stops at MAX_UNROLL.
   */
  private expandSelectors(selectors: readonly Ast.Selector[], at: Span): { values: number[]; vars: Map<string, number> }[] {
    let acc: { values: number[]; vars: Map<string, number> }[] = [{ values: [], vars: new Map() }];
    for (const s of selectors) {
      const next: typeof acc = [];
      for (const a of acc) {
        if (s.kind === 'binder') {
          const range = this.range(s, a.vars);
          if (!range) return [];
          for (let v = range[0]; v <= range[1]; v++) {
            next.push({ values: [...a.values, v], vars: new Map([...a.vars, [s.name, v]]) });
            if (next.length > MAX_UNROLL) {
              this.report(error('limit/too-many-elements', `this declaration unrolls into more than ${MAX_UNROLL} elements`, at));
              return [];
            }
          }
        } else {
          const v = this.int(s, a.vars);
          if (v === undefined) return [];
          next.push({ values: [...a.values, v], vars: a.vars });
        }
      }
      acc = next;
    }
    return acc;
  }

  private range(b: Ast.Binder, vars: ReadonlyMap<string, number>): [number, number] | undefined {
    const from = this.int(b.from, vars);
    const to = this.int(b.to, vars);
    if (from === undefined || to === undefined) return undefined;
    if (to - from + 1 > MAX_UNROLL) {
      this.report(error('limit/too-many-elements', `the range ${from}..${to} has more than ${MAX_UNROLL} values`, b.span));
      return undefined;
    }
    return [from, to];
  }

  private dimItem(d: Ast.DimItem): void {
    const before = this.diagnostics.length;
    const items = this.expandSelectors(d.selectors, d.span);
    if (this.diagnostics.length > before) this.brokenDimBases.add(d.name);
    for (const { values, vars } of items) {
      const name = indexedName(d.name, values);
      if (this.refuseProtoName(name, 'a dim', d.nameSpan)) {
        this.brokenDims.add(name);
        continue;
      }
      const existing = this.result.dims.get(name);
      if (existing) {
        this.report(error('check/duplicate', `dim \`${name}\` is declared twice`, d.nameSpan, existing.span ? [{ message: 'first declared here', span: existing.span }] : []));
        continue;
      }
      let size: DimInfo['size'] = { kind: 'symbolic' };
      const target = d.size ? this.aliasTarget(d.size, vars) : undefined;
      if (target === null) {
        this.brokenDims.add(name);
        continue;
      }
      if (target !== undefined) {
        const info = this.result.dims.get(target)!;
        this.result.aliases.set(name, target);
        this.result.dims.set(name, { name, size: { ...info.size }, span: d.nameSpan });
        continue;
      }
      if (d.size) {
        const v = this.int(d.size.value, vars);
        if (v === undefined || v <= 0) {
          if (v !== undefined) this.report(error('check/bad-size', `dim \`${name}\` must have a positive size, found ${v}`, d.size.value.span));
          this.brokenDims.add(name);
          continue;
        }
        size = d.size.mode === 'fixed' ? { kind: 'fixed', size: v } : { kind: 'symbolic', hint: v };
      }
      this.result.dims.set(name, { name, size, span: d.nameSpan });
    }
  }

  /**
   * The symbolic dim a size names, when it is a bare symbolic dim (`dim a = D`): the new dim
   * is then an alias ranging over it. `~ D` is reported (a hint must be a number, and reading
   * it as a fresh symbol with D's hint or as D itself would both surprise someone).
   * Anything else (numbers, fixed dims, arithmetic) is left to integer evaluation (undefined);
   * null means an error was reported.
   */
  private aliasTarget(size: NonNullable<Ast.DimItem['size']>, vars: ReadonlyMap<string, number>): string | null | undefined {
    const e = size.value;
    if (e.kind !== 'ref' || vars.has(e.name) || this.result.consts.has(e.name)) return undefined;
    const info = this.result.dims.get(e.name);
    if (info === undefined || info.size.kind !== 'symbolic') return undefined;
    if (size.mode === 'hint') {
      this.report(
        error('check/symbolic-size', `\`${e.name}\` is a symbolic dim, so it cannot be a planning hint; write \`= ${e.name}\` to make this dim range over \`${e.name}\``, e.span),
      );
      return null;
    }
    return this.result.aliases.get(e.name) ?? e.name;
  }

  /** The dim a dim ranges over: its alias target, or itself. */
  private canonical(name: string): string {
    return this.result.aliases.get(name) ?? name;
  }

  /** Resolves a (possibly indexed) name reference to its concrete name. */
  private resolveName(r: Ast.NameRef, vars: ReadonlyMap<string, number>): string | undefined {
    if (r.subscripts.length === 0) return r.base;
    const values: number[] = [];
    for (const s of r.subscripts) {
      const v = this.int(s, vars);
      if (v === undefined) return undefined;
      values.push(v);
    }
    return indexedName(r.base, values);
  }

  /** Resolves a dim used as an index; reports `check/unknown-index` with a suggestion. */
  private resolveIndex(r: Ast.NameRef, vars: ReadonlyMap<string, number>): string | undefined {
    const name = this.resolveName(r, vars);
    if (name === undefined) return undefined;
    if (this.result.dims.has(name)) return name;
    if (this.brokenDims.has(name) || (r.subscripts.length > 0 && this.brokenDimBases.has(r.base))) return undefined;
    this.report(error('check/unknown-index', `unknown index \`${name}\`${this.suggest(name, this.result.dims.keys(), 'dim')}`, r.span));
    return undefined;
  }

  private suggest(name: string, candidates: Iterable<string>, what: string): string {
    const list = [...candidates];
    const near = nearest(name, list);
    if (near) return `; did you mean \`${near}\`?`;
    if (list.length === 0) return `; no ${what} is declared`;
    const shown = list.slice(0, 12).map((x) => `\`${x}\``).join(', ');
    return `; declared: ${shown}${list.length > 12 ? ', …' : ''}`;
  }

  private elementCount(dims: readonly string[]): bigint {
    let total = 1n;
    for (const d of dims) {
      const info = this.result.dims.get(d);
      if (info) total *= BigInt(planningSize(info));
    }
    return total;
  }

  private checkElementCount(dims: readonly string[], what: string, span: Span, notes?: Diagnostic['notes']): void {
    const total = this.elementCount(dims);
    if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.report(error('limit/unsafe-integer', `${what} has ${total} elements, more than 2^53 - 1: element counts must stay exact`, span, notes));
    }
  }

  private declareTensor(entry: TensorEntry): boolean {
    const factor = this.familyFactors.get(entry.name);
    if (factor) {
      this.report(
        error('check/duplicate', `\`${entry.name}\` is already the name of a factor of \`${factor.of}\``, entry.span, [
          { message: `\`${factor.of}\` declared here`, span: factor.span },
        ]),
      );
      return false;
    }
    const first = this.result.tensors.get(entry.name) ?? (this.brokenSpans.has(entry.name) ? { span: this.brokenSpans.get(entry.name)! } : undefined);
    if (first) {
      this.report(error('check/duplicate', `tensor \`${entry.name}\` is declared twice`, entry.span, [{ message: 'first declared here', span: first.span }]));
      return false;
    }
    this.result.tensors.set(entry.name, entry);
    return true;
  }

  /**
   * Reports `__proto__` as the name of a dim, input or param: callers pass those by name in
   * object literals, where `{ __proto__: x }` sets the prototype instead of a field (the
   * value never arrives). Other Object.prototype names (`constructor`, `toString`) work as
   * own properties, so only this one is refused. True when refused.
   */
  private refuseProtoName(name: string, what: string, span: Span): boolean {
    if (name !== '__proto__') return false;
    this.report(
      error('check/reserved-name', `\`__proto__\` cannot name ${what}: values are passed by name in objects, and \`{ __proto__: ... }\` sets the object's prototype instead; choose another name`, span),
    );
    return true;
  }

  private tensorItem(role: 'input' | 'param', t: Ast.TensorItem): void {
    for (const { values, vars } of this.expandSelectors(t.selectors, t.span)) {
      const name = indexedName(t.name, values);
      if (t.family) {
        this.familyItem(role, name, t, t.family, vars);
        continue;
      }
      if (this.refuseProtoName(name, role === 'input' ? 'an input' : 'a param', t.nameSpan)) {
        this.broken.add(name);
        continue;
      }
      const dims: string[] = [];
      let ok = true;
      for (const r of t.indices ?? []) {
        const d = this.resolveIndex(r, vars);
        if (d === undefined) ok = false;
        else dims.push(d);
      }
      if (!ok) {
        this.broken.add(name);
        continue;
      }
      if (!this.declareTensor({ kind: 'factor', name, role, dims, span: t.nameSpan })) continue;
      this.checkElementCount(dims, `tensor \`${name}\``, t.span);
      this.result.factors.push({ name, role, dims, span: t.span });
    }
  }

  private familyValue(v: Ast.FamilyValueAst, vars: ReadonlyMap<string, number>): FamilyValue | undefined {
    switch (v.kind) {
      case 'number':
        return { kind: 'number', value: v.value, span: v.span };
      case 'name': {
        // A plain name that is a const or comprehension variable stands for its value.
        if (v.ref.subscripts.length === 0) {
          const n = vars.get(v.ref.base) ?? this.result.consts.get(v.ref.base);
          if (n !== undefined) return { kind: 'number', value: n, span: v.span };
        }
        const name = this.resolveName(v.ref, vars);
        // A dim whose size was already reported stops the call quietly.
        if (name === undefined || (this.brokenDims.has(name) && !this.result.dims.has(name))) return undefined;
        return { kind: 'name', name, span: v.span };
      }
      case 'list': {
        const items: FamilyValue[] = [];
        for (const it of v.items) {
          const x = this.familyValue(it, vars);
          if (x === undefined) return undefined;
          items.push(x);
        }
        return { kind: 'list', bracket: v.bracket, items, span: v.span };
      }
    }
  }

  private familyItem(role: 'input' | 'param', name: string, t: Ast.TensorItem, callAst: Ast.FamilyCallAst, vars: ReadonlyMap<string, number>): void {
    const family = this.lookupFamily(callAst.family);
    this.broken.add(name);
    if (!family) {
      const near = nearest(callAst.family, this.familyNames);
      const list = this.familyNames.length > 0 ? this.familyNames.join(', ') : 'none are registered';
      this.report(
        error('check/unknown-family', `unknown family \`${callAst.family}\`${near ? `; did you mean \`${near}\`?` : ''} (families: ${list})`, callAst.familySpan),
      );
      return;
    }
    const args: FamilyArg[] = [];
    for (const a of callAst.args) {
      const value = this.familyValue(a.value, vars);
      if (value === undefined) return;
      args.push(a.name !== undefined ? { name: a.name, value, span: a.span } : { value, span: a.span });
    }
    const call: FamilyCall = { family: family.name, tensorName: name, args, span: callAst.span };
    let failed = false;
    const ctx = {
      dims: this.result.dims as ReadonlyMap<string, DimInfo>,
      freshDim: (base: string, size: number): string => {
        // `~` appears in no user name and in no per-use copy (`#`), so these never collide.
        let unique = base;
        for (let k = 2; this.result.dims.has(unique); k++) unique = `${base}~${k}`;
        if (!Number.isSafeInteger(size) || size <= 0) {
          this.report(error('expand/bad-size', `family \`${family.name}\` made a dim \`${base}\` of size ${size}; sizes must be positive integers`, callAst.span));
          failed = true;
          size = 1;
        }
        this.result.dims.set(unique, { name: unique, size: { kind: 'fixed', size }, origin: name });
        return unique;
      },
      aliasDim: (base: string, dim: string): string => {
        // A rank written as a symbolic dim: the new dim is an alias of it, like `dim a = D`.
        let unique = base;
        for (let k = 2; this.result.dims.has(unique); k++) unique = `${base}~${k}`;
        const target = this.canonical(dim);
        const info = this.result.dims.get(target)!;
        this.result.aliases.set(unique, target);
        this.result.dims.set(unique, { name: unique, size: { ...info.size }, origin: name });
        return unique;
      },
      report: (d: Diagnostic): void => {
        failed = true;
        this.report(d);
      },
    };
    const expansion = family.expand(call, ctx);
    if (!expansion || failed) return;
    const factorNames = expansion.factors.map((f) => `${name}_${f.suffix}`);
    const network: TensorNetwork = {
      tensors: expansion.factors.map((f, k) => ({ name: factorNames[k], indices: [...f.dims] })),
      output: [...expansion.legs],
      sizes: {},
      indexDims: {},
    };
    const symbolic: string[] = [];
    for (const ix of new Set([...network.tensors.flatMap((x) => x.indices), ...network.output])) {
      const info = this.result.dims.get(ix);
      if (!info) {
        this.report(error('expand/unknown-dim', `family \`${family.name}\` used an undeclared dim \`${ix}\``, callAst.span));
        return;
      }
      network.sizes[ix] = planningSize(info);
      network.indexDims![ix] = this.canonical(ix);
      if (info.size.kind === 'symbolic') symbolic.push(ix);
    }
    if (symbolic.length > 0) network.symbolic = symbolic;
    const tensor: FactorizedTensor = { name, role, family: family.name, legs: [...expansion.legs], factors: factorNames, network, span: t.span };
    if (!this.declareTensor({ kind: 'family', name, role, legs: [...expansion.legs], tensor, span: t.nameSpan })) return;
    this.broken.delete(name);
    // Factors past the exact range share the call's span: one finding naming the others (one
    // per factor would be merged as if repeated by a comprehension).
    const tooLarge: number[] = [];
    for (const [k, f] of expansion.factors.entries()) {
      const fname = factorNames[k];
      const first = this.result.tensors.get(fname)?.span ?? this.familyFactors.get(fname)?.span;
      if (first) {
        this.report(error('check/duplicate', `factor \`${fname}\` of \`${name}\` collides with a declared name`, t.nameSpan, [{ message: 'declared here', span: first }]));
        return;
      }
      this.familyFactors.set(fname, { of: name, span: t.nameSpan });
      if (this.elementCount(f.dims) > BigInt(Number.MAX_SAFE_INTEGER)) tooLarge.push(k);
      this.result.factors.push({ name: fname, role, dims: [...f.dims], of: name, family: family.name, span: t.span });
    }
    if (tooLarge.length > 0) {
      const others = tooLarge.slice(1).map((k) => `\`${factorNames[k]}\``);
      const notes = others.length > 0 ? [{ message: `so do ${others.length === 1 ? 'factor' : 'factors'} ${others.join(', ')}` }] : undefined;
      this.checkElementCount(expansion.factors[tooLarge[0]].dims, `factor \`${factorNames[tooLarge[0]]}\``, t.span, notes);
    }
    // The dense equivalent is never materialized, so only its factors must stay exact.
    this.result.factorized.push(tensor);
  }

  /**
   * Are two dims interchangeable as one axis? Equal fixed sizes, or the same symbolic dim
   * (aliases standing for the dim they range over).
   */
  private compatible(a: string, b: string): boolean {
    if (this.canonical(a) === this.canonical(b)) return true;
    const da = this.result.dims.get(a);
    const db = this.result.dims.get(b);
    if (!da || !db) return true;
    return da.size.kind === 'fixed' && db.size.kind === 'fixed' && da.size.size === db.size.size;
  }

  private statement(s: Ast.StatementAst): void {
    const vars = new Map<string, number>();
    const output: string[] = [];
    const seen = new Map<string, Span>();
    let ok = true;
    for (const r of s.indices) {
      const d = this.resolveIndex(r, vars);
      if (d === undefined) {
        ok = false;
        continue;
      }
      const prev = seen.get(d);
      if (prev) {
        this.report(
          error('check/repeated-output-index', `output index \`${d}\` appears twice on the left; an output has each index once`, r.span, [
            { message: 'first used here', span: prev },
          ]),
        );
        ok = false;
        continue;
      }
      seen.set(d, r.span);
      output.push(d);
    }
    const before = this.diagnostics.length;
    this.prodVars = binderNames(s.body);
    const body = this.expr(s.body, vars);
    this.prodVars = new Set();
    if (body === undefined || this.diagnostics.length > before) ok = false;
    if (ok && body) {
      for (const [k, ix] of output.entries()) {
        const at = missingIndex(body, ix);
        if (at) {
          this.report(
            error('check/missing-output-index', `output index \`${ix}\` does not appear on the right${at === body.span ? '' : ' in this term'}; every term must contain each output index`, at, [
              { message: `\`${ix}\` is an output index here`, span: s.indices[k].span },
            ]),
          );
        }
      }
      const constant = constantTerm(body);
      if (constant) this.report(error('check/constant-term', 'a term needs at least one tensor; a number alone cannot be a term', constant));
    }
    this.checkElementCount(output, `output \`${s.name}\``, s.nameSpan);
    const entry: TensorEntry = { kind: 'statement', name: s.name, dims: output, statement: this.result.statements.length, span: s.nameSpan };
    if (!this.declareTensor(entry)) return;
    if (!ok) {
      // Keep the name taken (duplicates are still found) but make later uses silent.
      this.result.tensors.delete(s.name);
      this.broken.add(s.name);
      this.brokenSpans.set(s.name, s.nameSpan);
      return;
    }
    this.result.statements.push({
      name: s.name,
      mode: s.mode,
      output,
      body: body ?? { kind: 'product', factors: [], span: s.body.span },
      span: s.span,
    });
  }

  private expr(e: Ast.Expr, vars: ReadonlyMap<string, number>): CheckedExpr | undefined {
    switch (e.kind) {
      case 'number':
        if (!Number.isFinite(e.value)) {
          this.report(error('limit/unsafe-integer', `the number ${e.value} is too large to represent`, e.span));
          return undefined;
        }
        return { kind: 'number', value: e.value, span: e.span };
      case 'access':
        return this.access(e, vars);
      case 'product': {
        const factors: CheckedExpr[] = [];
        let ok = true;
        for (const f of e.factors) {
          const x = this.expr(f, vars);
          if (x === undefined) ok = false;
          else factors.push(x);
        }
        return ok ? { kind: 'product', factors, span: e.span } : undefined;
      }
      case 'sum': {
        const items: { sign: '+' | '-'; expr: CheckedExpr }[] = [];
        let ok = true;
        for (const it of e.items) {
          const x = this.expr(it.expr, vars);
          if (x === undefined) ok = false;
          else items.push({ sign: it.sign, expr: x });
        }
        return ok ? { kind: 'sum', items, span: e.span } : undefined;
      }
      case 'comprehension': {
        const parts: CheckedExpr[] = [];
        let ok = true;
        let count = 0;
        const what = e.op === 'prod' ? 'factors' : 'terms';
        const loop = (k: number, scope: Map<string, number>): boolean => {
          if (k === e.binders.length) {
            if (++count > MAX_UNROLL) {
              this.report(error('limit/too-many-elements', `this ${e.op}(...) unrolls into more than ${MAX_UNROLL} ${what}`, e.span));
              return false;
            }
            const x = this.expr(e.body, scope);
            if (x === undefined) ok = false;
            else parts.push(x);
            return true;
          }
          const b = e.binders[k];
          const range = this.range(b, scope);
          if (!range) return false;
          for (let v = range[0]; v <= range[1]; v++) {
            if (!loop(k + 1, new Map([...scope, [b.name, v]]))) return false;
          }
          return true;
        };
        if (!loop(0, new Map(vars))) return undefined;
        if (!ok) return undefined;
        if (e.op === 'sum') {
          if (parts.length === 0) {
            this.report(error('check/empty-sum', 'this sum(...) has no terms: its ranges are empty', e.span));
            return undefined;
          }
          return parts.length === 1 ? parts[0] : { kind: 'sum', items: parts.map((expr) => ({ sign: '+' as const, expr })), span: e.span };
        }
        // An empty range gives the empty product, which is the number 1.
        if (parts.length === 0) return { kind: 'number', value: 1, span: e.span };
        return parts.length === 1 ? parts[0] : { kind: 'product', factors: parts, span: e.span };
      }
    }
  }

  private access(e: Ast.Access, vars: ReadonlyMap<string, number>): CheckedExpr | undefined {
    const name = this.resolveName(e.tensor, vars);
    const indices: string[] = [];
    let ok = name !== undefined;
    for (const r of e.indices) {
      const d = this.resolveIndex(r, vars);
      if (d === undefined) ok = false;
      else indices.push(d);
    }
    if (name === undefined) return undefined;
    const entry = this.result.tensors.get(name);
    if (!entry && this.broken.has(name)) return undefined;
    if (!entry) {
      // Names declared with errors of their own are still declared: list them too.
      const later = [...new Set([...this.result.tensors.keys(), ...this.broken])];
      this.report(error('check/unknown-tensor', `unknown tensor \`${name}\`${this.suggest(name, later, 'tensor')}`, e.tensor.span));
      return undefined;
    }
    if (!ok) return undefined;
    const declared = entry.kind === 'family' ? entry.legs : entry.dims;
    if (declared.length !== indices.length) {
      this.report(
        error(
          'check/arity',
          `\`${name}\` has ${declared.length} ${declared.length === 1 ? 'index' : 'indices'} [${declared.join(', ')}] but is used with ${indices.length}`,
          e.span,
          [{ message: `\`${name}\` declared here`, span: entry.span }],
        ),
      );
      return undefined;
    }
    let good = true;
    for (let k = 0; k < indices.length; k++) {
      if (!this.compatible(indices[k], declared[k])) {
        const a = this.result.dims.get(indices[k])!;
        const b = this.result.dims.get(declared[k])!;
        this.report(
          error(
            'check/size-conflict',
            `index ${describeDim(a, this.result.aliases.get(a.name))} is used for axis ${k + 1} of \`${name}\`, which has dim ${describeDim(b, this.result.aliases.get(b.name))}`,
            e.indices[k].span,
            [
              ...(b.span ? [{ message: `\`${b.name}\` declared here`, span: b.span }] : []),
              ...(a.span ? [{ message: `\`${a.name}\` declared here`, span: a.span }] : []),
            ],
          ),
        );
        good = false;
      }
    }
    return good ? { kind: 'access', tensor: name, indices, span: e.span } : undefined;
  }
}

/** A span of a term that lacks index `ix` (undefined when every term has it). */
function missingIndex(e: CheckedExpr, ix: string): Span | undefined {
  switch (e.kind) {
    case 'number':
      return e.span;
    case 'access':
      return e.indices.includes(ix) ? undefined : e.span;
    case 'product':
      return e.factors.some((f) => missingIndex(f, ix) === undefined) ? undefined : e.span;
    case 'sum':
      for (const it of e.items) {
        const m = missingIndex(it.expr, ix);
        if (m) return m;
      }
      return undefined;
  }
}

/** Names bound by the `prod(...)` and `sum(...)` comprehensions inside an expression. */
function binderNames(e: Ast.Expr): Set<string> {
  const out = new Set<string>();
  const walk = (x: Ast.Expr): void => {
    if (x.kind === 'comprehension') {
      for (const b of x.binders) out.add(b.name);
      walk(x.body);
    } else if (x.kind === 'product') x.factors.forEach(walk);
    else if (x.kind === 'sum') x.items.forEach((i) => walk(i.expr));
  };
  walk(e);
  return out;
}

/** A span of a term made only of numbers, if any. */
function constantTerm(e: CheckedExpr): Span | undefined {
  switch (e.kind) {
    case 'number':
      return e.span;
    case 'access':
      return undefined;
    case 'product':
      return e.factors.every((f) => constantTerm(f) !== undefined) ? e.span : undefined;
    case 'sum':
      for (const it of e.items) {
        const c = constantTerm(it.expr);
        if (c) return c;
      }
      return undefined;
  }
}
