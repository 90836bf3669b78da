// Seeded random initialisation of `param` factors, scaled so that each represented tensor has
// entries of roughly the requested standard deviation.
//
// A factorized tensor whose F factors all hold independent zero-mean entries of variance σ²
// has dense entries that are sums over S bond assignments of products of F entries; distinct
// assignments differ in at least one factor entry, so the terms are uncorrelated and an entry
// has variance S·σ^(2F). Asking for variance scale² gives σ = (scale² / S)^(1/(2F)).
// A plain `param` (not part of a family) gets σ = scale. `input` factors are left alone.
//
// Values are normal (Box–Muller) from a small xorshift generator seeded per factor by
// (seed, factor name), so a factor's values do not depend on which other factors exist.
// Each factor is then rescaled so its mean square is exactly σ²: a product of F random factor
// norms is heavy-tailed (its median sits well below its mean), and fixing the norms makes the
// represented tensor's variance land near scale² for every seed rather than only on average.

/** One factor as the module `spec` lists it: only what initialisation needs. */
export interface InitFactor {
  name: string;
  role: 'input' | 'param';
  /** Concrete shape, row-major. */
  shape: readonly number[];
  /** The factorized tensor this factor belongs to, if any. */
  of?: string;
}

/** One factorized tensor: its name and how many bond assignments each dense entry sums over. */
export interface InitFactorized {
  name: string;
  /** Its factors (names or objects with a name), used to count F. */
  factors: readonly (string | { name: string })[];
  /** S, the product of its internal bond sizes (a FactorReport's `bondAssignments`). */
  bondAssignments: bigint | number | string;
}

/**
 * The minimal spec `initParams` reads. A FactorReport[] (from `describeFactorized`) satisfies
 * `factorized`.
 */
export interface InitSpec {
  factors: readonly InitFactor[];
  factorized?: readonly InitFactorized[];
}

/**
 * What a generated module's (or compile()'s) `spec` offers: `inputs` whose shapes may name
 * symbolic dims, the dims with their planning hints, the factorized report, and the dtype.
 */
export interface InitModuleSpec {
  inputs: readonly { name: string; role: 'input' | 'param'; shape: readonly (number | string)[]; of?: string }[];
  dims?: readonly { name: string; symbolic: boolean; size?: number; hint?: number }[];
  factorized?: readonly unknown[];
  dtype?: 'f32' | 'f64';
}

/** Options of `initParams`. */
export interface InitOptions {
  /** Any integer; the same seed gives the same values. */
  seed: number;
  /** Target standard deviation of the represented tensors' entries (default 1). */
  scale?: number;
  /** Element type of the returned arrays (default: the module spec's dtype, else 'f64'). */
  dtype?: 'f32' | 'f64';
  /** Values of symbolic dims in param shapes (module specs only; default: their planning hints). */
  dims?: Readonly<Record<string, number>>;
}

/** The factor list of either spec form, with concrete shapes. */
function factorsOf(spec: InitSpec | InitModuleSpec, options: InitOptions): readonly InitFactor[] {
  if ('factors' in spec && Array.isArray(spec.factors)) return spec.factors;
  const inputs = (spec as InitModuleSpec).inputs;
  if (!Array.isArray(inputs)) throw new TypeError('initParams: spec must be a module spec (with `inputs`) or have `factors`');
  const dims = (spec as InitModuleSpec).dims ?? [];
  const resolve = (d: number | string, factor: string): number => {
    if (typeof d === 'number') return d;
    if (options.dims !== undefined && Object.hasOwn(options.dims, d)) return options.dims[d];
    const info = dims.find((x) => x.name === d);
    const value = info?.size ?? info?.hint;
    if (value === undefined) throw new RangeError(`initParams: factor ${factor} has the symbolic dim '${d}'; give its value in options.dims`);
    return value;
  };
  return inputs.map((f) => ({ name: f.name, role: f.role, of: f.of, shape: f.shape.map((d: number | string) => resolve(d, f.name)) }));
}

