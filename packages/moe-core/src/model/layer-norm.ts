import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { layerNormKernels } from '../backends/wasm/wasm-simd.js';

/** LayerNorm epsilon (SPEC / golden README). */
export const LN_EPS = 1e-5;

/** Forward LayerNorm loops: writes `xhat`, `rstd` (per row) and `out`. */
export function layerNormRows(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, H: number, xhat: Float32Array, rstd: Float32Array, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * H;
    let mean = 0;
    for (let c = 0; c < H; c++) mean += x[o + c];
    mean /= H;
    let v = 0;
    for (let c = 0; c < H; c++) {
      const dlt = x[o + c] - mean;
      v += dlt * dlt;
    }
    const s = 1 / Math.sqrt(v / H + LN_EPS);
    rstd[r] = s;
    for (let c = 0; c < H; c++) {
      const xh = (x[o + c] - mean) * s;
      xhat[o + c] = xh;
      out[o + c] = xh * gamma[c] + beta[c];
    }
  }
}

/** Backward LayerNorm loops: `dx`, and `dGamma`/`dBeta` accumulated. */
export function layerNormRowsBackward(dy: Float32Array, gamma: Float32Array, xhat: Float32Array, rstd: Float32Array, rows: number, H: number, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * H;
    let meanG = 0;
    let meanGX = 0;
    for (let c = 0; c < H; c++) {
      const d = dy[o + c];
      const gv = d * gamma[c];
      const xh = xhat[o + c];
      meanG += gv;
      meanGX += gv * xh;
      dGamma[c] += d * xh;
      dBeta[c] += d;
    }
    meanG /= H;
    meanGX /= H;
    const s = rstd[r];
    for (let c = 0; c < H; c++) dx[o + c] = (dy[o + c] * gamma[c] - meanG - xhat[o + c] * meanGX) * s;
  }
}

/**
 * LayerNorm over the last axis of `x [rows, H]` with the biased variance:
 * `(x − μ) / sqrt(var + 1e-5) · γ + β`. Computed in plain JS (one read, one tensor): on wasm the reductions
 * of a tf.moments-based version cost more than the whole arithmetic here. `buffers` (one per call site)
 * keeps the normalised values for the backward.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, buffers: WorkBuffers = new WorkBuffers()): tf.Tensor2D {
  const [rows, H] = x.shape;
  const heap = WasmHeap.current();
  const kernels = heap && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' ? layerNormKernels(heap) : null;
  if (heap && kernels) {
    // wasm: the same loops as wasm kernels, everything on the heap (ops/wasm-simd.ts; bit-identical).
    const op = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
      const xhat = buffers.heap.get(heap, 'xhat', rows * H);
      const rstd = buffers.heap.get(heap, 'rstd', rows);
      const gammaCopy = buffers.heap.get(heap, 'gamma', H); // inputs may be disposed before the backward
      const out = heap.allocTensor([rows, H]);
      const mem = heap.heap();
      mem.set(mem.subarray(heap.offsetOf(gIn), heap.offsetOf(gIn) + H), gammaCopy);
      kernels.forward(heap.offsetOf(xIn) * 4, gammaCopy * 4, heap.offsetOf(bIn) * 4, rows, H, xhat * 4, rstd * 4, out.offset * 4, LN_EPS);
      return {
        value: out.tensor as tf.Tensor2D,
        gradFunc: (dy) => {
          const dx = heap.allocTensor([rows, H]);
          const dg = heap.allocTensor([H]);
          const db = heap.allocTensor([H]);
          heap.heap().fill(0, dg.offset, dg.offset + H);
          heap.heap().fill(0, db.offset, db.offset + H);
          kernels.backward(heap.offsetOf(dy) * 4, gammaCopy * 4, xhat * 4, rstd * 4, rows, H, dx.offset * 4, dg.offset * 4, db.offset * 4);
          return [dx.tensor, dg.tensor, db.tensor];
        },
      };
    });
    return op(x, gamma, beta);
  }
  const op = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
    const g = gIn.dataSync() as Float32Array;
    const xhat = buffers.get('xhat', rows * H);
    const rstd = buffers.get('rstd', rows);
    const out = buffers.output('out', rows * H, true);
    const be = bIn.dataSync() as Float32Array;
    layerNormRows(peekData(xIn), g, be, rows, H, xhat, rstd, out);
    return {
      value: tf.tensor2d(out, [rows, H]),
      gradFunc: (dy) => {
        const dx = sharedBackwardBuffers.output('ln_dx', rows * H, true);
        const dg = new Float32Array(H);
        const db = new Float32Array(H);
        layerNormRowsBackward(peekData(dy), g, xhat, rstd, rows, H, dx, dg, db);
        return [tf.tensor2d(dx, [rows, H]), tf.tensor1d(dg), tf.tensor1d(db)];
      },
    };
  });
  return op(x, gamma, beta);
}
