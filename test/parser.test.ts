import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render, SourceFile, type Diagnostic } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import { cstTypesText } from '../src/parser/grammar.js';
import { parse, printProgram, type Ast } from '../src/parser/index.js';

/** Deep copy without span fields, for comparing ASTs ignoring positions. */
function stripSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripSpans);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'span' && k !== 'nameSpan' && k !== 'familySpan') out[k] = stripSpans(v);
    return out;
  }
  return x;
}

function sourcesIn(dir: string): { path: string; text: string }[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.tn'));
  } catch {
    return [];
  }
  return names.sort().map((n) => ({ path: join(dir, n), text: readFileSync(join(dir, n), 'utf8') }));
}

const SAMPLE = `# a matrix chain
dim a = 2, b = 3, c = 4
param A[a, b], B[b, c]
out C[a, c] = A[a, b] B[b, c]
`;

const FULL = `# every construct of the language
const N = 4
dim i = 4, j = 4, k ~ 8, b
dim m{n in 1..N+1} = 2
dim h{r in 1..2, c in 1..3} = 3
input x[b, i]
param A[i, j], s[]
param S{n in 1..N}[m{n}, m{n+1}]
param W = ttm(in: [i, j], out: [k, k], rank: 4, tree: ((i, j), (k)))
out X[i, j] = A[i, j] + 2 * A[j, i]
let T[i] = A[i, i]
out y[b] = 0.5 * (x[b, i] A[i, j] x[b, j] - x[b, i] x[b, i]) - T[i] x[b, i]
out z[] = prod(n in 1..N) S{n}[m{n}, m{n+1}]
out w[m{1}, m{(N+1)/1}] = prod(n in 1..N, q in n..n) (S{n}[m{n}, m{n+1}]) s[]
`;

function checkSpans(text: string, ds: readonly Diagnostic[]): void {
  for (const d of ds) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
    for (const n of d.notes ?? []) {
      if (!n.span) continue;
      expect(n.span.start).toBeGreaterThanOrEqual(0);
      expect(n.span.end).toBeLessThanOrEqual(text.length);
    }
  }
}

/** Every span in a (possibly partial, recovered) AST is half-open and inside the text. */
function checkAstSpans(text: string, node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach((n) => checkAstSpans(text, n));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span' || k === 'nameSpan' || k === 'familySpan') {
      const s = v as { start: number; end: number };
      expect(Number.isInteger(s.start) && Number.isInteger(s.end), k).toBe(true);
      expect(0 <= s.start && s.start <= s.end && s.end <= text.length, `${k} ${s.start}..${s.end} of ${text.length}`).toBe(true);
    } else {
      checkAstSpans(text, v);
    }
  }
}

