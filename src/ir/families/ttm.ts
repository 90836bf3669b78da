// ttm(in, out, rank | ranks, ring?): TT-matrix / matrix product operator, the compressed form
// of a dense layer mapping in-legs to out-legs:
//   W[i1..iN, o1..oN] = G1[i1, o1, :] G2[:, i2, o2, :] ... GN[:, iN, oN]
// The legs of W are the in-legs followed by the out-legs. As in tt, open trains omit the
// size-1 boundary bonds; `ring: true` closes the train with bond N.
// Factors: `core1..coreN`, core k with dims [bond_{k-1}, in_k, out_k, bond_k] minus absent bonds.

import { error } from '../../diagnostics.js';
import type { Family, FamilyCall, FamilyContext, FamilyExpansion } from './types.js';
import { bindArgs, checkRankValues, LegSet, readBool, readRanks } from './args.js';
import { trainCores } from './tt.js';

/** TT-matrix (MPO). */
export const ttm: Family = {
  name: 'ttm',
  signature: 'ttm(in, out, rank | ranks, ring?)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'in', required: true },
        { name: 'out', required: true },
        { name: 'rank', aliases: ['ranks'], required: true },
        { name: 'ring', required: false },
      ],
      ctx,
    );
    if (!args) return undefined;
    const seen = new LegSet(ctx);
    const ins = seen.addList(args.get('in')!.value);
    const outArg = args.get('out')!;
    const outs = seen.addList(outArg.value);
    const ringArg = args.get('ring');
    const ring = ringArg ? readBool(ringArg.value, ctx) : false;
    if (!ins || !outs || ring === undefined) return checkRankValues(args.get('rank')!.value, ctx);
    if (ins.length !== outs.length) {
      ctx.report(error('expand/length-mismatch', `ttm needs as many out-legs as in-legs: ${ins.length} in, ${outs.length} out`, outArg.value.span));
      return undefined;
    }
    const bondCount = ring ? ins.length : ins.length - 1;
    const ranks = readRanks(args.get('rank')!.value, bondCount, ctx, ring ? 'one per bond of a ring: one per site' : 'one per bond: sites - 1');
    if (!ranks) return undefined;
    const sites = ins.map((i, k) => [i, outs[k]]);
    return { legs: [...ins, ...outs], factors: trainCores(call.tensorName, sites, ranks, ring, ctx) };
  },
};
