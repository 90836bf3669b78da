// lower: a statement's planned contraction trees → one KernelPlan of pairwise steps.
// Each leaf first loses its repeated indices and the indices summed only inside it (an einsum
// step); each tree node then becomes permute(s) + GEMM when it has a summed or an outer
// structure, or a generic einsum loop (Hadamard-style products, tiny batched matrices); the
// root is written or permuted into the output and terms accumulate (axpy or beta = 1).
// Sliced indices (memory limits) become a loop: inputs are gathered per slice and results
// accumulated. Shapes are dim-name lists, so symbolic dims resolve at call time. Temps get
// memory slots by lifetime.

import { assert, InternalError } from '../diagnostics.js';
import type { DimInfo, Program, Statement, TensorNetwork } from '../ir/network.js';
import type { PlannedContraction } from '../optimizer/plan-contraction.js';
import type { BufferDecl, EinsumStep, KernelPlan, PinnedAxis, SliceLoop, Step } from './plan.js';
import { planEvents } from './plan.js';
import { assignIntervals } from './slot-assign.js';

/** Re-exported for callers that think of them as part of lowering. */
export { printPlan, validatePlan } from './plan.js';

/** One summand to lower: its coefficient, network and planned contraction order. */
export interface LowerTerm {
  coefficient: number;
  network: TensorNetwork;
  planned: PlannedContraction;
}

/** What lowering needs to know about dims and input tensors beyond the networks. */
export interface LowerContext {
  /** Plan name (the statement name). */
  name: string;
  /** Output dims, in axis order. */
  output: string[];
  /** A dim's size, or symbolic (bound at call time; `hint` is the planning size). */
  dim(name: string): { size?: number; symbolic: boolean };
  /**
   * Dims of a named input tensor in axis order (its declaration), to check arity. Buffers
   * are viewed through the indices' dims, which the checker guarantees have equal sizes.
   */
  inputDims?(name: string): string[] | undefined;
}

/** An operand during lowering: a buffer and its (unique) index ids in axis order. */
interface Operand {
  buffer: number;
  indices: number[];
  /** Per index id: how many leaves under this operand carry it. */
  counts: Map<number, number>;
}

/**
 * Lowers one statement of a program. `plannedTerms[i]` is the planned contraction of
 * `statement.terms[i].network`. Input buffers are named by factor (or earlier statement).
 */
export function lower(statement: Statement, plannedTerms: readonly PlannedContraction[], program: Program): KernelPlan {
  assert(plannedTerms.length === statement.terms.length, `statement ${statement.name} has ${statement.terms.length} terms but ${plannedTerms.length} plans`);
  const dims = new Map<string, DimInfo>(program.dims.map((d) => [d.name, d]));
  const tensorDims = new Map<string, string[]>();
  for (const f of program.factors) tensorDims.set(f.name, f.dims);
  for (const s of program.statements) if (!tensorDims.has(s.name)) tensorDims.set(s.name, s.output);
  return lowerTerms(
    statement.terms.map((t, i) => ({ coefficient: t.coefficient, network: t.network, planned: plannedTerms[i] })),
    {
      name: statement.name,
      output: statement.output,
      dim(name) {
        const d = dims.get(name);
        if (!d) throw new InternalError(`dim '${name}' is used by statement ${statement.name} but not declared`);
        return d.size.kind === 'fixed' ? { size: d.size.size, symbolic: false } : { symbolic: true };
      },
      inputDims: (name) => tensorDims.get(name),
    },
  );
}

/**
 * Lowers one network (an einsum): the plan's dims are the network's indices with their sizes
 * (indices in `net.symbolic` stay symbolic), inputs are named by tensor.
 *
 * Example: `ab,bc->ac` lowers to one GEMM with m=[a], n=[c], k=[b].
 */
export function lowerNetwork(net: TensorNetwork, planned: PlannedContraction, name = 'einsum'): KernelPlan {
  const sym = new Set(net.symbolic ?? []);
  const dimOf = (ix: string): string => net.indexDims?.[ix] ?? ix;
  const indexOfDim = new Map<string, string>();
  for (const ix of Object.keys(net.sizes)) if (!indexOfDim.has(dimOf(ix))) indexOfDim.set(dimOf(ix), ix);
  return lowerTerms([{ coefficient: 1, network: net, planned }], {
    name,
    output: net.output.map(dimOf),
    dim(d) {
      const ix = indexOfDim.get(d);
      if (ix === undefined) throw new InternalError(`dim '${d}' has no index in the network`);
      return sym.has(ix) ? { symbolic: true } : { size: net.sizes[ix], symbolic: false };
    },
  });
}

