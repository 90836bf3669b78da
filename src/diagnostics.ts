// Source files, spans and diagnostics: every user-facing error in tnc is a Diagnostic value
// with a span into a SourceFile; it is rendered as `file:line:col: error[code]: message`,
// the source line and a caret run. Exceptions are used only at the API/CLI boundary
// (TncError wraps diagnostics) and for internal bugs (InternalError).

/** Half-open UTF-16 offsets `[start, end)` into one SourceFile. */
export interface Span {
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning' | 'note';

/** A related location shown under a diagnostic, e.g. the conflicting declaration. */
export interface DiagnosticNote {
  message: string;
  span?: Span;
}

/**
 * One finding. `code` is stable and prefixed by stage: `syntax/...`, `check/...`,
 * `expand/...`, `limit/...`, `einsum/...`, `unsupported/...`.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  span: Span;
  notes?: DiagnosticNote[];
}

/** Result of a pipeline stage: a value (possibly partial) and its diagnostics. */
export interface StageResult<T> {
  value: T;
  diagnostics: Diagnostic[];
}

/** A named text with a line-start table for offset → line/column. */
export class SourceFile {
  readonly lineStarts: number[];
  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    // Lines end at \n, \r\n or a lone \r (as editors and LSP count them).
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  static from(path: string, text: string): SourceFile {
    return new SourceFile(path, text);
  }

  /** 1-based line and column of a UTF-16 offset (clamped into the text). */
  position(offset: number): { line: number; column: number } {
    const off = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    // A byte-order mark is invisible in editors: columns on the first line start after it.
    const bom = lo === 0 && off > 0 && this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
    return { line: lo + 1, column: off - this.lineStarts[lo] + 1 - bom };
  }

  /** The text of a 1-based line without its newline. */
  lineText(line: number): string {
    const first = this.lineStarts[line - 1] ?? this.text.length;
    const start = line === 1 && this.text.charCodeAt(0) === 0xfeff ? 1 : first;
    const next = this.lineStarts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }
}

/** Creates an error diagnostic. */
export function error(code: string, message: string, span: Span, notes?: DiagnosticNote[]): Diagnostic {
  return notes && notes.length > 0 ? { code, severity: 'error', message, span, notes } : { code, severity: 'error', message, span };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * The line as it is echoed to a terminal: control characters other than tab (a stray \r,
 * escape sequences from a binary file) become U+FFFD, one for one, so they neither move
 * the cursor nor restyle the terminal, and the caret below stays aligned.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** Longest source line echoed whole; longer ones (minified JSON) show a window around the caret. */
const MAX_ECHO = 160;

function caretLine(file: SourceFile, span: Span): string[] {
  const { line, column } = file.position(span.start);
  const text = file.lineText(line);
  const endPos = file.position(Math.max(span.start, span.end));
  const endColumn = endPos.line === line ? endPos.column : text.length + 1;
  // Count code points, not UTF-16 units, so a character outside the BMP takes one caret column.
  const chars = [...text];
  const at = [...text.slice(0, column - 1)].length;
  let width = Math.max(1, [...text.slice(column - 1, endColumn - 1)].length);
  let from = 0;
  let to = chars.length;
  if (chars.length > MAX_ECHO) {
    from = Math.max(0, at - 60);
    to = Math.min(chars.length, from + MAX_ECHO);
    width = Math.max(1, Math.min(width, to - at));
  }
  const before = from > 0 ? '…' : '';
  const after = to < chars.length ? '…' : '';
  // Keep tabs in the padding so the caret lines up under tab-indented source.
  let pad = before ? ' ' : '';
  for (const ch of chars.slice(from, at)) pad += ch === '\t' ? '\t' : ' ';
  return [`  ${before}${printable(chars.slice(from, to).join(''))}${after}`, `  ${pad}${'^'.repeat(width)}`];
}

/**
 * Most diagnostics one render shows: past it (a binary file read as .tn gives one per few
 * bytes, 60 MB of text for 1 MB of noise) the rest are counted, not printed. The list
 * itself (TncError.diagnostics, `tnc check --json`) stays complete.
 */
export const MAX_RENDERED = 200;

/** Renders diagnostics as `file:line:col: severity[code]: message`, the line and a caret. */
export function render(file: SourceFile, diagnostics: readonly Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics.slice(0, MAX_RENDERED)) {
    const { line, column } = file.position(d.span.start);
    out.push(`${file.path}:${line}:${column}: ${d.severity}[${d.code}]: ${d.message}`);
    out.push(...caretLine(file, d.span));
    for (const n of d.notes ?? []) {
      if (n.span) {
        const p = file.position(n.span.start);
        out.push(`${file.path}:${p.line}:${p.column}: note: ${n.message}`);
        out.push(...caretLine(file, n.span));
      } else {
        out.push(`  note: ${n.message}`);
      }
    }
  }
  const hidden = diagnostics.length - MAX_RENDERED;
  if (hidden > 0) out.push(`${file.path}: ${hidden} more diagnostic${hidden === 1 ? '' : 's'} not shown (\`tnc check --json\` lists every one)`);
  return out.join('\n');
}

/** A user error carried across the API boundary; `message` is the rendered text. */
export class TncError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly file: SourceFile,
  ) {
    super(render(file, diagnostics));
    this.name = 'TncError';
  }
}

/** Throws a TncError for a single diagnostic about an in-memory text (an equation, say). */
export function fail(path: string, text: string, d: Diagnostic): never {
  throw new TncError([d], SourceFile.from(path, text));
}

/** A bug in tnc, never a user error. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (a bug in tnc, please report it): ${message}`);
    this.name = 'InternalError';
  }
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InternalError(message);
}

export function unreachable(x: never, message = 'unreachable'): never {
  throw new InternalError(`${message}: ${JSON.stringify(x)}`);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The nearest candidate within a small edit distance, or undefined. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 2)) ? best : undefined;
}

/**
 * A count with its noun in the right number, for messages: `countNoun(1, 'rank')` is
 * `1 rank`, `countNoun(3, 'axis', 'axes')` is `3 axes`. Counts may be bigints or
 * preformatted strings (`'1,024'`); only the value one takes the singular.
 */
export function countNoun(n: number | bigint | string, singular: string, plural = `${singular}s`): string {
  const one = typeof n === 'bigint' ? n === 1n : typeof n === 'string' ? n.trim() === '1' : n === 1;
  return `${n} ${one ? singular : plural}`;
}
