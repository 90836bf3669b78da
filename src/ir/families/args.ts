// Argument binding and value readers shared by the family modules. Every reader reports a
// diagnostic with the span of the offending value and returns undefined, so a family can
// collect all its argument errors in one pass and then give up.

import { countNoun, error, nearest } from '../../diagnostics.js';
import type { Span } from '../../diagnostics.js';
import type { FamilyArg, FamilyCall, FamilyContext, FamilyValue } from './types.js';

/** One formal parameter of a family: its name, accepted aliases and whether it is required. */
export interface ParamSpec {
  name: string;
  aliases?: string[];
  required: boolean;
}

/** Bound arguments by formal name (aliases resolved). */
export type BoundArgs = Map<string, FamilyArg>;

/**
 * Binds positional arguments (in `params` order) and named arguments (by name or alias).
 * Reports unknown names (with a suggestion), duplicates, surplus positionals and missing
 * required arguments; returns undefined when any of these happened.
 */
export function bindArgs(call: FamilyCall, params: readonly ParamSpec[], ctx: FamilyContext): BoundArgs | undefined {
  const bound: BoundArgs = new Map();
  let ok = true;
  let position = 0;
  const allNames = params.flatMap((p) => [p.name, ...(p.aliases ?? [])]);
  for (const arg of call.args) {
    let param: ParamSpec | undefined;
    if (arg.name === undefined) {
      param = params[position++];
      if (!param) {
        ctx.report(error('expand/too-many-arguments', `${call.family}() takes at most ${params.length} positional arguments: ${signatureOf(params)}`, arg.span));
        ok = false;
        continue;
      }
    } else {
      const name = arg.name;
      param = params.find((p) => p.name === name || (p.aliases ?? []).includes(name));
      if (!param) {
        const guess = nearest(name, allNames);
        const hint = guess ? ` (did you mean '${guess}'?)` : '';
        ctx.report(error('expand/unknown-argument', `${call.family}() has no argument '${name}'${hint}; it takes ${signatureOf(params)}`, arg.span));
        ok = false;
        continue;
      }
    }
    const previous = bound.get(param.name);
    if (previous) {
      ctx.report(
        error('expand/duplicate-argument', `argument '${param.name}' of ${call.family}() is given twice`, arg.span, [
          { message: 'first given here', span: previous.span },
        ]),
      );
      ok = false;
      continue;
    }
    bound.set(param.name, arg);
  }
  for (const p of params) {
    if (p.required && !bound.has(p.name)) {
      ctx.report(error('expand/missing-argument', `${call.family}() needs the argument '${p.name}': ${signatureOf(params)}`, call.span));
      ok = false;
    }
  }
  return ok ? bound : undefined;
}

function signatureOf(params: readonly ParamSpec[]): string {
  return `(${params.map((p) => (p.required ? p.name : `${p.name}?`)).join(', ')})`;
}

/** Describes a value's kind for "expected X, got Y" messages. */
function describe(v: FamilyValue): string {
  if (v.kind === 'number') return `the number ${v.value}`;
  if (v.kind === 'name') return `the name '${v.name}'`;
  return v.bracket === '[' ? 'a list' : 'a tuple';
}

/** Reports that `v` is not the expected kind of value. */
export function badValue(ctx: FamilyContext, what: string, v: FamilyValue): undefined {
  ctx.report(error('expand/bad-argument', `expected ${what}, got ${describe(v)}`, v.span));
  return undefined;
}

/**
 * Tracks the legs named so far in one call so a dim used twice is reported once, at its
 * second occurrence, with a note pointing at the first.
 */
export class LegSet {
  private readonly first = new Map<string, Span>();
  constructor(private readonly ctx: FamilyContext) {}

  /** Accepts a leg name value: it must be a declared dim not used before in this call. */
  add(v: FamilyValue): string | undefined {
    if (v.kind !== 'name') return badValue(this.ctx, 'a dim name', v);
    if (!this.ctx.dims.has(v.name)) {
      const guess = nearest(v.name, this.ctx.dims.keys());
      const hint = guess ? ` (did you mean '${guess}'?)` : '';
      this.ctx.report(error('expand/unknown-dim', `'${v.name}' is not a declared dim${hint}`, v.span));
      return undefined;
    }
    const prev = this.first.get(v.name);
    if (prev) {
      this.ctx.report(
        error('expand/duplicate-leg', `dim '${v.name}' is used twice as a leg; each leg of a factorized tensor needs its own dim`, v.span, [
          { message: 'first used here', span: prev },
        ]),
      );
      return undefined;
    }
    this.first.set(v.name, v.span);
    return v.name;
  }

