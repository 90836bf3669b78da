// Import ids of .tn modules: `/abs/model.tn?target=webgpu&dtype=f64` → file and build options.
// Bundlers add their own query parameters (Vite's `?t=` timestamps, `?import`); unknown
// keys are ignored, known keys are validated.

/** Build options a .tn import can carry. */
export interface TnBuildOptions {
  target: 'cpu' | 'webgpu';
  dtype: 'f32' | 'f64';
}

const TARGETS = ['cpu', 'webgpu'] as const;
const DTYPES = ['f32', 'f64'] as const;

/** Matches an id or import specifier that names a .tn file, with or without a query. */
export const TN_ID = /\.tn(?:\?.*)?$/;

/** Splits an id into its file path and query string (without `?`). */
export function splitId(id: string): { file: string; query: string } {
  const q = id.indexOf('?');
  return q < 0 ? { file: id, query: '' } : { file: id.slice(0, q), query: id.slice(q + 1) };
}

/**
 * Reads target and dtype from a query, falling back to `defaults`; returns an error message
 * for an invalid value. Example: `target=webgpu` with defaults cpu/f32 gives webgpu/f32.
 */
export function optionsFromQuery(query: string, defaults: TnBuildOptions): { options: TnBuildOptions } | { error: string } {
  const params = new URLSearchParams(query);
  const target = params.get('target') ?? defaults.target;
  const dtype = params.get('dtype') ?? defaults.dtype;
  if (!(TARGETS as readonly string[]).includes(target)) return { error: `unknown target '${target}' in import query; valid targets: ${TARGETS.join(', ')}` };
  if (!(DTYPES as readonly string[]).includes(dtype)) return { error: `unknown dtype '${dtype}' in import query; valid dtypes: ${DTYPES.join(', ')}` };
  return { options: { target: target as TnBuildOptions['target'], dtype: dtype as TnBuildOptions['dtype'] } };
}

/** Checks plugin options given by the user (a config mistake is reported when the plugin is created). */
export function validateDefaults(options: Partial<TnBuildOptions>): TnBuildOptions {
  const target = options.target ?? 'cpu';
  const dtype = options.dtype ?? 'f32';
  if (!(TARGETS as readonly string[]).includes(target)) throw new Error(`tnc plugin: unknown target '${target}'; valid targets: ${TARGETS.join(', ')}`);
  if (!(DTYPES as readonly string[]).includes(dtype)) throw new Error(`tnc plugin: unknown dtype '${dtype}'; valid dtypes: ${DTYPES.join(', ')}`);
  return { target, dtype };
}