/** Lowers a list of terms into one plan writing `ctx.output`. */
export function lowerTerms(terms: readonly LowerTerm[], ctx: LowerContext): KernelPlan {
  const b = new PlanBuilder(ctx);
  const output = b.buffer(ctx.output, 'output');
  if (terms.length === 0) b.steps.push({ kind: 'fill', dst: output, value: 0 });
  terms.forEach((term, t) => lowerTerm(b, term, output, t === 0));
  return b.finish(output);
}

class PlanBuilder {
  readonly buffers: BufferDecl[] = [];
  readonly steps: Step[] = [];
  readonly loops: SliceLoop[] = [];
  readonly inputs: { name: string; buffer: number }[] = [];
  private readonly inputByName = new Map<string, number>();
  readonly dimNames: string[] = [];
  private readonly dimSeen = new Set<string>();

  constructor(readonly ctx: LowerContext) {}

  useDim(d: string): void {
    if (!this.dimSeen.has(d)) {
      this.dimSeen.add(d);
      this.dimNames.push(d);
    }
  }

  /** Planning-size element counts of temps, by buffer id (for slot packing). */
  readonly planSize = new Map<number, number>();

  buffer(dims: string[], role: BufferDecl['role'], name?: string, planSize?: number): number {
    for (const d of dims) this.useDim(d);
    const id = this.buffers.length;
    if (planSize !== undefined) this.planSize.set(id, planSize);
    this.buffers.push(name === undefined ? { id, dims, role } : { id, dims, role, name });
    return id;
  }

  /**
   * The buffer of a named input viewed with the given dims. A tensor used with different
   * indices of equal size (`M[p, a]` and `M[p, b]`) gets one buffer per view, all bound to the
   * same caller array.
   */
  input(name: string, dims: string[]): number {
    const key = JSON.stringify([name, dims]);
    const known = this.inputByName.get(key);
    if (known !== undefined) return known;
    const id = this.buffer(dims, 'input', name);
    this.inputByName.set(key, id);
    this.inputs.push({ name, buffer: id });
    return id;
  }

  /** Drops unused buffers, renumbers densely, assigns slots by lifetime. */
  finish(output: number): KernelPlan {
    const used = new Set<number>([output, ...this.inputs.map((i) => i.buffer)]);
    const draft: KernelPlan = { name: '', dims: [], buffers: this.buffers, inputs: this.inputs, output, steps: this.steps, slots: 0, loops: this.loops };
    for (const ev of planEvents(draft)) for (const id of [...ev.reads, ...ev.writes]) used.add(id);
    const renumber = new Map<number, number>();
    const buffers: BufferDecl[] = [];
    for (const buf of this.buffers) {
      if (!used.has(buf.id)) continue;
      renumber.set(buf.id, buffers.length);
      buffers.push({ ...buf, id: buffers.length });
    }
    const r = (id: number): number => renumber.get(id)!;
    const pins = (f: PinnedAxis[]): PinnedAxis[] => f.map((x) => ({ ...x }));
    const plan: KernelPlan = {
      name: this.ctx.name,
      dims: this.dimNames.map((name) => {
        const d = this.ctx.dim(name);
        return d.symbolic ? { name, symbolic: true } : { name, size: d.size, symbolic: false };
      }),
      buffers,
      inputs: this.inputs.map((i) => ({ name: i.name, buffer: r(i.buffer) })),
      output: r(output),
      steps: this.steps.map((s) => remapStep(s, r)),
      slots: 0,
    };
    if (this.loops.length > 0) {
      plan.loops = this.loops.map((l) => {
        const loop: SliceLoop = { vars: [...l.vars], start: l.start, end: l.end, gathers: l.gathers.map((g) => ({ src: r(g.src), dst: r(g.dst), fixed: pins(g.fixed) })) };
        if (l.scatter) loop.scatter = { ...l.scatter, src: r(l.scatter.src), dst: r(l.scatter.dst), fixed: pins(l.scatter.fixed) };
        return loop;
      });
    }
    const planSize = new Map<number, number>();
    for (const [id, n] of this.planSize) if (renumber.has(id)) planSize.set(r(id), n);
    plan.slots = assignSlots(plan, (id) => planSize.get(id) ?? 1);
    return plan;
  }
}