  /** Accepts a non-empty list `[a, b, c]` of leg names; undefined if any item is bad. */
  addList(v: FamilyValue, what = 'a list of dims'): string[] | undefined {
    if (v.kind !== 'list') return badValue(this.ctx, what, v);
    if (v.items.length === 0) {
      this.ctx.report(error('expand/bad-argument', `expected ${what} with at least one dim, got an empty list`, v.span));
      return undefined;
    }
    const out: string[] = [];
    let ok = true;
    for (const item of v.items) {
      const leg = this.add(item);
      if (leg === undefined) ok = false;
      else out.push(leg);
    }
    return ok ? out : undefined;
  }

  /** Names accepted so far, with the span of their occurrence. */
  spans(): ReadonlyMap<string, Span> {
    return this.first;
  }
}

/**
 * A rank or bond as written: a positive size, or `{ dim }` for a bare symbolic dim (the
 * family's internal dims then range over that dim).
 */
export type Rank = number | { dim: string };

/**
 * Reads a size that must be fixed (a grid size, a pooling window): a positive safe integer,
 * or the name of a declared dim of fixed size (its size is used). Anything else is
 * `expand/bad-rank`.
 */
export function readRank(v: FamilyValue, ctx: FamilyContext, what = 'rank'): number | undefined {
  const r = readRankOrDim(v, ctx, what);
  if (r === undefined || typeof r === 'number') return r;
  ctx.report(error('expand/bad-rank', `a ${what} must have a fixed size; dim '${r.dim}' is symbolic`, v.span));
  return undefined;
}

/**
 * Reads a rank (or bond dimension): a positive safe integer, the name of a declared dim of
 * fixed size (its size is used), or the name of a symbolic dim (`{ dim }`, the dim itself).
 * Anything else is `expand/bad-rank`.
 */
export function readRankOrDim(v: FamilyValue, ctx: FamilyContext, what = 'rank'): Rank | undefined {
  if (v.kind === 'number') {
    if (Number.isSafeInteger(v.value) && v.value >= 1) return v.value;
    ctx.report(error('expand/bad-rank', `a ${what} must be a positive integer, got ${v.value}`, v.span));
    return undefined;
  }
  if (v.kind === 'name') {
    const d = ctx.dims.get(v.name);
    if (d) return d.size.kind === 'fixed' ? d.size.size : { dim: v.name };
    ctx.report(error('expand/bad-rank', `a ${what} must be a positive integer or a declared dim; '${v.name}' is not a declared dim`, v.span));
    return undefined;
  }
  ctx.report(error('expand/bad-rank', `expected one ${what} (a positive integer or a dim), got ${describe(v)}`, v.span));
  return undefined;
}

/** Creates an internal dim for a rank: fixed of that size, or ranging over a symbolic dim. */
export function rankDim(ctx: FamilyContext, base: string, rank: Rank): string {
  return typeof rank === 'number' ? ctx.freshDim(base, rank) : ctx.aliasDim(base, rank.dim);
}

/**
 * Checks rank values when their expected count is unknown (because the legs or the tree
 * were bad), so one pass still reports every bad rank. Always returns undefined.
 */
export function checkRankValues(v: FamilyValue, ctx: FamilyContext, what = 'rank'): undefined {
  for (const item of v.kind === 'list' ? v.items : [v]) readRankOrDim(item, ctx, what);
  return undefined;
}

/**
 * Reads `count` ranks: one value used for all, or a list of exactly `count` values; each a
 * positive integer, a fixed dim or a symbolic dim. `where` names what the list runs over,
 * for the length-mismatch message.
 */
export function readRanks(v: FamilyValue, count: number, ctx: FamilyContext, where: string, what = 'rank'): Rank[] | undefined {
  if (v.kind !== 'list') {
    const r = readRankOrDim(v, ctx, what);
    return r === undefined ? undefined : Array.from({ length: count }, () => r);
  }
  if (v.items.length !== count) {
    ctx.report(error('expand/rank-count', `expected ${countNoun(count, what)} (${where}), got ${v.items.length}`, v.span));
    return undefined;
  }
  const out: Rank[] = [];
  let ok = true;
  for (const item of v.items) {
    const r = readRankOrDim(item, ctx, what);
    if (r === undefined) ok = false;
    else out.push(r);
  }
  return ok ? out : undefined;
}

/** Reads a boolean written as the name `true` or `false` (or the number 1 or 0). */
export function readBool(v: FamilyValue, ctx: FamilyContext): boolean | undefined {
  if (v.kind === 'name' && (v.name === 'true' || v.name === 'false')) return v.name === 'true';
  if (v.kind === 'number' && (v.value === 0 || v.value === 1)) return v.value === 1;
  return badValue(ctx, '`true` or `false`', v);
}

/** Reads one of a fixed set of names. */
export function readChoice<T extends string>(v: FamilyValue, choices: readonly T[], ctx: FamilyContext): T | undefined {
  if (v.kind === 'name' && (choices as readonly string[]).includes(v.name)) return v.name as T;
  return badValue(ctx, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
}
