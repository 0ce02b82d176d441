import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../random/random-source.js';
import { backendKernel } from '../backends/kernel-registry.js';

/**
 * Inverted-dropout mask (`0` or `1/(1−rate)`) of `size` entries from `random`; null when nothing is dropped.
 * `into` (at least `size` entries) is filled and returned when the source can fill an array: a reused buffer
 * saves allocating (and page-faulting) a fresh one every step.
 */
export function dropoutMask(
  random: RandomSource,
  size: number,
  rate: number,
  training: boolean,
  into?: Float32Array,
): Float32Array | null {
  if (!training || rate <= 0) return null;
  const keep = 1 / (1 - rate);
  if (random.dropoutMaskArray) return random.dropoutMaskArray(size, rate, keep, into?.subarray(0, size));
  const u = random.uniformArray(size);
  for (let i = 0; i < size; i++) u[i] = u[i] >= rate ? keep : 0;
  return u;
}

/** `x ⊙ mask` (identity when the mask is null). */
export function applyDropout<T extends tf.Tensor>(x: T, mask: Float32Array | null): T {
  return mask ? (tf.mul(x, tf.tensor(mask, x.shape)) as T) : x;
}

/**
 * `x ⊙ mask` with a fresh mask drawn as {@link dropoutMask} would (same draws). A backend kernel may write the
 * mask straight into backend memory (backends/wasm/dropout.ts).
 */
export function dropout<T extends tf.Tensor>(x: T, random: RandomSource, rate: number, training: boolean): T {
  if (!training || rate <= 0) return x;
  const fast = backendKernel('FlexMoEDropout')?.(x, random, rate);
  if (fast) return fast;
  return applyDropout(x, dropoutMask(random, x.size, rate, training));
}
