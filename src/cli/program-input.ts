// Reading a .tn file for the commands that report on it (info, graph): read, analyze, and
// turn diagnostics into a TncError (printed by cli.ts, exit 1) or an unreadable file into a
// UsageError.

import { hasErrors, SourceFile, TncError } from '../diagnostics.js';
import { analyze } from '../frontend.js';
import type { Program } from '../ir/network.js';
import { UsageError, type CliIO } from './io.js';

/** Reads and analyzes a .tn file; throws TncError on diagnostics with errors. */
export function loadProgram(path: string, io: CliIO): { program: Program; file: SourceFile } {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e)}`);
  }
  const file = SourceFile.from(path, text);
  const result = analyze(file);
  if (hasErrors(result.diagnostics) || result.value === undefined) throw new TncError(result.diagnostics.filter((d) => d.severity === 'error'), file);
  return { program: result.value, file };
}
