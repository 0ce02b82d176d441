import * as tf from '@tensorflow/tfjs-core';
import { copyColumns, softmaxBackwardRows, softmaxRows, transposeInto, writeColumns } from '../ops/array-kernels.js';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';

/** Shape of one attention call: `batch` sequences of `tokens` tokens, `heads` heads over width `hidden`. */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  hidden: number;
}

/**
 * Scaled dot-product attention core for `q [B·N, H]` and `kv [B·N, 2H]` (k = columns 0..H-1, v = H..2H-1;
 * head i uses columns i·d … i·d+d-1 of each, d = H/heads). Returns the head outputs concatenated in head
 * order, `[B·N, H]` (before the output projection).
 *
 * Per (sample, head) the products are plain 2-D matMuls on blocks cut and transposed in JS; the softmax and
 * its backward run in JS. On wasm this beats batched matmuls (~10× slower per FLOP) and tf.split/Slice
 * (slow strided copies) by a wide margin (docs/benchmarks.md).
 * `probDropMask` (`[B·heads·N·N]`, already scaled by 1/(1-p)) is the attention-probability dropout.
 */
export function attentionCore(q: tf.Tensor2D, kv: tf.Tensor2D, shape: AttentionShape, probDropMask: Float32Array | null): tf.Tensor2D {
  const { batch: B, tokens: N, heads: h, hidden: H } = shape;
  const d = H / h;
  const scale = 1 / Math.sqrt(d);
  const pieces = B * h;
  const transposed = (src: Float32Array, rows: number, cols: number): Float32Array => {
    const out = new Float32Array(rows * cols);
    transposeInto(src, 0, rows, cols, out);
    return out;
  };
  const op = customOp<tf.Tensor2D>(([qIn, kvIn]) => {
    const qd = qIn.dataSync() as Float32Array; // kept across tf calls: a copy
    const kvd = kvIn.dataSync() as Float32Array;
    const Q: Float32Array[] = [];
    const K: Float32Array[] = [];
    const VT: Float32Array[] = [];
    const P: Float32Array[] = [];
    const PD: Float32Array[] = [];
    const ctx = new Float32Array(B * N * H);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < h; i++) {
        const piece = b * h + i;
        const qb = new Float32Array(N * d);
        const kb = new Float32Array(N * d);
        const vb = new Float32Array(N * d);
        copyColumns(qd, b * N, N, H, i * d, d, qb);
        copyColumns(kvd, b * N, N, 2 * H, i * d, d, kb);
        copyColumns(kvd, b * N, N, 2 * H, H + i * d, d, vb);
        const s = tf.matMul(tf.tensor2d(qb, [N, d]), tf.tensor2d(transposed(kb, N, d), [d, N]));
        const p = new Float32Array(N * N);
        softmaxRows(peekData(s), N, N, scale, p);
        let pd = p;
        if (probDropMask) {
          pd = probDropMask.slice(piece * N * N, (piece + 1) * N * N);
          for (let j = 0; j < N * N; j++) pd[j] *= p[j];
        }
        writeColumns(peekData(tf.matMul(tf.tensor2d(pd, [N, N]), tf.tensor2d(vb, [N, d]))), b * N, N, H, i * d, d, ctx);
        Q.push(qb);
        K.push(kb);
        VT.push(transposed(vb, N, d));
        P.push(p);
        PD.push(pd);
      }
    }
    return {
      value: tf.tensor2d(ctx, [B * N, H]),
      gradFunc: (dy) => {
        const dyd = dy.dataSync() as Float32Array; // kept across tf calls: a copy
        const dq = new Float32Array(B * N * H);
        const dkv = new Float32Array(B * N * 2 * H);
        const dc = new Float32Array(N * d);
        const ds = new Float32Array(N * N);
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          copyColumns(dyd, b * N, N, H, i * d, d, dc);
          const dcT = tf.tensor2d(dc, [N, d]);
          // Each heap view is consumed before the next tf call (see peekData).
          const dpd = tf.matMul(dcT, tf.tensor2d(VT[piece], [d, N]));
          softmaxBackwardRows(peekData(dpd), P[piece], probDropMask, piece * N * N, N, N, scale, ds);
          const dv = tf.matMul(tf.tensor2d(transposed(PD[piece], N, N), [N, N]), dcT);
          writeColumns(peekData(dv), b * N, N, 2 * H, H + i * d, d, dkv);
          const dqb = tf.matMul(tf.tensor2d(ds, [N, N]), tf.tensor2d(K[piece], [N, d]));
          writeColumns(peekData(dqb), b * N, N, H, i * d, d, dq);
          const dkb = tf.matMul(tf.tensor2d(transposed(ds, N, N), [N, N]), tf.tensor2d(Q[piece], [N, d]));
          writeColumns(peekData(dkb), b * N, N, 2 * H, i * d, d, dkv);
        }
        return [tf.tensor2d(dq, [B * N, H]), tf.tensor2d(dkv, [B * N, 2 * H])];
      },
    };
  });
  return op(q, kv);
}