describe('parse: examples', () => {
  it('parses a file using every construct without diagnostics and round-trips it', () => {
    const r = parse(FULL, 'full.tn');
    expect(r.diagnostics).toEqual([]);
    const printed = printProgram(r.value);
    const again = parse(printed, 'printed.tn');
    expect(again.diagnostics).toEqual([]);
    expect(stripSpans(again.value)).toEqual(stripSpans(r.value));
    expect(printProgram(again.value)).toBe(printed);
  });

  it('the committed CST types match the grammar (run scripts/gen-cst-types.ts after grammar edits)', () => {
    expect(readFileSync('src/parser/cst.d.ts', 'utf8')).toBe(cstTypesText());
  });

  it('builds the expected AST for a statement', () => {
    const r = parse('out X[i] = -2 * A{n+1}[i, m{2}] + B[i]\n', 't.tn');
    expect(r.diagnostics).toEqual([]);
    const s = r.value.items[0] as Ast.StatementAst;
    expect(stripSpans(s.body)).toEqual({
      kind: 'sum',
      items: [
        {
          sign: '-',
          expr: {
            kind: 'product',
            factors: [
              { kind: 'number', value: 2 },
              {
                kind: 'access',
                tensor: { kind: 'name', base: 'A', subscripts: [{ kind: 'binary', op: '+', left: { kind: 'ref', name: 'n' }, right: { kind: 'int', value: 1 } }] },
                indices: [
                  { kind: 'name', base: 'i', subscripts: [] },
                  { kind: 'name', base: 'm', subscripts: [{ kind: 'int', value: 2 }] },
                ],
              },
            ],
          },
        },
        { sign: '+', expr: { kind: 'access', tensor: { kind: 'name', base: 'B', subscripts: [] }, indices: [{ kind: 'name', base: 'i', subscripts: [] }] } },
      ],
    });
    // Spans are half-open and cover the written text.
    const text = 'out X[i] = -2 * A{n+1}[i, m{2}] + B[i]\n';
    const body = s.body as Ast.Sum;
    expect(text.slice(body.span.start, body.span.end)).toBe('-2 * A{n+1}[i, m{2}] + B[i]');
    expect(text.slice(s.nameSpan.start, s.nameSpan.end)).toBe('X');
  });

  it('lexes identifiers in any script, including letters beyond the BMP', () => {
    const r = parse('dim 𝑥 = 2, Ω1 = 3, 中 = 2\nparam A[𝑥, 中]\nout y[𝑥] = A[𝑥, 中]\n', 'u.tn');
    expect(r.diagnostics).toEqual([]);
    expect((r.value.items[0] as Ast.DimDecl).items.map((d) => d.name)).toEqual(['𝑥', 'Ω1', '中']);
  });

  it('accepts keywords as family argument names and unicode identifiers', () => {
    const r = parse('dim α = 2, β = 3\nparam W = f(in: [α], out: [β], 2)\nout y[β] = W[α, β] x[α]\n', 'u.tn');
    expect(r.diagnostics).toEqual([]);
    const decl = r.value.items[1] as Ast.TensorDecl;
    expect(decl.items[0].family?.args.map((a) => a.name)).toEqual(['in', 'out', undefined]);
  });

  it('round-trips every example and fixture', () => {
    const files = [...sourcesIn('examples'), ...sourcesIn('test/fixtures')];
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = parse(f.text, f.path);
      expect(r.diagnostics, f.path).toEqual([]);
      const printed = printProgram(r.value);
      const again = parse(printed, f.path);
      expect(again.diagnostics, f.path).toEqual([]);
      expect(stripSpans(again.value), f.path).toEqual(stripSpans(r.value));
    }
  });

  it('reports all three errors of a file with three syntax errors', () => {
    const text = ['dim i = 2, j = 3', 'param A[i, j) B[j]', 'out X[i] = A[i, j] *', 'dim k = = 4', 'out Y[i] = A[i, j]'].join('\n');
    const r = parse(text, 'three.tn');
    const file = SourceFile.from('three.tn', text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['syntax/unexpected-token', 'syntax/unexpected-token', 'syntax/unexpected-token']);
    expect(r.diagnostics.map((d) => file.position(d.span.start))).toEqual([
      { line: 2, column: 13 },
      { line: 3, column: 21 },
      { line: 4, column: 9 },
    ]);
    expect(r.diagnostics[0].message).toBe("expected ']' but found ')'");
    expect(r.diagnostics[2].message).toContain("found '='");
  });

  it('keeps parsing after a stray token at the top level', () => {
    const text = 'dimm i = 2\nparam A[i\nout X[i] = A[i] ]\nfoo\nout Y[i] = A[i] +\n';
    const r = parse(text, 'stray.tn');
    const file = SourceFile.from('stray.tn', text);
    expect(r.diagnostics.map((d) => [d.code, file.position(d.span.start).line])).toEqual([
      ['syntax/unexpected-token', 1],
      ['syntax/unexpected-token', 2],
      ['syntax/unexpected-token', 3],
      ['syntax/unexpected-end', 5],
    ]);
    expect(r.diagnostics[0].message).toBe("expected a declaration or statement ('dim', 'const', 'input', 'param', 'out' or 'let') but found 'dimm'");
    expect(r.value.items.map((i) => i.kind)).toEqual(['tensor', 'statement', 'statement']);
  });

  it('anchors an error at the end of input on the end of the previous real token', () => {
    const text = 'dim i = 2\nout X[i] = A[i';
    const r = parse(text, 'eof.tn');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].code).toBe('syntax/unexpected-end');
    expect(r.diagnostics[0].span).toEqual({ start: text.length, end: text.length });
    expect(r.diagnostics[0].message).toContain("expected ']'");
  });

  it('says how to fix a missing index list', () => {
    const a = parse('dim i = 4\nparam A[i]\nout y = A[i]\n', 'a.tn').diagnostics;
    expect(a.map((d) => d.message)).toEqual(["expected '[' but found '='; write the indices in brackets, `[]` for a scalar"]);
    const b = parse('dim i = 4\nparam A[i]\nout y[i] = 2 A\n', 'b.tn').diagnostics;
    expect(b.map((d) => d.message)).toEqual(['a tensor access needs its indices in brackets: write A[...] (A[] for a scalar)']);
  });

  it('reports an unexpected character with its span', () => {
    const text = 'dim i = 2 $\n';
    const r = parse(text, 'c.tn');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['syntax/unexpected-character']);
    expect(r.diagnostics[0].span).toEqual({ start: 10, end: 11 });
  });

  it('refuses nesting deep enough to exhaust the stack, with a diagnostic rather than an exception', () => {
    for (const text of [
      `dim i = 2\nparam A[i]\nout y[i] = ${'('.repeat(5000)}A[i]${')'.repeat(5000)}\n`,
      `dim i = ${'-'.repeat(5000)}2\n`,
      `dim i = 2\nparam A[i]\nout y[] = ${'prod(n in 1..1) '.repeat(5000)}A[i]\n`,
    ]) {
      const r = analyze(SourceFile.from('deep.tn', text));
      expect(r.diagnostics.map((d) => d.code)).toEqual(['limit/nesting-too-deep']);
      checkSpans(text, r.diagnostics);
    }
    // Brackets left open by many broken statements are syntax errors, not nesting.
    const open = Array.from({ length: 150 }, (_, k) => `out y${k}[i = A[i]`).join('\n');
    expect(parse(`dim i = 2\nparam A[i]\n${open}\n`, 'open.tn').diagnostics.every((d) => d.code.startsWith('syntax/'))).toBe(true);
    // Long but flat input is fine: a 20000-term sum of integers and a 2000-factor product.
    const flat = `dim i = ${Array.from({ length: 20000 }, () => '1').join('+')}\nparam A[i]\nout y[] = ${'A[i] '.repeat(2000)}\n`;
    const r = analyze(SourceFile.from('flat.tn', flat));
    expect(r.diagnostics).toEqual([]);
    expect(r.value?.dims[0].size).toEqual({ kind: 'fixed', size: 20000 });
    expect(parse(printProgram(parse(flat, 'f').value), 'f').diagnostics).toEqual([]);
  });

  it('renders the caret under the token on a tab-indented line', () => {
    const text = 'dim i = 2\n\tout X[i] = A[i] + ]\n';
    const file = SourceFile.from('tab.tn', text);
    const r = parse(text, 'tab.tn');
    expect(r.diagnostics).toHaveLength(1);
    const lines = render(file, r.diagnostics).split('\n');
    expect(lines[0]).toMatch(/^tab\.tn:2:20: error\[syntax\/unexpected-token\]: /);
    expect(lines[1]).toBe('  \tout X[i] = A[i] + ]');
    expect(lines[2]).toBe('  \t' + ' '.repeat(18) + '^');
  });
});

