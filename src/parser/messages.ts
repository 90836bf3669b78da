// Every syntax error message of the .tn parser is worded here (one error-message provider),
// in terms a user of the language knows: token text rather than token type names.

import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';

const TOKEN_TEXT: Record<string, string> = {
  Identifier: 'a name',
  AnyName: 'a name',
  NumberLiteral: 'a number',
  DotDot: "'..'",
  Equals: "'='",
  Tilde: "'~'",
  Comma: "','",
  Colon: "':'",
  LBracket: "'['",
  RBracket: "']'",
  LParen: "'('",
  RParen: "')'",
  LBrace: "'{'",
  RBrace: "'}'",
  Plus: "'+'",
  Minus: "'-'",
  Star: "'*'",
  Slash: "'/'",
  Percent: "'%'",
  EOF: 'the end of the file',
};

function describeType(t: TokenType): string {
  return TOKEN_TEXT[t.name] ?? `'${t.name.toLowerCase()}'`;
}

function describeToken(tok: IToken): string {
  return tok.tokenType === EOF ? 'the end of the file' : `'${tok.image}'`;
}

/** Rule names as a user would say them, for "while reading ..." context. */
const RULE_TEXT: Record<string, string> = {
  topItem: "a declaration or statement ('dim', 'const', 'input', 'param', 'out' or 'let')",
  factor: "a tensor access like A[i, j], a number, 'prod(...)' or '('",
  intUnary: "an integer, a name or '('",
  familyValue: "a number, a name, '[' or '('",
  tensorItem: "an index list '[...]' or '= family(...)'",
};

/** The parser's error-message provider. */
export const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const base = `expected ${describeType(expected)} but found ${describeToken(actual)}`;
    // A missing index list is the usual slip: say how to write a scalar.
    if (expected.name === 'LBracket' && ruleName === 'indexList') return `${base}; write the indices in brackets, \`[]\` for a scalar`;
    return base;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}: expected a declaration or statement ('dim', 'const', 'input', 'param', 'out' or 'let')`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    if (ruleName === 'factor' && actual[0]?.tokenType.name === 'Identifier') {
      const name = actual[0].image;
      return `a tensor access needs its indices in brackets: write ${name}[...] (${name}[] for a scalar)`;
    }
    const wanted = RULE_TEXT[ruleName];
    if (wanted) return `expected ${wanted} but found ${describeToken(actual[0])}`;
    const firsts = [...new Set(expectedPathsPerAlt.flat().map((p) => describeType(p[0])))];
    return `expected ${firsts.join(' or ')} but found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const wanted = RULE_TEXT[ruleName];
    if (wanted) return `expected ${wanted} but found ${describeToken(actual[0])}`;
    const firsts = [...new Set(expectedIterationPaths.map((p) => describeType(p[0])))];
    return `expected ${firsts.join(' or ')} but found ${describeToken(actual[0])}`;
  },
};

