// Panels for a whole program: one network picture per statement term, or one contraction
// tree per statement term (planned with the same planContraction the backends use).

import type { Program, Statement } from '../ir/network.js';
import { planContraction, type PathOptions } from '../optimizer/plan-contraction.js';
import type { DiagramPanel } from './diagram.js';
import { compactCount } from './format.js';
import { networkDiagram } from './network-diagram.js';
import { treeDiagram } from './tree-diagram.js';

/** Title of a statement term, e.g. `out y[b,o]` or `out y[i] (term 2 of 3, ×-1)`. */
export function termTitle(st: Statement, term: number): string {
  const head = `${st.kind} ${st.name}[${st.output.join(',')}]`;
  if (st.terms.length === 1 && st.terms[0].coefficient === 1) return head;
  const coeff = st.terms[term].coefficient;
  return `${head} (term ${term + 1} of ${st.terms.length}${coeff === 1 ? '' : `, ×${coeff}`})`;
}

/** Statements to draw: all, or the one named (undefined when no statement has that name). */
export function selectStatements(program: Program, name?: string): Statement[] | undefined {
  if (name === undefined) return program.statements;
  const st = program.statements.filter((s) => s.name === name);
  return st.length > 0 ? st : undefined;
}

/** One network panel per term of each statement. */
export function networkPanels(statements: readonly Statement[]): DiagramPanel[] {
  return statements.flatMap((st) => st.terms.map((t, k) => networkDiagram(t.network, termTitle(st, k))));
}

/** One contraction-tree panel per term of each statement, with the optimizer's costs. */
export function treePanels(statements: readonly Statement[], options: PathOptions = {}): DiagramPanel[] {
  return statements.flatMap((st) =>
    st.terms.map((t, k) => {
      const planned = planContraction(t.network, options);
      const title = `${termTitle(st, k)}: contraction tree (${planned.optimizer}, flops ${compactCount(planned.cost.flops)}, largest ${compactCount(planned.cost.size)})`;
      return treeDiagram(t.network, planned.problem, planned.tree, title);
    }),
  );
}