// ---- random ASTs -------------------------------------------------------------------------

const NO_SPAN = { start: 0, end: 0 };
const IDENTS = ['i', 'j', 'k2', 'A', 'Bb', 'x_1', 'α', 'N', 'input1', 'dims', 'sum'];
const arbIdent = fc.constantFrom(...IDENTS);
const arbNumber = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => Math.abs(x) + 0),
);

const { intExpr: arbIntExpr } = fc.letrec<{ intExpr: Ast.IntExpr }>((tie) => ({
  intExpr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.nat({ max: 99 }).map((value): Ast.IntExpr => ({ kind: 'int', value, span: NO_SPAN })),
    arbIdent.map((name): Ast.IntExpr => ({ kind: 'ref', name, span: NO_SPAN })),
    tie('intExpr').map((operand): Ast.IntExpr => ({ kind: 'neg', operand, span: NO_SPAN })),
    fc
      .tuple(fc.constantFrom('+', '-', '*', '/', '%' as const), tie('intExpr'), tie('intExpr'))
      .map(([op, left, right]): Ast.IntExpr => ({ kind: 'binary', op: op as '+', left, right, span: NO_SPAN })),
  ),
}));

const arbNameRef: fc.Arbitrary<Ast.NameRef> = fc
  .tuple(arbIdent, fc.array(arbIntExpr, { maxLength: 2 }))
  .map(([base, subscripts]) => ({ kind: 'name', base, subscripts, span: NO_SPAN }));

