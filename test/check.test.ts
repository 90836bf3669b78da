import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render, SourceFile, type Diagnostic } from '../src/diagnostics.js';
import { analyze } from '../src/frontend.js';
import type { Family } from '../src/ir/families/types.js';

function diagnose(text: string, options = {}): Diagnostic[] {
  return analyze(SourceFile.from('t.tn', text), options).diagnostics;
}

/** The text a span covers. */
function at(text: string, d: { span: { start: number; end: number } }): string {
  return text.slice(d.span.start, d.span.end);
}

function only(text: string, options = {}): Diagnostic {
  const ds = diagnose(text, options);
  expect(ds, render(SourceFile.from('t.tn', text), ds)).toHaveLength(1);
  return ds[0];
}

/** A test-local family: `pair(legs: [a, b], rank: r)` = X[a, r] Y[r, b]. Not registered globally. */
const pair: Family = {
  name: 'pair',
  signature: 'pair(legs, rank)',
  expand(call, ctx) {
    const legs = call.args.find((a) => a.name === 'legs' || a.name === undefined)?.value;
    const rank = call.args.find((a) => a.name === 'rank')?.value;
    if (!legs || legs.kind !== 'list' || legs.items.length !== 2 || !rank || rank.kind !== 'number') {
      ctx.report({ code: 'expand/bad-args', severity: 'error', message: 'pair needs legs: [a, b] and rank: n', span: call.span });
      return undefined;
    }
    const names = legs.items.map((x) => (x.kind === 'name' ? x.name : ''));
    for (const [k, n] of names.entries()) {
      if (!ctx.dims.has(n)) {
        ctx.report({ code: 'expand/unknown-leg', severity: 'error', message: `unknown leg ${n}`, span: legs.items[k].span });
        return undefined;
      }
    }
    const r = ctx.freshDim(`${call.tensorName}.r`, rank.value);
    return { legs: names, factors: [{ suffix: 'X', dims: [names[0], r] }, { suffix: 'Y', dims: [r, names[1]] }] };
  },
};
const fakeFamilies = { getFamily: (n: string) => (n === 'pair' ? pair : undefined), familyNames: ['pair'] };

