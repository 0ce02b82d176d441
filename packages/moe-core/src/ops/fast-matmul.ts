import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { sharedBackwardBuffers } from './work-buffers.js';

/*
 * Matrix products whose backward pass uses only plain 2-D `matMul(a, b)` after explicit transposes.
 * On the wasm backend the transposeA/B variants that tf.matMul's own gradient uses are 5-15x slower
 * (docs/install.md, "Backends"), so this is where most of the training-step time is won.
 */

/**
 * wasm: `[dy · bᵀ, aᵀ · dy]` (and the column sums of dy as `ones · dy` when `withBias`) with the transposes done
 * by the heap kernel and the products written straight into the gradient tensors (ops/wasm-heap.ts). Same
 * XNNPACK products as the tf-ops backward below: identical results. Null when not on the wasm heap.
 */
function matMulBackwardHeap(a: tf.Tensor2D, b: tf.Tensor2D, dy: tf.Tensor2D, withBias: boolean): tf.Tensor[] | null {
  const heap = WasmHeap.current();
  if (!heap || a.dtype !== 'float32' || b.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const [M, K] = a.shape;
  const N = b.shape[1];
  const work = sharedBackwardBuffers.heap;
  const bT = work.get(heap, 'mm_bT', N * K);
  const aT = work.get(heap, 'mm_aT', K * M);
  const ones = withBias ? work.get(heap, 'mm_ones', M) : 0;
  const da = heap.allocTensor([M, K]);
  const db = heap.allocTensor([K, N]);
  const dBias = withBias ? heap.allocTensor([1, N]) : null;
  if (withBias) heap.heap().fill(1, ones, ones + M);
  // A native engine (backends/native-matmul.ts) reads the transposed operands in place.
  if (!heap.nativeGemm(heap.offsetOf(dy), M, N, heap.offsetOf(b), K, da.offset, false, true)) {
    heap.transpose(heap.offsetOf(b), K, N, bT);
    heap.matmul(heap.offsetOf(dy), M, N, bT, K, da.offset);
  }
  if (!heap.nativeGemm(heap.offsetOf(a), K, M, heap.offsetOf(dy), N, db.offset, true, false)) {
    heap.transpose(heap.offsetOf(a), M, K, aT);
    heap.matmul(aT, K, M, heap.offsetOf(dy), N, db.offset);
  }
  const grads: tf.Tensor[] = [da.tensor, db.tensor];
  if (dBias) {
    heap.matmul(ones, 1, M, heap.offsetOf(dy), N, dBias.offset);
    grads.push(tf.reshape(dBias.tensor, [N]));
    dBias.tensor.dispose();
  }
  return grads;
}

/**
 * `a · b (+ bias)` by the native engine (backends/native-matmul.ts) on the wasm heap, or null when there is none
 * or the product is small (then tf.matMul, i.e. XNNPACK).
 */
function matMulNative(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor | null): tf.Tensor2D | null {
  const heap = WasmHeap.current();
  const [M, K] = a.shape;
  const N = b.shape[1];
  if (!heap || !heap.native(M, K, N) || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const out = heap.allocTensor([M, N]);
  heap.nativeGemm(heap.offsetOf(a), M, K, heap.offsetOf(b), N, out.offset, false, false);
  if (!bias) return out.tensor as tf.Tensor2D;
  const y = tf.add(out.tensor, bias) as tf.Tensor2D;
  out.tensor.dispose();
  return y;
}

/** `a · b` for 2-D tensors, with an explicit-transpose backward. */
export const matMul2d = customOp<tf.Tensor2D>(([a, b], save) => {
  save([a, b]);
  return {
    value: matMulNative(a as tf.Tensor2D, b as tf.Tensor2D, null) ?? tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return (
        matMulBackwardHeap(sa, sb, dy, false) ?? [
          tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)),
          tf.matMul(tf.transpose(sa), dy as tf.Tensor2D),
        ]
      );
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `x · W + b` for `x [rows, in]`, `W [in, out]`, `b [out]`. */
export const denseBias = customOp<tf.Tensor2D>(([x, w, b], save) => {
  save([x, w]);
  return {
    value:
      matMulNative(x as tf.Tensor2D, w as tf.Tensor2D, b) ?? tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const heapGrads = matMulBackwardHeap(sx, sw, dy, true);
      if (heapGrads) return heapGrads;
      // Column sums as a ones-row product: far faster on wasm than an axis-0 Sum.
      const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)),
        tf.matMul(tf.transpose(sx), dy as tf.Tensor2D),
        tf.reshape(tf.matMul(ones, dy as tf.Tensor2D), [dy.shape[1] as number]),
      ];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** `x · W + b` (or `x · W` without a bias) for 2-D `x`. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D | null): tf.Tensor2D {
  return b ? denseBias(x, w, b) : matMul2d(x, w);
}
