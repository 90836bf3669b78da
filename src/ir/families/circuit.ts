// circuit(kind, patches, classes, rank | ranks, pool?): the score tensor of a convolutional
// arithmetic circuit (Cohen, Sharir and Shashua, "On the expressive power of deep learning:
// a tensor analysis", 2016). The network's score for class y on patches x1..xN is
//   h_y(x) = sum_{d1..dN} A[y, d1, ..., dN] f_d1(x1) ... f_dN(xN)
// where f(x_n) is the representation vector of patch n over the dim m_n. A statement contracts
// the score tensor with one representation per patch, keeping the batch index:
//   out score[b, y] = A[y, m1, m2, m3, m4] rep1[b, m1] rep2[b, m2] rep3[b, m3] rep4[b, m4]
// The legs of A are [classes, patches...].
//
// kind: shallow (alias cp): one hidden layer of Z = `rank` product units, global pooling:
//   A[y, d1..dN] = sum_z Y[y, z] U1[d1, z] ... UN[dN, z]
//   Factors: `U1..UN` [m_n, z] (the per-patch 1x1 convolutions), then `Y` [classes, z].
// kind: deep (alias ht): product pooling over windows of `pool` (default 2) consecutive nodes,
// L = log_pool(N) pooling layers (N must be a power of `pool`): a hierarchical Tucker
// tensor whose root carries the class leg. `rank` is one size for every layer or a list of L
// sizes: ranks[0] is the width of the 1x1 convolution on the patches, ranks[l] the width after
// pooling layer l. Factors as in ht: `U1..UN` [m_n, r], then `B1..BK` in pre-order, `B1` being
// the root [r_children..., classes]. Rank indices `<W>.r{k}` in pre-order of the lower node.

import { error } from '../../diagnostics.js';
import type { Family, FamilyCall, FamilyContext, FamilyExpansion } from './types.js';
import { bindArgs, LegSet, rankDim, readChoice, readRank, readRankOrDim, readRanks } from './args.js';
import type { DimTree } from './ht.js';
import { hierarchicalFactors, nonRootPreorder } from './ht.js';

/** Balanced pooling tree over leaves; returns the tree and each node's level (leaves 0). */
function poolingTree(leaves: DimTree[], pool: number): { root: DimTree; level: Map<DimTree, number> } {
  const level = new Map<DimTree, number>(leaves.map((l) => [l, 0]));
  let layer = leaves;
  let l = 0;
  while (layer.length > 1) {
    l++;
    const next: DimTree[] = [];
    for (let k = 0; k < layer.length; k += pool) {
      const children = layer.slice(k, k + pool);
      const node: DimTree = { kind: 'node', children, span: { start: children[0].span.start, end: children[children.length - 1].span.end } };
      level.set(node, l);
      next.push(node);
    }
    layer = next;
  }
  return { root: layer[0], level };
}

/** Convolutional arithmetic circuit score tensor, shallow (CP) or deep (HT). */
export const circuit: Family = {
  name: 'circuit',
  signature: 'circuit(kind, patches, classes, rank | ranks, pool?)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'kind', required: true },
        { name: 'patches', required: true },
        { name: 'classes', required: true },
        { name: 'rank', aliases: ['ranks'], required: true },
        { name: 'pool', required: false },
      ],
      ctx,
    );
    if (!args) return undefined;
    const kindName = readChoice(args.get('kind')!.value, ['shallow', 'deep', 'cp', 'ht'] as const, ctx);
    const legSet = new LegSet(ctx);
    const classes = legSet.add(args.get('classes')!.value);
    const patchesArg = args.get('patches')!;
    const patches = legSet.addList(patchesArg.value, 'a list of patch dims');
    if (kindName === undefined || classes === undefined || !patches) return undefined;
    const deep = kindName === 'deep' || kindName === 'ht';
    const poolArg = args.get('pool');
    const rankValue = args.get('rank')!.value;
    const t = call.tensorName;
    const legs = [classes, ...patches];
    if (!deep) {
      if (poolArg) {
        ctx.report(error('expand/bad-argument', "'pool' applies only to kind: deep", poolArg.span));
        return undefined;
      }
      const rank = readRankOrDim(rankValue, ctx);
      if (rank === undefined) return undefined;
      const z = rankDim(ctx, `${t}.z`, rank);
      return { legs, factors: [...patches.map((m, n) => ({ suffix: `U${n + 1}`, dims: [m, z] })), { suffix: 'Y', dims: [classes, z] }] };
    }
    const pool = poolArg ? readRank(poolArg.value, ctx, 'pooling window') : 2;
    if (pool === undefined) return undefined;
    if (pool < 2) {
      ctx.report(error('expand/bad-argument', `a pooling window covers at least 2 nodes, got ${pool}`, poolArg!.value.span));
      return undefined;
    }
    let layers = 0;
    let n = patches.length;
    while (n > 1 && n % pool === 0) {
      n /= pool;
      layers++;
    }
    if (n !== 1 || layers === 0) {
      ctx.report(
        error('expand/bad-pool', `a deep circuit with pooling window ${pool} needs a power of ${pool} patches (at least ${pool}), got ${patches.length}`, patchesArg.value.span),
      );
      return undefined;
    }
    const perLayer = readRanks(rankValue, layers, ctx, `one per layer: log_${pool} of ${patches.length} patches`);
    if (!perLayer) return undefined;
    const patchSpans = legSet.spans();
    const leaves: DimTree[] = patches.map((m) => ({ kind: 'leaf', leg: m, span: patchSpans.get(m)! }));
    const { root, level } = poolingTree(leaves, pool);
    const ranks = nonRootPreorder(root).map((node) => perLayer[level.get(node)!]);
    return { legs, factors: hierarchicalFactors(t, root, ranks, [classes], ctx) };
  },
};