describe('check: examples', () => {
  it('accepts the CP example with no diagnostics', () => {
    expect(diagnose('dim i = 4, j = 4, k = 4\ndim r = 8\nparam A[i, r], B[j, r], C[k, r], w[r]\nout X[i, j, k] = w[r] A[i, r] B[j, r] C[k, r]\n')).toEqual([]);
  });

  it('size conflict: the note points at the declarations', () => {
    const text = 'dim i = 4, j = 5\nparam A[i, i]\nout X[i] = A[i, j]\n';
    const d = only(text);
    expect(d.code).toBe('check/size-conflict');
    expect(at(text, d)).toBe('j');
    expect(d.message).toContain('axis 2 of `A`');
    expect(d.notes?.map((n) => (n.span ? at(text, { span: n.span }) : ''))).toEqual(['i', 'j']);
    expect(d.notes?.[0].span?.start).toBe(4);
  });

  it('equal fixed sizes are interchangeable; symbolic dims only with themselves', () => {
    expect(diagnose('dim i = 4, j = 4\nparam A[i, i]\nout X[i, j] = A[i, j]\n')).toEqual([]);
    const text = 'dim b ~ 4, c ~ 4\nparam A[b]\nout X[c] = A[c]\n';
    const d = only(text);
    expect(d.code).toBe('check/size-conflict');
    expect(d.message).toContain('symbolic');
  });

  it('duplicates: dims, consts, tensors and statement names, with a note at the first', () => {
    const text = 'const N = 1\nconst N = 2\ndim i = 2, i = 3\nparam A[i], A[i]\nout A[i] = A[i]\n';
    const ds = diagnose(text);
    expect(ds.map((d) => d.code)).toEqual(['check/duplicate', 'check/duplicate', 'check/duplicate', 'check/duplicate']);
    for (const d of ds) expect(d.notes?.[0].message).toMatch(/first declared here/);
    expect(ds.map((d) => SourceFile.from('t', text).position(d.span.start).line)).toEqual([2, 3, 4, 5]);
  });

  it('arity: a tensor used with the wrong number of indices', () => {
    const text = 'dim i = 2, j = 2\nparam A[i, j]\nout X[i] = A[i]\n';
    const d = only(text);
    expect(d.code).toBe('check/arity');
    expect(at(text, d)).toBe('A[i]');
    expect(d.message).toBe('`A` has 2 indices [i, j] but is used with 1');
  });

  it('unknown tensor and index suggest the nearest declared name', () => {
    const t1 = 'dim i = 2\nparam Alpha[i]\nout X[i] = Alpah[i]\n';
    const d1 = only(t1);
    expect(d1.code).toBe('check/unknown-tensor');
    expect(d1.message).toContain('did you mean `Alpha`?');
    expect(at(t1, d1)).toBe('Alpah');
    const t2 = 'dim row = 2\nparam A[row]\nout X[rw] = A[row]\n';
    const d2 = only(t2);
    expect(d2.code).toBe('check/unknown-index');
    expect(d2.message).toContain('did you mean `row`?');
    expect(at(t2, d2)).toBe('rw');
  });

  it('an output index missing on the right is reported for the term that lacks it', () => {
    const text = 'dim i = 2, j = 2\nparam A[i, j], x[j]\nout y[i] = A[i, j] x[j] + x[j]\n';
    const d = only(text);
    expect(d.code).toBe('check/missing-output-index');
    expect(at(text, d)).toBe('x[j]');
    expect(d.span.start).toBe(text.lastIndexOf('x[j]'));
    expect(d.notes?.[0].span && at(text, { span: d.notes[0].span })).toBe('i');
  });

  it('an index repeated on the left', () => {
    const text = 'dim i = 2\nparam A[i, i]\nout X[i, i] = A[i, i]\n';
    const d = only(text);
    expect(d.code).toBe('check/repeated-output-index');
    expect(d.span.start).toBe(text.indexOf('X[i, i]') + 5);
  });

  it('a term made of numbers alone', () => {
    const d = only('dim i = 2\nparam A[i]\nout s[] = A[i] + 2\n');
    expect(d.code).toBe('check/constant-term');
  });

  it('dims must be positive safe integers; element counts must stay exact', () => {
    expect(only('dim i = 0\n').code).toBe('check/bad-size');
    expect(only('dim i = 9007199254740993\n').code).toBe('limit/unsafe-integer');
    expect(only('dim i = 2.5\n').code).toBe('check/not-integer');
    const text = 'dim a = 100000000, b = 100000000\nparam A[a, b]\n';
    const d = only(text);
    expect(d.code).toBe('limit/unsafe-integer');
    expect(d.message).toContain('10000000000000000');
    expect(only('const N = 9007199254740991\ndim i = N + 1\n').code).toBe('limit/unsafe-integer');
  });

  it('a family tensor whose dense equivalent is beyond 2^53 is fine; its factors are small', () => {
    const legs = Array.from({ length: 40 }, (_, k) => `p{${k + 1}}`).join(', ');
    expect(diagnose(`dim p{n in 1..40} = 4\nparam T = tt(legs: [${legs}], rank: 2)\n`)).toEqual([]);
    const d = only(`dim p{n in 1..40} = 4\nparam T = tt(legs: [${legs}], rank: 2)\nout X[${legs}] = T[${legs}]\n`);
    expect(d.code).toBe('limit/unsafe-integer');
    expect(d.message).toContain('output `X`');
  });

  it('a statement may use only earlier statements', () => {
    const d = only('dim i = 2\nparam A[i]\nout X[i] = Y[i]\nlet Y[i] = A[i]\n');
    expect(d.code).toBe('check/unknown-tensor');
  });

  it('index families and indexed names resolve through consts and ranges', () => {
    const ok = 'const N = 3\ndim m{n in 1..N+1} = 2\nparam S{n in 1..N}[m{n}, m{n+1}]\nout z[m{1}, m{N+1}] = prod(n in 1..N) S{n}[m{n}, m{n+1}]\n';
    expect(diagnose(ok)).toEqual([]);
    const bad = ok.replace('prod(n in 1..N)', 'prod(n in 1..N+1)');
    const ds = diagnose(bad);
    expect(ds.map((d) => d.code)).toEqual(['check/unknown-tensor', 'check/unknown-index']);
    expect(ds[0].message).toContain('`S{4}`');
    expect(ds[0].message).toContain('did you mean');
    expect(at(bad, ds[0])).toBe('S{n}');
    expect(only('dim m{n in 1..K} = 2\n').code).toBe('check/unknown-const');
    const outside = diagnose('const N = 2\ndim m{n in 1..N+1} = 2\nparam S{n in 1..N}[m{n}]\nout z[] = prod(n in 1..N) S{n}[m{n}] S{n}[m{n}]\n');
    expect(outside.map((d) => d.code)).toEqual(['check/unknown-const', 'check/unknown-const']);
    expect(outside[0].message).toContain('put the repeated factors in parentheses');
    expect(only('const N = 0\ndim m{n in 1..3} = 2\nparam A[m{4 / N}]\n').code).toBe('check/division-by-zero');
  });

  it('an empty sum(...) is an error; an empty prod(...) is the number 1', () => {
    expect(only('dim i = 2\nparam A[i]\nout y[i] = sum(n in 1..0) A[i]\n').code).toBe('check/empty-sum');
    expect(only('dim i = 2\nparam A[i]\nout z[] = prod(n in 1..0) A[i]\n').code).toBe('check/constant-term');
    expect(diagnose('dim i = 2\nparam A[i]\nout y[i] = A[i] prod(n in 1..0) A[i]\nparam sum[i]\nout s[i] = sum[i]\n')).toEqual([]);
  });

  it('a fixed dim stands for its size in integer arithmetic; a symbolic one is an error', () => {
    const text = 'dim D = 3, N = 4\ndim a{1} = 1, a{n in 2..N} = D, a{N+1} = 1\nparam A{n in 1..N}[a{n}, a{n+1}]\nout z[a{1}, a{N+1}] = prod(n in 1..N) A{n}[a{n}, a{n+1}]\n';
    expect(diagnose(text)).toEqual([]);
    const d = only('dim b ~ 4\ndim m{n in 1..b} = 2\n');
    expect(d.code).toBe('check/symbolic-size');
  });

  it('unknown family lists the registered ones', () => {
    const d = only('dim i = 2, j = 2\nparam W = cpp([i, j], 2)\n');
    expect(d.code).toBe('check/unknown-family');
    expect(d.message).toContain('did you mean `cp`?');
    expect(d.message).toMatch(/families: .*tucker/);
    const d2 = only('dim i = 2, j = 2\nparam W = zz([i, j], 2)\n', fakeFamilies);
    expect(d2.message).toContain('(families: pair)');
  });

  it('a family tensor is used with its legs; family diagnostics pass through', () => {
    expect(diagnose('dim i = 2, j = 3\nparam W = pair(legs: [i, j], rank: 4)\nout X[i, j] = W[i, j]\n', fakeFamilies)).toEqual([]);
    expect(only('dim i = 2, j = 3\nparam W = pair(legs: [i, j], rank: 4)\nout X[i] = W[i]\n', fakeFamilies).code).toBe('check/arity');
    expect(only('dim i = 2, j = 3\nparam W = pair(legs: [i, q], rank: 4)\n', fakeFamilies).code).toBe('expand/unknown-leg');
    // A failed family declaration does not cascade into unknown-tensor errors at its uses.
    expect(only('dim i = 2, j = 3\nparam W = pair(legs: [i, q], rank: 4)\nout X[i, j] = W[i, j]\n', fakeFamilies).code).toBe('expand/unknown-leg');
  });

  it('factor names of a family collide with other names in either order', () => {
    const before = only('dim i = 2, j = 3\nparam W_X[i]\nparam W = pair(legs: [i, j], rank: 4)\n', fakeFamilies);
    expect(before.code).toBe('check/duplicate');
    expect(before.message).toContain('factor `W_X` of `W`');
    const after = only('dim i = 2, j = 3\nparam W = pair(legs: [i, j], rank: 4)\nparam W_Y[i]\n', fakeFamilies);
    expect(after.code).toBe('check/duplicate');
    expect(after.message).toBe('`W_Y` is already the name of a factor of `W`');
    expect(only('dim i = 2, j = 3\nparam W = pair(legs: [i, j], rank: 4)\nout W_X[i, j] = W[i, j]\n', fakeFamilies).code).toBe('check/duplicate');
  });

  it('consts stand for numbers in family arguments', () => {
    expect(diagnose('const R = 3\ndim i = 2, j = 3\nparam W = pair(legs: [i, j], rank: R)\nout X[i, j] = W[i, j]\n', fakeFamilies)).toEqual([]);
  });
});

