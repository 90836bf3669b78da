// Ambient declarations for importing `.tn` models through the tnc bundler plugin (`tnc/plugin`).
// Reference it once, e.g. in `src/vite-env.d.ts`:
//
//     /// <reference types="tnc/tn" />
//
// It types every `.tn` import loosely (any export name is a contraction function; with
// `?target=webgpu`, `create(device)` resolves to the async functions). For exact
// names and shapes per model, let the plugin write `model.tn.d.ts` beside the source
// (`tncVite({ dts: true })`) or run `tnc build --types-only model.tn`: TypeScript then prefers
// that file over this declaration.

declare namespace TncModel {
  /** A row-major typed array holding one tensor. */
  type Tensor = Float32Array | Float64Array;

  /** Describes a compiled model: dims, inputs, outputs, contraction paths and costs. */
  interface Spec {
    tnc: string;
    target: 'cpu' | 'webgpu';
    dtype: 'f32' | 'f64';
    source?: string;
    dims: { name: string; size?: number; symbolic: boolean; hint?: number }[];
    inputs: { name: string; role: 'input' | 'param'; dims: string[]; shape: (number | string)[]; of?: string; family?: string }[];
    outputs: { name: string; export: string; dims: string[]; shape: (number | string)[]; inputs: string[]; symbolicDims: string[] }[];
    statements: {
      name: string;
      kind: 'out' | 'let';
      terms: { coefficient: number; network: string; path: number[][]; flops: number | string; size: number | string; optimizer: string; sliced?: string[] }[];
      flops: number | string;
    }[];
    factorized: unknown[];
  }

  /**
   * One `out` statement: named inputs (row-major, axes in declared order), values for
   * symbolic dims, an optional output buffer; returns the output (a promise on WebGPU).
   */
  type Contraction = (inputs: { readonly [name: string]: Tensor }, dims?: { readonly [dim: string]: number }, out?: Tensor) => any;

  /**
   * Sets how many threads (the calling one included) a CPU model uses for large matrix
   * products: a positive integer, or 'auto' for the machine's cores (at most 4); 1, the
   * default, turns its worker pool off. Node only; elsewhere it stays at 1. Resolves to the
   * count in use; results are bit-identical whatever the count.
   */
  type SetThreads = (threads: number | 'auto') => Promise<number>;

  /** The default export: every export of the model as one object. */
  type Module = { readonly spec: Spec; readonly setThreads: SetThreads } & { readonly [exportName: string]: Contraction };

  /** Options of one WebGPU call: an output buffer, or `read: true` to get a typed array back. */
  interface GpuCallOptions {
    output?: unknown;
    read?: boolean;
  }

  /** A model compiled for one GPUDevice: one async function per `out` statement. */
  type GpuModel = {
    readonly precision: 'f32' | 'f16';
    readonly device: unknown;
    destroy(): void;
  } & {
    readonly [out: string]: (inputs: { readonly [name: string]: Tensor | object }, dims?: { readonly [dim: string]: number }, options?: GpuCallOptions) => Promise<any>;
  };

  /** Compiles the model's pipelines for a GPUDevice (once per device). */
  type Create = (device: object, options?: { precision?: 'auto' | 'f32' | 'f16' }) => Promise<GpuModel>;

  /** The default export of a WebGPU build. */
  interface GpuModule {
    readonly spec: Spec;
    readonly create: Create;
    readonly TncWebGpuError: { new (message: string): Error };
  }
}

declare module '*.tn' {
  /** What this model computes: dims, inputs, outputs, contraction paths and costs. */
  export const spec: TncModel.Spec;
  /** CPU models: how many threads large matrix products use (absent from WebGPU builds). */
  export const setThreads: TncModel.SetThreads;
  /** Every export of the model (its `out` functions, `spec` and `setThreads`). */
  const model: TncModel.Module;
  export default model;
}

declare module '*.tn?target=cpu' {
  export const spec: TncModel.Spec;
  export const setThreads: TncModel.SetThreads;
  const model: TncModel.Module;
  export default model;
}

declare module '*.tn?target=webgpu' {
  export const spec: TncModel.Spec;
  /** Compiles the model's pipelines for a GPUDevice; resolves to one async function per `out`. */
  export const create: TncModel.Create;
  export const TncWebGpuError: { new (message: string): Error };
  const model: TncModel.GpuModule;
  export default model;
}

declare module '*.tn?dtype=f32' {
  export const spec: TncModel.Spec;
  export const setThreads: TncModel.SetThreads;
  const model: TncModel.Module;
  export default model;
}

declare module '*.tn?dtype=f64' {
  export const spec: TncModel.Spec;
  export const setThreads: TncModel.SetThreads;
  const model: TncModel.Module;
  export default model;
}
