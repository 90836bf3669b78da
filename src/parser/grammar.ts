// The .tn grammar as a chevrotain CstParser: rules only, no embedded actions, error recovery
// on. The CST it builds is turned into the AST by `to-ast.ts`. One instance is reused;
// assigning `input` resets it.

import { CstParser, generateCstDts, type TokenType } from 'chevrotain';
import * as T from './lexer.js';
import { messages } from './messages.js';

/** Token types that can begin a factor of a product (used to continue a juxtaposition). */
const FACTOR_START: TokenType[] = [T.NumberLiteral, T.Identifier, T.Prod, T.LParen];

/** The .tn CST parser. Rule names match the CST node names used by `to-ast.ts`. */
export class TnParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'onlyOffset', maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.OR([{ ALT: () => this.SUBRULE(this.topItem) }, { ALT: () => this.SUBRULE(this.stray) }]));
  });

  /** Tokens that cannot start a declaration or statement; `parse` reports the first of a run. */
  stray = this.RULE('stray', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(T.Stray));
  });

  topItem = this.RULE('topItem', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.dimDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.tensorDecl) },
      { ALT: () => this.SUBRULE(this.statement) },
    ]);
  });

  constDecl = this.RULE('constDecl', () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.intExpr);
  });

  dimDecl = this.RULE('dimDecl', () => {
    this.CONSUME(T.Dim);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dimItem) });
  });

  dimItem = this.RULE('dimItem', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.selectors));
    this.OPTION2(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Tilde) }]);
      this.SUBRULE(this.intExpr);
    });
  });

  /** `{n in 1..N, 2}`: binders or single values in a declaration. */
  selectors = this.RULE('selectors', () => {
    this.CONSUME(T.LBrace);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () =>
        this.OR([
          { GATE: () => this.LA(2).tokenType === T.In, ALT: () => this.SUBRULE(this.binder) },
          { ALT: () => this.SUBRULE(this.intExpr) },
        ]),
    });
    this.CONSUME(T.RBrace);
  });

  binder = this.RULE('binder', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    this.SUBRULE(this.intExpr);
    this.CONSUME(T.DotDot);
    this.SUBRULE2(this.intExpr);
  });

  tensorDecl = this.RULE('tensorDecl', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Input) }, { ALT: () => this.CONSUME(T.Param) }]);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.tensorItem) });
  });

  tensorItem = this.RULE('tensorItem', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.selectors));
    this.OR([
      { ALT: () => this.SUBRULE(this.indexList) },
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          this.SUBRULE(this.familyCall);
        },
      },
    ]);
  });

  familyCall = this.RULE('familyCall', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.familyArg) });
    this.CONSUME(T.RParen);
  });

  familyArg = this.RULE('familyArg', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.AnyName);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.familyValue);
  });

  familyValue = this.RULE('familyValue', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.SUBRULE(this.nameRef) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.familyValue) });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.MANY_SEP2({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.familyValue) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  statement = this.RULE('statement', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Out) }, { ALT: () => this.CONSUME(T.Let) }]);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.indexList);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.sum);
  });

  /** `[i, m{n}, j]` (possibly empty). */
  indexList = this.RULE('indexList', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.nameRef) });
    this.CONSUME(T.RBracket);
  });

  /** `m` or `m{n+1}` or `S{r, c}`. */
  nameRef = this.RULE('nameRef', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBrace);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.intExpr) });
      this.CONSUME(T.RBrace);
    });
  });

  sum = this.RULE('sum', () => {
    this.SUBRULE(this.product);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME2(T.Minus) }]);
      this.SUBRULE2(this.product);
    });
  });

  /** A product may start with `-` (so `A + -2 * B` reads as written); to-ast folds it into the sum's sign. */
  product = this.RULE('product', () => {
    this.OPTION2(() => this.CONSUME(T.Minus));
    this.SUBRULE(this.factor);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Star || FACTOR_START.includes(this.LA(1).tokenType),
      DEF: () => {
        this.OPTION(() => this.CONSUME(T.Star));
        this.SUBRULE2(this.factor);
      },
    });
  });

  factor = this.RULE('factor', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.SUBRULE(this.access) },
      { ALT: () => this.SUBRULE(this.comprehension) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.sum);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  access = this.RULE('access', () => {
    this.SUBRULE(this.nameRef);
    this.SUBRULE(this.indexList);
  });

  /** `prod(...) factor` or `sum(...) factor`; `sum` is not reserved (it stays a valid tensor name). */
  comprehension = this.RULE('comprehension', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Prod) },
      { GATE: () => this.LA(1).image === 'sum', ALT: () => this.CONSUME(T.Identifier) },
    ]);
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.binder) });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.factor);
  });

  intExpr = this.RULE('intExpr', () => {
    this.SUBRULE(this.intTerm);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.intTerm);
    });
  });

  intTerm = this.RULE('intTerm', () => {
    this.SUBRULE(this.intUnary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }, { ALT: () => this.CONSUME(T.Percent) }]);
      this.SUBRULE2(this.intUnary);
    });
  });

  intUnary = this.RULE('intUnary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.intUnary);
        },
      },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.intExpr);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });
}

/** The text of `cst.d.ts`: CST node types generated from the grammar (see scripts/gen-cst-types.ts). */
export function cstTypesText(): string {
  const header = '// Generated from src/parser/grammar.ts by scripts/gen-cst-types.ts; do not edit.\n';
  return header + generateCstDts(new TnParser().getGAstProductions(), { includeVisitorInterface: false });
}
