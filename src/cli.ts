#!/usr/bin/env node
// The tnc command line: argv → command. The only module that touches process and exit codes.
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { TncError, InternalError } from './diagnostics.js';
import { EXIT_INTERNAL, EXIT_USER, nodeIO, UsageError, type CliIO, type Command } from './cli/io.js';
import { commands } from './cli/commands.js';

function usage(): string {
  const lines = ['usage: tnc <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push('', "Run 'tnc <command> --help' for a command's options and examples.");
  lines.push('Exit codes: 0 ok, 1 user error (diagnostics printed), 2 internal error (a bug in tnc).');
  return lines.join('\n');
}

/** File-system error codes caused by the paths a user gave, not by tnc. */
const USER_FS_ERRORS = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENAMETOOLONG', 'EEXIST']);

/**
 * A file the user named that cannot be read or written (missing, a directory, no permission)
 * is a user error wherever a command meets it: returns the message, or undefined.
 */
function fileSystemError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, syscall, path } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string' || !USER_FS_ERRORS.has(code)) return undefined;
  const reason = e.message.replace(/^[A-Z]+: /, '').replace(/, [a-z]+( '.*')?$/, '');
  const verb = syscall === 'open' || syscall === 'read' || syscall === 'scandir' ? 'read' : 'write';
  return typeof path === 'string' ? `cannot ${verb} ${path}: ${reason}` : `cannot ${verb} a file: ${reason}`;
}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? EXIT_USER : 0;
  }
  if (name === '--version') {
    io.stdout('0.1.0');
    return 0;
  }
  const cmd: Command | undefined = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`tnc: unknown command '${name}'\n${usage()}`);
    return EXIT_USER;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof TncError) {
      io.stderr(e.message);
      return EXIT_USER;
    }
    if (e instanceof UsageError) {
      io.stderr(`tnc ${name}: ${e.message}\nRun 'tnc ${name} --help' for usage.`);
      return EXIT_USER;
    }
    const fsError = fileSystemError(e);
    if (fsError !== undefined) {
      io.stderr(`tnc ${name}: ${fsError}`);
      return EXIT_USER;
    }
    if (e instanceof InternalError) {
      io.stderr(e.message);
      return EXIT_INTERNAL;
    }
    io.stderr(`internal error (a bug in tnc, please report it): ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return EXIT_INTERNAL;
  }
}

const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (import.meta.url === invoked) {
  // Output piped into `head` and closed early is not an error of tnc: stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
