import * as tf from '@tensorflow/tfjs-core';
import type { RoutingChoice } from './noisy-top-k.js';

/**
 * Expert load `p [rows, E]` (docs/algorithm.md §6). In training with k < E the smooth estimator of Shazeer et al.:
 * `Φ((clean − thr)/σ)` with `thr = in_t` where `noisy > in_t`, else `out_t`, both gathered from the noisy
 * logits (so they carry gradient). Otherwise the hard counts `1[G > 0]` (no gradient).
 */
export function estimateLoad(
  clean: tf.Tensor2D,
  noisy: tf.Tensor2D,
  sigma: tf.Tensor2D | null,
  choice: RoutingChoice,
): tf.Tensor2D {
  const shape: [number, number] = [choice.rows, choice.experts];
  if (!sigma || choice.k >= choice.experts) return tf.tensor2d(choice.selected, shape);
  const oneHotIn = new Float32Array(choice.rows * choice.experts);
  const oneHotOut = new Float32Array(choice.rows * choice.experts);
  for (let t = 0; t < choice.rows; t++) {
    oneHotIn[t * choice.experts + choice.thresholdInIndex[t]] = 1;
    oneHotOut[t * choice.experts + choice.thresholdOutIndex[t]] = 1;
  }
  const inVal = tf.sum(tf.mul(noisy, tf.tensor2d(oneHotIn, shape)), 1, true);
  const outVal = tf.sum(tf.mul(noisy, tf.tensor2d(oneHotOut, shape)), 1, true);
  const threshold = tf.add(outVal, tf.mul(tf.tensor2d(choice.isIn, shape), tf.sub(inVal, outVal)));
  const z = tf.div(tf.sub(clean, threshold), sigma);
  return normalCdf(z) as tf.Tensor2D;
}

/** Φ(z) = 0.5·(1 + erf(z/√2)). */
export function normalCdf(z: tf.Tensor): tf.Tensor {
  return tf.mul(tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1), 0.5);
}
