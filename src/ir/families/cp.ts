// cp(legs, rank, weights?): CANDECOMP/PARAFAC. One factor matrix per leg, all sharing one
// rank index (a hyperedge), optionally a weight vector on that index:
//   T[i1..iN] = sum_r w[r] A1[i1, r] A2[i2, r] ... AN[iN, r]
// Factors: `A1..AN` with dims [leg_n, r], then `w` with dims [r] when `weights: true`.

import type { Family, FamilyCall, FamilyContext, FamilyExpansion } from './types.js';
import { bindArgs, LegSet, rankDim, readBool, readRankOrDim } from './args.js';

/** CP decomposition with a shared rank hyperedge and optional weights. */
export const cp: Family = {
  name: 'cp',
  signature: 'cp(legs, rank, weights?)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'legs', required: true },
        { name: 'rank', aliases: ['ranks'], required: true },
        { name: 'weights', required: false },
      ],
      ctx,
    );
    if (!args) return undefined;
    const legs = new LegSet(ctx).addList(args.get('legs')!.value);
    const rank = readRankOrDim(args.get('rank')!.value, ctx);
    const weightsArg = args.get('weights');
    const weights = weightsArg ? readBool(weightsArg.value, ctx) : false;
    if (!legs || rank === undefined || weights === undefined) return undefined;
    const r = rankDim(ctx, `${call.tensorName}.r`, rank);
    const factors = legs.map((leg, n) => ({ suffix: `A${n + 1}`, dims: [leg, r] }));
    if (weights) factors.push({ suffix: 'w', dims: [r] });
    return { legs, factors };
  },
};
