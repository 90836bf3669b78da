// tt(legs, rank | ranks, ring?): tensor train / matrix product state, open or ring.
//   open:  T[i1..iN] = G1[i1, :] G2[:, i2, :] ... GN[:, iN]        (matrix product)
//   ring:  T[i1..iN] = trace(G1[:, i1, :] G2[:, i2, :] ... GN[:, iN, :])
// Bond k joins core k and core k+1 (ring: bond N joins core N and core 1). Open trains have
// N-1 bonds and omit the size-1 boundary bonds, so the end cores are matrices; rings have N
// bonds. `rank` is one bond size for all, or a list with one size per bond; a symbolic dim as
// a size makes the bond range over that dim.
// Factors: `core1..coreN`; core k has dims [bond_{k-1}, leg_k, bond_k], minus absent bonds
// (open: core1 = [leg1, bond1], coreN = [bond_{N-1}, legN]; ring: core1 = [bondN, leg1, bond1]).

import type { Family, FamilyCall, FamilyContext, FamilyExpansion } from './types.js';
import { bindArgs, checkRankValues, LegSet, rankDim, readBool, readRanks, type Rank } from './args.js';

/** Cores of a train over `legs` (one extra dim list per site appended after the leg). */
export function trainCores(
  tensorName: string,
  sites: string[][],
  ranks: Rank[],
  ring: boolean,
  ctx: FamilyContext,
): { suffix: string; dims: string[] }[] {
  const n = sites.length;
  const bonds = ranks.map((rank, k) => rankDim(ctx, `${tensorName}.b${k + 1}`, rank));
  return sites.map((site, k) => {
    const left = k > 0 ? bonds[k - 1] : ring ? bonds[n - 1] : undefined;
    const right = k < n - 1 || ring ? bonds[k] : undefined;
    return { suffix: `core${k + 1}`, dims: [...(left ? [left] : []), ...site, ...(right ? [right] : [])] };
  });
}

/** Tensor train (MPS) and tensor ring. */
export const tt: Family = {
  name: 'tt',
  signature: 'tt(legs, rank | ranks, ring?)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'legs', required: true },
        { name: 'rank', aliases: ['ranks'], required: true },
        { name: 'ring', required: false },
      ],
      ctx,
    );
    if (!args) return undefined;
    const legs = new LegSet(ctx).addList(args.get('legs')!.value);
    const ringArg = args.get('ring');
    const ring = ringArg ? readBool(ringArg.value, ctx) : false;
    if (!legs || ring === undefined) return checkRankValues(args.get('rank')!.value, ctx);
    const bondCount = ring ? legs.length : legs.length - 1;
    const ranks = readRanks(args.get('rank')!.value, bondCount, ctx, ring ? 'one per bond of a ring: one per leg' : 'one per bond: legs - 1');
    if (!ranks) return undefined;
    return { legs, factors: trainCores(call.tensorName, legs.map((l) => [l]), ranks, ring, ctx) };
  },
};
