// The .tn token vocabulary. Keywords come before Identifier and name it as `longer_alt`, so
// `input1` is an identifier; every keyword also belongs to the `AnyName` category so that a
// family argument may be named `in:` or `out:`. Whitespace (newlines included) and `#`
// comments are skipped: every statement starts with a keyword, so lines need no terminator.

import { createToken, Lexer, type TokenType } from 'chevrotain';

/** Category of every token that can spell a family argument name (identifiers and keywords). */
export const AnyName = createToken({ name: 'AnyName', pattern: Lexer.NA });

/**
 * Category of every token that cannot start a declaration or statement. The parser skips a
 * run of these at the top level as one error, so a stray token does not end the parse.
 */
export const Stray = createToken({ name: 'Stray', pattern: Lexer.NA });

const IDENTIFIER_RE = /[\p{L}_][\p{L}\p{N}_]*/uy;

/** Matches an identifier at `offset` (a sticky unicode regex; one shared instance, reset per call). */
function matchIdentifier(text: string, offset: number): RegExpExecArray | null {
  IDENTIFIER_RE.lastIndex = offset;
  return IDENTIFIER_RE.exec(text);
}

/**
 * Every UTF-16 code unit that can begin an identifier: `_`, the letters of the Basic
 * Multilingual Plane, and the high surrogates (letters beyond it start with one).
 */
function identifierStartUnits(): string[] {
  const out = ['_'];
  const letter = /\p{L}/u;
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    if ((c >= 0xd800 && c <= 0xdbff) || letter.test(ch)) out.push(ch);
  }
  return out;
}

/** Letters (any script) or `_`, then letters, digits or `_`. */
export const Identifier = createToken({
  name: 'Identifier',
  // chevrotain rebuilds regex patterns without the `u` flag, so a custom matcher runs the
  // unicode regex; the hint lists every possible first UTF-16 unit so the lexer keeps its
  // first-character fast path.
  pattern: { exec: matchIdentifier },
  line_breaks: false,
  start_chars_hint: identifierStartUnits(),
  categories: [AnyName, Stray],
});

function keyword(word: string, startsItem: boolean): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: startsItem ? [AnyName] : [AnyName, Stray],
  });
}

/** `dim`: declares dims. */
export const Dim = keyword('dim', true);
/** `const`: declares an integer constant. */
export const Const = keyword('const', true);
/** `input`: declares input tensors. */
export const Input = keyword('input', true);
/** `param`: declares parameter tensors. */
export const Param = keyword('param', true);
/** `out`: an exported statement. */
export const Out = keyword('out', true);
/** `let`: an intermediate statement. */
export const Let = keyword('let', true);
/** `prod`: a product over ranges. */
export const Prod = keyword('prod', false);
/** `in`: binds a range in `n in 1..N`. */
export const In = keyword('in', false);

/** Decimal numbers: `64`, `0.5`, `1e-3`. `1..N` lexes as `1`, `..`, `N`. */
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, categories: [Stray] });

/** `..` in ranges. */
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, categories: [Stray] });
/** `=`. */
export const Equals = createToken({ name: 'Equals', pattern: /=/, categories: [Stray] });
/** `~` (planning hint of a symbolic dim). */
export const Tilde = createToken({ name: 'Tilde', pattern: /~/, categories: [Stray] });
/** `,`. */
export const Comma = createToken({ name: 'Comma', pattern: /,/, categories: [Stray] });
/** `:` after a family argument name. */
export const Colon = createToken({ name: 'Colon', pattern: /:/, categories: [Stray] });
/** `[`. */
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, categories: [Stray] });
/** `]`. */
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, categories: [Stray] });
/** `(`. */
export const LParen = createToken({ name: 'LParen', pattern: /\(/, categories: [Stray] });
/** `)`. */
export const RParen = createToken({ name: 'RParen', pattern: /\)/, categories: [Stray] });
/** `{` of an indexed name. */
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, categories: [Stray] });
/** `}`. */
export const RBrace = createToken({ name: 'RBrace', pattern: /}/, categories: [Stray] });
/** `+`. */
export const Plus = createToken({ name: 'Plus', pattern: /\+/, categories: [Stray] });
/** `-`. */
export const Minus = createToken({ name: 'Minus', pattern: /-/, categories: [Stray] });
/** `*`. */
export const Star = createToken({ name: 'Star', pattern: /\*/, categories: [Stray] });
/** `/` (integer division, rounding down). */
export const Slash = createToken({ name: 'Slash', pattern: /\//, categories: [Stray] });
/** `%` (integer remainder). */
export const Percent = createToken({ name: 'Percent', pattern: /%/, categories: [Stray] });

/** `#` comments, skipped. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: Lexer.SKIPPED });
/** White space including line breaks, skipped. */
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });

/** Every token type, in lexing priority order. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  AnyName,
  Stray,
  Dim,
  Const,
  Input,
  Param,
  Out,
  Let,
  Prod,
  In,
  Identifier,
  NumberLiteral,
  DotDot,
  Equals,
  Tilde,
  Comma,
  Colon,
  LBracket,
  RBracket,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
];

/** The single lexer instance (stateless between calls). */
export const tnLexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false });
