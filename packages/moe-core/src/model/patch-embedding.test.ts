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

  it('per-patch: each patch has its own kernel and bias (an all-padding patch gives its bias alone)', () => {
    // d = 3, P = 3 → patch size 1: patch p = x_p. With P = 4, patch 3 would be padding only; test that too below.
    const enc = new PatchEmbedding(1, 3, 3, 2, new SeededRandom(1), 'per-patch');
    expect(enc.kernel.shape).toEqual([3, 1, 2]);
    expect(enc.bias.shape).toEqual([3, 2]);
    enc.kernel.assign(tf.tensor3d([[[1, 2]], [[3, 4]], [[5, 6]]]));
    enc.bias.assign(
      tf.tensor2d([
        [0.1, 0.2],
        [0.3, 0.4],
        [0.5, 0.6],
      ]),
    );
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 2],
    ]);
    const out = tf.tidy(() => enc.encode(x, false).arraySync());
    const expected = [
      [
        [1 + 0.1, 2 + 0.2],
        [6 + 0.3, 8 + 0.4],
        [15 + 0.5, 18 + 0.6],
      ],
      [
        [-1 + 0.1, -2 + 0.2],
        [0 + 0.3, 0 + 0.4],
        [10 + 0.5, 12 + 0.6],
      ],
    ];
    out.forEach((row, n) =>
      row.forEach((tok, p) => tok.forEach((v, h) => expect(v).toBeCloseTo(expected[n][p][h], 5))),
    );
    expect([...enc.namedWeights().keys()]).toEqual(['encoder1/patch_kernel', 'encoder1/patch_bias']);
    x.dispose();
    enc.dispose();

    const padded = new PatchEmbedding(0, 3, 4, 2, new SeededRandom(2), 'per-patch');
    const last = tf.tidy(() => padded.encode(tf.tensor2d([[7, 8, 9]]), false).arraySync()[0][3]);
    const bias = padded.bias.arraySync() as number[][];
    expect(last[0]).toBeCloseTo(bias[3][0], 6);
    expect(last[1]).toBeCloseTo(bias[3][1], 6);
    padded.dispose();
  });

  it('per-patch: the gradient of patch p reaches only kernel p (shared: one kernel sums every patch)', () => {
    const perPatch = new PatchEmbedding(0, 4, 2, 3, new SeededRandom(3), 'per-patch');
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    // Loss = sum of token 0 only: kernel 1 must get a zero gradient, kernel 0 the patch's features.
    const { grads } = tf.variableGrads(() => tf.sum(tf.slice(perPatch.encode(x, true), [0, 0, 0], [1, 1, 3])));
    const g = grads[perPatch.kernel.name].arraySync() as number[][][];
    expect(g[0]).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(g[1]).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    Object.values(grads).forEach((t) => t.dispose());
    x.dispose();
    perPatch.dispose();
  });
});
