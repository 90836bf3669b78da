// Text building for emitters: an indented line writer, a name table that hands out safe,
// unique JavaScript identifiers for user names, and helpers for doc comments. User text
// reaches generated code only through these (identifiers) or JSON.stringify (strings).

// `then` and `__proto__` are no keywords, but an export `then` makes the module namespace (and
// compile()'s object, and WebGPU's create() result) a thenable that `await import()` calls, and
// a `__proto__` property in an object literal sets the prototype instead of a field.
const RESERVED = new Set(
  (
    'then __proto__ ' +
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await async of get set arguments eval undefined NaN Infinity ' +
    'globalThis Object Array Function Error TypeError RangeError Math JSON Number String Symbol Promise Map Set ' +
    'Float32Array Float64Array Int32Array Uint8Array'
  ).split(' '),
);

/**
 * Claims unique, safe JavaScript identifiers. `claim('tt-layer')` gives `tt_layer`; a name
 * that is reserved or already claimed gets a numeric suffix (`spec` → `spec_2`).
 */
export class NameTable {
  private readonly taken = new Set<string>(RESERVED);

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r);
  }

  /** Reserves an exact identifier (the emitter's own names); false when already taken. */
  reserve(name: string): boolean {
    if (this.taken.has(name)) return false;
    this.taken.add(name);
    return true;
  }

  /**
   * A fresh identifier derived from `base`: Unicode identifier characters (so `out β[]` is
   * exported as `β`, as .tn names may use any script), `_` and `$`; anything else becomes `_`.
   */
  claim(base: string): string {
    let safe = base.replace(/[^\p{ID_Continue}$]/gu, '_');
    if (safe === '' || !/^[\p{ID_Start}_$]/u.test(safe)) safe = `_${safe}`;
    let name = safe;
    for (let i = 2; this.taken.has(name); i++) name = `${safe}_${i}`;
    this.taken.add(name);
    return name;
  }
}

/** Builds indented source text line by line. */
export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  constructor(private readonly unit = '  ') {}

  /** Appends lines (a multi-line string is split) at the current indent. */
  line(text = ''): this {
    for (const l of text.split('\n')) this.lines.push(l === '' ? '' : this.unit.repeat(this.depth) + l);
    return this;
  }

  /** Writes `open`, the body one level deeper, then `close`. */
  block(open: string, body: () => void, close = '}'): this {
    this.line(open);
    this.depth++;
    body();
    this.depth--;
    return this.line(close);
  }

  /** A `/** … *\/` doc comment from lines of text (user text is escaped). */
  doc(lines: string[]): this {
    if (lines.length === 0) return this;
    this.line('/**');
    for (const l of lines) this.line(l === '' ? ' *' : ` * ${commentSafe(l)}`);
    return this.line(' */');
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** Text made safe inside a block comment: `*\/` cannot close it, no line breaks. */
export function commentSafe(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/[\r\n\u2028\u2029]/g, ' ');
}

/**
 * A JSON string literal that is also safe inside a `//` line comment: JSON.stringify escapes
 * `\n` and `\r` but leaves U+2028/U+2029, which end a line comment in JavaScript.
 */
export function jsonForLineComment(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
