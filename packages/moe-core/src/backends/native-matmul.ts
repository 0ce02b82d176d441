/**
 * A matrix-product engine outside TF.js for the wasm fast path's larger products (for example onnxruntime-node's
 * MLAS, which uses the CPU's full vector width where XNNPACK inside wasm is limited to 128-bit SIMD and packs
 * every weight operand afresh). Installed with {@link setNativeMatmul}; the trainer installs one when it is
 * available (docs/moe-core.md, "Native matrix products").
 *
 * Results differ from XNNPACK's in the last bits (another summation order), so the wasm fast path is
 * bit-identical to the plain TF.js kernels only without one. With the same engine, machine and inputs, results
 * are deterministic.
 */
export interface NativeMatmul {
  /** Name for logs and run files, e.g. `onnxruntime-node 1.30.0 (MLAS, 1 thread)`. */
  readonly name: string;
  /**
   * Smallest product (M·K·N multiply-adds) sent to this engine; default {@link NATIVE_MATMUL_MIN_WORK}. For the
   * batched operations, the work of all pieces together.
   */
  readonly minWork?: number;
  /**
   * `out [M, N] = op(a) · op(b)`, all row-major float32: `a` is `[M, K]` (`[K, M]` when `transA`), `b` is
   * `[K, N]` (`[N, K]` when `transB`). Must write every element of `out` and must not keep the arrays: they
   * are views of the wasm heap, valid only during the call.
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    M: number,
    K: number,
    N: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /**
   * Optional: `batch` independent products of the same shape at once, `out[p] = op(a[p]) · op(b[p])` for
   * `p < batch`, each operand the `batch` blocks of {@link matmul}'s layout stored one after another. Used for the
   * attention products of all (sample, head) pieces, each too small for one call to pay off; without it they
   * stay on XNNPACK piece by piece. Same contract as {@link matmul}.
   */
  batchedMatmul?(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    M: number,
    K: number,
    N: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /**
   * Optional, with {@link batchedMatmul}: the attention probabilities of `batch` (sample, head) pieces,
   * `p[i] = softmax_rows(scale · q[i] · k[i]ᵀ)` with q, k `[batch, N, d]` and p `[batch, N, N]`. The softmax is
   * the per-element cost of attention (an exponential each), so an engine with vectorised exponentials saves more
   * here than in the product. Same contract as {@link matmul}.
   */
  attentionProbabilities?(
    q: Float32Array,
    k: Float32Array,
    p: Float32Array,
    batch: number,
    N: number,
    d: number,
    scale: number,
  ): void;
  /**
   * Optional, with {@link batchedMatmul}: the gradient of the attention scores of `batch` pieces from the gradient
   * of their context `dc`, `ds[i] = scale · p[i] ⊙ (g[i] − rowsum(g[i] ⊙ p[i]))` with `g[i] = (dc[i] · v[i]ᵀ) ⊙ mask[i]`
   * (dc, v `[batch, N, d]`; p, mask, ds `[batch, N, N]`; `mask` null: no attention dropout). Same contract as
   * {@link matmul}.
   */
  attentionScoresGradient?(
    dc: Float32Array,
    v: Float32Array,
    p: Float32Array,
    mask: Float32Array | null,
    ds: Float32Array,
    batch: number,
    N: number,
    d: number,
    scale: number,
  ): void;
}

/**
 * Products smaller than this many multiply-adds stay on XNNPACK by default: a native call costs ~15-25 µs of
 * overhead, about what XNNPACK needs for a 64×32×64 product (the attention blocks).
 */
export const NATIVE_MATMUL_MIN_WORK = 1 << 18;

let installed: NativeMatmul | null = null;

/**
 * Installs (or, with null, removes) the native matrix-product engine used by the wasm fast path for products of
 * at least its `minWork` multiply-adds. Per thread (each worker installs its own). Nothing changes unless the
 * wasm fast path is active (backends/fast-path.ts).
 */
export function setNativeMatmul(engine: NativeMatmul | null): void {
  installed = engine;
}

/** The installed engine, or null. */
export function nativeMatmul(): NativeMatmul | null {
  return installed;
}
