/// <reference types="@webgpu/types" />
// A WebGPU device for tests: Dawn (npm `webgpu`) on Mesa through OpenGL ES, as described in
// DESIGN.md "Environments". Without an adapter the WebGPU tests skip with one line saying why;
// with TNC_REQUIRE_WEBGPU=1 (set by CI) a missing adapter is a failure instead.

/** A device with the adapter's limits, and how it was obtained. */
export interface TestGpu {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  /** Human-readable adapter description for logs. */
  description: string;
}

/** True when CI demands that WebGPU tests run (a missing adapter fails instead of skipping). */
export const REQUIRE_WEBGPU = process.env.TNC_REQUIRE_WEBGPU === '1';

/**
 * Dawn backend for the tests: 'opengles' (default; Mesa llvmpipe in compatibility mode, what CI
 * has) or another Dawn backend name such as 'vulkan' via TNC_WEBGPU_BACKEND, to run the same
 * tests on a real GPU with core-feature adapters.
 */
export const TEST_BACKEND = process.env.TNC_WEBGPU_BACKEND ?? 'opengles';

/** Adapter options matching TEST_BACKEND (OpenGL ES offers only compatibility-mode adapters). */
export const ADAPTER_OPTIONS: GPURequestAdapterOptions =
  TEST_BACKEND === 'opengles' ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : { powerPreference: 'high-performance' };

/** The adapter's limits as a plain record, for `requiredLimits` (device defaults are far lower). */
export function adapterLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

/** Loads Dawn and returns its GPU object, or the reason it cannot. */
export async function loadDawn(): Promise<{ gpu: GPU } | { reason: string }> {
  // Mesa's EGL must not look for a display server.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    return { reason: `the npm package 'webgpu' (Dawn) did not load: ${(e as Error).message.split('\n')[0]}` };
  }
  // GPUBufferUsage, GPUMapMode… as globals, as in a browser.
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  // TNC_DAWN_FLAGS: extra Dawn instance flags, space-separated (e.g. enable-dawn-features=…).
  const extra = (process.env.TNC_DAWN_FLAGS ?? '').split(' ').filter((f) => f !== '');
  return { gpu: mod.create([`backend=${TEST_BACKEND}`, ...extra]) };
}

/**
 * Requests a device from `adapter` (an adapter gives one device: pass a TestGpu for a fresh
 * adapter); `limits: 'adapter'` passes every adapter limit as requiredLimits.
 */
export async function requestTestDevice(from: GPUAdapter | TestGpu, limits: 'adapter' | 'default' = 'adapter'): Promise<GPUDevice> {
  const adapter = 'gpu' in from ? await from.gpu.requestAdapter(ADAPTER_OPTIONS) : from;
  if (adapter === null) throw new Error('the WebGPU adapter disappeared');
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
  return adapter.requestDevice(limits === 'adapter' ? { requiredLimits: adapterLimits(adapter), requiredFeatures } : { requiredFeatures });
}

/**
 * Opens a WebGPU device for a test file, or returns null after printing one skip line. Throws
 * when TNC_REQUIRE_WEBGPU=1 and no adapter is found, so CI cannot silently skip.
 */
export async function openTestGpu(): Promise<TestGpu | null> {
  const dawn = await loadDawn();
  let reason: string;
  if ('gpu' in dawn) {
    const adapter = await dawn.gpu.requestAdapter(ADAPTER_OPTIONS);
    if (adapter !== null) {
      const device = await requestTestDevice(adapter);
      const info = adapter.info;
      const description = [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(' ') || 'unknown adapter';
      return { gpu: dawn.gpu, adapter, device, description };
    }
    reason =
      `Dawn found no adapter (backend=${TEST_BACKEND}${TEST_BACKEND === 'opengles' ? ", featureLevel 'compatibility'" : ''}): install Mesa's EGL/GLES ` +
      '(scripts/install-webgpu-deps.sh: libegl1 libegl-mesa0 libgles2 libgbm1) and run with EGL_PLATFORM=surfaceless';
  } else {
    reason = dawn.reason;
  }
  if (REQUIRE_WEBGPU) throw new Error(`TNC_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${reason}`);
  console.log(`WebGPU tests skipped: ${reason}`);
  return null;
}
