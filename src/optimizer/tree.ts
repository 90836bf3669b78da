// ContractionTree: an SSA node array. Leaves are ids 0..n-1 (the inputs); internal node k has
// id n+k and merges two earlier ids. The last node is the root. Paths in opt_einsum's linear
// form are converted at the boundary (toLinearPath / fromLinearPath).

import { InternalError } from '../diagnostics.js';
import type { ContractionProblem } from './problem.js';

export interface TreeNode {
  left: number;
  right: number;
}

/**
 * Appends the merges of a binary record tree to `nodes` in post-order and returns the root's
 * SSA id: a record with `left < 0` is leaf r (its own index), merge i gets id n + i.
 */
export function emitMerges(records: readonly TreeNode[], root: number, n: number, nodes: TreeNode[]): number {
  const emit = (r: number): number => {
    const rec = records[r];
    if (rec.left < 0) return r;
    const a = emit(rec.left);
    const b = emit(rec.right);
    nodes.push({ left: Math.min(a, b), right: Math.max(a, b) });
    return n + nodes.length - 1;
  };
  return emit(root);
}

export interface ContractionTree {
  /** Number of leaves (inputs). */
  leaves: number;
  /** Internal nodes in SSA order; node k has id `leaves + k`. n-1 nodes for n >= 1 leaves. */
  nodes: TreeNode[];
  /** True when the optimizer proved this tree optimal for its objective. */
  exhaustive?: boolean;
}

/** A linear path: pairs of positions in the current operand list (popped, result appended). */
export type LinearPath = number[][];

/** Builds a tree from an SSA path (pairs of ids; new ids count up from n). */
export function fromSsaPath(n: number, ssa: readonly (readonly number[])[]): ContractionTree {
  return { leaves: n, nodes: ssa.map(([left, right]) => ({ left, right })) };
}

/**
 * Builds a tree from a linear path. Example (3 inputs): `[[0,1],[0,1]]` merges inputs 0 and 1
 * into id 3, then merges input 2 with id 3.
 */
export function fromLinearPath(n: number, path: readonly (readonly number[])[]): ContractionTree {
  const current = Array.from({ length: n }, (_, i) => i);
  const nodes: TreeNode[] = [];
  for (const step of path) {
    if (step.length === 1 && n === 1) continue;
    if (step.length !== 2) throw new InternalError(`linear path step ${JSON.stringify(step)} is not a pair`);
    const [i, j] = step;
    if (i === j || i < 0 || j < 0 || i >= current.length || j >= current.length) {
      throw new InternalError(`linear path step ${JSON.stringify(step)} is out of range for ${current.length} operands`);
    }
    const a = current[i];
    const b = current[j];
    for (const k of [Math.max(i, j), Math.min(i, j)]) current.splice(k, 1);
    current.push(n + nodes.length);
    nodes.push({ left: a, right: b });
  }
  return { leaves: n, nodes };
}

/** SSA pairs of a tree. */
export function toSsaPath(tree: ContractionTree): number[][] {
  return tree.nodes.map((nd) => [nd.left, nd.right]);
}

/**
 * The linear path of a tree, in opt_einsum's format. A single input gives `[[0]]`.
 * Uses a Fenwick tree over "alive" flags so thousands of operands convert in O(n log n).
 */
export function toLinearPath(tree: ContractionTree): LinearPath {
  const n = tree.leaves;
  if (n === 1) return [[0]];
  const total = n + tree.nodes.length;
  const fen = new Int32Array(total + 1);
  const add = (i: number, v: number): void => {
    for (let x = i + 1; x <= total; x += x & -x) fen[x] += v;
  };
  const prefix = (i: number): number => {
    let s = 0;
    for (let x = i; x > 0; x -= x & -x) s += fen[x];
    return s;
  };
  for (let i = 0; i < n; i++) add(i, 1);
  const path: LinearPath = [];
  tree.nodes.forEach((nd, k) => {
    const pa = prefix(nd.left);
    const pb = prefix(nd.right);
    path.push(pa < pb ? [pa, pb] : [pb, pa]);
    add(nd.left, -1);
    add(nd.right, -1);
    add(n + k, 1);
  });
  return path;
}

/**
 * Checks that a tree merges every leaf exactly once into one root; returns a reason or
 * undefined when valid.
 */
export function validateTree(tree: ContractionTree, problem?: ContractionProblem): string | undefined {
  const n = tree.leaves;
  if (problem && problem.inputs.length !== n) return `tree has ${n} leaves but the problem has ${problem.inputs.length} inputs`;
  if (n === 0) return tree.nodes.length === 0 ? undefined : 'an empty problem has no steps';
  if (tree.nodes.length !== n - 1) return `tree has ${tree.nodes.length} steps, expected ${n - 1}`;
  const used = new Uint8Array(n + tree.nodes.length);
  for (let k = 0; k < tree.nodes.length; k++) {
    const { left, right } = tree.nodes[k];
    const id = n + k;
    for (const c of [left, right]) {
      if (!Number.isInteger(c) || c < 0 || c >= id) return `step ${k} uses id ${c}, which does not exist yet`;
      if (used[c]) return `step ${k} uses id ${c} a second time`;
      used[c] = 1;
    }
    if (left === right) return `step ${k} merges id ${left} with itself`;
  }
  return undefined;
}

/** Leaves under each node id (leaf ids for leaves), computed bottom-up. */
export function subtreeLeaves(tree: ContractionTree): number[][] {
  const out: number[][] = Array.from({ length: tree.leaves }, (_, i) => [i]);
  for (const nd of tree.nodes) out.push([...out[nd.left], ...out[nd.right]]);
  return out;
}

/** A compact printed form, e.g. `((0,1),2)`. */
export function printTree(tree: ContractionTree): string {
  const n = tree.leaves;
  if (n === 0) return '()';
  const text: string[] = Array.from({ length: n }, (_, i) => String(i));
  for (const nd of tree.nodes) text.push(`(${text[nd.left]},${text[nd.right]})`);
  return text[text.length - 1];
}
