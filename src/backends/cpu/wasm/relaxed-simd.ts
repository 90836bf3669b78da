// Relaxed SIMD (the fused multiply-add GEMM kernels) where the engine has it only behind a
// flag. relaxed_madd is standard WebAssembly (3.0) and on by default in Node ≥ 22 and current
// browsers; Node 20's V8 (11.3) implements it behind `--experimental-wasm-relaxed-simd`.
// There the runtime turns the flag on itself, through `node:v8`'s setFlagsFromString, the
// first time it picks its kernels: about 1.2× on GEMM-bound steps (one fused multiply-add
// instead of a multiply and an add per update).
//
// Inlinable: no import statement and no top-level await. `node:v8` is reached through
// `process.getBuiltinModule` (Node ≥ 20.16), which is synchronous, so the engines stay
// synchronous, and a plain call, so bundlers see no Node import. Browsers (no `process`),
// older Node and other runtimes simply keep the SIMD128 kernels. The flag is process-wide
// (later workers inherit it) and only widens what WebAssembly accepts.

/** Environment variable that keeps tnc on the SIMD128 kernels (no relaxed SIMD, no V8 flag). */
export const NO_RELAXED_SIMD_ENV = 'TNC_NO_RELAXED_SIMD';

/** The V8 flag that enables relaxed SIMD on Node 20. */
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** What the runtime uses of Node's `process`, read defensively (absent in browsers). */
interface NodeProcess {
  env?: Record<string, string | undefined>;
  versions?: { node?: unknown };
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: unknown }).process;
  return typeof p === 'object' && p !== null ? (p as NodeProcess) : undefined;
}

/**
 * Whether relaxed SIMD is opted out: `TNC_NO_RELAXED_SIMD` set to anything but '' or '0' (for
 * results rounded as on engines without fused multiply-add, or to leave V8's flags alone).
 */
export function relaxedSimdOptedOut(): boolean {
  let value: string | undefined;
  try {
    value = nodeProcess()?.env?.[NO_RELAXED_SIMD_ENV];
  } catch {
    // A sandboxed env (Deno without --allow-env) throws on read: treat as not set.
    return false;
  }
  return value !== undefined && value !== '' && value !== '0';
}

/** Whether this engine compiles the wasm module `bytes` (false without WebAssembly). */
export function wasmValidates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * Whether this engine accepts the relaxed-SIMD module `bytes`, turning on Node 20's flag
 * first where that is what it lacks (unless opted out). Returns false without changing
 * anything where relaxed SIMD is opted out, not in Node, or still rejected after the flag.
 */
export function relaxedSimdValidates(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (relaxedSimdOptedOut()) return false;
  if (wasmValidates(bytes)) return true;
  const p = nodeProcess();
  if (typeof p?.versions?.node !== 'string' || typeof p.getBuiltinModule !== 'function') return false;
  try {
    const v8 = p.getBuiltinModule('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
    if (typeof v8?.setFlagsFromString !== 'function') return false;
    v8.setFlagsFromString(RELAXED_SIMD_FLAG);
  } catch {
    return false;
  }
  return wasmValidates(bytes);
}
