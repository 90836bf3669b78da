// What a CLI command may touch: argv, output streams, files. Tests pass their own.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  cwd: string;
}

export const nodeIO: CliIO = {
  stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  readFile: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      // Reading a directory fails without naming it; name it so the CLI can say which file.
      if (e instanceof Error && (e as NodeJS.ErrnoException).path === undefined) (e as NodeJS.ErrnoException).path = p;
      throw e;
    }
  },
  writeFile: (p, t) => {
    const dir = p.replace(/[\\/][^\\/]*$/, '');
    if (dir && dir !== p) makeDirs(dir);
    writeFileSync(p, t);
  },
  cwd: process.cwd(),
};

/**
 * Creates `dir` and its missing parents one level at a time. Not mkdirSync's `recursive`:
 * in Node 20 it never returns when mkdir keeps failing with ENOENT under an existing parent
 * (`tnc build --out /proc/x` spun forever); one level at a time the error surfaces.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Exit codes: 0 ok, 1 user error, 2 internal error. */
export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;

/** A CLI usage error (bad flag, missing argument): printed without a stack, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text, with examples. */
  help: string;
  run(args: string[], io: CliIO): Promise<number> | number;
}

/** Minimal flag parser: `--name value`, `--name=value`, boolean flags, positionals. */
export function parseFlags(
  args: string[],
  spec: { strings?: string[]; booleans?: string[] },
): { flags: Record<string, string | boolean>; positionals: string[] } {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (booleans.has(name)) {
        if (eq >= 0) throw new UsageError(`flag --${name} takes no value`);
        flags[name] = true;
      } else if (strings.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new UsageError(`flag --${name} needs a value`);
        flags[name] = v;
      } else {
        const known = [...strings, ...booleans].map((s) => `--${s}`).join(', ');
        throw new UsageError(`unknown flag --${name}${known ? `; valid flags: ${known}` : ''}`);
      }
    } else {
      positionals.push(a);
    }
  }
  return { flags, positionals };
}
