// Integer arithmetic of the .tn language (braces, ranges, dim sizes, consts): evaluation
// against comprehension variables, consts and fixed dims, with diagnostics for unknown names, division by
// zero and results outside the safe integer range.

import { error, nearest, type Diagnostic } from '../diagnostics.js';
import { leftSpine } from '../parser/ast.js';
import type { Ast } from '../parser/index.js';
import type { DimInfo } from './network.js';

/** Names visible to integer expressions: comprehension variables, then consts, then dims. */
export interface IntScope {
  consts: ReadonlyMap<string, number>;
  vars: ReadonlyMap<string, number>;
  /** Declared dims by name: a fixed dim stands for its size (`dim D = 4` then `m{n} = D`). */
  dims?: ReadonlyMap<string, DimInfo>;
  /** Extra advice for an unknown name (e.g. a comprehension variable used outside its body). */
  unknownHint?: (name: string) => string | undefined;
}

/** Evaluates `e`; reports into `out` and returns undefined on error. `/` floors, `%` is non-negative for positive divisors. */
export function evalInt(e: Ast.IntExpr, scope: IntScope, out: Diagnostic[]): number | undefined {
  switch (e.kind) {
    case 'int':
      if (!Number.isSafeInteger(e.value)) {
        out.push(
          Number.isInteger(e.value)
            ? error('limit/unsafe-integer', `${e.value} is outside the exactly representable integer range (±2^53)`, e.span)
            : error('check/not-integer', `expected an integer here, found ${e.value}`, e.span),
        );
        return undefined;
      }
      return e.value;
    case 'ref': {
      const v = scope.vars.get(e.name) ?? scope.consts.get(e.name);
      if (v !== undefined) return v;
      const dim = scope.dims?.get(e.name);
      if (dim?.size.kind === 'fixed') return dim.size.size;
      if (dim) {
        out.push(error('check/symbolic-size', `\`${e.name}\` is a symbolic dim: its size is known only at call time, so it cannot be used in integer arithmetic`, e.span));
        return undefined;
      }
      const known = [...scope.vars.keys(), ...scope.consts.keys()];
      const near = nearest(e.name, known);
      const hint = scope.unknownHint?.(e.name);
      out.push(
        error(
          'check/unknown-const',
          `unknown integer constant \`${e.name}\`${hint ? `; ${hint}` : near ? `; did you mean \`${near}\`?` : known.length > 0 ? `; known: ${known.join(', ')}` : '; declare it with `const NAME = value`'}`,
          e.span,
        ),
      );
      return undefined;
    }
    case 'neg': {
      const v = evalInt(e.operand, scope, out);
      return v === undefined ? undefined : v === 0 ? 0 : -v;
    }
    case 'binary': {
      const { leftmost, spine } = leftSpine(e);
      let acc = evalInt(leftmost, scope, out);
      for (let k = spine.length - 1; k >= 0; k--) {
        const node = spine[k];
        const r = evalInt(node.right, scope, out);
        if (acc === undefined || r === undefined) {
          acc = undefined;
          continue;
        }
        acc = applyOp(node, acc, r, out);
      }
      return acc;
    }
  }
}

/** One arithmetic step, with the division and safe-range checks. */
function applyOp(e: Ast.IntBinary, l: number, r: number, out: Diagnostic[]): number | undefined {
  let v: number;
  switch (e.op) {
    case '+':
      v = l + r;
      break;
    case '-':
      v = l - r;
      break;
    case '*':
      v = l * r;
      break;
    case '/':
    case '%':
      if (r === 0) {
        out.push(error('check/division-by-zero', `division by zero (the right side of '${e.op}' evaluates to 0)`, e.right.span));
        return undefined;
      }
      v = e.op === '/' ? Math.floor(l / r) : l - r * Math.floor(l / r);
      break;
  }
  if (!Number.isSafeInteger(v)) {
    out.push(error('limit/unsafe-integer', `${l} ${e.op} ${r} leaves the exactly representable integer range (±2^53)`, e.span));
    return undefined;
  }
  return v === 0 ? 0 : v;
}
