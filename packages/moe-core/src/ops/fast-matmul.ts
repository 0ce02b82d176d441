import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';

/*
 * Matrix products whose backward pass uses only plain 2-D `matMul(a, b)` after explicit transposes.
 * On the wasm backend the transposeA/B variants that tf.matMul's own gradient uses are 5-15x slower
 * (ENGINE-NOTES), so this is where most of the training-step time is won.
 */

/** `a · b` for 2-D tensors, with an explicit-transpose backward. */
export const matMul2d = customOp<tf.Tensor2D>(([a, b], save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `x · W + b` for `x [rows, in]`, `W [in, out]`, `b [out]`. */
export const denseBias = customOp<tf.Tensor2D>(([x, w, b], save) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      // Column sums as a ones-row product: far faster on wasm than an axis-0 Sum.
      const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D), tf.reshape(tf.matMul(ones, dy as tf.Tensor2D), [dy.shape[1] as number])];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** `x · W + b` (or `x · W` without a bias) for 2-D `x`. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D | null): tf.Tensor2D {
  return b ? denseBias(x, w, b) : matMul2d(x, w);
}
