import * as tf from '@tensorflow/tfjs-core';
import { copyColumns, softmaxBackwardRows, softmaxRows, transposeInto, writeColumns } from '../ops/array-kernels.js';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { backendKernel } from '../backends/kernel-registry.js';

/** Shape of one attention call: `batch` sequences of `tokens` tokens, `heads` heads over width `hidden`. */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  hidden: number;
}

/**
 * Scaled dot-product attention core for `qkv [B·N, 3H]` = `[q | k | v]` (the q projection and the kv
 * projection of the golden layout side by side; head i uses columns i·d … i·d+d-1 of each, d = H/heads).
 * Returns the head outputs concatenated in head
 * order, `[B·N, H]` (before the output projection).
 *
 * Per (sample, head) the products are plain 2-D matMuls on blocks cut and transposed in JS; the softmax and
 * its backward run in JS. On wasm this beats batched matmuls (~10× slower per FLOP) and tf.split/Slice
 * (slow strided copies) by a wide margin (docs/benchmarks.md).
 * `probDropMask` (`[B·heads·N·N]`, already scaled by 1/(1-p)) is the attention-probability dropout;
 * `buffers` (one per layer) keeps what the backward needs between the two passes.
 */
export function attentionCore(
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  probDropMask: Float32Array | null,
  buffers: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const { batch: B, tokens: N, heads: h, hidden: H } = shape;
  const d = H / h;
  const scale = 1 / Math.sqrt(d);
  const pieces = B * h;
  const W = 3 * H;
  const NN = N * N;
  const Nd = N * d;
  const fast = backendKernel('FlexMoEAttentionCore')?.(qkv, shape, probDropMask, buffers);
  if (fast) return fast;
  const op = customOp<tf.Tensor2D>(([qkvIn]) => {
    // Per-piece blocks kept for the backward live in this layer's work buffers (less garbage per step).
    const qkvd = buffers.get('qkv', B * N * W);
    qkvd.set(peekData(qkvIn));
    const Q = buffers.get('q', pieces * Nd);
    const K = buffers.get('k', pieces * Nd);
    const VT = buffers.get('vT', pieces * Nd);
    const P = buffers.get('p', pieces * NN);
    const PD = probDropMask ? buffers.get('pd', pieces * NN) : P;
    const kT = buffers.get('kT', Nd);
    const vb = buffers.get('v', Nd);
    const ctx = buffers.output('ctx', B * N * H, true);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < h; i++) {
        const piece = b * h + i;
        const qb = Q.subarray(piece * Nd, (piece + 1) * Nd);
        const kb = K.subarray(piece * Nd, (piece + 1) * Nd);
        copyColumns(qkvd, b * N, N, W, i * d, d, qb);
        copyColumns(qkvd, b * N, N, W, H + i * d, d, kb);
        copyColumns(qkvd, b * N, N, W, 2 * H + i * d, d, vb);
        transposeInto(kb, 0, N, d, kT);
        transposeInto(vb, 0, N, d, VT, piece * Nd);
        const s = tf.matMul(tf.tensor2d(qb, [N, d]), tf.tensor2d(kT, [d, N]));
        const p = P.subarray(piece * NN, (piece + 1) * NN);
        softmaxRows(peekData(s), N, N, scale, p);
        const pd = PD.subarray(piece * NN, (piece + 1) * NN);
        if (probDropMask) for (let j = 0; j < NN; j++) pd[j] = p[j] * probDropMask[piece * NN + j];
        writeColumns(peekData(tf.matMul(tf.tensor2d(pd, [N, N]), tf.tensor2d(vb, [N, d]))), b * N, N, H, i * d, d, ctx);
      }
    }
    return {
      value: tf.tensor2d(ctx, [B * N, H]),
      gradFunc: (dy) => {
        const work = sharedBackwardBuffers;
        const dyd = work.get('attn_dy', B * N * H); // kept across tf calls: a copy
        dyd.set(peekData(dy));
        const dqkv = work.output('dqkv', B * N * W, true);
        const dc = work.get('attn_dc', Nd);
        const ds = work.get('attn_ds', NN);
        const tNN = work.get('attn_tNN', NN);
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          copyColumns(dyd, b * N, N, H, i * d, d, dc);
          const dcT = tf.tensor2d(dc, [N, d]);
          // Each heap view is consumed before the next tf call (see peekData).
          const dpd = tf.matMul(dcT, tf.tensor2d(VT.subarray(piece * Nd, (piece + 1) * Nd), [d, N]));
          softmaxBackwardRows(
            peekData(dpd),
            P.subarray(piece * NN, (piece + 1) * NN),
            probDropMask,
            piece * NN,
            N,
            N,
            scale,
            ds,
          );
          transposeInto(PD, piece * NN, N, N, tNN);
          const dv = tf.matMul(tf.tensor2d(tNN, [N, N]), dcT);
          writeColumns(peekData(dv), b * N, N, W, 2 * H + i * d, d, dqkv);
          const dqb = tf.matMul(tf.tensor2d(ds, [N, N]), tf.tensor2d(K.subarray(piece * Nd, (piece + 1) * Nd), [N, d]));
          writeColumns(peekData(dqb), b * N, N, W, i * d, d, dqkv);
          transposeInto(ds, 0, N, N, tNN);
          const dkb = tf.matMul(
            tf.tensor2d(tNN, [N, N]),
            tf.tensor2d(Q.subarray(piece * Nd, (piece + 1) * Nd), [N, d]),
          );
          writeColumns(peekData(dkb), b * N, N, W, H + i * d, d, dqkv);
        }
        return [tf.tensor2d(dqkv, [B * N, W])];
      },
    };
  });
  return op(qkv);
}
