import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../ops/custom-op.js';

/** Shape of one attention call: `batch` sequences of `tokens` tokens, `heads` heads over width `hidden`. */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  hidden: number;
}

/** `src [rows, cols]` (a row-major block) transposed into a new array `[cols, rows]`. */
function transposed(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
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
  const op = customOp<tf.Tensor2D>(([qIn, kvIn]) => {
    const qd = qIn.dataSync() as Float32Array;
    const kvd = kvIn.dataSync() as Float32Array;
    const Q: Float32Array[] = [];
    const K: Float32Array[] = [];
    const VT: Float32Array[] = [];
    const P: Float32Array[] = [];
    const PD: Float32Array[] = [];
    const ctx = new Float32Array(B * N * H);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < h; i++) {
        const qb = new Float32Array(N * d);
        const kb = new Float32Array(N * d);
        const vb = new Float32Array(N * d);
        for (let n = 0; n < N; n++) {
          const row = b * N + n;
          qb.set(qd.subarray(row * H + i * d, row * H + i * d + d), n * d);
          kb.set(kvd.subarray(row * 2 * H + i * d, row * 2 * H + i * d + d), n * d);
          vb.set(kvd.subarray(row * 2 * H + H + i * d, row * 2 * H + H + i * d + d), n * d);
        }
        const s = tf.matMul(tf.tensor2d(qb, [N, d]), tf.tensor2d(transposed(kb, N, d), [d, N]));
        const sd = s.dataSync() as Float32Array;
        const p = new Float32Array(N * N);
        for (let r = 0; r < N; r++) {
          let mx = -Infinity;
          for (let c = 0; c < N; c++) mx = Math.max(mx, sd[r * N + c] * scale);
          let sum = 0;
          for (let c = 0; c < N; c++) {
            const e = Math.exp(sd[r * N + c] * scale - mx);
            p[r * N + c] = e;
            sum += e;
          }
          for (let c = 0; c < N; c++) p[r * N + c] /= sum;
        }
        const piece = b * h + i;
        let pd = p;
        if (probDropMask) {
          pd = new Float32Array(N * N);
          const off = piece * N * N;
          for (let j = 0; j < N * N; j++) pd[j] = p[j] * probDropMask[off + j];
        }
        const c = tf.matMul(tf.tensor2d(pd, [N, N]), tf.tensor2d(vb, [N, d])).dataSync() as Float32Array;
        for (let n = 0; n < N; n++) ctx.set(c.subarray(n * d, n * d + d), (b * N + n) * H + i * d);
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
        const dyd = dy.dataSync() as Float32Array;
        const dq = new Float32Array(B * N * H);
        const dkv = new Float32Array(B * N * 2 * H);
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          const dc = new Float32Array(N * d);
          for (let n = 0; n < N; n++) dc.set(dyd.subarray((b * N + n) * H + i * d, (b * N + n) * H + i * d + d), n * d);
          const dcT = tf.tensor2d(dc, [N, d]);
          const dpd = tf.matMul(dcT, tf.tensor2d(VT[piece], [d, N])).dataSync() as Float32Array;
          const dv = tf.matMul(tf.tensor2d(transposed(PD[piece], N, N), [N, N]), dcT).dataSync() as Float32Array;
          const p = P[piece];
          const ds = new Float32Array(N * N);
          const off = piece * N * N;
          for (let r = 0; r < N; r++) {
            let dot = 0;
            for (let c = 0; c < N; c++) {
              const g = probDropMask ? dpd[r * N + c] * probDropMask[off + r * N + c] : dpd[r * N + c];
              ds[r * N + c] = g;
              dot += g * p[r * N + c];
            }
            for (let c = 0; c < N; c++) ds[r * N + c] = p[r * N + c] * (ds[r * N + c] - dot) * scale;
          }
          const dqb = tf.matMul(tf.tensor2d(ds, [N, N]), tf.tensor2d(K[piece], [N, d])).dataSync() as Float32Array;
          const dkb = tf.matMul(tf.tensor2d(transposed(ds, N, N), [N, N]), tf.tensor2d(Q[piece], [N, d])).dataSync() as Float32Array;
          for (let n = 0; n < N; n++) {
            const row = b * N + n;
            dq.set(dqb.subarray(n * d, n * d + d), row * H + i * d);
            dkv.set(dkb.subarray(n * d, n * d + d), row * 2 * H + i * d);
            dkv.set(dv.subarray(n * d, n * d + d), row * 2 * H + H + i * d);
          }
        }
        return [tf.tensor2d(dq, [B * N, H]), tf.tensor2d(dkv, [B * N, 2 * H])];
      },
    };
  });
  return op(q, kv);
}
