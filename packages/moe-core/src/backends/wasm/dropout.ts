import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../../random/random-source.js';
import { WasmHeap } from './wasm-heap.js';

/**
 * model/dropout.ts `dropout` with the mask written by a `dropoutMaskArray` source straight into a heap tensor
 * (no JS array, no copy; same draws). Null when not on the wasm heap or the source cannot fill an array.
 */
export function dropoutWasm<T extends tf.Tensor>(x: T, random: RandomSource, rate: number): T | null {
  const heap = WasmHeap.current();
  if (!heap || !random.dropoutMaskArray) return null;
  const keep = 1 / (1 - rate);
  const m = heap.allocTensor(x.shape);
  random.dropoutMaskArray(x.size, rate, keep, heap.heap().subarray(m.offset, m.offset + x.size));
  return tf.mul(x, m.tensor) as T;
}
