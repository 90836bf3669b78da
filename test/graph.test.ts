import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, components, hyperedges, indexKey, networkFromGraph, OUTPUT_KEY, tensorKey } from '../src/ir/graph.js';
import type { TensorNetwork } from '../src/ir/network.js';
import { arbEinsum } from './helpers/arbitraries.js';

/** A random einsum as a network, sometimes with symbolic indices and indexDims. */
const arbNetwork: fc.Arbitrary<TensorNetwork> = fc
  .tuple(arbEinsum({ maxOperands: 6 }), fc.boolean(), fc.boolean())
  .map(([e, withSymbolic, withDims]) => {
    const net: TensorNetwork = {
      tensors: e.inputs.map((indices, k) => ({ name: `T${k}`, indices: [...indices] })),
      output: [...e.output],
      sizes: { ...e.sizes },
    };
    const names = Object.keys(e.sizes);
    if (withSymbolic && names.length > 0) net.symbolic = names.filter((_, k) => k % 2 === 0).reverse();
    if (withDims) net.indexDims = Object.fromEntries(names.map((n) => [n, `dim_${n}`]));
    return net;
  });

describe('graph', () => {
  it('network → graph → network is the identity', () => {
    fc.assert(
      fc.property(arbNetwork, (net) => {
        expect(networkFromGraph(buildGraph(net))).toEqual(net);
      }),
    );
  });

  it('index-node degree = tensors holding it (+1 if kept); edge axes count every occurrence', () => {
    fc.assert(
      fc.property(arbNetwork, (net) => {
        const g = buildGraph(net);
        for (const ix of Object.keys(net.sizes)) {
          const holders = net.tensors.filter((t) => t.indices.includes(ix)).length;
          const kept = net.output.includes(ix) ? 1 : 0;
          expect(g.degree(indexKey(ix))).toBe(holders + kept);
          let axes = 0;
          g.forEachEdge(indexKey(ix), (_e, attrs, s, t) => {
            if (s !== OUTPUT_KEY && t !== OUTPUT_KEY) axes += attrs.axes.length;
          });
          const occurrences = net.tensors.reduce((n, t) => n + t.indices.filter((x) => x === ix).length, 0);
          expect(axes).toBe(occurrences);
        }
      }),
    );
  });

  it('a trace is one edge with two axes', () => {
    const g = buildGraph({ tensors: [{ name: 'A', indices: ['i', 'j', 'i'] }], output: ['j'], sizes: { i: 2, j: 3 } });
    expect(g.edges(tensorKey(0), indexKey('i'))).toHaveLength(1);
    expect(g.getEdgeAttributes(g.edge(tensorKey(0), indexKey('i'))!).axes).toEqual([0, 2]);
  });

  it('components of an outer product, and a hyperedge joining three tensors', () => {
    const outer = buildGraph({
      tensors: [
        { name: 'A', indices: ['i'] },
        { name: 'B', indices: ['j'] },
        { name: 'C', indices: ['i', 'k'] },
      ],
      output: ['i', 'j', 'k'],
      sizes: { i: 2, j: 2, k: 2 },
    });
    expect(components(outer)).toEqual([
      { tensors: [0, 2], indices: ['i', 'k'] },
      { tensors: [1], indices: ['j'] },
    ]);
    const cp = buildGraph({
      tensors: ['w', 'A', 'B', 'C'].map((name, k) => ({ name, indices: k === 0 ? ['r'] : [['i', 'j', 'k'][k - 1], 'r'] })),
      output: ['i', 'j', 'k'],
      sizes: { i: 2, j: 2, k: 2, r: 3 },
    });
    expect(hyperedges(cp)).toEqual(['r']);
    expect(components(cp)).toHaveLength(1);
  });

  it('components agree with a union-find over shared indices', () => {
    fc.assert(
      fc.property(arbNetwork, (net) => {
        const parent = net.tensors.map((_, k) => k);
        const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
        net.tensors.forEach((a, i) =>
          net.tensors.forEach((b, j) => {
            if (a.indices.some((ix) => b.indices.includes(ix))) parent[find(i)] = find(j);
          }),
        );
        const groups = new Map<number, number[]>();
        net.tensors.forEach((_, k) => groups.set(find(k), [...(groups.get(find(k)) ?? []), k]));
        const want = [...groups.values()].sort((a, b) => a[0] - b[0]);
        expect(components(buildGraph(net)).map((c) => c.tensors)).toEqual(want);
      }),
    );
  });
});