function remapStep(s: Step, r: (id: number) => number): Step {
  switch (s.kind) {
    case 'permute':
      return { ...s, src: r(s.src), dst: r(s.dst) };
    case 'gemm':
      return { ...s, a: r(s.a), b: r(s.b), c: r(s.c) };
    case 'einsum':
      return { ...s, inputs: s.inputs.map((i) => ({ buffer: r(i.buffer), labels: i.labels })), out: r(s.out) };
    case 'axpy':
      return { ...s, src: r(s.src), dst: r(s.dst) };
    case 'fill':
      return { ...s, dst: r(s.dst) };
  }
}

/**
 * Gives each temp a slot: a temp may take a slot whose previous holder was last read strictly
 * before the temp is first written (a step never reads and writes the same slot). Positions
 * are events in execution order (loop gathers and scatters included). Among free slots the
 * best fit at planning sizes wins (the smallest that holds the temp, else the largest), so
 * the arena (the sum of slot sizes) stays small; ties go to the lowest slot, so the result is
 * deterministic. Mutates the plan's buffers; returns the slot count.
 */
function assignSlots(plan: KernelPlan, planSize: (id: number) => number): number {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  planEvents(plan).forEach((ev, i) => {
    for (const id of ev.writes) if (!first.has(id)) first.set(id, i);
    for (const id of ev.reads) last.set(id, i);
    for (const id of ev.writes) last.set(id, i);
  });
  const temps = plan.buffers.filter((b) => b.role === 'temp').sort((x, y) => first.get(x.id)! - first.get(y.id)! || x.id - y.id);
  const { slots, sizes } = assignIntervals(temps.map((t) => ({ start: first.get(t.id)!, end: last.get(t.id)!, need: planSize(t.id) })));
  temps.forEach((t, i) => {
    t.slot = slots[i];
  });
  return sizes.length;
}

