import * as tf from '@tensorflow/tfjs-core';
import { cvSquared, cvSquaredOf, cvSquaredRows } from './cv-squared.js';
import { BACKENDS, readGolden, useBackend } from '../testing/golden.js';

const golden = readGolden<{ eps: number; cases: { name: string; v: number[]; cv2: number }[] }>('cv2.json');

describe('cv² (golden cv2.json)', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('plain numbers: %s', (_n, c) => {
    expect(Math.abs(cvSquaredOf(c.v) - c.cv2)).toBeLessThanOrEqual(1e-9 + 1e-9 * Math.abs(c.cv2));
  });

  for (const backend of BACKENDS) {
    it(`tensor version on ${backend}`, async () => {
      await useBackend(backend);
      for (const c of golden.cases) {
        const got = c.v.length === 0 ? 0 : tf.tidy(() => cvSquared(tf.tensor1d(c.v)).dataSync()[0]);
        expect([c.name, Math.abs(got - c.cv2) <= 1e-4 + 1e-4 * Math.abs(c.cv2)]).toEqual([c.name, true]);
      }
      // Row-wise version, and the gradient at an all-zero vector is 0 (an empty group never makes NaN).
      const g = tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => tf.sum(cvSquaredRows(v as tf.Tensor2D)))(tf.zeros([2, 4]))
          .dataSync(),
      );
      expect(Array.from(g)).toEqual(new Array(8).fill(0));
    });
  }
});
