import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../testing/golden.js';
import { TypedAdam } from './typed-adam.js';

describe('TypedAdam', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('matches a float64 hand computation of two Adam steps', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const opt = new TypedAdam({ learningRate: 0.1 });
    const grads = [
      [0.5, -1, 0],
      [0.25, 2, -3],
    ];
    const w = [1, -2, 0.5];
    const m = [0, 0, 0];
    const s = [0, 0, 0];
    grads.forEach((g, step) => {
      tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]));
      const t = step + 1;
      const size = (0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      for (let i = 0; i < 3; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
        w[i] -= (size * m[i]) / (Math.sqrt(s[i]) + 1e-8);
      }
    });
    const got = Array.from(v.dataSync());
    got.forEach((x, i) => expect(Math.abs(x - w[i])).toBeLessThan(1e-6));
    v.dispose();
  });

  it('agrees with tf.train.adam and restores its state exactly', () => {
    const a = tf.variable(tf.tensor2d([[0.3, -0.7], [1.1, 0.2]]));
    const b = tf.variable(tf.tensor2d([[0.3, -0.7], [1.1, 0.2]]));
    const ours = new TypedAdam({ learningRate: 0.01 });
    const ref = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        ours.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
        ref.minimize(() => tf.sum(tf.square(tf.sub(b, 1))), false, [b]);
      });
    }
    const da = a.dataSync();
    const db = b.dataSync();
    for (let i = 0; i < 4; i++) expect(Math.abs(da[i] - db[i])).toBeLessThan(1e-6);
    // Resume from a saved state: the next step is identical.
    const saved = ours.getState();
    const before = Float32Array.from(a.dataSync());
    tf.tidy(() => {
      ours.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
    });
    const after = Float32Array.from(a.dataSync());
    a.assign(tf.tensor2d(before, [2, 2]));
    const resumed = new TypedAdam({ learningRate: 0.01 });
    resumed.setState(saved);
    tf.tidy(() => {
      resumed.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
    });
    expect(Array.from(a.dataSync())).toEqual(Array.from(after));
    a.dispose();
    b.dispose();
    ref.dispose();
  });
});
