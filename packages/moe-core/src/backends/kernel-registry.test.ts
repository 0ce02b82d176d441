import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../testing/golden.js';
import { layerNorm } from '../model/layer-norm.js';
import { WorkBuffers } from '../ops/work-buffers.js';
import { backendKernel, registerBackendKernel } from './kernel-registry.js';
import { setFastPath } from './fast-path.js';

describe('backend kernel registry', () => {
  afterAll(() => setFastPath(true));

  it('the wasm backend has its kernels registered, and they run unless the fast path is off', async () => {
    await useBackend('wasm');
    for (const name of [
      'FlexMoEAttentionCore',
      'FlexMoELayerNorm',
      'FlexMoEDropout',
      'FlexMoESparseExperts',
    ] as const) {
      expect({ name, registered: backendKernel(name) !== null }).toEqual({ name, registered: true });
    }
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const gamma = tf.tensor1d([1, 1, 1]);
    const beta = tf.tensor1d([0, 0, 0]);
    const kernel = backendKernel('FlexMoELayerNorm')!;
    const fast = kernel(x, gamma, beta, new WorkBuffers());
    expect(fast).not.toBeNull();
    const generic = (() => {
      setFastPath(false);
      try {
        expect(kernel(x, gamma, beta, new WorkBuffers())).toBeNull(); // declines: the generic form runs
        return layerNorm(x, gamma, beta);
      } finally {
        setFastPath(true);
      }
    })();
    expect(Array.from(fast!.dataSync())).toEqual(Array.from(generic.dataSync()));
    // Hand-checked: row [1, 2, 3] has mean 2, variance 2/3 → ±1.2247 (eps 1e-5 moves the 5th digit).
    expect(fast!.dataSync()[0]).toBeCloseTo(-1.22473, 4);
    tf.dispose([x, gamma, beta, fast!, generic]);
  });

  it('operations dispatch to the kernel registered for the backend in use, and only there', async () => {
    await useBackend('cpu');
    expect(backendKernel('FlexMoELayerNorm')).toBeNull();
    const calls: string[] = [];
    registerBackendKernel('cpu', 'FlexMoELayerNorm', (x) => {
      calls.push(tf.getBackend());
      return tf.mul(x, 0) as tf.Tensor2D;
    });
    try {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const y = layerNorm(x, tf.tensor1d([1, 1]), tf.tensor1d([0, 0]));
      expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 0]);
      expect(calls).toEqual(['cpu']);
    } finally {
      registerBackendKernel('cpu', 'FlexMoELayerNorm', () => null);
    }
  });
});
