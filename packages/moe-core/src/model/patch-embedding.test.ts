import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../random/random-source.js';
import { useBackend } from '../testing/golden.js';
import { PatchEmbedding } from './patch-embedding.js';

describe('PatchEmbedding', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('pads at the end, groups consecutive features per patch, shares one dense layer', () => {
    // d = 5, P = 2 → patch size 3, padded to 6: patch 0 = x0..x2, patch 1 = x3, x4, 0.
    const enc = new PatchEmbedding(0, 5, 2, 2, new SeededRandom(1));
    enc.kernel.assign(
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
    );
    enc.bias.assign(tf.tensor1d([0.5, -0.5]));
    const out = tf.tidy(() => Array.from(enc.encode(tf.tensor2d([[1, 2, 3, 4, 5]]), true).dataSync()));
    expect(out).toEqual([1 + 3 + 0.5, 2 + 3 - 0.5, 4 + 0.5, 5 - 0.5]);
    expect([...enc.namedWeights().keys()]).toEqual(['encoder0/patch_kernel', 'encoder0/patch_bias']);
    expect(() => tf.tidy(() => enc.encode(tf.zeros([1, 4]), true))).toThrow(
      /encoder0: expected input \[n, 5\], got \[1, 4\]/,
    );
    enc.dispose();
  });
});