/**
 * Fills every `param` factor of `spec` with seeded normal values; returns arrays by factor name.
 * `spec` is a generated module's (or compile()'s) `spec`, whose arrays then default to its
 * dtype so they can be passed straight to its functions, or a bare `{ factors, factorized }`.
 */
export function initParams(spec: InitSpec | InitModuleSpec, options: InitOptions): Record<string, Float64Array | Float32Array> {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('initParams: the first argument must be a spec');
  if (typeof options !== 'object' || options === null) throw new TypeError('initParams: the second argument must be options, e.g. { seed: 1 }');
  const scale = options.scale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`initParams: scale must be a positive number, got ${scale}`);
  // Integers only: the stream seed truncates, so 1.5 would silently give seed 1's values.
  if (typeof options.seed !== 'number' || !Number.isSafeInteger(options.seed)) throw new RangeError(`initParams: seed must be an integer, got ${String(options.seed)}`);
  const dtype = options.dtype ?? ('dtype' in spec && spec.dtype === 'f32' ? 'f32' : 'f64');
  if (dtype !== 'f32' && dtype !== 'f64') throw new RangeError(`initParams: dtype must be 'f32' or 'f64', got ${String(dtype)}`);
  const factorized = (spec.factorized ?? []) as readonly InitFactorized[];
  const byName = new Map(factorized.map((f) => [f.name, f]));
  const out: Record<string, Float64Array | Float32Array> = {};
  for (const f of factorsOf(spec, options)) {
    if (f.role !== 'param') continue;
    for (const s of f.shape) {
      if (!(Number.isSafeInteger(s) && s >= 0)) throw new RangeError(`initParams: factor ${f.name} has a non-integer dimension ${s}; bind symbolic dims first`);
    }
    const parent = f.of === undefined ? undefined : byName.get(f.of);
    const sigma = parent ? factorSigma(scale, parent) : scale;
    const length = f.shape.reduce((p, s) => p * s, 1);
    const data = dtype === 'f32' ? new Float32Array(length) : new Float64Array(length);
    fillNormal(data, sigma, streamSeed(options.seed, f.name));
    out[f.name] = data;
  }
  return out;
}

/** σ for one factor of a factorized tensor: (scale² / S)^(1 / (2F)). */
export function factorSigma(scale: number, t: InitFactorized): number {
  const F = Math.max(1, t.factors.length);
  const logS = log2BigInt(BigInt(t.bondAssignments));
  return 2 ** ((2 * Math.log2(scale) - logS) / (2 * F));
}

function log2BigInt(x: bigint): number {
  if (x <= 0n) return 0;
  const bits = x.toString(2).length;
  // Keep 53 significant bits exactly, then add back the shifted-out exponent.
  const shift = Math.max(0, bits - 53);
  return Math.log2(Number(x >> BigInt(shift))) + shift;
}

/** 32-bit FNV-1a of the name mixed with the seed, so each factor gets its own stream. */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (Math.trunc(seed) | 0);
  for (let k = 0; k < name.length; k++) {
    h ^= name.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.trunc(seed / 2 ** 32) | 0;
  return h >>> 0 || 0x9e3779b9;
}

function fillNormal(data: Float64Array | Float32Array, sigma: number, seed: number): void {
  let s = seed;
  const uniform = (): number => {
    // xorshift32; (0, 1] so the logarithm below is finite.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967296;
  };
  const raw = new Float64Array(data.length);
  let sumSquares = 0;
  for (let k = 0; k < raw.length; k += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    raw[k] = r * Math.cos(a);
    if (k + 1 < raw.length) raw[k + 1] = r * Math.sin(a);
  }
  for (const x of raw) sumSquares += x * x;
  const norm = sumSquares > 0 ? sigma * Math.sqrt(raw.length / sumSquares) : sigma;
  for (let k = 0; k < raw.length; k++) data[k] = raw[k] * norm;
}