function lowerTerm(b: PlanBuilder, term: LowerTerm, output: number, first: boolean): void {
  const { network: net, planned, coefficient } = term;
  const { problem, tree } = planned;
  const names = problem.names;
  const dimOf = (id: number): string => net.indexDims?.[names[id]] ?? names[id];
  for (let id = 0; id < names.length; id++) b.useDim(dimOf(id));
  const outIds = problem.output;
  assert(new Set(outIds).size === outIds.length, `statement ${b.ctx.name}: an output index repeats`);
  assert(outIds.length === b.ctx.output.length, `statement ${b.ctx.name}: term output has ${outIds.length} indices, statement ${b.ctx.output.length}`);
  outIds.forEach((id, i) => assert(dimOf(id) === b.ctx.output[i], `statement ${b.ctx.name}: output axis ${i} is '${dimOf(id)}', expected '${b.ctx.output[i]}'`));
  const n = problem.inputs.length;
  // Sliced indices (memory limits) leave every operand: the steps run once per assignment.
  const slicedIds = [...new Set((planned.slices?.indices ?? []).map((name) => names.indexOf(name)))].filter((i) => i >= 0);
  const sliced = new Set(slicedIds);
  const leafIds = problem.inputs.map((t) => t.filter((i) => !sliced.has(i)));
  const outKept = outIds.filter((i) => !sliced.has(i));
  const total = new Map<number, number>();
  for (const t of leafIds) for (const i of new Set(t)) total.set(i, (total.get(i) ?? 0) + 1);
  const inOutput = new Set(outKept);
  const kept = (i: number, counts: Map<number, number>): boolean => inOutput.has(i) || counts.get(i)! < total.get(i)!;
  const size = (ids: number[]): number => ids.reduce((p, i) => p * problem.sizes[i], 1);
  const temp = (ids: number[]): number => b.buffer(ids.map(dimOf), 'temp', undefined, size(ids));

  if (n === 0) {
    // The empty product: the value 1 (the output has no indices).
    if (first) b.steps.push({ kind: 'fill', dst: output, value: coefficient });
    else {
      const one = temp([]);
      b.steps.push({ kind: 'fill', dst: one, value: 1 }, { kind: 'axpy', src: one, dst: output, alpha: coefficient, beta: 1 });
    }
    return;
  }

  let loop: SliceLoop | undefined;
  if (sliced.size > 0) {
    // Slices accumulate into the output, so it starts at zero.
    if (first) b.steps.push({ kind: 'fill', dst: output, value: 0 });
    loop = { vars: slicedIds.map(dimOf), start: b.steps.length, end: b.steps.length, gathers: [] };
    b.loops.push(loop);
  }
  const accumulate = loop !== undefined || !first;
  const pinned = (ids: number[]): PinnedAxis[] => ids.flatMap((id, axis) => (sliced.has(id) ? [{ axis, loopVar: slicedIds.indexOf(id) }] : []));

  // What each leaf keeps (its unique indices minus those summed only inside it): the index
  // sets the layout choices below reason about.
  const leafKeep = leafIds.map((ids) => {
    const counts = new Map(ids.map((i) => [i, 1]));
    return [...new Set(ids)].filter((i) => kept(i, counts));
  });
  const consumerOf = consumers(
    tree,
    leafIds.map((ids, t) => ({ buffer: -1, indices: leafKeep[t], counts: new Map(leafKeep[t].map((i) => [i, 1])) })),
    kept,
    size,
  );
  const isRoot = (k: number): boolean => k === tree.nodes.length - 1;
  // Einsum steps write any output order at no extra cost: the one the consumer reads in place.
  const targetOf = (id: number): LayoutTarget | undefined => (id === n + tree.nodes.length - 1 ? { exact: outKept } : consumerOf(id));

  // Leaves: drop repeated indices (diagonal) and indices summed only here (reduction).
  const nodes: Operand[] = net.tensors.map((tensor, t) => {
    const full = problem.inputs[t];
    const ids = leafIds[t];
    const counts = new Map<number, number>();
    for (const i of ids) counts.set(i, 1);
    const declared = b.ctx.inputDims?.(tensor.name);
    assert(declared === undefined || declared.length === full.length, `tensor ${tensor.name} has ${declared?.length} dims but ${full.length} indices`);
    // The checker guarantees an index's dim has the declared axis's size, so the buffer can be
    // viewed with the index dims (the caller's length check then uses the same sizes).
    let buf = b.input(tensor.name, full.map(dimOf));
    if (ids.length !== full.length) {
      const view = temp(ids);
      loop!.gathers.push({ src: buf, dst: view, fixed: pinned(full) });
      buf = view;
    }
    if (leafKeep[t].length === ids.length) return { buffer: buf, indices: ids, counts };
    const keep = preferredOrder(leafKeep[t], targetOf(t));
    const dst = temp(keep);
    b.steps.push(einsumStep([{ buffer: buf, labels: ids }], dst, keep, dimOf));
    return { buffer: dst, indices: keep, counts: new Map(keep.map((i) => [i, 1])) };
  });

  tree.nodes.forEach((nd, k) => {
    const A = nodes[nd.left];
    const B = nodes[nd.right];
    const counts = new Map(A.counts);
    for (const [i, c] of B.counts) counts.set(i, (counts.get(i) ?? 0) + c);
    const inB = new Set(B.indices);
    const inA = new Set(A.indices);
    const shared = A.indices.filter((i) => inB.has(i));
    const batch = shared.filter((i) => kept(i, counts));
    const sumK = shared.filter((i) => !kept(i, counts));
    const mOnly = A.indices.filter((i) => !inB.has(i));
    const nOnly = B.indices.filter((i) => !inA.has(i));
    const loneSummed = [...mOnly, ...nOnly].some((i) => !kept(i, counts));
    const keptCounts = (ids: number[]): Map<number, number> => new Map(ids.map((i) => [i, counts.get(i)!]));
    // Batched GEMMs whose matrices are tiny (batched dot products, say) cost a kernel call
    // per batch element; one loop nest does them better.
    const tinyBatched = batch.length > 0 && size(batch) > 1 && size(mOnly) * size(nOnly) * size(sumK) < MIN_BATCHED_GEMM_WORK;
    const gemmShaped = !loneSummed && !tinyBatched && (sumK.length > 0 || (mOnly.length > 0 && nOnly.length > 0));
    if (!gemmShaped) {
      const resultIds = preferredOrder([...A.indices.filter((i) => kept(i, counts)), ...nOnly.filter((i) => kept(i, counts))], targetOf(n + k));
      const dst = temp(resultIds);
      b.steps.push(
        einsumStep(
          [
            { buffer: A.buffer, labels: A.indices },
            { buffer: B.buffer, labels: B.indices },
          ],
          dst,
          resultIds,
          dimOf,
        ),
      );
      nodes.push({ buffer: dst, indices: resultIds, counts: keptCounts(resultIds) });
      return;
    }
    const target = targetOf(n + k);
    const layout = chooseGemmLayout(A, B, batch, sumK, mOnly, nOnly, size, target);
    const [L, R] = layout.swap ? [B, A] : [A, B];
    const { m, n: nn } = layout;
    let aBuf = L.buffer;
    let bBuf = R.buffer;
    if (!layout.aOk) {
      const want = [...layout.batch, ...m, ...layout.k];
      aBuf = temp(want);
      b.steps.push({ kind: 'permute', src: L.buffer, dst: aBuf, perm: want.map((i) => L.indices.indexOf(i)) });
    }
    if (!layout.bOk) {
      const want = [...layout.batch, ...layout.k, ...nn];
      bBuf = temp(want);
      b.steps.push({ kind: 'permute', src: R.buffer, dst: bBuf, perm: want.map((i) => R.indices.indexOf(i)) });
    }
    const resultIds = [...layout.batch, ...m, ...nn];
    const dst = temp(resultIds);
    b.steps.push({
      kind: 'gemm',
      a: aBuf,
      b: bBuf,
      c: dst,
      batch: layout.batch.map(dimOf),
      m: m.map(dimOf),
      n: nn.map(dimOf),
      k: layout.k.map(dimOf),
      transA: layout.aOk ? layout.transA : false,
      transB: layout.bOk ? layout.transB : false,
      alpha: 1,
      beta: 0,
    });
    nodes.push({ buffer: dst, indices: resultIds, counts: keptCounts(resultIds) });
  });

  // The root (or the single leaf) into the output, in order, scaled and accumulated.
  const root = nodes[nodes.length - 1];
  assert(root.indices.length === outKept.length, `statement ${b.ctx.name}: the root has indices [${root.indices}] but the output is [${outKept}]`);
  const ordered = root.indices.every((i, a) => i === outKept[a]);
  if (loop !== undefined && outKept.length < outIds.length) {
    // Sliced output axes: each slice's result goes into its block of the output.
    let src = root.buffer;
    if (!ordered) {
      src = temp(outKept);
      b.steps.push({ kind: 'permute', src: root.buffer, dst: src, perm: outKept.map((i) => root.indices.indexOf(i)) });
    } else if (b.steps.length === loop.start) {
      // Keep the loop body non-empty: copy the gathered view.
      src = temp(outKept);
      b.steps.push({ kind: 'axpy', src: root.buffer, dst: src, alpha: 1, beta: 0 });
    }
    loop.scatter = { src, dst: output, fixed: pinned(outIds), alpha: coefficient, beta: 1 };
    loop.end = b.steps.length;
    return;
  }
  finishRoot(b, root, outKept, output, coefficient, accumulate);
  if (loop !== undefined) loop.end = b.steps.length;
}

