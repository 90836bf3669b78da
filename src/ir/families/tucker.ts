// tucker(legs, ranks): a core tensor with one rank index per leg and one factor matrix per leg:
//   T[i1..iN] = sum_{r1..rN} core[r1, ..., rN] U1[i1, r1] ... UN[iN, rN]
// `ranks` is one rank for every leg or a list with one rank per leg (`rank` is an alias).
// Factors: `core` with dims [r1..rN], then `U1..UN` with dims [leg_n, r_n].

import type { Family, FamilyCall, FamilyContext, FamilyExpansion } from './types.js';
import { bindArgs, checkRankValues, LegSet, rankDim, readRanks } from './args.js';

/** Tucker decomposition: core plus factor matrices. */
export const tucker: Family = {
  name: 'tucker',
  signature: 'tucker(legs, ranks)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'legs', required: true },
        { name: 'ranks', aliases: ['rank'], required: true },
      ],
      ctx,
    );
    if (!args) return undefined;
    const legs = new LegSet(ctx).addList(args.get('legs')!.value);
    if (!legs) return checkRankValues(args.get('ranks')!.value, ctx);
    const ranks = readRanks(args.get('ranks')!.value, legs.length, ctx, 'one per leg');
    if (!ranks) return undefined;
    const bonds = ranks.map((rank, n) => rankDim(ctx, `${call.tensorName}.r${n + 1}`, rank));
    return {
      legs,
      factors: [{ suffix: 'core', dims: bonds }, ...legs.map((leg, n) => ({ suffix: `U${n + 1}`, dims: [leg, bonds[n]] }))],
    };
  },
};
