// The CLI's IO with stdout and stderr captured as lists of writes (files and the rest real).
import { nodeIO, type CliIO } from '../../src/cli/io.js';

/** A CliIO whose stdout/stderr writes land in `out`/`err` instead of the terminal. */
export function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ...nodeIO, stdout: (t) => out.push(t), stderr: (t) => err.push(t), out, err };
}
