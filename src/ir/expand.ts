// The expand stage: CheckedProgram → Program. Every statement becomes a list of terms, each a
// coefficient times a plain tensor network over factor tensors: products distribute over
// sums, earlier statements (`let`) and family tensors are inlined with their legs renamed
// positionally and their internal indices renamed fresh per use (`j#3`, `W.r1#4`), and every
// index of a term network records the dim it ranges over in `indexDims`.

import { error, type Diagnostic } from '../diagnostics.js';
import type { CheckedExpr, CheckedProgram } from './check.js';
import { planningSize, type NetworkTensor, type Program, type Statement, type TensorNetwork } from './network.js';

/** Most terms one statement may expand into (products of sums multiply term counts). */
export const MAX_TERMS = 4096;

/**
 * Fresh index names for one expansion: a counter (deterministic in statement order) and the
 * dim of every fresh name made so far. Indices that are not fresh are dims themselves.
 */
interface Fresh {
  next: number;
  dimOf: Map<string, string>;
}

function dimOf(ix: string, fresh: Fresh): string {
  return fresh.dimOf.get(ix) ?? ix;
}

/** The dim a declared dim ranges over: an alias's target (`dim a = D`), or itself. */
function canonical(dim: string, checked: CheckedProgram): string {
  return checked.aliases.get(dim) ?? dim;
}

/** A term before its network is finished: coefficient and tensors. */
interface RawTerm {
  coefficient: number;
  tensors: NetworkTensor[];
}

/** Expands a checked program into plain networks. Reports `expand/too-many-terms`. */
export function expand(checked: CheckedProgram): { value: Program | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const statements: Statement[] = [];
  const fresh: Fresh = { next: 1, dimOf: new Map() };
  for (const s of checked.statements) {
    const raw = expandExpr(s.body, checked, statements, fresh);
    if (raw === undefined || raw.length > MAX_TERMS) {
      diagnostics.push(
        error('expand/too-many-terms', `\`${s.name}\` expands into more than ${MAX_TERMS} terms; split it into smaller statements`, s.span),
      );
      return { value: undefined, diagnostics };
    }
    const terms = raw.map((t) => ({ coefficient: t.coefficient, network: finishNetwork(t.tensors, s.output, checked, fresh) }));
    // A statement's output lists dims (lowering and the module spec read shapes from it), so
    // aliases become the dim they range over; its networks keep the index names.
    statements.push({ name: s.name, kind: s.mode, output: s.output.map((d) => canonical(d, checked)), terms, span: s.span });
  }
  const value: Program = {
    // Aliases are index names, not dims of their own: callers bind only the dim they range over.
    dims: [...checked.dims.values()].filter((d) => !checked.aliases.has(d.name)),
    factors: checked.factors.map((f) => ({ ...f, dims: f.dims.map((d) => canonical(d, checked)) })),
    factorized: checked.factorized,
    statements,
  };
  return { value, diagnostics };
}

function finishNetwork(tensors: NetworkTensor[], output: string[], checked: CheckedProgram, fresh: Fresh): TensorNetwork {
  const sizes: Record<string, number> = {};
  const indexDims: Record<string, string> = {};
  const symbolic: string[] = [];
  for (const ix of [...tensors.flatMap((t) => t.indices), ...output]) {
    if (Object.hasOwn(sizes, ix)) continue;
    const dim = canonical(dimOf(ix, fresh), checked);
    const info = checked.dims.get(dim)!;
    sizes[ix] = planningSize(info);
    indexDims[ix] = dim;
    if (info.size.kind === 'symbolic') symbolic.push(ix);
  }
  const net: TensorNetwork = { tensors, output: [...output], sizes, indexDims };
  if (symbolic.length > 0) net.symbolic = symbolic;
  return net;
}

function expandExpr(e: CheckedExpr, checked: CheckedProgram, done: readonly Statement[], fresh: Fresh): RawTerm[] | undefined {
  switch (e.kind) {
    case 'number':
      return [{ coefficient: e.value, tensors: [] }];
    case 'access':
      return expandAccess(e, checked, done, fresh);
    case 'product': {
      let acc: RawTerm[] = [{ coefficient: 1, tensors: [] }];
      for (const f of e.factors) {
        const terms = expandExpr(f, checked, done, fresh);
        if (terms === undefined || acc.length * terms.length > MAX_TERMS) return undefined;
        if (acc.length === 1 && terms.length === 1) {
          // One term times one term (every plain product, every prod(...)): extend in place.
          // acc's arrays are made here, so nothing else holds them; copying them per factor
          // made a product of n factors O(n^2) (100k-factor chains took minutes to check).
          const [a] = acc;
          const [b] = terms;
          a.coefficient *= b.coefficient;
          for (const t of b.tensors) a.tensors.push(t);
          continue;
        }
        const next: RawTerm[] = [];
        for (const a of acc) for (const b of terms) next.push({ coefficient: a.coefficient * b.coefficient, tensors: a.tensors.concat(b.tensors) });
        acc = next;
      }
      return acc;
    }
    case 'sum': {
      const out: RawTerm[] = [];
      for (const it of e.items) {
        const terms = expandExpr(it.expr, checked, done, fresh);
        if (terms === undefined || out.length + terms.length > MAX_TERMS) return undefined;
        for (const t of terms) out.push(it.sign === '-' ? { coefficient: -t.coefficient, tensors: t.tensors } : t);
      }
      return out;
    }
  }
}

/**
 * Renames a network's indices for one use: its `legs` (in order) become `uses`, every other
 * index becomes a fresh copy `${dim}#${n}` (one new name per distinct index per use).
 */
function instantiate(tensors: readonly NetworkTensor[], legs: readonly string[], uses: readonly string[], checked: CheckedProgram, fresh: Fresh): NetworkTensor[] {
  const map = new Map<string, string>();
  legs.forEach((l, k) => map.set(l, uses[k]));
  const rename = (ix: string): string => {
    let r = map.get(ix);
    if (r === undefined) {
      const dim = dimOf(ix, fresh);
      do r = `${dim}#${fresh.next++}`;
      while (checked.dims.has(r));
      fresh.dimOf.set(r, dim);
      map.set(ix, r);
    }
    return r;
  };
  return tensors.map((t) => ({ name: t.name, indices: t.indices.map(rename) }));
}

function expandAccess(
  e: Extract<CheckedExpr, { kind: 'access' }>,
  checked: CheckedProgram,
  done: readonly Statement[],
  fresh: Fresh,
): RawTerm[] {
  const entry = checked.tensors.get(e.tensor)!;
  switch (entry.kind) {
    case 'factor':
      return [{ coefficient: 1, tensors: [{ name: entry.name, indices: [...e.indices] }] }];
    case 'family':
      return [{ coefficient: 1, tensors: instantiate(entry.tensor.network.tensors, entry.legs, e.indices, checked, fresh) }];
    case 'statement': {
      const st = done[entry.statement];
      return st.terms.map((t) => ({
        coefficient: t.coefficient,
        tensors: instantiate(t.network.tensors, t.network.output, e.indices, checked, fresh),
      }));
    }
  }
}