const arbBinder: fc.Arbitrary<Ast.Binder> = fc
  .tuple(arbIdent, arbIntExpr, arbIntExpr)
  .map(([name, from, to]) => ({ kind: 'binder', name, nameSpan: NO_SPAN, from, to, span: NO_SPAN }));

const arbSelectors = fc.array(fc.oneof(arbBinder, arbIntExpr), { maxLength: 2 });

const arbAccess: fc.Arbitrary<Ast.Access> = fc
  .tuple(arbNameRef, fc.array(arbNameRef, { maxLength: 3 }))
  .map(([tensor, indices]) => ({ kind: 'access', tensor, indices, span: NO_SPAN }));

const { expr: arbExpr } = fc.letrec<{ expr: Ast.Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbAccess,
    arbNumber.map((value): Ast.Expr => ({ kind: 'number', value, span: NO_SPAN })),
    fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((factors): Ast.Expr => ({ kind: 'product', factors, span: NO_SPAN })),
    fc
      .array(fc.record({ sign: fc.constantFrom('+', '-' as const), expr: tie('expr') }), { minLength: 1, maxLength: 3 })
      .filter((items) => items.length > 1 || items[0].sign === '-')
      .map((items): Ast.Expr => ({ kind: 'sum', items: items as Ast.Sum['items'], span: NO_SPAN })),
    fc
      .tuple(fc.constantFrom('prod', 'sum' as const), fc.array(arbBinder, { minLength: 1, maxLength: 2 }), tie('expr'))
      .map(([op, binders, body]): Ast.Expr => ({ kind: 'comprehension', op: op as 'prod', binders, body, span: NO_SPAN })),
  ),
}));

const { value: arbFamilyValue } = fc.letrec<{ value: Ast.FamilyValueAst }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    arbNumber.map((value): Ast.FamilyValueAst => ({ kind: 'number', value, span: NO_SPAN })),
    arbNameRef.map((ref): Ast.FamilyValueAst => ({ kind: 'name', ref, span: NO_SPAN })),
    fc
      .tuple(fc.constantFrom('[', '(' as const), fc.array(tie('value'), { maxLength: 3 }))
      .map(([bracket, items]): Ast.FamilyValueAst => ({ kind: 'list', bracket: bracket as '[', items, span: NO_SPAN })),
  ),
}));

const arbFamilyCall: fc.Arbitrary<Ast.FamilyCallAst> = fc
  .tuple(
    arbIdent,
    fc.array(
      fc.record({ name: fc.option(fc.constantFrom('in', 'out', 'rank', 'dim', 'tree'), { nil: undefined }), value: arbFamilyValue }),
      { maxLength: 3 },
    ),
  )
  .map(([family, args]) => ({
    kind: 'family-call',
    family,
    familySpan: NO_SPAN,
    args: args.map((a): Ast.FamilyArgAst => ({ kind: 'family-arg', ...(a.name !== undefined ? { name: a.name } : {}), value: a.value, span: NO_SPAN })),
    span: NO_SPAN,
  }));

const arbTopItem: fc.Arbitrary<Ast.TopItem> = fc.oneof(
  fc.tuple(arbIdent, arbIntExpr).map(([name, value]): Ast.TopItem => ({ kind: 'const', name, nameSpan: NO_SPAN, value, span: NO_SPAN })),
  fc
    .array(
      fc.tuple(arbIdent, arbSelectors, fc.option(fc.tuple(fc.constantFrom('fixed', 'hint' as const), arbIntExpr), { nil: undefined })),
      { minLength: 1, maxLength: 3 },
    )
    .map(
      (items): Ast.TopItem => ({
        kind: 'dim',
        items: items.map(([name, selectors, size]) => ({
          kind: 'dim-item',
          name,
          nameSpan: NO_SPAN,
          selectors,
          ...(size ? { size: { mode: size[0] as 'fixed', value: size[1] } } : {}),
          span: NO_SPAN,
        })),
        span: NO_SPAN,
      }),
    ),
  fc
    .tuple(
      fc.constantFrom('input', 'param' as const),
      fc.array(fc.tuple(arbIdent, arbSelectors, fc.oneof(fc.array(arbNameRef, { maxLength: 3 }), arbFamilyCall)), { minLength: 1, maxLength: 3 }),
    )
    .map(
      ([role, items]): Ast.TopItem => ({
        kind: 'tensor',
        role: role as 'input',
        items: items.map(([name, selectors, x]) => ({
          kind: 'tensor-item',
          name,
          nameSpan: NO_SPAN,
          selectors,
          ...(Array.isArray(x) ? { indices: x } : { family: x }),
          span: NO_SPAN,
        })),
        span: NO_SPAN,
      }),
    ),
  fc
    .tuple(fc.constantFrom('out', 'let' as const), arbIdent, fc.array(arbNameRef, { maxLength: 3 }), arbExpr)
    .map(([mode, name, indices, body]): Ast.TopItem => ({ kind: 'statement', mode: mode as 'out', name, nameSpan: NO_SPAN, indices, body, span: NO_SPAN })),
);

