// ht(tree, rank | ranks, legs?): hierarchical Tucker over a dimension tree such as
// `((i1, i2), (i3, i4))`. Every leaf is a leg; every inner node has two or more children.
// Each non-root node t carries a rank index r_t joining it to its parent:
//   leaf t with leg i:   U[i, r_t]                      (a leaf matrix)
//   inner node t:        B[r_c1, ..., r_ck, r_t]        (a transfer tensor over its children)
//   root:                B[r_c1, ..., r_ck]
// T is the contraction of all of them; its legs are the leaves left to right, or `legs` when
// given (the tree must then cover exactly those legs, each once).
// `rank` is one rank for every edge or a list with one rank per non-root node in pre-order
// (depth first, children left to right).
// Factors: leaf matrices `U1..UN` (leaves left to right), then transfer tensors `B1..BK` in
// pre-order, `B1` being the root. Rank indices are created as `<W>.r{k}` in the same pre-order.

import { error } from '../../diagnostics.js';
import type { Span } from '../../diagnostics.js';
import type { Family, FamilyCall, FamilyContext, FamilyExpansion, FamilyValue, FactorTemplate } from './types.js';
import { bindArgs, checkRankValues, LegSet, rankDim, readRanks, type Rank } from './args.js';

/** A parsed dimension tree. */
export type DimTree = { kind: 'leaf'; leg: string; span: Span } | { kind: 'node'; children: DimTree[]; span: Span };

/** Reads a dimension tree; leaves are legs (declared dims, each once). Reports `expand/bad-tree`. */
export function readTree(v: FamilyValue, legs: LegSet, ctx: FamilyContext): DimTree | undefined {
  if (v.kind === 'name') {
    const leg = legs.add(v);
    return leg === undefined ? undefined : { kind: 'leaf', leg, span: v.span };
  }
  if (v.kind === 'number') {
    ctx.report(error('expand/bad-tree', `a dimension tree holds dims and nested groups, not the number ${v.value}`, v.span));
    return undefined;
  }
  if (v.items.length < 2) {
    ctx.report(error('expand/bad-tree', `each group of a dimension tree needs at least two members, this one has ${v.items.length}`, v.span));
    return undefined;
  }
  const children: DimTree[] = [];
  let ok = true;
  for (const item of v.items) {
    const child = readTree(item, legs, ctx);
    if (child) children.push(child);
    else ok = false;
  }
  return ok ? { kind: 'node', children, span: v.span } : undefined;
}

/** Leaves of a tree, left to right. */
export function treeLeaves(t: DimTree): string[] {
  return t.kind === 'leaf' ? [t.leg] : t.children.flatMap(treeLeaves);
}

/** Non-root nodes in pre-order (the order of ranks and rank indices). */
export function nonRootPreorder(root: DimTree): DimTree[] {
  const out: DimTree[] = [];
  const visit = (t: DimTree): void => {
    if (t.kind === 'leaf') return;
    for (const c of t.children) {
      out.push(c);
      visit(c);
    }
  };
  visit(root);
  return out;
}

/**
 * Factors of a hierarchical Tucker network: `U1..UN` for the leaves, `B1..BK` for inner nodes in
 * pre-order. `ranks` follows `nonRootPreorder(root)`; `rootExtra` dims are appended to the root
 * transfer tensor (the class leg of a deep arithmetic circuit).
 */
export function hierarchicalFactors(
  tensorName: string,
  root: DimTree,
  ranks: Rank[],
  rootExtra: string[],
  ctx: FamilyContext,
): FactorTemplate[] {
  const order = nonRootPreorder(root);
  const bond = new Map<DimTree, string>(order.map((t, k) => [t, rankDim(ctx, `${tensorName}.r${k + 1}`, ranks[k])]));
  const leaves: FactorTemplate[] = [];
  const inner: FactorTemplate[] = [];
  const visit = (t: DimTree): void => {
    if (t.kind === 'leaf') {
      leaves.push({ suffix: `U${leaves.length + 1}`, dims: [t.leg, bond.get(t)!] });
      return;
    }
    const own = t === root ? rootExtra : [bond.get(t)!];
    const f = { suffix: `B${inner.length + 1}`, dims: [...t.children.map((c) => bond.get(c)!), ...own] };
    inner.push(f);
    t.children.forEach(visit);
  };
  visit(root);
  return [...leaves, ...inner];
}

/** Hierarchical Tucker. */
export const ht: Family = {
  name: 'ht',
  signature: 'ht(tree, rank | ranks, legs?)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'tree', required: true },
        { name: 'rank', aliases: ['ranks'], required: true },
        { name: 'legs', required: false },
      ],
      ctx,
    );
    if (!args) return undefined;
    const treeValue = args.get('tree')!.value;
    if (treeValue.kind !== 'list') {
      ctx.report(error('expand/bad-tree', 'the tree of ht() must be a group of at least two members, e.g. ((i1, i2), (i3, i4))', treeValue.span));
      return undefined;
    }
    const treeLegs = new LegSet(ctx);
    const tree = readTree(treeValue, treeLegs, ctx);
    const legsArg = args.get('legs');
    const order = legsArg ? new LegSet(ctx).addList(legsArg.value) : undefined;
    if (!tree || (legsArg && !order)) return checkRankValues(args.get('rank')!.value, ctx);
    const leaves = treeLeaves(tree);
    let legs = leaves;
    if (order) {
      const inTree = treeLegs.spans();
      const missing = order.filter((l) => !inTree.has(l));
      const extra = leaves.filter((l) => !order.includes(l));
      if (missing.length > 0) {
        ctx.report(error('expand/tree-mismatch', `the tree does not cover the leg${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`, treeValue.span));
      }
      for (const e of extra) {
        ctx.report(error('expand/tree-mismatch', `'${e}' is in the tree but not in legs`, inTree.get(e)!));
      }
      if (missing.length > 0 || extra.length > 0) return undefined;
      legs = order;
    }
    const edges = nonRootPreorder(tree).length;
    const ranks = readRanks(args.get('rank')!.value, edges, ctx, 'one per non-root tree node, in pre-order');
    if (!ranks) return undefined;
    return { legs, factors: hierarchicalFactors(call.tensorName, tree, ranks, [], ctx) };
  },
};
