// `tnc graph FILE.tn`: draws each statement's network (or, with --tree, its contraction tree
// with per-step costs) as SVG, Graphviz DOT or Mermaid, to stdout or a file.

import { GRAPH_FORMATS, networkPanels, renderPanels, selectStatements, treePanels, type GraphFormat } from '../viz/index.js';
import { parseFlags, UsageError, type CliIO, type Command } from './io.js';
import { checkOptimizerName } from '../optimizer/plan-contraction.js';
import { loadProgram } from './program-input.js';

const HELP = `usage: tnc graph FILE.tn [--format svg|dot|mermaid] [--tree] [--statement NAME]
                 [--optimizer NAME] [--out FILE]

Draws the tensor network of every statement in FILE.tn: tensors are boxes labelled with
their indices and shape, an index shared by two tensors is an edge labelled name=size, an
index on three or more tensors (a hyperedge) is a small junction node, output indices end
in open legs (hollow circles), traces are loops, and an index summed on a single tensor
ends in a grey square. With --tree, draws the contraction tree the optimizer chose
instead, each step labelled with its result indices, flops and result size.
SVG is laid out in JavaScript (no Graphviz needed); output is deterministic.

options:
  --format F         svg (default), dot (Graphviz) or mermaid
  --tree             draw the contraction tree instead of the network
  --statement NAME   only this statement
  --optimizer NAME   optimizer for --tree (default: auto)
  --out FILE         write to FILE instead of stdout

examples:
  tnc graph examples/cp-reconstruction.tn --out cp.svg
  tnc graph examples/mps-norm.tn --tree --out mps-tree.svg
  tnc graph examples/tt-layer.tn --format dot | dot -Tpng > tt.png
  tnc graph examples/matrix-chain.tn --format mermaid

exit codes: 0 ok, 1 user error (diagnostics, bad flag, unreadable file), 2 internal error`;

/** The `tnc graph` command. */
export const graphCommand: Command = {
  name: 'graph',
  summary: 'draw a .tn network or its contraction tree as SVG, DOT or Mermaid',
  help: HELP,
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, { strings: ['format', 'out', 'statement', 'optimizer'], booleans: ['tree'] });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing FILE.tn' : `expected one file, got ${positionals.length}`);
    const format = (flags.format ?? 'svg') as string;
    if (!(GRAPH_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format '${format}'; valid formats: ${GRAPH_FORMATS.join(', ')}`);
    if (flags.optimizer !== undefined && flags.tree !== true) throw new UsageError('--optimizer only applies with --tree');
    const { program } = loadProgram(positionals[0], io);
    const name = typeof flags.statement === 'string' ? flags.statement : undefined;
    const statements = selectStatements(program, name);
    if (!statements) {
      throw new UsageError(`no statement named '${name}'; statements: ${program.statements.map((s) => s.name).join(', ') || '(none)'}`);
    }
    if (typeof flags.optimizer === 'string') checkOptimizerName(flags.optimizer);
    const options = typeof flags.optimizer === 'string' ? { optimizer: flags.optimizer } : {};
    const text = renderPanels(flags.tree === true ? treePanels(statements, options) : networkPanels(statements), format as GraphFormat);
    if (typeof flags.out === 'string') {
      io.writeFile(flags.out, text);
      io.stderr(`wrote ${flags.out}`);
    } else {
      io.stdout(text);
    }
    return 0;
  },
};
