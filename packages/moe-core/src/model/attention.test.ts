import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../random/random-source.js';
import { BACKENDS, expectClose, useBackend } from '../testing/golden.js';
import { attentionCore } from './attention.js';
import { dropoutMask } from './dropout.js';

/** Straightforward reference: per head, softmax(q·kᵀ/√d) (dropout-masked) · v, with tf's own gradients. */
function reference(
  q: tf.Tensor2D,
  kv: tf.Tensor2D,
  B: number,
  N: number,
  h: number,
  H: number,
  mask: Float32Array | null,
): tf.Tensor2D {
  const d = H / h;
  const k = tf.slice(kv, [0, 0], [B * N, H]);
  const v = tf.slice(kv, [0, H], [B * N, H]);
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, N, h, d]), [0, 2, 1, 3]);
  let p = tf.softmax(tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(d)));
  if (mask) p = tf.mul(p, tf.tensor(mask, [B, h, N, N]));
  return tf.reshape(tf.transpose(tf.matMul(p, split(v)), [0, 2, 1, 3]), [B * N, H]);
}

describe.each(BACKENDS)('attentionCore on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([false, true])('matches the reference forward and gradients (dropout %s)', (withDropout) => {
    const B = 3;
    const N = 5;
    const h = 2;
    const H = 6;
    const rng = new SeededRandom(9);
    const q = tf.tensor2d(rng.normalArray(B * N * H), [B * N, H]);
    const kv = tf.tensor2d(rng.normalArray(B * N * 2 * H), [B * N, 2 * H]);
    const mask = withDropout ? dropoutMask(rng, B * h * N * N, 0.3, true) : null;
    const w = tf.tensor2d(rng.normalArray(B * N * H), [B * N, H]);
    const run = (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) =>
      tf.tidy(() => {
        const out = f(q, kv).dataSync();
        const [dq, dkv] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), w)),
        )([q, kv]);
        return [Float32Array.from(out), Float32Array.from(dq.dataSync()), Float32Array.from(dkv.dataSync())];
      });
    const ours = run((a, b) =>
      attentionCore(tf.concat([a, b], 1) as tf.Tensor2D, { batch: B, tokens: N, heads: h, hidden: H }, mask),
    );
    const ref = run((a, b) => reference(a, b, B, N, h, H, mask));
    expectClose(ours[0], Array.from(ref[0]), 'output', 1e-5, 1e-4);
    expectClose(ours[1], Array.from(ref[1]), 'dq', 1e-5, 1e-4);
    expectClose(ours[2], Array.from(ref[2]), 'dkv', 1e-5, 1e-4);
    q.dispose();
    kv.dispose();
    w.dispose();
  });
});
