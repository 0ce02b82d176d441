import * as tf from '@tensorflow/tfjs-core';
import {
  addColumnSums,
  addRowBias,
  combineGated,
  combineGatedBackward,
  gatherRows,
  mulAndColumnSums,
  scatterAddRows,
  transposeInto,
} from '../ops/array-kernels.js';
import { customOp } from '../ops/custom-op.js';
import { denseBias } from '../ops/fast-matmul.js';
import { gelu, geluForward } from '../ops/gelu.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { backendKernel } from '../backends/kernel-registry.js';
import type { RoutingChoice } from '../router/noisy-top-k.js';

/** Stacked expert weights (`[in, out]` per expert): `W1 [E,H,2H]`, `b1 [E,2H]`, `W2 [E,2H,H]`, `b2 [E,H]`. */
export interface ExpertWeights {
  w1: tf.Tensor3D;
  b1: tf.Tensor2D;
  w2: tf.Tensor3D;
  b2: tf.Tensor2D;
}

import type { Dispatch } from '../spec/config.js';
export type { Dispatch };

/**
 * Dense reference path: every expert on every token, combined with the gate matrix `G [rows, E]`.
 * `Σ_e G[t,e] · (gelu(x_t·W1[e] + b1[e])·W2[e] + b2[e])`.
 */
export function denseExperts(x: tf.Tensor2D, g: tf.Tensor2D, w: ExpertWeights): tf.Tensor2D {
  const [E, H, H2] = w.w1.shape;
  let out: tf.Tensor2D | null = null;
  for (let e = 0; e < E; e++) {
    const w1 = tf.reshape(tf.slice(w.w1, [e, 0, 0], [1, H, H2]), [H, H2]) as tf.Tensor2D;
    const b1 = tf.reshape(tf.slice(w.b1, [e, 0], [1, H2]), [H2]) as tf.Tensor1D;
    const w2 = tf.reshape(tf.slice(w.w2, [e, 0, 0], [1, H2, H]), [H2, H]) as tf.Tensor2D;
    const b2 = tf.reshape(tf.slice(w.b2, [e, 0], [1, H]), [H]) as tf.Tensor1D;
    const y = denseBias(gelu(denseBias(x, w1, b1)) as tf.Tensor2D, w2, b2);
    const term = tf.mul(y, tf.slice(g, [0, e], [g.shape[0], 1])) as tf.Tensor2D;
    out = out ? (tf.add(out, term) as tf.Tensor2D) : term;
  }
  return out as tf.Tensor2D;
}

/**
 * Sparse dispatch: only the selected (token, expert) pairs are evaluated. The `rows·k` selections are
 * grouped by expert in plain JS, each expert runs once on its rows with plain 2-D matmuls, and the
 * gate-weighted outputs are added back per token. Cost scales with k, not E.
 *
 * One custom op with a hand-written backward. All data movement (row gathers, per-expert weight blocks,
 * transposes, scatter-adds, bias sums) and the exact GELU (tabulated Φ/φ, see ops/gelu.ts) run on typed
 * arrays in JS: on wasm, tf.gather / Slice / SplitV and axis-0 sums are far slower than the copies (and
 * tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks). TF.js does only the plain 2-D matmuls.
 * `scratch` (one per layer) keeps the forward's work arrays for the backward and reuses them across steps.
 */
