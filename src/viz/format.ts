// Number formatting for reports and pictures: exact where it fits a column, compact otherwise.
// Inputs are exact bigints; the compact form is only ever a display of an exact total.

import { log2Big } from '../optimizer/cost.js';

/** Longest count shown digit by digit; past it a report shows the compact form and the digit count. */
export const MAX_GROUPED_DIGITS = 40;

/** Exact digits grouped by thousands, e.g. `36,000` (huge counts: `3.61e229 (230 digits)`). */
export function groupDigits(x: bigint): string {
  const s = (x < 0n ? -x : x).toString();
  if (s.length > MAX_GROUPED_DIGITS) return `${compactCount(x)} (${s.length} digits)`;
  const groups: string[] = [];
  for (let end = s.length; end > 0; end -= 3) groups.unshift(s.slice(Math.max(0, end - 3), end));
  return (x < 0n ? '-' : '') + groups.join(',');
}

/**
 * Short display of a count: exact below a million (`36000`), else 3 significant digits in
 * scientific form (`1.23e9`), computed from the exact digits (no float rounding of huge values).
 */
export function compactCount(x: bigint): string {
  if (x < 0n) return '-' + compactCount(-x);
  if (x < 1_000_000n) return x.toString();
  const s = x.toString();
  let mant = Number(s.slice(0, 4)) / 1000;
  let exp = s.length - 1;
  mant = Math.round(mant * 100) / 100;
  if (mant >= 10) {
    mant /= 10;
    exp += 1;
  }
  return `${mant.toFixed(2).replace(/\.?0+$/, '')}e${exp}`;
}

/** A ratio of two exact counts for display (`12.5x`); `∞` when the divisor is zero. */
export function ratio(num: bigint, den: bigint): string {
  if (den === 0n) return '∞';
  const l2 = log2Big(num) - log2Big(den);
  const r = 2 ** l2;
  if (!Number.isFinite(r)) {
    if (num === 0n) return '0x';
    // Beyond the double range (naive costs of large networks): print the power of ten.
    const l10 = l2 * Math.LOG10E * Math.LN2;
    let e = Math.floor(l10);
    let mant = Math.round(10 ** (l10 - e) * 100) / 100;
    if (mant >= 10) {
      mant /= 10;
      e += 1;
    }
    return `${mant}e${e}x`;
  }
  if (r >= 100) return `${compactCount(BigInt(Math.round(r)))}x`;
  return `${r.toFixed(r >= 10 ? 1 : 2)}x`;
}