/** An einsum step over index ids, renumbered to labels 0..k-1 so each step lists only its own dims. */
function einsumStep(inputs: { buffer: number; labels: number[] }[], out: number, outIds: number[], dimOf: (id: number) => string): EinsumStep {
  const local = new Map<number, number>();
  const labelDims: string[] = [];
  const label = (id: number): number => {
    let l = local.get(id);
    if (l === undefined) {
      l = labelDims.length;
      local.set(id, l);
      labelDims.push(dimOf(id));
    }
    return l;
  };
  const ins = inputs.map((i) => ({ buffer: i.buffer, labels: i.labels.map(label) }));
  return { kind: 'einsum', inputs: ins, out, outLabels: outIds.map(label), labelDims, alpha: 1, beta: 0 };
}

/** Writes the root into the output (retargeting the last step when it can), scaled by `coefficient`. */
function finishRoot(b: PlanBuilder, root: Operand, outIds: number[], output: number, coefficient: number, accumulate: boolean): void {
  const ordered = root.indices.every((i, a) => i === outIds[a]);
  const beta = accumulate ? 1 : 0;
  const last = b.steps[b.steps.length - 1];
  const lastWritesRoot = last !== undefined && ((last.kind === 'gemm' && last.c === root.buffer) || (last.kind === 'einsum' && last.out === root.buffer));
  const rootIsTemp = b.buffers[root.buffer].role === 'temp';
  if (ordered && rootIsTemp && lastWritesRoot) {
    // Retarget the last step at the output: no copy.
    if (last.kind === 'gemm') {
      last.c = output;
      last.alpha *= coefficient;
      last.beta = beta;
    } else if (last.kind === 'einsum') {
      last.out = output;
      last.alpha *= coefficient;
      last.beta = beta;
    }
    return;
  }
  let src = root.buffer;
  if (!ordered) {
    const perm = outIds.map((i) => root.indices.indexOf(i));
    if (!accumulate && coefficient === 1) {
      b.steps.push({ kind: 'permute', src, dst: output, perm });
      return;
    }
    const dst = b.buffer(outIds.map((i) => b.buffers[root.buffer].dims[root.indices.indexOf(i)]), 'temp', undefined, b.planSize.get(root.buffer));
    b.steps.push({ kind: 'permute', src, dst, perm });
    src = dst;
  }
  b.steps.push({ kind: 'axpy', src, dst: output, alpha: coefficient, beta });
}

