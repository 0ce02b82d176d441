import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { backendKernel } from '../backends/kernel-registry.js';

/** LayerNorm epsilon (docs/algorithm.md, fixtures/golden/README.md). */
export const LN_EPS = 1e-5;

/** Forward LayerNorm loops: writes `xhat`, `rstd` (per row) and `out`. */
export function layerNormRows(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  rows: number,
  H: number,
  xhat: Float32Array,
  rstd: Float32Array,
  out: Float32Array,
): void {
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
export function layerNormRowsBackward(
  dy: Float32Array,
  gamma: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
  rows: number,
  H: number,
  dx: Float32Array,
  dGamma: Float32Array,
  dBeta: Float32Array,
): void {
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
export function layerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  buffers: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const [rows, H] = x.shape;
  const fast = backendKernel('FlexMoELayerNorm')?.(x, gamma, beta, buffers);
  if (fast) return fast;
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
