// CST → AST. This is the one place where chevrotain's inclusive `endOffset` becomes a
// half-open span end, and where tokens invented by error recovery (NaN offsets) are anchored
// at the end of the previous real token. Recovered (partial) CST nodes give AST nodes with
// empty names rather than exceptions: the syntax errors are already reported.

import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Span } from '../diagnostics.js';
import type * as Ast from './ast.js';
import type * as Cst from './cst.js';

type Children = Record<string, CstElement[] | undefined>;

/** Keys of a CST node's children that hold tokens / sub-nodes (from the generated cst.d.ts). */
type TokenKey<N extends CstNode> = {
  [K in keyof N['children'] & string]: NonNullable<N['children'][K]> extends IToken[] ? K : never;
}[keyof N['children'] & string];
type NodeKey<N extends CstNode> = {
  [K in keyof N['children'] & string]: NonNullable<N['children'][K]> extends CstNode[] ? K : never;
}[keyof N['children'] & string];
type ChildNode<N extends CstNode, K extends keyof N['children']> = NonNullable<N['children'][K]> extends (infer E)[] ? E : never;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** Converts a `program` CST node to the AST. `textLength` bounds every span. */
export function toAst(cst: CstNode, textLength: number): Ast.Program {
  return new AstBuilder(textLength).program(cst as Cst.ProgramCstNode);
}

class AstBuilder {
  /** End of the last real token converted; recovered tokens are anchored here. */
  private lastEnd = 0;

  constructor(private readonly textLength: number) {}

  private tokenSpan(tok: IToken | undefined): Span {
    if (tok === undefined || tok.isInsertedInRecovery || !Number.isFinite(tok.startOffset)) {
      return { start: this.lastEnd, end: this.lastEnd };
    }
    const start = Math.min(tok.startOffset, this.textLength);
    const endInclusive = tok.endOffset ?? tok.startOffset + tok.image.length - 1;
    const end = Math.min(Math.max(start, (Number.isFinite(endInclusive) ? endInclusive : start) + 1), this.textLength);
    this.lastEnd = end;
    return { start, end };
  }

  private tokens<N extends CstNode>(node: N, name: TokenKey<N>): IToken[] {
    return ((node.children as Children)[name] ?? []).filter(isToken);
  }

  private nodes<N extends CstNode, K extends NodeKey<N>>(node: N, name: K): ChildNode<N, K>[] {
    return ((node.children as Children)[name] ?? []).filter((e) => !isToken(e)) as ChildNode<N, K>[];
  }

  private token<N extends CstNode>(node: N, name: TokenKey<N>): IToken | undefined {
    return this.tokens(node, name)[0];
  }

  private node<N extends CstNode, K extends NodeKey<N>>(node: N, name: K): ChildNode<N, K> | undefined {
    return this.nodes(node, name)[0];
  }

  /** Span from `start` to the end of the last converted token (never before `start`). */
  private spanFrom(start: number): Span {
    return { start, end: Math.max(start, this.lastEnd) };
  }

  /** Start offset of a CST node when known, else the current anchor. */
  private startOf(node: CstNode): number {
    const s = node.location?.startOffset;
    return s !== undefined && Number.isFinite(s) ? Math.min(s, this.textLength) : this.lastEnd;
  }

  program(node: Cst.ProgramCstNode): Ast.Program {
    const items: Ast.TopItem[] = [];
    for (const item of this.nodes(node, 'topItem')) {
      const top = this.topItem(item);
      if (top) items.push(top);
    }
    return { kind: 'program', items, span: { start: 0, end: this.textLength } };
  }

  private topItem(node: Cst.TopItemCstNode): Ast.TopItem | undefined {
    const dim = this.node(node, 'dimDecl');
    if (dim) return this.dimDecl(dim);
    const c = this.node(node, 'constDecl');
    if (c) return this.constDecl(c);
    const t = this.node(node, 'tensorDecl');
    if (t) return this.tensorDecl(t);
    const s = this.node(node, 'statement');
    if (s) return this.statement(s);
    return undefined;
  }

  private dimDecl(node: Cst.DimDeclCstNode): Ast.DimDecl {
    const start = this.startOf(node);
    this.tokenSpan(this.token(node, 'Dim'));
    const items = this.nodes(node, 'dimItem').map((n) => this.dimItem(n));
    return { kind: 'dim', items, span: this.spanFrom(start) };
  }

