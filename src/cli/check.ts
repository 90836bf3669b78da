// `tnc check FILE.tn...`: parse, check and expand each file; print every diagnostic of the
// first failing stage to stderr (exit 1), or a one-line summary of what it declares (exit 0).

import { hasErrors, render, SourceFile, type Diagnostic } from '../diagnostics.js';
import { analyze } from '../frontend.js';
import { EXIT_OK, EXIT_USER, parseFlags, UsageError, type CliIO, type Command } from './io.js';

/** A diagnostic with 1-based line/column for both span ends (for editors and scripts). */
function withPositions(file: SourceFile, d: Diagnostic): Diagnostic & { start: { line: number; column: number }; end: { line: number; column: number } } {
  return { ...d, start: file.position(d.span.start), end: file.position(d.span.end) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Checks one file and prints its report; returns its exit code. */
function checkFile(file: SourceFile, json: boolean, io: CliIO): number {
  const path = file.path;
  const result = analyze(file);
  const failed = hasErrors(result.diagnostics) || result.value === undefined;
  if (json) {
    io.stdout(JSON.stringify({ file: path, ok: !failed, diagnostics: result.diagnostics.map((d) => withPositions(file, d)) }));
    return failed ? EXIT_USER : EXIT_OK;
  }
  if (result.diagnostics.length > 0) io.stderr(render(file, result.diagnostics));
  if (failed || result.value === undefined) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr(`${path}: ${plural(errors, 'error')}`);
    return EXIT_USER;
  }
  const p = result.value;
  const outs = p.statements.filter((s) => s.kind === 'out').length;
  const lets = p.statements.length - outs;
  const parts = [plural(p.dims.length, 'dim'), plural(p.factors.length, 'factor')];
  if (p.factorized.length > 0) parts.push(plural(p.factorized.length, 'factorized tensor'));
  const stmts = `${plural(p.statements.length, 'statement')}: ${outs} out${lets > 0 ? `, ${lets} let` : ''}`;
  io.stdout(`${path}: ok (${parts.join(', ')}, ${stmts})`);
  return EXIT_OK;
}

/** The `check` command. */
export const checkCommand: Command = {
  name: 'check',
  summary: 'report diagnostics for .tn files (exit 1 on errors)',
  help: [
    'usage: tnc check FILE.tn... [--json]',
    '',
    'Parses, checks and expands each FILE.tn. Every error of the first failing stage is',
    'printed to stderr as `file:line:col: error[code]: message` with the source line and a',
    'caret, then a count line. A file without errors gets one summary line on stdout.',
    'The exit code is 1 when any file has errors, else 0.',
    'With --json, stdout gets one JSON object per file and line, {file, ok, diagnostics};',
    'each diagnostic has code, severity, message, span (UTF-16 offsets, half-open), notes',
    'and 1-based start/end line and column.',
    '',
    'examples:',
    '  tnc check examples/matrix-chain.tn',
    '  examples/matrix-chain.tn: ok (5 dims, 4 factors, 1 statement: 1 out)',
    '  tnc check --json examples/*.tn',
  ].join('\n'),
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, { booleans: ['json'] });
    if (positionals.length === 0) throw new UsageError('expected at least one FILE.tn');
    // Read every file first: an unreadable path is a usage error before any output.
    const files = positionals.map((path) => {
      try {
        return SourceFile.from(path, io.readFile(path));
      } catch (e) {
        throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e)}`);
      }
    });
    let code = EXIT_OK;
    for (const file of files) if (checkFile(file, flags.json === true, io) !== EXIT_OK) code = EXIT_USER;
    return code;
  },
};
