import * as tf from '@tensorflow/tfjs-core';

/** Epsilon of cv² (docs/algorithm.md §6). */
export const CV2_EPS = 1e-10;

/** cv²(v) = var(v) / (mean(v)² + 1e-10) with the unbiased variance; 0 for fewer than 2 values. Plain numbers. */
export function cvSquaredOf(v: ArrayLike<number>): number {
  const n = v.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - mean) ** 2;
  return ss / (n - 1) / (mean * mean + CV2_EPS);
}

/** cv² of each row of `v [rows, n]` → `[rows]` (differentiable). Rows of fewer than 2 values give 0. */
export function cvSquaredRows(v: tf.Tensor2D): tf.Tensor1D {
  const [rows, n] = v.shape;
  if (n < 2) return tf.zeros([rows]);
  const mean = tf.mean(v, 1, true);
  const variance = tf.div(tf.sum(tf.square(tf.sub(v, mean)), 1), n - 1);
  return tf.div(variance, tf.add(tf.square(tf.reshape(mean, [rows])), CV2_EPS));
}

/** cv² of a vector `v [n]` → scalar (differentiable). */
export function cvSquared(v: tf.Tensor1D): tf.Scalar {
  return tf.reshape(cvSquaredRows(tf.reshape(v, [1, v.shape[0]])), []);
}
