import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { sharedBackwardBuffers } from './work-buffers.js';

/*
 * The per-patch projection of the patch embedding (model/patch-embedding.ts): `y[n, p] = x[n, p] · W[p] + b[p]`
 * for `x [N, P, s]`, `W [P, s, H]`, `b [P, H]`. TF.js's batched matMul runs a plain loop on the wasm backend
 * (about 6 ms of a 33 ms ADNI-sized step); on the wasm heap the patches are gathered into `[P, N, s]` blocks and
 * the P products run through `WasmHeap.matmulPieces` (one call of the native engine, or XNNPACK per patch).
 */

/** `[rows, P, width]` at `src` → `[P, rows, width]` at `dst` (heap float indexes). */
function gatherPatches(heap: WasmHeap, src: number, dst: number, rows: number, P: number, width: number): void {
  for (let p = 0; p < P; p++) heap.copyRows(src + p * width, P * width, dst + p * rows * width, width, rows, width);
}

/** `[P, rows, width]` at `src` → `[rows, P, width]` at `dst`. */
function scatterPatches(heap: WasmHeap, src: number, dst: number, rows: number, P: number, width: number): void {
  for (let p = 0; p < P; p++) heap.copyRows(src + p * rows * width, width, dst + p * width, P * width, rows, width);
}

/** The wasm heap when every tensor is float32 and there are rows (an empty batch takes the tf-ops path). */
function onHeap(tensors: tf.Tensor[]): WasmHeap | null {
  const heap = WasmHeap.current();
  return heap && tensors[0].shape[0] > 0 && tensors.every((t) => t.dtype === 'float32') ? heap : null;
}

function forwardHeap(heap: WasmHeap, x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  const [N, P, s] = x.shape;
  const H = w.shape[2];
  const work = sharedBackwardBuffers.heap;
  const xt = work.get(heap, 'patch_xt', P * N * s);
  const yt = work.get(heap, 'patch_yt', P * N * H);
  gatherPatches(heap, heap.offsetOf(x), xt, N, P, s);
  heap.matmulPieces(xt, heap.offsetOf(w), yt, P, N, s, H, false, false, work);
  const y = heap.allocTensor([N, P, H]);
  scatterPatches(heap, yt, y.offset, N, P, H);
  return y.tensor as tf.Tensor3D;
}

/** `[dx, dW, db]` on the heap. */
function backwardHeap(heap: WasmHeap, x: tf.Tensor3D, w: tf.Tensor3D, dy: tf.Tensor3D): tf.Tensor[] {
  const [N, P, s] = x.shape;
  const H = w.shape[2];
  const work = sharedBackwardBuffers.heap;
  const xt = work.get(heap, 'patch_xt', P * N * s);
  const dyt = work.get(heap, 'patch_dyt', P * N * H);
  const dxt = work.get(heap, 'patch_dxt', P * N * s);
  const ones = work.get(heap, 'patch_ones', N);
  heap.heap().fill(1, ones, ones + N);
  gatherPatches(heap, heap.offsetOf(x), xt, N, P, s);
  gatherPatches(heap, heap.offsetOf(dy), dyt, N, P, H);
  const dw = heap.allocTensor([P, s, H]);
  // dW[p] = x[p]ᵀ · dy[p]; dx[p] = dy[p] · W[p]ᵀ; db = column sums of dy as a ones-row product.
  heap.matmulPieces(xt, dyt, dw.offset, P, s, N, H, true, false, work);
  heap.matmulPieces(dyt, heap.offsetOf(w), dxt, P, N, H, s, false, true, work);
  const dx = heap.allocTensor([N, P, s]);
  scatterPatches(heap, dxt, dx.offset, N, P, s);
  const db = heap.allocTensor([P, H]);
  heap.matmul(ones, 1, N, heap.offsetOf(dy), P * H, db.offset);
  return [dx.tensor, dw.tensor, db.tensor];
}

/** `y[n, p] = x[n, p] · W[p] + b[p]` for `x [N, P, s]`, `W [P, s, H]`, `b [P, H]` → `[N, P, H]`. */
export const patchDense = customOp<tf.Tensor3D>(([x, w, b], save) => {
  save([x, w]);
  const x3 = x as tf.Tensor3D;
  const w3 = w as tf.Tensor3D;
  const heap = onHeap([x, w]);
  const product = heap
    ? forwardHeap(heap, x3, w3)
    : tf.transpose(tf.matMul(tf.transpose(x3, [1, 0, 2]), w3), [1, 0, 2]);
  const value = tf.add(product, b) as tf.Tensor3D;
  product.dispose();
  return {
    value,
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as tf.Tensor3D[];
      const heapNow = onHeap([sx, sw, dy]);
      if (heapNow) return backwardHeap(heapNow, sx, sw, dy);
      const dyt = tf.transpose(dy, [1, 0, 2]);
      return [
        tf.transpose(tf.matMul(dyt, sw, false, true), [1, 0, 2]),
        tf.matMul(tf.transpose(sx, [1, 0, 2]), dyt, true, false),
        tf.sum(dy, 0),
      ];
    },
  };
}) as (x: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor2D) => tf.Tensor3D;