/** Smallest m·n·k (planning sizes) for which a batched step is a GEMM rather than a loop nest. */
export const MIN_BATCHED_GEMM_WORK = 64;

/**
 * What a GEMM's result layout should suit: the exact output order (at the root), or the
 * consumer GEMM's operand blocks (its batch, free and summed indices, in either of the two
 * orders a GEMM operand can be read in place).
 */
type LayoutTarget = { exact: number[] } | { blocks: Set<number>[][] };

interface GemmLayout {
  /** When true, the right operand plays GEMM's `a` (the result is [batch, n, m]). */
  swap: boolean;
  batch: number[];
  k: number[];
  /** Free indices of GEMM's `a` and `b` operands, in the order the result holds them. */
  m: number[];
  n: number[];
  aOk: boolean;
  transA: boolean;
  bOk: boolean;
  transB: boolean;
}

function isConcat(have: number[], ...parts: number[][]): boolean {
  let p = 0;
  for (const part of parts) for (const i of part) if (have[p++] !== i) return false;
  return p === have.length;
}

/** True when `order` is the blocks' indices, block after block (any order inside a block). */
function blockwise(order: number[], blocks: Set<number>[]): boolean {
  let p = 0;
  for (const block of blocks) {
    for (let q = 0; q < block.size; q++) if (!block.has(order[p++])) return false;
  }
  return p === order.length;
}

/** `ids` reordered to suit a layout target (the exact order, or the first block order). */
function preferredOrder(ids: number[], target: LayoutTarget | undefined): number[] {
  if (target === undefined) return ids;
  if ('exact' in target) return target.exact.filter((i) => ids.includes(i)).length === ids.length ? target.exact.filter((i) => ids.includes(i)) : ids;
  const blocks = target.blocks[0];
  const rank = (i: number): number => blocks.findIndex((blk) => blk.has(i));
  return [...ids].sort((x, y) => rank(x) - rank(y));
}

/**
 * For every non-root node id, the layout its consumer step would read in place, or undefined
 * when the consumer is a loop nest (which reads any layout). Node index sets are derived
 * the way the main loop derives them.
 */
