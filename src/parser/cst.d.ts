// Generated from src/parser/grammar.ts by scripts/gen-cst-types.ts; do not edit.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface ProgramCstNode extends CstNode {
  name: "program";
  children: ProgramCstChildren;
}

export type ProgramCstChildren = {
  topItem?: TopItemCstNode[];
  stray?: StrayCstNode[];
};

export interface StrayCstNode extends CstNode {
  name: "stray";
  children: StrayCstChildren;
}

export type StrayCstChildren = {
  Stray: IToken[];
};

export interface TopItemCstNode extends CstNode {
  name: "topItem";
  children: TopItemCstChildren;
}

export type TopItemCstChildren = {
  dimDecl?: DimDeclCstNode[];
  constDecl?: ConstDeclCstNode[];
  tensorDecl?: TensorDeclCstNode[];
  statement?: StatementCstNode[];
};

export interface ConstDeclCstNode extends CstNode {
  name: "constDecl";
  children: ConstDeclCstChildren;
}

export type ConstDeclCstChildren = {
  Const: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  intExpr: IntExprCstNode[];
};

export interface DimDeclCstNode extends CstNode {
  name: "dimDecl";
  children: DimDeclCstChildren;
}

export type DimDeclCstChildren = {
  Dim: IToken[];
  dimItem: DimItemCstNode[];
  Comma?: IToken[];
};

export interface DimItemCstNode extends CstNode {
  name: "dimItem";
  children: DimItemCstChildren;
}

export type DimItemCstChildren = {
  Identifier: IToken[];
  selectors?: SelectorsCstNode[];
  Equals?: IToken[];
  Tilde?: IToken[];
  intExpr?: IntExprCstNode[];
};

export interface SelectorsCstNode extends CstNode {
  name: "selectors";
  children: SelectorsCstChildren;
}

export type SelectorsCstChildren = {
  LBrace: IToken[];
  binder?: BinderCstNode[];
  intExpr?: IntExprCstNode[];
  Comma?: IToken[];
  RBrace: IToken[];
};

export interface BinderCstNode extends CstNode {
  name: "binder";
  children: BinderCstChildren;
}

export type BinderCstChildren = {
  Identifier: IToken[];
  In: IToken[];
  intExpr: (IntExprCstNode)[];
  DotDot: IToken[];
};

export interface TensorDeclCstNode extends CstNode {
  name: "tensorDecl";
  children: TensorDeclCstChildren;
}

export type TensorDeclCstChildren = {
  Input?: IToken[];
  Param?: IToken[];
  tensorItem: TensorItemCstNode[];
  Comma?: IToken[];
};

export interface TensorItemCstNode extends CstNode {
  name: "tensorItem";
  children: TensorItemCstChildren;
}

export type TensorItemCstChildren = {
  Identifier: IToken[];
  selectors?: SelectorsCstNode[];
  indexList?: IndexListCstNode[];
  Equals?: IToken[];
  familyCall?: FamilyCallCstNode[];
};

export interface FamilyCallCstNode extends CstNode {
  name: "familyCall";
  children: FamilyCallCstChildren;
}

export type FamilyCallCstChildren = {
  Identifier: IToken[];
  LParen: IToken[];
  familyArg?: FamilyArgCstNode[];
  Comma?: IToken[];
  RParen: IToken[];
};

export interface FamilyArgCstNode extends CstNode {
  name: "familyArg";
  children: FamilyArgCstChildren;
}

export type FamilyArgCstChildren = {
  AnyName?: IToken[];
  Colon?: IToken[];
  familyValue: FamilyValueCstNode[];
};

export interface FamilyValueCstNode extends CstNode {
  name: "familyValue";
  children: FamilyValueCstChildren;
}

export type FamilyValueCstChildren = {
  NumberLiteral?: IToken[];
  nameRef?: NameRefCstNode[];
  LBracket?: IToken[];
  familyValue?: (FamilyValueCstNode)[];
  Comma?: (IToken)[];
  RBracket?: IToken[];
  LParen?: IToken[];
  RParen?: IToken[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  Out?: IToken[];
  Let?: IToken[];
  Identifier: IToken[];
  indexList: IndexListCstNode[];
  Equals: IToken[];
  sum: SumCstNode[];
};

export interface IndexListCstNode extends CstNode {
  name: "indexList";
  children: IndexListCstChildren;
}

export type IndexListCstChildren = {
  LBracket: IToken[];
  nameRef?: NameRefCstNode[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface NameRefCstNode extends CstNode {
  name: "nameRef";
  children: NameRefCstChildren;
}

export type NameRefCstChildren = {
  Identifier: IToken[];
  LBrace?: IToken[];
  intExpr?: IntExprCstNode[];
  Comma?: IToken[];
  RBrace?: IToken[];
};

export interface SumCstNode extends CstNode {
  name: "sum";
  children: SumCstChildren;
}

export type SumCstChildren = {
  product: (ProductCstNode)[];
  Plus?: IToken[];
  Minus?: IToken[];
};

export interface ProductCstNode extends CstNode {
  name: "product";
  children: ProductCstChildren;
}

export type ProductCstChildren = {
  Minus?: IToken[];
  factor: (FactorCstNode)[];
  Star?: IToken[];
};

export interface FactorCstNode extends CstNode {
  name: "factor";
  children: FactorCstChildren;
}

export type FactorCstChildren = {
  NumberLiteral?: IToken[];
  access?: AccessCstNode[];
  comprehension?: ComprehensionCstNode[];
  LParen?: IToken[];
  sum?: SumCstNode[];
  RParen?: IToken[];
};

export interface AccessCstNode extends CstNode {
  name: "access";
  children: AccessCstChildren;
}

export type AccessCstChildren = {
  nameRef: NameRefCstNode[];
  indexList: IndexListCstNode[];
};

export interface ComprehensionCstNode extends CstNode {
  name: "comprehension";
  children: ComprehensionCstChildren;
}

export type ComprehensionCstChildren = {
  Prod?: IToken[];
  Identifier?: IToken[];
  LParen: IToken[];
  binder: BinderCstNode[];
  Comma?: IToken[];
  RParen: IToken[];
  factor: FactorCstNode[];
};

export interface IntExprCstNode extends CstNode {
  name: "intExpr";
  children: IntExprCstChildren;
}

export type IntExprCstChildren = {
  intTerm: (IntTermCstNode)[];
  Plus?: IToken[];
  Minus?: IToken[];
};

export interface IntTermCstNode extends CstNode {
  name: "intTerm";
  children: IntTermCstChildren;
}

export type IntTermCstChildren = {
  intUnary: (IntUnaryCstNode)[];
  Star?: IToken[];
  Slash?: IToken[];
  Percent?: IToken[];
};

export interface IntUnaryCstNode extends CstNode {
  name: "intUnary";
  children: IntUnaryCstChildren;
}

export type IntUnaryCstChildren = {
  Minus?: IToken[];
  intUnary?: IntUnaryCstNode[];
  NumberLiteral?: IToken[];
  Identifier?: IToken[];
  LParen?: IToken[];
  intExpr?: IntExprCstNode[];
  RParen?: IToken[];
};