// ---- generated programs ------------------------------------------------------------------

interface Generated {
  text: string;
  /** Offsets of index tokens inside statement bodies. */
  uses: { start: number; name: string }[];
}

const arbValidProgram: fc.Arbitrary<Generated> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 5 }),
    symbolic: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    tensors: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
    statements: fc.array(
      fc.record({
        terms: fc.array(fc.array(fc.record({ tensor: fc.nat(), swaps: fc.array(fc.nat(), { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 3,
        }),
        coefficient: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
        keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ sizes, symbolic, tensors, statements }) => {
    const dims = sizes.map((s, k) => ({ name: `d${k}`, size: s, symbolic: symbolic[k] }));
    let text = `dim ${dims.map((d) => `${d.name} ${d.symbolic ? '~' : '='} ${d.size}`).join(', ')}\n`;
    const decl = tensors.map((t, k) => ({ name: `T${k}`, dims: t.map((x) => dims[x % dims.length]) }));
    text += `param ${decl.map((t) => `${t.name}[${t.dims.map((d) => d.name).join(', ')}]`).join(', ')}\n`;
    const uses: { start: number; name: string }[] = [];
    statements.forEach((s, k) => {
      // Indices per term; an axis takes its declared dim or another fixed dim of equal size.
      const terms = s.terms.map((factors) =>
        factors.map((f) => {
          const t = decl[f.tensor % decl.length];
          const idx = t.dims.map((d, a) => {
            const alts = d.symbolic ? [d] : dims.filter((o) => !o.symbolic && o.size === d.size);
            return alts[(f.swaps[a] ?? 0) % alts.length].name;
          });
          return { tensor: t.name, idx };
        }),
      );
      const sets = terms.map((fs) => new Set(fs.flatMap((f) => f.idx)));
      const common = [...sets[0]].filter((ix) => sets.every((st) => st.has(ix)));
      const output = common.filter((_, i) => s.keep[i % 8]);
      let line = `out S${k}[${output.join(', ')}] = `;
      if (s.coefficient !== undefined) line += `${s.coefficient} * (`;
      terms.forEach((fs, ti) => {
        if (ti > 0) line += ti % 2 === 1 ? ' - ' : ' + ';
        fs.forEach((f, fi) => {
          if (fi > 0) line += ' ';
          line += `${f.tensor}[`;
          f.idx.forEach((ix, a) => {
            if (a > 0) line += ', ';
            uses.push({ start: text.length + line.length, name: ix });
            line += ix;
          });
          line += ']';
        });
      });
      if (s.coefficient !== undefined) line += ')';
      text += line + '\n';
    });
    return { text, uses };
  });

describe('check: properties', () => {
  it('generated valid programs give no diagnostics', () => {
    fc.assert(
      fc.property(arbValidProgram, ({ text }) => {
        const ds = diagnose(text);
        expect(ds, `${text}\n${render(SourceFile.from('g.tn', text), ds)}`).toEqual([]);
      }),
    );
  });

  it('renaming one index use gives exactly one check/unknown-index covering that token', () => {
    fc.assert(
      fc.property(
        arbValidProgram.filter((g) => g.uses.length > 0),
        fc.nat(),
        ({ text, uses }, pick) => {
          const use = uses[pick % uses.length];
          const fresh = 'qqzz';
          const mutated = text.slice(0, use.start) + fresh + text.slice(use.start + use.name.length);
          const ds = diagnose(mutated);
          expect(ds, mutated).toHaveLength(1);
          expect(ds[0].code).toBe('check/unknown-index');
          expect(ds[0].span).toEqual({ start: use.start, end: use.start + fresh.length });
        },
      ),
    );
  });
});

describe('check: documentation', () => {
  it('every example in docs/LANGUAGE.md (before the Families section) analyzes without diagnostics', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/LANGUAGE.md', 'utf8');
    const body = doc.slice(0, doc.indexOf('\n## Families'));
    const blocks = [...body.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => !b.startsWith('program '));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const b of blocks) {
      const file = SourceFile.from('doc.tn', b);
      const r = analyze(file);
      expect(r.diagnostics, `${b}\n${render(file, r.diagnostics)}`).toEqual([]);
    }
  });
});

describe('tnc check', () => {
  async function runCheck(files: Record<string, string>, args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { checkCommand } = await import('../src/cli/check.js');
    let out = '';
    let err = '';
    const io = {
      stdout: (t: string) => (out += t + '\n'),
      stderr: (t: string) => (err += t + '\n'),
      readFile: (p: string) => {
        if (!(p in files)) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
        return files[p];
      },
      writeFile: () => undefined,
      cwd: '/',
    };
    const code = await checkCommand.run(args, io);
    return { code, out, err };
  }

  it('prints a one-line summary and exits 0 for a valid file', async () => {
    const r = await runCheck({ 'm.tn': 'dim i = 2, j = 2\nparam A[i, j]\nlet T[i] = A[i, j]\nout y[i] = T[i]\n' }, ['m.tn']);
    expect(r).toEqual({ code: 0, out: 'm.tn: ok (2 dims, 1 factor, 2 statements: 1 out, 1 let)\n', err: '' });
  });

  it('prints rendered diagnostics to stderr and exits 1 on errors', async () => {
    const r = await runCheck({ 'bad.tn': 'dim i = 2\nout y[i] = A[i]\nout z[i] = A[i]\n' }, ['bad.tn']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('bad.tn:2:12: error[check/unknown-tensor]: unknown tensor `A`');
    expect(r.err).toContain('  out y[i] = A[i]\n             ^\n');
    expect(r.err.trimEnd().split('\n').at(-1)).toBe('bad.tn: 2 errors');
  });

  it('--json prints diagnostics with positions to stdout', async () => {
    const r = await runCheck({ 'bad.tn': 'dim i = 2\nout y[i] = A[i]\n' }, ['bad.tn', '--json']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toHaveLength(1);
    expect(report.diagnostics[0]).toMatchObject({ code: 'check/unknown-tensor', span: { start: 21, end: 22 }, start: { line: 2, column: 12 }, end: { line: 2, column: 13 } });
    const good = await runCheck({ 'ok.tn': 'dim i = 2\nparam A[i]\nout y[i] = A[i]\n' }, ['--json', 'ok.tn']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toEqual({ file: 'ok.tn', ok: true, diagnostics: [] });
  });

  it('checks several files; exit 1 when any has errors', async () => {
    const files = { 'a.tn': 'dim i = 2\nparam A[i]\nout y[i] = A[i]\n', 'b.tn': 'dim i = 2\nout y[i] = B[i]\n' };
    const r = await runCheck(files, ['a.tn', 'b.tn']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('a.tn: ok (1 dim, 1 factor, 1 statement: 1 out)\n');
    expect(r.err).toContain('b.tn: 1 error');
    const j = await runCheck(files, ['--json', 'a.tn', 'b.tn']);
    expect(j.out.trim().split('\n').map((l) => JSON.parse(l).ok)).toEqual([true, false]);
    expect((await runCheck(files, ['a.tn', 'a.tn'])).code).toBe(0);
  });

  it('reports usage errors for a missing file or argument', async () => {
    const { UsageError } = await import('../src/cli/io.js');
    await expect(runCheck({}, [])).rejects.toBeInstanceOf(UsageError);
    await expect(runCheck({}, ['nope.tn'])).rejects.toThrow(/cannot read nope\.tn/);
  });
});
