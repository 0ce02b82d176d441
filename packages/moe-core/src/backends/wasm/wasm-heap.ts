import * as tf from '@tensorflow/tfjs-core';
import { transposeInto } from '../../ops/array-kernels.js';
import { wasmBackendSupported } from './version-guard.js';
import { NATIVE_MATMUL_MIN_WORK, nativeMatmul, type NativeMatmul } from '../native-matmul.js';
import {
  copyRowsKernel,
  transpose4Kernel,
  transposeKernel,
  type CopyRowsKernel,
  type TransposeKernel,
} from './wasm-simd.js';

/*
 * Direct access to the tfjs-backend-wasm heap and its XNNPACK matmul, for the hot custom ops (sparse experts,
 * attention core). tf.matMul costs per call: tensor creation (a malloc + a copy of each operand into the heap),
 * the engine's bookkeeping, two Reshape kernels, a read back (copy) and garbage. Here the operands already live
 * in heap regions that are reused across steps, the product is written into another region (or straight into a
 * gradient tensor's memory) and read in place. The matmul itself is the same XNNPACK call tf.matMul makes
 * (`BatchMatMul` with a batch of 1 and no transposes), so results are bit-identical.
 *
 * Safety rules (see docs/moe-core.md):
 * - Every operand is registered under a fresh tensor id taken from the backend's id counter and unregistered
 *   right after the call. BatchMatMul caches the XNNPACK operator (with its packed copy of B) by B's id and
 *   deletes it when that id is disposed, so a packed B can never be reused stale.
 * - Any call into wasm may grow the memory and detach views: take views (`heap()`) after the last call.
 * - Only used on the wasm backend when these internals are present; everything else uses tf ops.
 */

