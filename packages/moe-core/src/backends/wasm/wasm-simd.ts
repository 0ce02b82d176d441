import type { WasmHeap } from './wasm-heap.js';
import { KERNEL_MODULES } from './kernels/modules.generated.js';

/*
 * Small hand-written WebAssembly modules that share the tfjs-backend-wasm memory, for loops whose JavaScript
 * form is bound by per-element overhead (~2 ns per element and more for sqrt/div chains). Their source is the
 * WAT text in ./kernels/*.wat, assembled at build time by wabt (scripts/assemble-wasm.mjs). Each kernel
 * performs the same IEEE operations in the same order as the JavaScript loop it replaces, so results are
 * bit-identical (tested in wasm-heap.test.ts and the model tests, fast path on and off).
 */

type KernelModule = keyof typeof KERNEL_MODULES;

/** `adam(w, g, m, v, out, pairs, b1, c1, b2, c2, eps, step)`: byte addresses, `pairs` = elements / 2 (kernels/adam.wat). */
export type AdamKernel = (
  w: number,
  g: number,
  m: number,
  v: number,
  out: number,
  pairs: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  eps: number,
  step: number,
) => void;

/** `gelu(values, bias, out, deriv, n, width, cdf, pdf)` (byte addresses; kernels/gelu.wat). */
export type GeluKernel = (
  values: number,
  bias: number,
  out: number,
  deriv: number,
  n: number,
  width: number,
  cdf: number,
  pdf: number,
) => void;

/** `transpose(src, rows, cols, dst)` (byte addresses): `dst[c·rows + r] = src[r·cols + c]`, bits copied as is. */
export type TransposeKernel = (src: number, rows: number, cols: number, dst: number) => void;

/** `copyRows(src, srcStride, dst, dstStride, rows, bytes)` (bytes): `rows` copies of `bytes` bytes (memory.copy). */
export type CopyRowsKernel = (
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  bytes: number,
) => void;

/** `mulColSums(a, b, n, width, dst)` (byte addresses), as ops/array-kernels.ts `mulAndColumnSums`. */
export type MulColSumsKernel = (a: number, b: number, n: number, width: number, dst: number) => void;

/** LayerNorm loops of model/layer-norm.ts (kernels/layer-norm-*.wat; dGamma/dBeta accumulate). */
export interface LayerNormKernels {
  forward: (
    x: number,
    gamma: number,
    beta: number,
    rows: number,
    H: number,
    xhat: number,
    rstd: number,
    out: number,
    eps: number,
  ) => void;
  backward: (
    dy: number,
    gamma: number,
    xhat: number,
    rstd: number,
    rows: number,
    H: number,
    dx: number,
    dGamma: number,
    dBeta: number,
  ) => void;
}

/** Gate-weighted combination loops of ops/array-kernels.ts (kernels/add-row-bias, combine*, scatter-add, col-sums). */
export interface CombineKernels {
  addRowBias: (src: number, bias: number, n: number, width: number, dst: number) => void;
  combine: (
    out: number,
    ys: number,
    gates: number,
    topk: number,
    pairPos: number,
    rows: number,
    k: number,
    E: number,
    width: number,
  ) => void;
  combineBack: (
    dy: number,
    ys: number,
    gates: number,
    topk: number,
    pairPos: number,
    rows: number,
    k: number,
    E: number,
    width: number,
    dGates: number,
    dys: number,
  ) => void;
  /** `dst[rows[r]] += src[r]` (rows of `width`), as `scatterAddRows`. */
  scatterAdd: (dst: number, src: number, rows: number, n: number, width: number) => void;
  /** `dst[c] += Σ_r src[r, c]` in row order, as `addColumnSums`. */
  colSums: (src: number, n: number, width: number, dst: number) => void;
}

/** The Φ/φ table layout kernels/gelu.wat was written for (range ±10, 2048 steps per unit). */
const GELU_TABLE = { range: 10, steps: 2048 };

const compiled = new Map<KernelModule, WebAssembly.Module | null>();
const instances = new WeakMap<object, Map<KernelModule, WebAssembly.Instance | null>>();

function compile(name: KernelModule): WebAssembly.Module | null {
  if (!compiled.has(name)) {
    try {
      compiled.set(name, new WebAssembly.Module(Uint8Array.from(atob(KERNEL_MODULES[name]), (c) => c.charCodeAt(0))));
    } catch {
      compiled.set(name, null); // e.g. no SIMD in this engine: the JavaScript loops are used
    }
  }
  return compiled.get(name) ?? null;
}

