import { describe, expect, it } from 'vitest';
import { render, SourceFile } from '../src/diagnostics.js';

const d = (start: number, end: number) => ({ code: 'check/x', severity: 'error' as const, message: 'm', span: { start, end } });

describe('render', () => {
  it('puts one caret per character, also for characters outside the BMP', () => {
    const f = SourceFile.from('x.tn', 'out 𝒜𝒜[i] = B[i]');
    // '𝒜𝒜' is four UTF-16 units (offsets 4..8) but two characters.
    const [, line, caret] = render(f, [d(4, 8)]).split('\n');
    expect(line).toBe('  out 𝒜𝒜[i] = B[i]');
    expect(caret).toBe('      ^^');
    // After an astral character the caret still lands under the right character.
    expect(render(f, [d(13, 14)]).split('\n')[2]).toBe('  ' + ' '.repeat(11) + '^');
  });

  it('keeps tabs in the padding and reports file:line:col', () => {
    const f = SourceFile.from('y.tn', 'dim i = 2\n\tout y = z');
    expect(render(f, [d(15, 16)]).split('\n')).toEqual(['y.tn:2:6: error[check/x]: m', '  \tout y = z', '  \t    ^']);
  });
});
