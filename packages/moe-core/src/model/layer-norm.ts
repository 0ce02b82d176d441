import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../ops/custom-op.js';

/** LayerNorm epsilon (SPEC / golden README). */
export const LN_EPS = 1e-5;

/**
 * LayerNorm over the last axis of `x [rows, H]` with the biased variance:
 * `(x − μ) / sqrt(var + 1e-5) · γ + β`. Computed in plain JS (one read, one tensor): on wasm the reductions
 * of a tf.moments-based version cost more than the whole arithmetic here.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  const [rows, H] = x.shape;
  const op = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
    const xd = xIn.dataSync() as Float32Array;
    const g = gIn.dataSync() as Float32Array;
    const be = bIn.dataSync() as Float32Array;
    const xhat = new Float32Array(rows * H);
    const rstd = new Float32Array(rows);
    const out = new Float32Array(rows * H);
    for (let r = 0; r < rows; r++) {
      const o = r * H;
      let mean = 0;
      for (let c = 0; c < H; c++) mean += xd[o + c];
      mean /= H;
      let v = 0;
      for (let c = 0; c < H; c++) v += (xd[o + c] - mean) ** 2;
      const s = 1 / Math.sqrt(v / H + LN_EPS);
      rstd[r] = s;
      for (let c = 0; c < H; c++) {
        const xh = (xd[o + c] - mean) * s;
        xhat[o + c] = xh;
        out[o + c] = xh * g[c] + be[c];
      }
    }
    return {
      value: tf.tensor2d(out, [rows, H]),
      gradFunc: (dy) => {
        const dyd = dy.dataSync() as Float32Array;
        const dx = new Float32Array(rows * H);
        const dg = new Float32Array(H);
        const db = new Float32Array(H);
        for (let r = 0; r < rows; r++) {
          const o = r * H;
          let meanG = 0;
          let meanGX = 0;
          for (let c = 0; c < H; c++) {
            const gv = dyd[o + c] * g[c];
            meanG += gv;
            meanGX += gv * xhat[o + c];
            dg[c] += dyd[o + c] * xhat[o + c];
            db[c] += dyd[o + c];
          }
          meanG /= H;
          meanGX /= H;
          const s = rstd[r];
          for (let c = 0; c < H; c++) dx[o + c] = (dyd[o + c] * g[c] - meanG - xhat[o + c] * meanGX) * s;
        }
        return [tf.tensor2d(dx, [rows, H]), tf.tensor1d(dg), tf.tensor1d(db)];
      },
    };
  });
  return op(x, gamma, beta);
}
