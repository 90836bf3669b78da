// Small edits to a generated module's text for bundler use: a default export gathering every
// named export (so `import model from './model.tn'` works beside named imports), and the
// matching declaration in the .d.ts. The generated modules are tnc's own output, whose
// exports are top-level `export function|const|let|class NAME` or `export { a, b as c }`.

const DECL = /^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/gm;
const LIST = /^export\s*\{([^}]*)\}\s*(?:;|$)/gm;

/** Names a module exports (declaration and list forms, no re-exports), sorted, without `default`. */
export function exportedNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(DECL)) names.add(m[1]);
  for (const m of text.matchAll(LIST)) {
    for (const part of m[1].split(',')) {
      const item = part.trim();
      if (!item) continue;
      const alias = item.split(/\s+as\s+/);
      names.add((alias[1] ?? alias[0]).trim());
    }
  }
  names.delete('default');
  return [...names].sort();
}

/** True when the text already has a default export. */
export function hasDefaultExport(text: string): boolean {
  return /^export\s+default\b/m.test(text) || /^export\s*\{[^}]*\bas\s+default\b/m.test(text);
}

/** Appends `export default { a, b, ... }` (frozen) when the module has no default export. */
export function withDefaultExport(js: string): string {
  if (hasDefaultExport(js)) return js;
  const names = exportedNames(js);
  return `${js.replace(/\s*$/, '')}\nexport default Object.freeze({ ${names.join(', ')} });\n`;
}

/** Appends the default export's declaration to a generated .d.ts. */
export function dtsWithDefaultExport(dts: string): string {
  if (hasDefaultExport(dts)) return dts;
  const names = exportedNames(dts.replace(/^export\s+declare\s+/gm, 'export '));
  const members = names.map((n) => `  readonly ${n}: typeof ${n};`).join('\n');
  return `${dts.replace(/\s*$/, '')}\n/** Every export of this module, as one object (the plugin's default export). */\ndeclare const _default: {\n${members}\n};\nexport default _default;\n`;
}
