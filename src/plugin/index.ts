// The tnc bundler plugin (`tnc/plugin`): `import { y, spec } from './model.tn'` compiles the
// model at build time. One implementation (unplugin) serves Vite, Rollup, Rolldown, esbuild
// and webpack. Target and dtype come from the plugin options or the import query
// (`./model.tn?target=webgpu&dtype=f64`); diagnostics become build errors with file, line and
// column; the .tn file is watched; in Vite dev a change reloads the page.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createUnplugin, type UnpluginFactory, type UnpluginInstance } from 'unplugin';
import { buildModule } from '../build.js';
import { render, SourceFile, TncError, type Diagnostic } from '../diagnostics.js';
import { checkOptimizerName } from '../optimizer/plan-contraction.js';
import { dtsWithDefaultExport, withDefaultExport } from './module-text.js';
import { optionsFromQuery, splitId, TN_ID, validateDefaults, type TnBuildOptions } from './query.js';

export { exportedNames, withDefaultExport, dtsWithDefaultExport } from './module-text.js';
export { optionsFromQuery, splitId, type TnBuildOptions } from './query.js';

/** Options of the tnc plugin. */
export interface TncPluginOptions {
  /** Backend for every .tn import without a `target` query (default `cpu`). */
  target?: 'cpu' | 'webgpu';
  /** Element type for every .tn import without a `dtype` query (default `f32`). */
  dtype?: 'f32' | 'f64';
  /**
   * Also write `model.tn.d.ts` beside each imported `model.tn` (rewritten only when it
   * changes), so `tsc` alone type-checks the named imports.
   */
  dts?: boolean;
  /** Contraction-order optimizer for every model (default `auto`); see `tnc path --help`. */
  optimizer?: string;
}

/** What a failed build reports: the rendered diagnostics and the first error's location. */
export interface TnBuildFailure {
  message: string;
  file: string;
  /** 1-based line and column of the first error. */
  line: number;
  column: number;
}

/** Compiles one .tn source for a bundler: the module text, its .d.ts, or a failure with a location. */
export async function compileTn(
  text: string,
  file: string,
  options: TnBuildOptions & { optimizer?: string },
): Promise<{ ok: true; js: string; dts: string; warnings: string[] } | { ok: false; failure: TnBuildFailure }> {
  const shown = displayPath(file);
  let result: Awaited<ReturnType<typeof buildModule>>;
  try {
    result = await buildModule(text, shown, { target: options.target, dtype: options.dtype, ...(options.optimizer ? { optimizer: options.optimizer } : {}) });
  } catch (e) {
    // Planning reports some user errors (an unknown optimizer) by throwing a TncError.
    if (e instanceof TncError) return { ok: false, failure: { message: `${shown}: ${e.message}`, file, line: 1, column: 1 } };
    throw e;
  }
  const source = SourceFile.from(shown, text);
  const errors = result.diagnostics.filter((d: Diagnostic) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d: Diagnostic) => d.severity !== 'error');
  if (errors.length > 0 || result.value === undefined) {
    const first = errors[0];
    const pos = first ? source.position(first.span.start) : { line: 1, column: 1 };
    const message = errors.length > 0 ? render(source, errors) : `${shown}: tnc produced no module`;
    return { ok: false, failure: { message, file, line: pos.line, column: pos.column } };
  }
  return {
    ok: true,
    js: withDefaultExport(result.value.js),
    dts: dtsWithDefaultExport(result.value.dts),
    warnings: warnings.length > 0 ? [render(source, warnings)] : [],
  };
}

/** A path relative to the working directory when it lies inside it (shorter messages). */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function writeIfChanged(path: string, text: string): void {
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) writeFileSync(path, text);
}

/**
 * What load returns after `this.error`: Rollup and Vite throw there, but unplugin's esbuild
 * (and webpack) flavour only records the error, and a null result then made esbuild report
 * "Do not know how to load path" instead of the diagnostics; an empty module lets them through.
 */
const FAILED = { code: '', map: null };

/** The plugin factory (unplugin), for frameworks unplugin supports beyond the named exports. */
export const unpluginFactory: UnpluginFactory<TncPluginOptions | undefined, false> = (rawOptions) => {
  const options = rawOptions ?? {};
  const defaults = validateDefaults(options);
  // A misspelled optimizer is a config error: report it when the plugin is created.
  if (options.optimizer !== undefined) checkOptimizerName(options.optimizer);
  return {
    name: 'tnc',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!TN_ID.test(source)) return null;
      const { file, query } = splitId(source);
      // Relative and absolute file paths only; anything else (Vite's root-relative `/src/...`,
      // aliases) is left to the bundler, which keeps the query.
      if (!file.startsWith('./') && !file.startsWith('../')) return null;
      const base = importer ? dirname(splitId(importer).file) : process.cwd();
      const abs = resolve(base, file);
      return query ? `${abs}?${query}` : abs;
    },
    loadInclude(id) {
      return TN_ID.test(id);
    },
    async load(id) {
      const { file, query } = splitId(id);
      const parsed = optionsFromQuery(query, defaults);
      if ('error' in parsed) {
        this.error({ message: `${displayPath(file)}: ${parsed.error}`, id: file });
        return FAILED;
      }
      this.addWatchFile(file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        this.error({ message: `cannot read ${displayPath(file)}: ${e instanceof Error ? e.message : String(e)}`, id: file });
        return FAILED;
      }
      const out = await compileTn(text, file, { ...parsed.options, ...(options.optimizer ? { optimizer: options.optimizer } : {}) });
      if (!out.ok) {
        const { failure } = out;
        this.error({
          message: failure.message,
          id: file,
          // 1-based like the rendered message: bundlers print `file:line:column` from this.
          loc: { file, line: failure.line, column: failure.column },
        });
        return FAILED;
      }
      for (const w of out.warnings) this.warn({ message: w, id: file });
      // TypeScript reads model.tn.d.ts only for `./model.tn` itself (a path with a query is
      // typed by the ambient declaration), so only a build with the plugin's own target and
      // dtype may write it: a `?target=webgpu` build would otherwise replace it, by load order.
      // (Other query parameters, such as a dev server's, do not change the module.)
      const params = new URLSearchParams(query);
      if (options.dts && !params.has('target') && !params.has('dtype')) writeIfChanged(`${file}.d.ts`, out.dts);
      return { code: out.js, map: null };
    },
    vite: {
      // A changed .tn file rebuilds its module; generated modules cannot hot-swap their
      // pipelines safely, so the page reloads.
      handleHotUpdate(ctx) {
        if (!TN_ID.test(ctx.file)) return;
        ctx.server.ws.send({ type: 'full-reload' });
        return [];
      },
    },
  };
};

/** The tnc plugin for every bundler unplugin supports. */
export const tncPlugin: UnpluginInstance<TncPluginOptions | undefined, false> = createUnplugin(unpluginFactory);

/** Vite plugin: `plugins: [tncVite({ target: 'cpu' })]`. */
export const tncVite = tncPlugin.vite;
/** Rollup plugin. */
export const tncRollup = tncPlugin.rollup;
/** Rolldown plugin. */
export const tncRolldown = tncPlugin.rolldown;
/** esbuild plugin. */
export const tncEsbuild = tncPlugin.esbuild;
/** webpack plugin. */
export const tncWebpack = tncPlugin.webpack;