interface WasmModule {
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _BatchMatMul(
    aId: number,
    aShape: number,
    aRank: number,
    bId: number,
    bShape: number,
    bRank: number,
    transposeA: number,
    transposeB: number,
    outId: number,
  ): void;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

interface WasmBackendInternals {
  wasm?: WasmModule | null;
  dataIdNextNumber?: number;
  dataIdMap?: { get(id: object): { memoryOffset?: number | null } | undefined };
  makeOutput?(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** Handle on the wasm backend's heap and matmul (one per backend instance). */
export class WasmHeap {
  private readonly shapePtr: number;

  private constructor(
    readonly module: WasmModule,
    private readonly backend: WasmBackendInternals,
  ) {
    this.shapePtr = module._malloc(6 * 4);
  }

  private static cache = new WeakMap<object, WasmHeap>();

  /** Switch for the direct-heap fast paths (tests and benchmarks compare both; on by default). */
  static enabled = true;

  /**
   * The heap of the current backend, or null unless it is a supported tfjs-backend-wasm version
   * (backends/wasm/version-guard.ts) with the expected internals.
   */
  static current(): WasmHeap | null {
    if (!WasmHeap.enabled || tf.getBackend() !== 'wasm' || !wasmBackendSupported()) return null;
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const m = backend.wasm;
    if (
      !m ||
      typeof m._BatchMatMul !== 'function' ||
      typeof m._malloc !== 'function' ||
      typeof m.tfjs?.registerTensor !== 'function' ||
      typeof backend.dataIdNextNumber !== 'number' ||
      typeof backend.makeOutput !== 'function' ||
      !backend.dataIdMap
    ) {
      return null;
    }
    let h = WasmHeap.cache.get(m);
    if (!h) {
      h = new WasmHeap(m, backend);
      WasmHeap.cache.set(m, h);
    }
    return h;
  }

  /** The current float32 view of the whole heap (re-read after any wasm call: growth detaches it). */
  heap(): Float32Array {
    return this.module.HEAPF32;
  }

  /** Float index (byte offset / 4) of a tensor's data on this heap. */
  offsetOf(t: tf.Tensor): number {
    const info = this.backend.dataIdMap?.get(t.dataId as object);
    if (!info || typeof info.memoryOffset !== 'number') throw new Error('WasmHeap: tensor is not on the wasm heap');
    return info.memoryOffset >>> 2;
  }

  /** A new float32 tensor whose (uninitialised) data is on the heap; returns it and its float index. */
  allocTensor(shape: number[]): { tensor: tf.Tensor; offset: number } {
    const info = (this.backend.makeOutput as (s: number[], d: 'float32') => tf.TensorInfo).call(
      this.backend,
      shape,
      'float32',
    );
    const tensor = tf.engine().makeTensorFromTensorInfo(info);
    return { tensor, offset: this.offsetOf(tensor) };
  }

  /** `dst [cols, rows]` = transpose of `src [rows, cols]` (float indexes, no overlap), by a wasm kernel. */
  transpose(src: number, rows: number, cols: number, dst: number): void {
    if (this.transposeFn === undefined) {
      this.transposeFn = transposeKernel(this);
      this.transpose4Fn = transpose4Kernel(this);
    }
    if (cols % 4 === 0 && this.transpose4Fn) this.transpose4Fn(src * 4, rows, cols, dst * 4);
    else if (this.transposeFn) this.transposeFn(src * 4, rows, cols, dst * 4);
    else transposeInto(this.heap(), src, rows, cols, this.heap(), dst);
  }

  /**
   * Copies `rows` rows of `cols` floats from `src` (row stride `srcStride` floats) to `dst` (row stride
   * `dstStride`), float indexes; regions must not overlap.
   */
  copyRows(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number): void {
    if (this.copyRowsFn === undefined) this.copyRowsFn = copyRowsKernel(this);
    if (this.copyRowsFn) this.copyRowsFn(src * 4, srcStride * 4, dst * 4, dstStride * 4, rows, cols * 4);
    else {
      const mem = this.heap();
      for (let r = 0; r < rows; r++)
        mem.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + cols);
    }
  }

  private copyRowsFn: CopyRowsKernel | null | undefined = undefined;
  private transposeFn: TransposeKernel | null | undefined = undefined;
  private transpose4Fn: TransposeKernel | null = null;

  private newId(): number {
    return (this.backend.dataIdNextNumber as number)++;
  }

  /**
   * `out[M, N] = A[M, K] · B[K, N]` on float indexes of the heap (row-major, contiguous), via XNNPACK.
   * Memory must not overlap between `out` and the operands.
   */
  matmul(a: number, M: number, K: number, b: number, N: number, out: number): void {
    if (this.nativeGemm(a, M, K, b, N, out, false, false)) return;
    const m = this.module;
    const aId = this.newId();
    const bId = this.newId();
    const oId = this.newId();
    m.tfjs.registerTensor(aId, M * K, a * 4);
    m.tfjs.registerTensor(bId, K * N, b * 4);
    m.tfjs.registerTensor(oId, M * N, out * 4);
    const s = m.HEAP32;
    const p = this.shapePtr >> 2;
    s[p] = 1;
    s[p + 1] = M;
    s[p + 2] = K;
    s[p + 3] = 1;
    s[p + 4] = K;
    s[p + 5] = N;
    m._BatchMatMul(aId, this.shapePtr, 3, bId, this.shapePtr + 12, 3, 0, 0, oId);
    m.tfjs.disposeData(aId);
    m.tfjs.disposeData(bId); // also deletes the cached XNNPACK operator (packed B) of this id
    m.tfjs.disposeData(oId);
  }

  /**
   * `out[p] = op(A[p]) · op(B[p])` for `pieces` products of one shape whose blocks are stored one after another
   * (A[p] `[M, K]`, or `[K, M]` with `transA`; B[p] `[K, N]`, or `[N, K]` with `transB`; out[p] `[M, N]`). One
   * batched call when the native engine has one and the pieces' total work reaches its threshold (each piece alone
   * is too small to pay for a call); otherwise piece by piece through {@link matmul}, a transposed operand first
   * copied into a region of `scratch`. Memory must not overlap between `out` and the operands.
   */
  matmulPieces(
    a: number,
    b: number,
    out: number,
    pieces: number,
    M: number,
    K: number,
    N: number,
    transA: boolean,
    transB: boolean,
    scratch: HeapRegions,
  ): void {
    const engine = this.batchedEngine(pieces, M, K, N);
    if (engine?.batchedMatmul) {
      const mem = this.heap();
      engine.batchedMatmul(
        mem.subarray(a, a + pieces * M * K),
        mem.subarray(b, b + pieces * K * N),
        mem.subarray(out, out + pieces * M * N),
        pieces,
        M,
        K,
        N,
        transA,
        transB,
      );
      return;
    }
    const tA = transA ? scratch.get(this, 'pieces_tA', M * K) : 0;
    const tB = transB ? scratch.get(this, 'pieces_tB', K * N) : 0;
    for (let p = 0; p < pieces; p++) {
      let ap = a + p * M * K;
      let bp = b + p * K * N;
      if (transA) {
        this.transpose(ap, K, M, tA);
        ap = tA;
      }
      if (transB) {
        this.transpose(bp, N, K, tB);
        bp = tB;
      }
      this.matmul(ap, M, K, bp, N, out + p * M * N);
    }
  }

  /** The native engine when it takes `pieces` products of `M·K·N` in one batched call, else null. */
  private batchedEngine(pieces: number, M: number, K: number, N: number): NativeMatmul | null {
    const engine = nativeMatmul();
    if (!engine?.batchedMatmul || pieces * M * K * N < (engine.minWork ?? NATIVE_MATMUL_MIN_WORK)) return null;
    return engine;
  }

  /**
   * `p[i] = softmax_rows(scale · q[i] · k[i]ᵀ)` for `pieces` blocks (q, k `[N, d]`, p `[N, N]`) by the native engine;
   * false (nothing done) when it has no such operation or the pieces are below its threshold.
   */
  nativeAttentionProbabilities(
    q: number,
    k: number,
    p: number,
    pieces: number,
    N: number,
    d: number,
    scale: number,
  ): boolean {
    const engine = this.batchedEngine(pieces, N, d, N);
    if (!engine?.attentionProbabilities) return false;
    const mem = this.heap();
    const Nd = pieces * N * d;
    engine.attentionProbabilities(
      mem.subarray(q, q + Nd),
      mem.subarray(k, k + Nd),
      mem.subarray(p, p + pieces * N * N),
      pieces,
      N,
      d,
      scale,
    );
    return true;
  }

  /**
   * `ds[i] = scale · p[i] ⊙ (g[i] − rowsum(g[i] ⊙ p[i]))`, `g[i] = (dc[i] · v[i]ᵀ) ⊙ mask[i]`, for `pieces` blocks by
   * the native engine (see {@link NativeMatmul.attentionScoresGradient}); false (nothing done) as
   * {@link nativeAttentionProbabilities}.
   */
  nativeAttentionScoresGradient(
    dc: number,
    v: number,
    p: number,
    mask: Float32Array | null,
    ds: number,
    pieces: number,
    N: number,
    d: number,
    scale: number,
  ): boolean {
    const engine = this.batchedEngine(pieces, N, d, N);
    if (!engine?.attentionScoresGradient) return false;
    const mem = this.heap();
    const Nd = pieces * N * d;
    const NN = pieces * N * N;
    engine.attentionScoresGradient(
      mem.subarray(dc, dc + Nd),
      mem.subarray(v, v + Nd),
      mem.subarray(p, p + NN),
      mask ? mask.subarray(0, NN) : null,
      mem.subarray(ds, ds + NN),
      pieces,
      N,
      d,
      scale,
    );
    return true;
  }

  /** Whether products of this size go to the native engine (./native-matmul.ts). */
  native(M: number, K: number, N: number): boolean {
    const engine = nativeMatmul();
    return engine !== null && M * K * N >= (engine.minWork ?? NATIVE_MATMUL_MIN_WORK);
  }

  /**
   * `out [M, N] = op(A) · op(B)` on float indexes (A `[M, K]` or, with `transA`, `[K, M]`; B `[K, N]` or `[N, K]`)
   * by the native engine; false (nothing done) when none is installed or the product is below its threshold.
   */
  nativeGemm(
    a: number,
    M: number,
    K: number,
    b: number,
    N: number,
    out: number,
    transA: boolean,
    transB: boolean,
  ): boolean {
    const engine = nativeMatmul();
    if (!engine || M * K * N < (engine.minWork ?? NATIVE_MATMUL_MIN_WORK)) return false;
    const mem = this.heap();
    engine.matmul(
      mem.subarray(a, a + M * K),
      mem.subarray(b, b + K * N),
      mem.subarray(out, out + M * N),
      M,
      K,
      N,
      transA,
      transB,
    );
    return true;
  }
}

/**
 * Named regions of the wasm heap reused across steps (the heap counterpart of WorkBuffers). Regions are
 * float indexes into {@link WasmHeap.heap}; they stay valid while the same wasm module is in use.
 */
interface Region {
  ptr: number;
  floats: number;
  module: WasmModule;
}

/** Frees the regions of owners that were garbage-collected without `release()` (a safety net, not the rule). */
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<Map<string, Region>>((regions) => {
        for (const r of regions.values()) r.module._free(r.ptr);
        regions.clear();
      })
    : null;

export class HeapRegions {
  private readonly regions = new Map<string, Region>();

  constructor() {
    finalizer?.register(this, this.regions);
  }

  /** Float index of a region of at least `floats` values (contents unspecified). */
  get(h: WasmHeap, name: string, floats: number): number {
    let r = this.regions.get(name);
    if (r && r.module !== h.module) {
      r.module._free(r.ptr); // allocated in another backend instance's heap
      this.regions.delete(name);
      r = undefined;
    }
    if (!r || r.floats < floats) {
      if (r) h.module._free(r.ptr);
      const ptr = h.module._malloc(Math.max(1, floats) * 4);
      if (!ptr) throw new Error('HeapRegions: wasm malloc failed');
      r = { ptr, floats, module: h.module };
      this.regions.set(name, r);
    }
    return r.ptr >>> 2;
  }

  /** Float index of an existing region allocated in `module`, or null. */
  peek(name: string, module: object): number | null {
    const r = this.regions.get(name);
    return r && r.module === module ? r.ptr >>> 2 : null;
  }

  /** Frees every region (in the heap it was allocated in). */
  release(): void {
    for (const r of this.regions.values()) r.module._free(r.ptr);
    this.regions.clear();
  }
}
