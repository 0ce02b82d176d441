import { expectedCalibrationError, fitTemperature, meanNll } from './calibration.js';
import { mulberry32 } from '@flexmoe/data';

describe('temperature scaling', () => {
  test('ECE by hand: two bins', () => {
    // rows: conf 0.9 correct, 0.9 wrong, 0.6 correct (binary). bins=10: 0.9→bin 9, 0.6→bin 6
    const probs = [0.9, 0.1, 0.1, 0.9, 0.6, 0.4];
    const labels = [0, 0, 0];
    // bin 9: 2 rows, acc 0.5, conf 0.9 → |0.5-0.9|·2/3; bin 6: 1 row, acc 1, conf 0.6 → 0.4/3
    expect(expectedCalibrationError(probs, labels, 2, 10)).toBeCloseTo((0.4 * 2) / 3 + 0.4 / 3, 12);
  });

  test('NLL by hand', () => {
    // one row logits [0, ln 3], label 1: p = 3/4 at T=1; at T=2 p = sqrt3/(1+sqrt3)
    const logits = [0, Math.log(3)];
    expect(meanNll(logits, [1], 2, 1)).toBeCloseTo(-Math.log(0.75), 12);
    expect(meanNll(logits, [1], 2, 2)).toBeCloseTo(-Math.log(Math.sqrt(3) / (1 + Math.sqrt(3))), 12);
  });

  test('recovers the temperature of over-confident logits and lowers NLL and ECE', () => {
    // Labels drawn from softmax(z); the model reports 3·z (over-confident): the best T is about 3.
    const rand = mulberry32(11);
    const n = 4000;
    const C = 3;
    const logits = new Float32Array(n * C);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const z = [0, 1, 2].map(() => (rand() * 2 - 1) * 1.5);
      const e = z.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      let u = rand() * s;
      let label = 0;
      while (label < C - 1 && u > e[label]) u -= e[label++];
      labels[i] = label;
      z.forEach((v, c) => (logits[i * C + c] = 3 * v));
    }
    const report = fitTemperature(logits, labels, C);
    expect(report.temperature).toBeGreaterThan(2.6);
    expect(report.temperature).toBeLessThan(3.4);
    expect(report.nllAfter).toBeLessThan(report.nllBefore);
    expect(report.eceAfter).toBeLessThan(report.eceBefore);
    // optimality: NLL at T ± 5 % is not lower
    expect(meanNll(logits, labels, C, report.temperature * 1.05)).toBeGreaterThanOrEqual(report.nllAfter);
    expect(meanNll(logits, labels, C, report.temperature * 0.95)).toBeGreaterThanOrEqual(report.nllAfter);
  });

  test('rejects bad labels', () => {
    expect(() => fitTemperature([0, 1], [2], 2)).toThrow(/label 0 = 2 is not a class index/);
  });
});
