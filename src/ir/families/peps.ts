// peps(grid, bond): a projected entangled pair state on an open-boundary rows x cols lattice.
// `grid` is either a list of rows of physical legs, `[[p11, p12], [p21, p22]]` (rectangular;
// the represented tensor's legs are the physical legs in row-major order), or `[rows, cols]`
// for a lattice without physical legs (the network then represents a scalar).
// `bond` is the bond dimension of every lattice edge (`rank` is an alias): a size, or a
// symbolic dim that every bond then ranges over.
// Site (r, c) (1-based) is the factor `site{r}_{c}` with dims [phys, up, left, right, down],
// leaving out the physical leg when there is none and the bonds that cross the boundary.
// The horizontal bond between (r, c) and (r, c+1) is created as `<W>.h{r}_{c}`, the vertical
// bond between (r, c) and (r+1, c) as `<W>.v{r}_{c}`.

import { countNoun, error } from '../../diagnostics.js';
import type { Family, FamilyCall, FamilyContext, FamilyExpansion, FamilyValue } from './types.js';
import { badValue, bindArgs, LegSet, rankDim, readRank, readRankOrDim } from './args.js';

/** Reads the grid: rows of physical legs, or `[rows, cols]`. Reports `expand/bad-grid`. */
function readGrid(v: FamilyValue, ctx: FamilyContext): { rows: number; cols: number; phys?: string[][] } | undefined {
  if (v.kind !== 'list' || v.items.length === 0) return badValue(ctx, 'a grid: a non-empty list of rows of dims, or [rows, cols]', v);
  if (v.items.every((x) => x.kind === 'number')) {
    if (v.items.length !== 2) {
      ctx.report(error('expand/bad-grid', `a grid given by its size is [rows, cols], got ${v.items.length} numbers`, v.span));
      return undefined;
    }
    const rows = readRank(v.items[0], ctx, 'grid size');
    const cols = readRank(v.items[1], ctx, 'grid size');
    return rows === undefined || cols === undefined ? undefined : { rows, cols };
  }
  const legs = new LegSet(ctx);
  const phys: string[][] = [];
  let ok = true;
  let cols: number | undefined;
  for (const row of v.items) {
    if (row.kind !== 'list') {
      badValue(ctx, 'a row of the grid (a list of dims)', row);
      ok = false;
      continue;
    }
    if (cols === undefined) cols = row.items.length;
    else if (row.items.length !== cols) {
      ctx.report(error('expand/bad-grid', `the grid is not rectangular: this row has ${countNoun(row.items.length, 'site')}, the first has ${cols}`, row.span));
      ok = false;
      continue;
    }
    const names = legs.addList(row, 'a row of the grid (a list of dims)');
    if (names) phys.push(names);
    else ok = false;
  }
  return ok && cols !== undefined ? { rows: phys.length, cols, phys } : undefined;
}

/** PEPS on an open-boundary rectangular lattice. */
export const peps: Family = {
  name: 'peps',
  signature: 'peps(grid, bond)',
  expand(call: FamilyCall, ctx: FamilyContext): FamilyExpansion | undefined {
    const args = bindArgs(
      call,
      [
        { name: 'grid', required: true },
        { name: 'bond', aliases: ['rank'], required: true },
      ],
      ctx,
    );
    if (!args) return undefined;
    const grid = readGrid(args.get('grid')!.value, ctx);
    const bond = readRankOrDim(args.get('bond')!.value, ctx, 'bond dimension');
    if (!grid || bond === undefined) return undefined;
    const { rows, cols, phys } = grid;
    const t = call.tensorName;
    const h: string[][] = [];
    const vert: string[][] = [];
    for (let r = 0; r < rows; r++) {
      h.push([]);
      vert.push([]);
      for (let c = 0; c < cols; c++) {
        if (c + 1 < cols) h[r].push(rankDim(ctx, `${t}.h${r + 1}_${c + 1}`, bond));
        if (r + 1 < rows) vert[r].push(rankDim(ctx, `${t}.v${r + 1}_${c + 1}`, bond));
      }
    }
    const factors = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const dims: string[] = [];
        if (phys) dims.push(phys[r][c]);
        if (r > 0) dims.push(vert[r - 1][c]);
        if (c > 0) dims.push(h[r][c - 1]);
        if (c + 1 < cols) dims.push(h[r][c]);
        if (r + 1 < rows) dims.push(vert[r][c]);
        factors.push({ suffix: `site${r + 1}_${c + 1}`, dims });
      }
    }
    return { legs: phys ? phys.flat() : [], factors };
  },
};
