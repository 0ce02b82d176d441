import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../testing/golden.js';
import { smallTrainingRun } from '../../testing/small-training-run.js';
import { SeededRandom } from '../../random/random-source.js';
import { WasmHeap } from './wasm-heap.js';
import {
  adamKernel,
  combineKernels,
  copyRowsKernel,
  geluKernel,
  layerNormKernels,
  mulColSumsKernel,
  transpose4Kernel,
  transposeKernel,
} from './wasm-simd.js';

describe('direct wasm-heap paths (ops/wasm-heap.ts)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => {
    WasmHeap.enabled = true;
  });

  it('WasmHeap.matmul and transpose agree exactly with tf.matMul / a plain transpose', () => {
    const heap = WasmHeap.current() as WasmHeap;
    expect(heap).not.toBeNull();
    // Every hand-assembled kernel validates and instantiates on this memory (otherwise the paths below would
    // silently fall back to the JavaScript loops and the comparisons would prove nothing).
    expect(transposeKernel(heap)).not.toBeNull();
    expect(transpose4Kernel(heap)).not.toBeNull();
    expect(adamKernel(heap)).not.toBeNull();
    expect(geluKernel(heap, 10, 2048)).not.toBeNull();
    expect(mulColSumsKernel(heap)).not.toBeNull();
    expect(layerNormKernels(heap)).not.toBeNull();
    expect(combineKernels(heap)).not.toBeNull();
    expect(copyRowsKernel(heap)).not.toBeNull();
    const random = new SeededRandom(1);
    const [M, K, N] = [37, 19, 23];
    const a = tf.tensor2d(random.normalArray(M * K), [M, K]);
    const b = tf.tensor2d(random.normalArray(K * N), [K, N]);
    const ref = tf.matMul(a, b);
    const out = heap.allocTensor([M, N]);
    heap.matmul(heap.offsetOf(a), M, K, heap.offsetOf(b), N, out.offset);
    expect(Array.from(out.tensor.dataSync())).toEqual(Array.from(ref.dataSync()));
    const t = heap.allocTensor([K, M]);
    heap.transpose(heap.offsetOf(a), M, K, t.offset);
    expect(Array.from(t.tensor.dataSync())).toEqual(Array.from(tf.transpose(a).dataSync()));
    tf.dispose([a, b, ref, out.tensor, t.tensor]);
    // The 4×4-block SIMD transpose (cols % 4 === 0), with and without leftover rows.
    for (const [rows, cols] of [
      [37, 24],
      [64, 32],
      [4, 4],
      [3, 8],
      [130, 256],
    ]) {
      const x = tf.tensor2d(random.normalArray(rows * cols), [rows, cols]);
      const y = heap.allocTensor([cols, rows]);
      heap.transpose(heap.offsetOf(x), rows, cols, y.offset);
      expect(Array.from(y.tensor.dataSync())).toEqual(Array.from(tf.transpose(x).dataSync()));
      tf.dispose([x, y.tensor]);
    }
  });

  it('a disposed model and optimizer leave no tensor behind (the initial values of the variables included)', () => {
    const before = tf.memory().numTensors;
    smallTrainingRun(); // builds, trains and disposes a model, its optimizer and its batch
    expect(tf.memory().numTensors).toBe(before);
  });

  it('training with and without them gives bit-identical losses, gradients and weights', () => {
    const run = (heapOn: boolean) => {
      WasmHeap.enabled = heapOn;
      return smallTrainingRun();
    };
    const generic = run(false);
    const heap = run(true);
    expect(heap.leaked).toBe(0);
    expect(heap.grads.values).toEqual(generic.grads.values);
    for (const [name, g] of generic.grads.gradients)
      expect([name, Array.from(heap.grads.gradients.get(name)?.values ?? [])]).toEqual([name, Array.from(g.values)]);
    expect(heap.losses).toEqual(generic.losses);
    for (const [name, w] of generic.weights)
      expect([name, Array.from(heap.weights.get(name)?.values ?? [])]).toEqual([name, Array.from(w.values)]);
  });
});