/** Export `fn` of kernel module `name` instantiated on `heap`'s memory (cached per memory), or null. */
function kernel<T>(heap: WasmHeap, name: KernelModule, fn: string): T | null {
  const owner = heap.module as unknown as { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  let cache = instances.get(owner);
  if (!cache) instances.set(owner, (cache = new Map()));
  if (!cache.has(name)) {
    let instance: WebAssembly.Instance | null = null;
    const memory = owner.asm?.memory ?? owner.wasmMemory;
    const module = compile(name);
    if (module && memory instanceof WebAssembly.Memory && memory.buffer === heap.heap().buffer) {
      try {
        instance = new WebAssembly.Instance(module, { env: { memory } });
      } catch {
        instance = null;
      }
    }
    cache.set(name, instance);
  }
  return ((cache.get(name)?.exports[fn] as T | undefined) ?? null) as T | null;
}

/** The SIMD Adam kernel on `heap`'s memory, or null when the memory or SIMD is not available. */
export function adamKernel(heap: WasmHeap): AdamKernel | null {
  return kernel<AdamKernel>(heap, 'adam', 'adam');
}

/** The GELU kernel for tables on `[-range, range]` with `steps` per unit, or null when unavailable. */
export function geluKernel(heap: WasmHeap, range: number, steps: number): GeluKernel | null {
  if (range !== GELU_TABLE.range || steps !== GELU_TABLE.steps) return null;
  return kernel<GeluKernel>(heap, 'gelu', 'gelu');
}

/** The transpose kernel on `heap`'s memory, or null when unavailable. */
export function transposeKernel(heap: WasmHeap): TransposeKernel | null {
  return kernel<TransposeKernel>(heap, 'transpose', 'transpose');
}

/** The 4×4-block SIMD transpose (requires `cols % 4 === 0`), or null when unavailable. */
export function transpose4Kernel(heap: WasmHeap): TransposeKernel | null {
  return kernel<TransposeKernel>(heap, 'transpose4', 'transpose4');
}

/** The strided row-copy kernel, or null when unavailable. */
export function copyRowsKernel(heap: WasmHeap): CopyRowsKernel | null {
  return kernel<CopyRowsKernel>(heap, 'copy-rows', 'copyRows');
}

/** The mulAndColumnSums kernel on `heap`'s memory, or null when unavailable. */
export function mulColSumsKernel(heap: WasmHeap): MulColSumsKernel | null {
  return kernel<MulColSumsKernel>(heap, 'mul-col-sums', 'mulColSums');
}

const groups = new WeakMap<object, { layerNorm?: LayerNormKernels | null; combine?: CombineKernels | null }>();

/** Cached per memory owner: the grouped kernels are fetched on every call of the hot loops. */
function group(heap: WasmHeap): { layerNorm?: LayerNormKernels | null; combine?: CombineKernels | null } {
  const owner = heap.module as unknown as object;
  let g = groups.get(owner);
  if (!g) groups.set(owner, (g = {}));
  return g;
}

/** The LayerNorm kernels on `heap`'s memory, or null when unavailable. */
export function layerNormKernels(heap: WasmHeap): LayerNormKernels | null {
  const g = group(heap);
  if (g.layerNorm === undefined) g.layerNorm = layerNormKernelsOf(heap);
  return g.layerNorm;
}

function layerNormKernelsOf(heap: WasmHeap): LayerNormKernels | null {
  const forward = kernel<LayerNormKernels['forward']>(heap, 'layer-norm-forward', 'lnForward');
  const backward = kernel<LayerNormKernels['backward']>(heap, 'layer-norm-backward', 'lnBackward');
  return forward && backward ? { forward, backward } : null;
}

/** The combination kernels on `heap`'s memory, or null when unavailable. */
export function combineKernels(heap: WasmHeap): CombineKernels | null {
  const g = group(heap);
  if (g.combine === undefined) g.combine = combineKernelsOf(heap);
  return g.combine;
}

function combineKernelsOf(heap: WasmHeap): CombineKernels | null {
  const addRowBias = kernel<CombineKernels['addRowBias']>(heap, 'add-row-bias', 'addRowBias');
  const combine = kernel<CombineKernels['combine']>(heap, 'combine', 'combine');
  const combineBack = kernel<CombineKernels['combineBack']>(heap, 'combine-back', 'combineBack');
  const scatterAdd = kernel<CombineKernels['scatterAdd']>(heap, 'scatter-add', 'scatterAdd');
  const colSums = kernel<CombineKernels['colSums']>(heap, 'col-sums', 'colSums');
  return addRowBias && combine && combineBack && scatterAdd && colSums
    ? { addRowBias, combine, combineBack, scatterAdd, colSums }
    : null;
}
