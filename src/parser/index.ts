// The .tn parser stage: source text → Ast.Program with spans, plus every lexing and syntax
// error in the file (chevrotain's error recovery keeps parsing after each one). The AST of a
// file with syntax errors is partial; later stages must not run on it.

import { EOF, type CstNode, type IRecognitionException, type IToken } from 'chevrotain';
import { error, type Diagnostic, type StageResult } from '../diagnostics.js';
import type * as Ast from './ast.js';
import { TnParser } from './grammar.js';
import { tnLexer } from './lexer.js';
import { toAst } from './to-ast.js';

/** The AST node types, as a namespace: `Ast.Program`, `Ast.Expr`, ... */
export type { Ast };
export { printProgram, printExpr, printIntExpr } from './print.js';
export { indexedName } from './ast.js';

/** The reused parser instance; `input` assignment resets its state for every parse. */
const parser = new TnParser();

function tokenEnd(tok: IToken): number {
  return (tok.endOffset ?? tok.startOffset + tok.image.length - 1) + 1;
}

function isReal(tok: IToken | undefined): tok is IToken {
  return tok !== undefined && tok.tokenType !== EOF && !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

/** Deepest nesting the parser accepts: brackets, directly nested `prod`s and runs of `-`. */
export const MAX_NESTING = 100;

const TOP_KEYWORDS = new Set(['Dim', 'Const', 'Input', 'Param', 'Out', 'Let']);

/**
 * The first token past MAX_NESTING, if any. Counts open brackets, plus runs of `-` and of
 * directly nested `prod(...) prod(...)` (each nests one grammar level without a bracket).
 */
function tooDeep(tokens: readonly IToken[]): IToken | undefined {
  let brackets = 0;
  let minusRun = 0;
  let prodRun = 0;
  /** Bracket depth at which the binder list of the latest `prod` opened (-1: none open). */
  let prodListDepth = -1;
  /** Index of the `)` that closed the latest `prod` binder list. */
  let prodListEnd = -2;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const name = t.tokenType.name;
    if (TOP_KEYWORDS.has(name)) {
      // A declaration or statement starts here: brackets left open before it are syntax errors
      // of their own, not nesting.
      brackets = 0;
      prodListDepth = -1;
    }
    if (name === 'Prod') {
      prodRun = prodListEnd === k - 1 ? prodRun + 1 : 1;
      prodListDepth = brackets;
    } else if (prodListEnd !== k - 1) {
      prodRun = prodListDepth >= 0 ? prodRun : 0;
    }
    if (name === 'LParen' || name === 'LBracket' || name === 'LBrace') brackets++;
    else if (name === 'RParen' || name === 'RBracket' || name === 'RBrace') {
      brackets = Math.max(0, brackets - 1);
      if (name === 'RParen' && brackets === prodListDepth) {
        prodListEnd = k;
        prodListDepth = -1;
      }
    }
    minusRun = name === 'Minus' ? minusRun + 1 : 0;
    if (brackets + minusRun + prodRun > MAX_NESTING) return t;
  }
  return undefined;
}

/** Is there a line break between the end of `prev` and the start of `tok`? */
function startsNewLine(text: string, prev: IToken, tok: IToken): boolean {
  return tok.startOffset > tokenEnd(prev) && /[\r\n]/.test(text.slice(tokenEnd(prev), tok.startOffset));
}

/**
 * Parses `.tn` source text. Returns the AST (partial when there are errors) and every
 * lexing and syntax error, each with a half-open span; never throws on user input.
 */
export function parse(text: string, path: string): StageResult<Ast.Program> {
  void path;
  const diagnostics: Diagnostic[] = [];
  const lexed = tnLexer.tokenize(text);
  for (const e of lexed.errors) {
    const span = { start: e.offset, end: Math.min(text.length, e.offset + Math.max(1, e.length)) };
    const ch = text.slice(span.start, span.end);
    diagnostics.push(error('syntax/unexpected-character', `unexpected character ${JSON.stringify(ch)}`, span));
  }
  const tokens = lexed.tokens;
  const deep = tooDeep(tokens);
  if (deep) {
    // The recursive-descent parser would exhaust the stack; report instead of parsing.
    const span = { start: deep.startOffset, end: Math.min(text.length, tokenEnd(deep)) };
    diagnostics.push(error('limit/nesting-too-deep', `nesting deeper than ${MAX_NESTING} levels (brackets, prod(...) bodies or '-' signs); split the expression`, span));
    return { value: { kind: 'program', items: [], span: { start: 0, end: text.length } }, diagnostics };
  }
  parser.input = tokens;
  const cst = parser.program();
  const lastEnd = tokens.length > 0 ? tokenEnd(tokens[tokens.length - 1]) : 0;
  const seen = new Set<string>();
  /** Offsets of the tokens parser errors were raised at; a stray run starting there is the same error. */
  const errorTokens = new Set<number>();
  for (const e of parser.errors as (IRecognitionException & { previousToken?: IToken })[]) {
    let span;
    let code = 'syntax/unexpected-token';
    if (isReal(e.token)) errorTokens.add(e.token.startOffset);
    if (isReal(e.token) && isReal(e.previousToken) && startsNewLine(text, e.previousToken, e.token)) {
      // Something is missing at the end of a line: point there, not at the next line's start.
      const anchor = tokenEnd(e.previousToken);
      span = { start: anchor, end: anchor };
    } else if (isReal(e.token)) {
      span = { start: e.token.startOffset, end: Math.min(text.length, tokenEnd(e.token)) };
    } else {
      const anchor = isReal(e.previousToken) ? tokenEnd(e.previousToken) : lastEnd;
      span = { start: anchor, end: anchor };
      code = 'syntax/unexpected-end';
    }
    const key = `${span.start}:${span.end}:${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(error(code, e.message, span));
  }
  for (const item of (cst.children.stray ?? []) as CstNode[]) {
    const first = (item.children.Stray as IToken[] | undefined)?.[0];
    if (!isReal(first) || errorTokens.has(first.startOffset)) continue;
    diagnostics.push(
      error(
        'syntax/unexpected-token',
        `expected a declaration or statement ('dim', 'const', 'input', 'param', 'out' or 'let') but found '${first.image}'`,
        { start: first.startOffset, end: Math.min(text.length, tokenEnd(first)) },
      ),
    );
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  const value = toAst(cst, text.length);
  return { value, diagnostics };
}
