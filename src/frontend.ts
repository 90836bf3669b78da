// The language front end: .tn source → Program. Runs parse → check → expand and, like
// Langium, stops after the first stage that reports errors, returning all of that stage's
// diagnostics (warnings of earlier stages are kept).

import { hasErrors, SourceFile, type Diagnostic, type StageResult } from './diagnostics.js';
import { check, type CheckOptions } from './ir/check.js';
import { expand } from './ir/expand.js';
import type { Program } from './ir/network.js';
import { parse } from './parser/index.js';

/** Options for `analyze`; `getFamily` replaces the family registry (tests). */
export type AnalyzeOptions = CheckOptions;

/**
 * Parses, checks and expands one `.tn` file (a SourceFile, or source text, then named
 * `<input>` in diagnostics). The value is undefined when any stage reported an error; the
 * diagnostics are then every error of the first failing stage.
 */
export function analyze(source: SourceFile | string, options: AnalyzeOptions = {}): StageResult<Program | undefined> {
  if (typeof source !== 'string' && !(source instanceof SourceFile)) {
    throw new TypeError(`analyze: expected .tn source text or a SourceFile, got ${source === null ? 'null' : typeof source}`);
  }
  const file = typeof source === 'string' ? SourceFile.from('<input>', source) : source;
  const diagnostics: Diagnostic[] = [];
  // Not push(...list): a file with 100k+ findings would overflow the call stack.
  const add = (list: readonly Diagnostic[]): void => {
    for (const d of list) diagnostics.push(d);
  };
  const parsed = parse(file.text, file.path);
  add(parsed.diagnostics);
  if (hasErrors(parsed.diagnostics)) return { value: undefined, diagnostics };
  const checked = check(parsed.value, options);
  add(checked.diagnostics);
  if (hasErrors(checked.diagnostics)) return { value: undefined, diagnostics };
  const expanded = expand(checked.value);
  add(expanded.diagnostics);
  if (hasErrors(expanded.diagnostics)) return { value: undefined, diagnostics };
  return { value: expanded.value, diagnostics };
}
