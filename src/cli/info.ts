// `tnc info FILE.tn`: the network of each statement, the chosen path step by step with costs,
// totals, the naive cost, and the factorized tensors; `--html OUT` writes a self-contained page.

import { formatInfoHtml } from '../viz/info-html.js';
import { reportProgram } from '../viz/info-report.js';
import { formatInfoText } from '../viz/info-text.js';
import { parseFlags, UsageError, type CliIO, type Command } from './io.js';
import { checkOptimizerName } from '../optimizer/plan-contraction.js';
import { loadProgram } from './program-input.js';

const HELP = `usage: tnc info FILE.tn [--optimizer NAME] [--html OUT.html]

Prints, for every statement of FILE.tn: the network (tensors with shapes, indices with
sizes; hyperedges, open and traced indices marked), the contraction path the optimizer
chose, step by step (linear-path pair, operands, einsum, summed indices, flops, result
size, scaling), the total flops, the largest intermediate and the naive cost; then, for
every factorized tensor, its factors with shapes, its parameter count against the dense
tensor it represents, and the compression ratio.

options:
  --optimizer NAME   contraction-order optimizer (default: auto)
  --html OUT.html    also write one self-contained HTML page (pictures, step table, costs)

examples:
  tnc info examples/matrix-chain.tn
  tnc info examples/tt-layer.tn --optimizer greedy
  tnc info examples/cp-reconstruction.tn --html cp.html

exit codes: 0 ok, 1 user error (diagnostics, bad flag, unreadable file), 2 internal error`;

/** The `tnc info` command. */
export const infoCommand: Command = {
  name: 'info',
  summary: 'show the network, the contraction path with costs, and factor sizes of a .tn file',
  help: HELP,
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, { strings: ['optimizer', 'html'] });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing FILE.tn' : `expected one file, got ${positionals.length}`);
    const [path] = positionals;
    const { program } = loadProgram(path, io);
    if (typeof flags.optimizer === 'string') checkOptimizerName(flags.optimizer);
    const options = typeof flags.optimizer === 'string' ? { optimizer: flags.optimizer } : {};
    const report = reportProgram(program, options);
    io.stdout(formatInfoText(report, path));
    if (typeof flags.html === 'string') {
      io.writeFile(flags.html, formatInfoHtml(report, path));
      io.stderr(`wrote ${flags.html}`);
    }
    return 0;
  },
};
