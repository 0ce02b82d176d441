import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CheckpointableAdam } from './adam.js';

describe('CheckpointableAdam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches a float64 hand computation of two Adam steps', () => {
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'adam_test_w');
    const opt = new CheckpointableAdam({ learningRate: 0.1 });
    const grads = [
      [0.5, -1],
      [0.25, 3],
    ];
    const expected = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      opt.applyGradients({ adam_test_w: tf.tensor1d(grads[t - 1]) });
      for (let i = 0; i < 2; i++) {
        const g = grads[t - 1][i];
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        const mHat = m[i] / (1 - 0.9 ** t);
        const vHat = v[i] / (1 - 0.999 ** t);
        expected[i] -= (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8 / Math.sqrt(1 - 0.999 ** t));
      }
    }
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(expected[0], 5);
    expect(got[1]).toBeCloseTo(expected[1], 5);
    expect(opt.step).toBe(2);
    opt.dispose();
    w.dispose();
  });

  it('export/import of the state gives bit-identical further steps', () => {
    const w1 = tf.variable(tf.tensor2d([[0.3, -0.7], [1.1, 0.2]]), true, 'adam_a');
    const opt1 = new CheckpointableAdam({ learningRate: 0.01 });
    const g = (k: number): tf.Tensor => tf.tensor2d([[k * 0.1, -0.3], [0.7, k * -0.05]]);
    for (let k = 0; k < 3; k++) opt1.applyGradients({ adam_a: g(k) });
    const savedWeights = w1.dataSync().slice();
    const savedMoments = opt1.exportMoments();
    const savedStep = opt1.step;
    for (let k = 3; k < 6; k++) opt1.applyGradients({ adam_a: g(k) });
    const uninterrupted = w1.dataSync().slice();

    const w2 = tf.variable(tf.tensor2d(savedWeights, [2, 2]), true, 'adam_b');
    const opt2 = new CheckpointableAdam({ learningRate: 0.01 });
    const renamed = new Map([['adam_b', savedMoments.get('adam_a')!]]);
    opt2.importState(savedStep, renamed);
    for (let k = 3; k < 6; k++) opt2.applyGradients({ adam_b: g(k) });
    expect(Array.from(w2.dataSync())).toEqual(Array.from(uninterrupted));
    expect(() => opt2.applyGradients({ nope: g(0) })).toThrow(/no registered variable named 'nope'/);
  });
});
