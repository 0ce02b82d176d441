import type * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../../ops/custom-op.js';
import type { WorkBuffers } from '../../ops/work-buffers.js';
import { LN_EPS } from '../../model/layer-norm.js';
import { WasmHeap } from './wasm-heap.js';
import { layerNormKernels } from './wasm-simd.js';

/** model/layer-norm.ts `layerNorm` on the wasm heap with the WAT LayerNorm kernels; null when not available. */
export function layerNormWasm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  buffers: WorkBuffers,
): tf.Tensor2D | null {
  const [rows, H] = x.shape;
  const heap = WasmHeap.current();
  const kernels =
    heap && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32'
      ? layerNormKernels(heap)
      : null;
  if (!heap || !kernels) return null;
  {
    // wasm: the same loops as wasm kernels, everything on the heap (./kernels/layer-norm-*.wat; bit-identical).
    const op = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
      const xhat = buffers.heap.get(heap, 'xhat', rows * H);
      const rstd = buffers.heap.get(heap, 'rstd', rows);
      const gammaCopy = buffers.heap.get(heap, 'gamma', H); // inputs may be disposed before the backward
      const out = heap.allocTensor([rows, H]);
      const mem = heap.heap();
      mem.set(mem.subarray(heap.offsetOf(gIn), heap.offsetOf(gIn) + H), gammaCopy);
      kernels.forward(
        heap.offsetOf(xIn) * 4,
        gammaCopy * 4,
        heap.offsetOf(bIn) * 4,
        rows,
        H,
        xhat * 4,
        rstd * 4,
        out.offset * 4,
        LN_EPS,
      );
      return {
        value: out.tensor as tf.Tensor2D,
        gradFunc: (dy) => {
          const dx = heap.allocTensor([rows, H]);
          const dg = heap.allocTensor([H]);
          const db = heap.allocTensor([H]);
          heap.heap().fill(0, dg.offset, dg.offset + H);
          heap.heap().fill(0, db.offset, db.offset + H);
          kernels.backward(
            heap.offsetOf(dy) * 4,
            gammaCopy * 4,
            xhat * 4,
            rstd * 4,
            rows,
            H,
            dx.offset * 4,
            dg.offset * 4,
            db.offset * 4,
          );
          return [dx.tensor, dg.tensor, db.tensor];
        },
      };
    });
    return op(x, gamma, beta);
  }
}
