// AST → canonical .tn source. Parsing the printed text gives back the same AST (ignoring
// spans); the round-trip tests rely on it. Parentheses are printed exactly where precedence
// needs them, and integer arithmetic is printed compactly (`m{n+1}`).

import { leftSpine } from './ast.js';
import type * as Ast from './ast.js';

const INT_PREC: Record<string, number> = {
  '+': 1,
  '-': 1,
  '*': 2,
  '/': 2,
  '%': 2,
  int: 4,
  ref: 4,
  neg: 3,
  binary: 0,
};

function intPrec(e: Ast.IntExpr): number {
  return e.kind === 'binary' ? INT_PREC[e.op] : INT_PREC[e.kind];
}

/** Prints integer arithmetic, e.g. `2*n-1`, `(r-1)*C+c`. */
export function printIntExpr(e: Ast.IntExpr): string {
  switch (e.kind) {
    case 'int':
      return String(e.value);
    case 'ref':
      return e.name;
    case 'neg':
      return `-${e.operand.kind === 'binary' ? `(${printIntExpr(e.operand)})` : printIntExpr(e.operand)}`;
    case 'binary': {
      // Walk up from the leftmost operand (long sums are left-deep trees), wrapping as needed.
      const { leftmost, spine } = leftSpine(e);
      let text = printIntExpr(leftmost);
      let prec = intPrec(leftmost);
      for (let k = spine.length - 1; k >= 0; k--) {
        const node = spine[k];
        const p = INT_PREC[node.op];
        const r = printIntExpr(node.right);
        text = `${prec < p ? `(${text})` : text}${node.op}${intPrec(node.right) <= p ? `(${r})` : r}`;
        prec = p;
      }
      return text;
    }
  }
}

function printBinder(b: Ast.Binder): string {
  return `${b.name} in ${printIntExpr(b.from)}..${printIntExpr(b.to)}`;
}

function printSelectors(sel: readonly Ast.Selector[]): string {
  if (sel.length === 0) return '';
  return `{${sel.map((s) => (s.kind === 'binder' ? printBinder(s) : printIntExpr(s))).join(', ')}}`;
}

/** Prints a possibly indexed name: `A`, `m{n+1}`, `S{r, c}`. */
export function printNameRef(r: Ast.NameRef): string {
  return r.subscripts.length === 0 ? r.base : `${r.base}{${r.subscripts.map(printIntExpr).join(', ')}}`;
}

function printIndices(list: readonly Ast.NameRef[]): string {
  return `[${list.map(printNameRef).join(', ')}]`;
}

function printFamilyValue(v: Ast.FamilyValueAst): string {
  switch (v.kind) {
    case 'number':
      return String(v.value);
    case 'name':
      return printNameRef(v.ref);
    case 'list': {
      const inner = v.items.map(printFamilyValue).join(', ');
      return v.bracket === '[' ? `[${inner}]` : `(${inner})`;
    }
  }
}

/** Prints `ttm(in: [i1, i2], out: [o1, o2], rank: 4)`. */
export function printFamilyCall(c: Ast.FamilyCallAst): string {
  const args = c.args.map((a) => (a.name !== undefined ? `${a.name}: ` : '') + printFamilyValue(a.value));
  return `${c.family}(${args.join(', ')})`;
}

/** Prints an expression; sums inside products and products inside products get parentheses. */
export function printExpr(e: Ast.Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'access':
      return `${printNameRef(e.tensor)}${printIndices(e.indices)}`;
    case 'comprehension':
      return `${e.op}(${e.binders.map(printBinder).join(', ')}) ${printFactor(e.body)}`;
    case 'product': {
      let out = '';
      e.factors.forEach((f, i) => {
        if (i > 0) out += e.factors[i - 1].kind === 'number' ? ' * ' : ' ';
        out += printFactor(f);
      });
      return out;
    }
    case 'sum': {
      let out = '';
      e.items.forEach((it, i) => {
        const body = it.expr.kind === 'sum' ? `(${printExpr(it.expr)})` : printExpr(it.expr);
        if (i === 0) out += it.sign === '-' ? `-${body}` : body;
        else out += ` ${it.sign} ${body}`;
      });
      return out;
    }
  }
}

function printFactor(e: Ast.Expr): string {
  return e.kind === 'sum' || e.kind === 'product' ? `(${printExpr(e)})` : printExpr(e);
}

function printTopItem(item: Ast.TopItem): string {
  switch (item.kind) {
    case 'const':
      return `const ${item.name} = ${printIntExpr(item.value)}`;
    case 'dim':
      return `dim ${item.items
        .map((d) => {
          const size = d.size ? ` ${d.size.mode === 'fixed' ? '=' : '~'} ${printIntExpr(d.size.value)}` : '';
          return `${d.name}${printSelectors(d.selectors)}${size}`;
        })
        .join(', ')}`;
    case 'tensor':
      return `${item.role} ${item.items
        .map((t) => `${t.name}${printSelectors(t.selectors)}${t.family ? ` = ${printFamilyCall(t.family)}` : printIndices(t.indices ?? [])}`)
        .join(', ')}`;
    case 'statement':
      return `${item.mode} ${item.name}${printIndices(item.indices)} = ${printExpr(item.body)}`;
  }
}

/** Prints a whole program, one declaration or statement per line. */
export function printProgram(program: Ast.Program): string {
  return program.items.map((i) => printTopItem(i) + '\n').join('');
}
