import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../random/random-source.js';

/** Inverted-dropout mask (`0` or `1/(1−rate)`) of `size` entries from `random`; null when nothing is dropped. */
export function dropoutMask(random: RandomSource, size: number, rate: number, training: boolean): Float32Array | null {
  if (!training || rate <= 0) return null;
  const u = random.uniformArray(size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) u[i] = u[i] >= rate ? keep : 0;
  return u;
}

/** `x ⊙ mask` (identity when the mask is null). */
export function applyDropout<T extends tf.Tensor>(x: T, mask: Float32Array | null): T {
  return mask ? (tf.mul(x, tf.tensor(mask, x.shape)) as T) : x;
}