const arbProgram: fc.Arbitrary<Ast.Program> = fc
  .array(arbTopItem, { maxLength: 5 })
  .map((items) => ({ kind: 'program', items, span: NO_SPAN }));

/** Every expression node of a program, for span properties. */
function expressions(p: Ast.Program): Ast.Expr[] {
  const out: Ast.Expr[] = [];
  const walk = (e: Ast.Expr): void => {
    out.push(e);
    if (e.kind === 'product') e.factors.forEach(walk);
    else if (e.kind === 'sum') e.items.forEach((i) => walk(i.expr));
    else if (e.kind === 'comprehension') walk(e.body);
  };
  for (const it of p.items) if (it.kind === 'statement') walk(it.body);
  return out;
}

describe('parse: properties', () => {
  it('a random AST, printed and parsed back, is equal ignoring spans', () => {
    fc.assert(
      fc.property(arbProgram, (ast) => {
        const text = printProgram(ast);
        const r = parse(text, 'rt.tn');
        expect(r.diagnostics).toEqual([]);
        expect(stripSpans(r.value)).toEqual(stripSpans(ast));
      }),
    );
  });

  it('the source slice of every expression parses back to a node of the same kind', () => {
    fc.assert(
      fc.property(arbProgram, (ast) => {
        const text = printProgram(ast);
        const r = parse(text, 'slice.tn');
        for (const e of expressions(r.value)) {
          const slice = text.slice(e.span.start, e.span.end);
          const again = parse(`out Z[] = ${slice}`, 's.tn');
          expect(again.diagnostics, slice).toEqual([]);
          expect((again.value.items[0] as Ast.StatementAst).body.kind, slice).toBe(e.kind);
        }
      }),
      { numRuns: 50 },
    );
  });

  const corpus = [FULL, SAMPLE, ...sourcesIn('examples').map((f) => f.text), ...sourcesIn('test/fixtures').map((f) => f.text)];
  const mutation = fc.record({
    doc: fc.nat(),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        len: fc.nat({ max: 6 }),
        insert: fc.oneof(
          fc.constant(''),
          fc.constantFrom('[', ']', '(', ')', '{', '}', ',', '=', '~', '..', '*', '-', '+', 'prod', 'out', 'dim', 'in', ':', '#', '\n', '\t', '1e', '@', 'α', '\u0000'),
          fc.string({ maxLength: 4 }),
        ),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });

  it('mutated sources give only diagnostics with spans in range, quickly, through the whole front end', () => {
    fc.assert(
      fc.property(mutation, ({ doc, edits }) => {
        let text = corpus[doc % corpus.length];
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.len);
        }
        const t0 = performance.now();
        const r = parse(text, 'm.tn');
        checkSpans(text, r.diagnostics);
        checkAstSpans(text, r.value);
        const a = analyze(SourceFile.from('m.tn', text));
        checkSpans(text, a.diagnostics);
        expect(render(SourceFile.from('m.tn', text), a.diagnostics)).toBeTypeOf('string');
        expect(performance.now() - t0).toBeLessThan(2000);
      }),
      { numRuns: 200 },
    );
  });

  it('random token soup gives only diagnostics with spans in range', () => {
    const token = fc.constantFrom('dim', 'out', 'let', 'param', 'input', 'const', 'prod', 'in', 'i', 'A', '[', ']', '(', ')', '{', '}', ',', '=', '~', '..', '1', '2.5', '+', '-', '*', '/', ':', '\n', ' ');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), fc.string({ maxLength: 10 }), (tokens, junk) => {
        const text = tokens.join(' ') + junk;
        const t0 = performance.now();
        checkSpans(text, parse(text, 'soup.tn').diagnostics);
        checkSpans(text, analyze(SourceFile.from('soup.tn', text)).diagnostics);
        expect(performance.now() - t0).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
  });
});