  private dimItem(node: Cst.DimItemCstNode): Ast.DimItem {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'Identifier');
    const nameSpan = this.tokenSpan(nameTok);
    const sel = this.node(node, 'selectors');
    const selectors = sel ? this.selectors(sel) : [];
    const eq = this.token(node, 'Equals');
    const tilde = this.token(node, 'Tilde');
    const valueNode = this.node(node, 'intExpr');
    let size: Ast.DimItem['size'];
    if (eq || tilde) {
      this.tokenSpan(eq ?? tilde);
      const value = valueNode ? this.intExpr(valueNode) : this.missingInt();
      size = { mode: eq ? 'fixed' : 'hint', value };
    }
    return { kind: 'dim-item', name: nameTok?.image ?? '', nameSpan, selectors, ...(size ? { size } : {}), span: this.spanFrom(start) };
  }

  private missingInt(): Ast.IntExpr {
    return { kind: 'int', value: 1, span: { start: this.lastEnd, end: this.lastEnd } };
  }

  private selectors(node: Cst.SelectorsCstNode): Ast.Selector[] {
    this.tokenSpan(this.token(node, 'LBrace'));
    type Part = { offset: number } & ({ binder: Cst.BinderCstNode } | { value: Cst.IntExprCstNode });
    const parts: Part[] = [
      ...this.nodes(node, 'binder').map((n) => ({ offset: this.startOf(n), binder: n })),
      ...this.nodes(node, 'intExpr').map((n) => ({ offset: this.startOf(n), value: n })),
    ].sort((a, b) => a.offset - b.offset);
    const out = parts.map((p) => ('binder' in p ? this.binder(p.binder) : this.intExpr(p.value)));
    this.tokenSpan(this.token(node, 'RBrace'));
    return out;
  }

  private binder(node: Cst.BinderCstNode): Ast.Binder {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'Identifier');
    const nameSpan = this.tokenSpan(nameTok);
    this.tokenSpan(this.token(node, 'In'));
    const exprs = this.nodes(node, 'intExpr');
    const from = exprs[0] ? this.intExpr(exprs[0]) : this.missingInt();
    this.tokenSpan(this.token(node, 'DotDot'));
    const to = exprs[1] ? this.intExpr(exprs[1]) : this.missingInt();
    return { kind: 'binder', name: nameTok?.image ?? '', nameSpan, from, to, span: this.spanFrom(start) };
  }

  private constDecl(node: Cst.ConstDeclCstNode): Ast.ConstDecl {
    const start = this.startOf(node);
    this.tokenSpan(this.token(node, 'Const'));
    const nameTok = this.token(node, 'Identifier');
    const nameSpan = this.tokenSpan(nameTok);
    this.tokenSpan(this.token(node, 'Equals'));
    const v = this.node(node, 'intExpr');
    const value = v ? this.intExpr(v) : this.missingInt();
    return { kind: 'const', name: nameTok?.image ?? '', nameSpan, value, span: this.spanFrom(start) };
  }

  private tensorDecl(node: Cst.TensorDeclCstNode): Ast.TensorDecl {
    const start = this.startOf(node);
    const roleTok = this.token(node, 'Input') ?? this.token(node, 'Param');
    this.tokenSpan(roleTok);
    const role = this.token(node, 'Input') ? 'input' : 'param';
    const items = this.nodes(node, 'tensorItem').map((n) => this.tensorItem(n));
    return { kind: 'tensor', role, items, span: this.spanFrom(start) };
  }

  private tensorItem(node: Cst.TensorItemCstNode): Ast.TensorItem {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'Identifier');
    const nameSpan = this.tokenSpan(nameTok);
    const sel = this.node(node, 'selectors');
    const selectors = sel ? this.selectors(sel) : [];
    const list = this.node(node, 'indexList');
    const call = this.node(node, 'familyCall');
    const base = { kind: 'tensor-item' as const, name: nameTok?.image ?? '', nameSpan, selectors };
    if (call) {
      this.tokenSpan(this.token(node, 'Equals'));
      const family = this.familyCall(call);
      return { ...base, family, span: this.spanFrom(start) };
    }
    const indices = list ? this.indexList(list) : [];
    return { ...base, indices, span: this.spanFrom(start) };
  }

  private familyCall(node: Cst.FamilyCallCstNode): Ast.FamilyCallAst {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'Identifier');
    const familySpan = this.tokenSpan(nameTok);
    this.tokenSpan(this.token(node, 'LParen'));
    const args = this.nodes(node, 'familyArg').map((n) => this.familyArg(n));
    this.tokenSpan(this.token(node, 'RParen'));
    return { kind: 'family-call', family: nameTok?.image ?? '', familySpan, args, span: this.spanFrom(start) };
  }

  private familyArg(node: Cst.FamilyArgCstNode): Ast.FamilyArgAst {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'AnyName');
    if (nameTok) {
      this.tokenSpan(nameTok);
      this.tokenSpan(this.token(node, 'Colon'));
    }
    const v = this.node(node, 'familyValue');
    const value: Ast.FamilyValueAst = v ? this.familyValue(v) : { kind: 'number', value: 0, span: { start: this.lastEnd, end: this.lastEnd } };
    return { kind: 'family-arg', ...(nameTok ? { name: nameTok.image } : {}), value, span: this.spanFrom(start) };
  }

  private familyValue(node: Cst.FamilyValueCstNode): Ast.FamilyValueAst {
    const start = this.startOf(node);
    const num = this.token(node, 'NumberLiteral');
    if (num) return { kind: 'number', value: Number(num.image), span: this.tokenSpan(num) };
    const ref = this.node(node, 'nameRef');
    if (ref) {
      const r = this.nameRef(ref);
      return { kind: 'name', ref: r, span: r.span };
    }
    const bracket = this.token(node, 'LBracket') ? '[' : '(';
    this.tokenSpan(this.token(node, bracket === '[' ? 'LBracket' : 'LParen'));
    const items = this.nodes(node, 'familyValue').map((n) => this.familyValue(n));
    this.tokenSpan(this.token(node, bracket === '[' ? 'RBracket' : 'RParen'));
    return { kind: 'list', bracket, items, span: this.spanFrom(start) };
  }

  private statement(node: Cst.StatementCstNode): Ast.StatementAst {
    const start = this.startOf(node);
    const mode = this.token(node, 'Out') ? 'out' : 'let';
    this.tokenSpan(this.token(node, 'Out') ?? this.token(node, 'Let'));
    const nameTok = this.token(node, 'Identifier');
    const nameSpan = this.tokenSpan(nameTok);
    const list = this.node(node, 'indexList');
    const indices = list ? this.indexList(list) : [];
    this.tokenSpan(this.token(node, 'Equals'));
    const s = this.node(node, 'sum');
    const body: Ast.Expr = s ? this.sum(s) : { kind: 'product', factors: [], span: { start: this.lastEnd, end: this.lastEnd } };
    return { kind: 'statement', mode, name: nameTok?.image ?? '', nameSpan, indices, body, span: this.spanFrom(start) };
  }

  private indexList(node: Cst.IndexListCstNode): Ast.NameRef[] {
    this.tokenSpan(this.token(node, 'LBracket'));
    const refs = this.nodes(node, 'nameRef').map((n) => this.nameRef(n));
    this.tokenSpan(this.token(node, 'RBracket'));
    return refs;
  }

  private nameRef(node: Cst.NameRefCstNode): Ast.NameRef {
    const start = this.startOf(node);
    const nameTok = this.token(node, 'Identifier');
    this.tokenSpan(nameTok);
    const subscripts: Ast.IntExpr[] = [];
    if (this.token(node, 'LBrace')) {
      this.tokenSpan(this.token(node, 'LBrace'));
      for (const e of this.nodes(node, 'intExpr')) subscripts.push(this.intExpr(e));
      this.tokenSpan(this.token(node, 'RBrace'));
    }
    return { kind: 'name', base: nameTok?.image ?? '', subscripts, span: this.spanFrom(start) };
  }

  private sum(node: Cst.SumCstNode): Ast.Expr {
    const start = this.startOf(node);
    const products = this.nodes(node, 'product');
    const ops = [...this.tokens(node, 'Plus'), ...this.tokens(node, 'Minus')].sort((a, b) => a.startOffset - b.startOffset);
    const items: Ast.Sum['items'] = [];
    products.forEach((p, i) => {
      let negative = false;
      if (i > 0) {
        const op = ops[i - 1];
        this.tokenSpan(op);
        negative = op?.image === '-';
      }
      // A product's own leading `-` folds into the sign of its term.
      const own = this.token(p, 'Minus');
      if (own) {
        this.tokenSpan(own);
        negative = !negative;
      }
      items.push({ sign: negative ? '-' : '+', expr: this.product(p) });
    });
    if (items.length === 1 && items[0].sign === '+') return items[0].expr;
    return { kind: 'sum', items, span: this.spanFrom(start) };
  }

  private product(node: Cst.ProductCstNode): Ast.Expr {
    const factorNodes = this.nodes(node, 'factor');
    // Start at the first factor: a leading `-` belongs to the enclosing sum's term sign.
    const start = factorNodes[0] ? this.startOf(factorNodes[0]) : this.startOf(node);
    const factors: Ast.Expr[] = [];
    for (const f of factorNodes) {
      const e = this.factor(f);
      if (e) factors.push(e);
    }
    if (factors.length === 1) return factors[0];
    return { kind: 'product', factors, span: this.spanFrom(start) };
  }

  private factor(node: Cst.FactorCstNode): Ast.Expr | undefined {
    const num = this.token(node, 'NumberLiteral');
    if (num) return { kind: 'number', value: Number(num.image), span: this.tokenSpan(num) };
    const acc = this.node(node, 'access');
    if (acc) return this.access(acc);
    const comp = this.node(node, 'comprehension');
    if (comp) return this.comprehension(comp);
    const s = this.node(node, 'sum');
    if (s) {
      this.tokenSpan(this.token(node, 'LParen'));
      const e = this.sum(s);
      this.tokenSpan(this.token(node, 'RParen'));
      return e;
    }
    return undefined;
  }

  private access(node: Cst.AccessCstNode): Ast.Access {
    const start = this.startOf(node);
    const ref = this.node(node, 'nameRef');
    const tensor: Ast.NameRef = ref ? this.nameRef(ref) : { kind: 'name', base: '', subscripts: [], span: { start: this.lastEnd, end: this.lastEnd } };
    const list = this.node(node, 'indexList');
    const indices = list ? this.indexList(list) : [];
    return { kind: 'access', tensor, indices, span: this.spanFrom(start) };
  }

  private comprehension(node: Cst.ComprehensionCstNode): Ast.Comprehension {
    const start = this.startOf(node);
    const op = this.token(node, 'Prod') ? 'prod' : 'sum';
    this.tokenSpan(this.token(node, 'Prod') ?? this.token(node, 'Identifier'));
    this.tokenSpan(this.token(node, 'LParen'));
    const binders = this.nodes(node, 'binder').map((b) => this.binder(b));
    this.tokenSpan(this.token(node, 'RParen'));
    const f = this.node(node, 'factor');
    const body = (f && this.factor(f)) ?? { kind: 'product' as const, factors: [], span: { start: this.lastEnd, end: this.lastEnd } };
    return { kind: 'comprehension', op, binders, body, span: this.spanFrom(start) };
  }

  private intExpr(node: Cst.IntExprCstNode): Ast.IntExpr {
    const start = this.startOf(node);
    const terms = this.nodes(node, 'intTerm');
    const ops = [...this.tokens(node, 'Plus'), ...this.tokens(node, 'Minus')].sort((a, b) => a.startOffset - b.startOffset);
    let acc = terms[0] ? this.intTerm(terms[0]) : this.missingInt();
    for (let i = 1; i < terms.length; i++) {
      const op = ops[i - 1];
      this.tokenSpan(op);
      const right = this.intTerm(terms[i]);
      acc = { kind: 'binary', op: op?.image === '-' ? '-' : '+', left: acc, right, span: this.spanFrom(start) };
    }
    return acc;
  }

  private intTerm(node: Cst.IntTermCstNode): Ast.IntExpr {
    const start = this.startOf(node);
    const parts = this.nodes(node, 'intUnary');
    const ops = [...this.tokens(node, 'Star'), ...this.tokens(node, 'Slash'), ...this.tokens(node, 'Percent')].sort(
      (a, b) => a.startOffset - b.startOffset,
    );
    let acc = parts[0] ? this.intUnary(parts[0]) : this.missingInt();
    for (let i = 1; i < parts.length; i++) {
      const op = ops[i - 1];
      this.tokenSpan(op);
      const right = this.intUnary(parts[i]);
      const sym = op?.image === '/' ? '/' : op?.image === '%' ? '%' : '*';
      acc = { kind: 'binary', op: sym, left: acc, right, span: this.spanFrom(start) };
    }
    return acc;
  }

  private intUnary(node: Cst.IntUnaryCstNode): Ast.IntExpr {
    const start = this.startOf(node);
    const minus = this.token(node, 'Minus');
    if (minus) {
      this.tokenSpan(minus);
      const inner = this.node(node, 'intUnary');
      const operand = inner ? this.intUnary(inner) : this.missingInt();
      return { kind: 'neg', operand, span: this.spanFrom(start) };
    }
    const num = this.token(node, 'NumberLiteral');
    if (num) return { kind: 'int', value: Number(num.image), span: this.tokenSpan(num) };
    const id = this.token(node, 'Identifier');
    if (id) return { kind: 'ref', name: id.image, span: this.tokenSpan(id) };
    const inner = this.node(node, 'intExpr');
    this.tokenSpan(this.token(node, 'LParen'));
    const e = inner ? this.intExpr(inner) : this.missingInt();
    this.tokenSpan(this.token(node, 'RParen'));
    return e;
  }
}
