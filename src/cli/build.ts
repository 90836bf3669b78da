// `tnc build FILE.tn`: compile a .tn file into FILE.tn.js and FILE.tn.d.ts (beside the source
// or in --out DIR). Diagnostics go to stderr with exit code 1. `--watch` rebuilds on change.

import { watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { render, SourceFile, hasErrors } from '../diagnostics.js';
import { buildModule, type BuildOptions, type Dtype, type Target } from '../build.js';
import { EXIT_OK, EXIT_USER, parseFlags, UsageError, type CliIO, type Command } from './io.js';

const HELP = [
  'usage: tnc build FILE.tn [--target cpu|webgpu] [--dtype f32|f64] [--out DIR]',
  '                 [--optimizer NAME] [--memory-limit N] [--types-only] [--watch]',
  '',
  'Compiles FILE.tn into an ES module FILE.tn.js and its declarations FILE.tn.d.ts,',
  'written beside the source or into DIR. The module exports one function per `out`',
  'statement, name(inputs, dims?, out?), taking row-major typed arrays keyed by input',
  'name, values for symbolic dims, and an optional output buffer; and `spec`, which',
  'describes inputs, outputs, dims, contraction paths and costs. It imports nothing.',
  '',
  'options:',
  '  --target cpu|webgpu   code to generate (default cpu)',
  '  --dtype f32|f64       element type (default f32)',
  '  --out DIR             output directory (default: beside FILE.tn)',
  '  --optimizer NAME      contraction-order optimizer (default auto)',
  '  --memory-limit N      largest intermediate, in elements',
  '  --types-only          write only FILE.tn.d.ts',
  '  --watch               rebuild whenever FILE.tn changes (Ctrl-C to stop)',
  '',
  'examples:',
  '  tnc build examples/matrix-chain.tn',
  '  tnc build model.tn --dtype f64 --out src/generated',
  "  node -e \"import('./examples/matrix-chain.tn.js').then(m => console.log(m.spec.outputs))\"",
].join('\n');

function oneOf<T extends string>(flag: string, value: string | boolean | undefined, valid: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !valid.includes(value as T)) throw new UsageError(`--${flag} must be one of ${valid.join(', ')}, got '${String(value)}'`);
  return value as T;
}

/** Builds once; returns the exit code. */
function buildOnce(path: string, outDir: string, options: BuildOptions, typesOnly: boolean, io: CliIO): number {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e)}`);
  }
  // The module records the file name only, so output does not depend on the working directory.
  const name = basename(path);
  const result = buildModule(text, name, options);
  if (result.diagnostics.length > 0) io.stderr(render(SourceFile.from(path, text), result.diagnostics));
  if (result.value === undefined || hasErrors(result.diagnostics)) {
    const n = result.diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr(`${path}: ${n} error${n === 1 ? '' : 's'}; nothing written`);
    return EXIT_USER;
  }
  const base = join(outDir, name);
  const written: string[] = [];
  if (!typesOnly) {
    io.writeFile(`${base}.js`, result.value.js);
    written.push(`${base}.js`);
  }
  io.writeFile(`${base}.d.ts`, result.value.dts);
  written.push(`${base}.d.ts`);
  io.stdout(`wrote ${written.join(', ')}`);
  return EXIT_OK;
}

/** The `build` command. */
export const buildCommand: Command = {
  name: 'build',
  summary: 'compile a .tn file into an ES module (.tn.js) and declarations (.tn.d.ts)',
  help: HELP,
  run(args: string[], io: CliIO): number | Promise<number> {
    const { flags, positionals } = parseFlags(args, {
      strings: ['target', 'dtype', 'out', 'optimizer', 'memory-limit'],
      booleans: ['types-only', 'watch'],
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one FILE.tn, got ${positionals.length}`);
    const path = positionals[0];
    const options: BuildOptions = {
      target: oneOf<Target>('target', flags.target, ['cpu', 'webgpu'], 'cpu'),
      dtype: oneOf<Dtype>('dtype', flags.dtype, ['f32', 'f64'], 'f32'),
    };
    if (typeof flags.optimizer === 'string') options.optimizer = flags.optimizer;
    if (typeof flags['memory-limit'] === 'string') {
      const n = Number(flags['memory-limit']);
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--memory-limit must be a positive integer, got '${flags['memory-limit']}'`);
      options.memoryLimit = n;
    }
    const outDir = typeof flags.out === 'string' ? flags.out : dirname(path);
    const typesOnly = flags['types-only'] === true;
    const code = buildOnce(path, outDir, options, typesOnly, io);
    if (flags.watch !== true) return code;
    io.stdout(`watching ${path} (Ctrl-C to stop)`);
    return new Promise<number>(() => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Watch the directory, not the file: editors that save by renaming replace the file.
      watch(dirname(path) || '.', (_event, changed) => {
        if (changed !== null && changed !== basename(path)) return;
        // Editors write in several events; rebuild once they settle.
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          try {
            buildOnce(path, outDir, options, typesOnly, io);
          } catch (e) {
            io.stderr(e instanceof Error ? e.message : String(e));
          }
        }, 50);
      });
    });
  },
};