function consumers(
  tree: { leaves: number; nodes: { left: number; right: number }[] },
  leaves: Operand[],
  kept: (i: number, counts: Map<number, number>) => boolean,
  size: (ids: number[]) => number,
): (id: number) => LayoutTarget | undefined {
  const sets: number[][] = leaves.map((o) => o.indices);
  const counts: Map<number, number>[] = leaves.map((o) => o.counts);
  const merged = (x: number, y: number): Map<number, number> => {
    const c = new Map(counts[x]);
    for (const [i, v] of counts[y]) c.set(i, (c.get(i) ?? 0) + v);
    return c;
  };
  const parent = new Map<number, number>();
  tree.nodes.forEach((nd, k) => {
    const c = merged(nd.left, nd.right);
    const keep = [...c.keys()].filter((i) => kept(i, c));
    sets.push(keep);
    counts.push(new Map(keep.map((i) => [i, c.get(i)!])));
    parent.set(nd.left, k);
    parent.set(nd.right, k);
  });
  return (id) => {
    const k = parent.get(id);
    if (k === undefined) return undefined;
    const nd = tree.nodes[k];
    const sib = nd.left === id ? nd.right : nd.left;
    const c = merged(id, sib);
    const inS = new Set(sets[sib]);
    const X = sets[id];
    const inX = new Set(X);
    const batch = X.filter((i) => inS.has(i) && kept(i, c));
    const sum = X.filter((i) => inS.has(i) && !kept(i, c));
    const free = X.filter((i) => !inS.has(i));
    const freeS = sets[sib].filter((i) => !inX.has(i));
    const lone = [...free, ...freeS].some((i) => !kept(i, c));
    const tiny = batch.length > 0 && size(batch) > 1 && size(free) * size(freeS) * size(sum) < MIN_BATCHED_GEMM_WORK;
    if (lone || tiny || !(sum.length > 0 || (free.length > 0 && freeS.length > 0))) return undefined;
    const [b, f, s] = [new Set(batch), new Set(free), new Set(sum)];
    return { blocks: [
      [b, f, s],
      [b, s, f],
    ] };
  };
}

/**
 * Picks the operand roles, the batch and k orders, and (for operands that are permuted
 * anyway) the order of their free indices, minimising the elements permuted at planning
 * sizes: this step's operands that do not already read as [batch, m, k] or [batch, k, m],
 * plus the result when it does not suit `target` (the output order at the root, else what
 * the consumer GEMM can read in place).
 */
function chooseGemmLayout(
  A: Operand,
  B: Operand,
  batch: number[],
  k: number[],
  mOnly: number[],
  nOnly: number[],
  size: (ids: number[]) => number,
  target: LayoutTarget | undefined,
): GemmLayout {
  const order = (ids: number[], like: number[]): number[] => like.filter((i) => ids.includes(i));
  const batchOrders = [order(batch, A.indices), order(batch, B.indices)];
  const kOrders = [order(k, A.indices), order(k, B.indices)];
  // Ranks that sort a permuted operand's free indices the way the target wants them.
  const ranks: ((i: number) => number)[] =
    target === undefined
      ? []
      : 'exact' in target
        ? [(i) => target.exact.indexOf(i)]
        : target.blocks.map((blocks) => (i: number) => blocks.findIndex((blk) => blk.has(i)));
  const freeOrders = (natural: number[], inPlace: boolean): number[][] => {
    if (inPlace) return [natural];
    const out = [natural];
    for (const rank of ranks) {
      const sorted = [...natural].sort((x, y) => rank(x) - rank(y));
      if (!out.some((o) => o.every((v, q) => v === sorted[q]))) out.push(sorted);
    }
    return out;
  };
  const resultCost = (result: number[]): number => {
    if (target === undefined) return 0;
    const fits = 'exact' in target ? isConcat(target.exact, result) : target.blocks.some((blocks) => blockwise(result, blocks));
    return fits ? 0 : size(result);
  };
  let best: GemmLayout | undefined;
  let bestCost = Infinity;
  for (const swap of [false, true]) {
    const [L, R, mNat, nNat] = swap ? [B, A, nOnly, mOnly] : [A, B, mOnly, nOnly];
    for (const bo of batchOrders) {
      for (const ko of kOrders) {
        const aN = isConcat(L.indices, bo, mNat, ko);
        const aT = !aN && isConcat(L.indices, bo, ko, mNat);
        const bN = isConcat(R.indices, bo, ko, nNat);
        const bT = !bN && isConcat(R.indices, bo, nNat, ko);
        const permuted = (aN || aT ? 0 : size(L.indices)) + (bN || bT ? 0 : size(R.indices));
        for (const m of freeOrders(mNat, aN || aT)) {
          for (const n of freeOrders(nNat, bN || bT)) {
            const cost = permuted + resultCost([...bo, ...m, ...n]);
            if (cost < bestCost) {
              bestCost = cost;
              best = { swap, batch: bo, k: ko, m, n, aOk: aN || aT, transA: aT, bOk: bN || bT, transB: bT };
            }
          }
        }
      }
    }
  }
  return best!;
}
