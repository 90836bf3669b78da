// Aligned plain-text tables for reports: columns padded to their widest cell, numbers right-aligned.

/** Column alignment: `l` left, `r` right. */
export type Align = 'l' | 'r';

/** Lays out rows (the first is the header) as lines, columns separated by two spaces. */
export function formatTable(rows: readonly (readonly string[])[], align: readonly Align[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => {
    const cells = row.map((cell, i) => {
      const pad = ' '.repeat(widths[i] - [...cell].length);
      return align[i] === 'r' ? pad + cell : i === row.length - 1 ? cell : cell + pad;
    });
    return (indent + cells.join('  ')).replace(/\s+$/, '');
  });
}
