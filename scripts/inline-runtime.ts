// Turns a runtime module (and every module it imports, transitively) into one JavaScript
// expression that generated modules inline, so they run standalone, and wraps that text in a
// committed TypeScript module. Each source module becomes an arrow function returning its
// exports; its value imports become destructurings of earlier ones. Used by
// gen-runtime-text.ts (CPU) and gen-webgpu-runtime.ts (WebGPU).

import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

interface Module {
  file: string;
  js: string;
  imports: { file: string; names: { imported: string; local: string }[] }[];
  exports: string[];
}

function hasExport(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Transpiles one module and rewrites its imports/exports for the wrapper. */
function loadModule(file: string): Module {
  const source = readFileSync(file, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: true },
    fileName: file,
  }).outputText;
  const sf = ts.createSourceFile(file, out, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const imports: Module['imports'] = [];
  const exports: string[] = [];
  // Edits as [start, end, replacement], applied back to front.
  const edits: [number, number, string][] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      if (!spec.startsWith('.')) throw new Error(`${file}: runtime code may import only relative modules, not '${spec}'`);
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      const bindings = st.importClause?.namedBindings;
      if (st.importClause?.name || (bindings && !ts.isNamedImports(bindings))) throw new Error(`${file}: use named imports in runtime code`);
      const names = bindings && ts.isNamedImports(bindings) ? bindings.elements.map((e) => ({ imported: (e.propertyName ?? e.name).text, local: e.name.text })) : [];
      imports.push({ file: target, names });
      edits.push([st.getStart(sf), st.getEnd(), '']);
    } else if (ts.isExportDeclaration(st)) {
      if (st.exportClause && !(ts.isNamedExports(st.exportClause) && st.exportClause.elements.length === 0)) {
        throw new Error(`${file}: export declarations directly (export function / const), not export lists`);
      }
      edits.push([st.getStart(sf), st.getEnd(), '']);
    } else if (hasExport(st)) {
      const mod = ts.getModifiers(st as ts.HasModifiers)!.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)!;
      edits.push([mod.getStart(sf), mod.getEnd() + 1, '']);
      if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) exports.push(st.name.text);
      else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) throw new Error(`${file}: destructured exports are not supported in runtime code`);
          exports.push(d.name.text);
        }
      }
    }
  }
  let js = out;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) js = js.slice(0, start) + text + js.slice(end);
  return { file, js, imports, exports };
}

/** `entry` and every module it imports as one JavaScript expression evaluating to entry's exports. */
export function inlineExpression(root: string, entry: string): string {
  const order: Module[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') throw new Error(`import cycle through ${file}`);
    state.set(file, 'visiting');
    const mod = loadModule(file);
    for (const imp of mod.imports) visit(imp.file);
    state.set(file, 'done');
    order.push(mod);
  };
  visit(resolve(root, entry));
  const varOf = (file: string): string => `m${order.findIndex((m) => m.file === file)}`;
  const lines: string[] = ['(() => {', '"use strict";'];
  for (const mod of order) {
    lines.push(`// ${relative(root, mod.file).split('\\').join('/')}`);
    lines.push(`const ${varOf(mod.file)} = (() => {`);
    for (const imp of mod.imports) {
      if (imp.names.length === 0) continue;
      const parts = imp.names.map((n) => (n.imported === n.local ? n.local : `${n.imported}: ${n.local}`));
      lines.push(`const { ${parts.join(', ')} } = ${varOf(imp.file)};`);
    }
    lines.push(mod.js.trim());
    lines.push(`return { ${mod.exports.join(', ')} };`);
    lines.push('})();');
  }
  lines.push(`return ${varOf(order[order.length - 1].file)};`);
  lines.push('})()');
  return lines.join('\n');
}

/** What a generated runtime-text module says about itself. */
export interface RuntimeTextOptions {
  /** Header lines (without `// `): where it comes from and how to regenerate it. */
  header: string[];
  /** TSDoc summary of the exported constant. */
  doc: string;
  /** Name of the exported string constant. */
  exportName: string;
}

/** The full text of a committed runtime-text module holding `expression`, one line per string. */
export function runtimeTextSource(expression: string, options: RuntimeTextOptions): string {
  const body = expression
    .split('\n')
    .map((l) => `  ${JSON.stringify(l)},`)
    .join('\n');
  return [...options.header.map((l) => `// ${l}`), '', `/** ${options.doc} */`, `export const ${options.exportName}: string = [`, body, "].join('\\n');", ''].join('\n');
}