export function sparseExperts(
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  choice: RoutingChoice,
  w: ExpertWeights,
  scratch: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const [E, H, H2] = w.w1.shape;
  const { rows: R, k } = choice;
  const counts = new Int32Array(E);
  for (let i = 0; i < R * k; i++) counts[choice.topkIndices[i]]++;
  const offsets = new Int32Array(E + 1);
  for (let e = 0; e < E; e++) offsets[e + 1] = offsets[e] + counts[e];
  const pairToken = new Int32Array(R * k);
  const pairPos = new Int32Array(R * k); // expert-sorted position of pair (t, j)
  const fill = offsets.slice(0, E);
  for (let t = 0; t < R; t++) {
    for (let j = 0; j < k; j++) {
      const pos = fill[choice.topkIndices[t * k + j]]++;
      pairToken[pos] = t;
      pairPos[t * k + j] = pos;
    }
  }
  const active: number[] = [];
  let maxCount = 0;
  for (let e = 0; e < E; e++) {
    if (counts[e] > 0) active.push(e);
    maxCount = Math.max(maxCount, counts[e]);
  }

  const fast = backendKernel('FlexMoESparseExperts')?.(x, g, choice, w, scratch, {
    counts,
    offsets,
    pairToken,
    pairPos,
    active,
    maxCount,
  });
  if (fast) return fast;

  const op = customOp<tf.Tensor2D>(([xIn, gIn, w1In, b1In, w2In, b2In]) => {
    const gd = gIn.dataSync() as Float32Array;
    // Weights are used across many tf calls: copied out of the (possibly heap-view) data into work buffers.
    const w1d = scratch.get('w1', E * H * H2);
    w1d.set(peekData(w1In));
    const w2d = scratch.get('w2', E * H2 * H);
    w2d.set(peekData(w2In));
    const b1d = b1In.dataSync() as Float32Array;
    const b2d = b2In.dataSync() as Float32Array;
    const ys = scratch.get('ys', R * k * H);
    const xs = scratch.get('xs', R * k * H);
    const hs = scratch.get('hs', R * k * H2); // GELU outputs, expert-sorted rows
    const ds = scratch.get('ds', R * k * H2); // GELU derivatives
    gatherRows(peekData(xIn), pairToken, H, xs);
    for (const e of active) {
      const n = counts[e];
      const o = offsets[e];
      const a = tf.matMul(
        tf.tensor2d(xs.subarray(o * H, (o + n) * H), [n, H]),
        tf.tensor2d(w1d.subarray(e * H * H2, (e + 1) * H * H2), [H, H2]),
      );
      const hh = hs.subarray(o * H2, (o + n) * H2);
      geluForward(peekData(a), b1d, e * H2, H2, hh, ds.subarray(o * H2, (o + n) * H2));
      const y = tf.matMul(tf.tensor2d(hh, [n, H2]), tf.tensor2d(w2d.subarray(e * H2 * H, (e + 1) * H2 * H), [H2, H]));
      addRowBias(peekData(y), b2d, e * H, n, H, ys, o * H);
    }
    const out = scratch.output('out', R * H);
    combineGated(out, ys, gd, choice.topkIndices, pairPos, R, k, E, H);
    return {
      value: tf.tensor2d(out, [R, H]),
      gradFunc: (dy) => {
        const dg = sharedBackwardBuffers.output('dg', R * E);
        const dys = sharedBackwardBuffers.get('dys', R * k * H);
        combineGatedBackward(peekData(dy), ys, gd, choice.topkIndices, pairPos, R, k, E, H, dg, dys);
        // dW1/dW2: every active expert's block is overwritten below; the others are zeroed here.
        const dW1 = sharedBackwardBuffers.output('dW1', E * H * H2, true);
        const dB1 = sharedBackwardBuffers.output('dB1', E * H2);
        const dW2 = sharedBackwardBuffers.output('dW2', E * H2 * H, true);
        for (let e = 0; e < E; e++) {
          if (counts[e] > 0) continue;
          dW1.fill(0, e * H * H2, (e + 1) * H * H2);
          dW2.fill(0, e * H2 * H, (e + 1) * H2 * H);
        }
        const dB2 = sharedBackwardBuffers.output('dB2', E * H);
        const dx = sharedBackwardBuffers.output('dx', R * H);
        const w1T = sharedBackwardBuffers.get('w1T', H2 * H);
        const w2T = sharedBackwardBuffers.get('w2T', H * H2);
        const rowsT = sharedBackwardBuffers.get('rowsT', maxCount * H2);
        const daBuf = sharedBackwardBuffers.get('da', maxCount * H2);
        for (const e of active) {
          const n = counts[e];
          const o = offsets[e];
          addColumnSums(dys, o * H, n, H, dB2, e * H);
          const dyeT = tf.tensor2d(dys.subarray(o * H, (o + n) * H), [n, H]);
          transposeInto(hs, o * H2, n, H2, rowsT);
          dW2.set(peekData(tf.matMul(tf.tensor2d(rowsT.subarray(0, n * H2), [H2, n]), dyeT)), e * H2 * H);
          transposeInto(w2d, e * H2 * H, H2, H, w2T);
          // Copied out: the heap view is invalidated by the next allocation, and daT must not alias it.
          const da = daBuf.subarray(0, n * H2);
          da.set(peekData(tf.matMul(dyeT, tf.tensor2d(w2T, [H, H2]))));
          mulAndColumnSums(da, ds, o * H2, n, H2, dB1, e * H2);
          const daT = tf.tensor2d(da, [n, H2]);
          transposeInto(xs, o * H, n, H, rowsT);
          dW1.set(peekData(tf.matMul(tf.tensor2d(rowsT.subarray(0, n * H), [H, n]), daT)), e * H * H2);
          transposeInto(w1d, e * H * H2, H, H2, w1T);
          scatterAddRows(dx, peekData(tf.matMul(daT, tf.tensor2d(w1T, [H2, H]))), pairToken, o, n, H);
        }
        return [
          tf.tensor2d(dx, [R, H]),
          tf.tensor2d(dg, [R, E]),
          tf.tensor3d(dW1, [E, H, H2]),
          tf.tensor2d(dB1, [E, H2]),
          tf.tensor3d(dW2, [E, H2, H]),
          tf.tensor2d(dB2, [E, H]),
        ];
      },
    };
  });
  return op(x, g, w.w1, w.b1, w.w2, w.b2);
}

/** Grouping of the (token, expert) pairs by expert (see {@link sparseExperts}). */
export interface PairGrouping {
  counts: Int32Array;
  offsets: Int32Array;
  pairToken: Int32Array;
  pairPos: Int32Array;
  active: number[];
  maxCount: number;
}
