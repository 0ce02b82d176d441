import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../random/random-source.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';

/** Inverted-dropout mask (`0` or `1/(1−rate)`) of `size` entries from `random`; null when nothing is dropped. */
export function dropoutMask(random: RandomSource, size: number, rate: number, training: boolean): Float32Array | null {
  if (!training || rate <= 0) return null;
  const keep = 1 / (1 - rate);
  if (random.dropoutMaskArray) return random.dropoutMaskArray(size, rate, keep);
  const u = random.uniformArray(size);
  for (let i = 0; i < size; i++) u[i] = u[i] >= rate ? keep : 0;
  return u;
}

/** `x ⊙ mask` (identity when the mask is null). */
export function applyDropout<T extends tf.Tensor>(x: T, mask: Float32Array | null): T {
  return mask ? (tf.mul(x, tf.tensor(mask, x.shape)) as T) : x;
}

/**
 * `x ⊙ mask` with a fresh mask drawn as {@link dropoutMask} would (same draws): on wasm with a
 * `dropoutMaskArray` source the mask is written straight into a heap tensor (no JS array, no copy).
 */
export function dropout<T extends tf.Tensor>(x: T, random: RandomSource, rate: number, training: boolean): T {
  if (!training || rate <= 0) return x;
  const heap = WasmHeap.current();
  if (heap && random.dropoutMaskArray) {
    const keep = 1 / (1 - rate);
    const m = heap.allocTensor(x.shape);
    random.dropoutMaskArray(x.size, rate, keep, heap.heap().subarray(m.offset, m.offset + x.size));
    return tf.mul(x, m.tensor) as T;
  }
  return applyDropout(x, dropoutMask(random, x.size, rate, training));
}
