import { learningRateAt, plateauFactor, shouldStopEarly } from './lr-schedule.js';

describe('learningRateAt', () => {
  const base = { base: 0.01, warmupSteps: 4, totalSteps: 14 };
  it('warms up linearly, then decays by a half cosine to the floor at the last step', () => {
    const lr = (s: number) => learningRateAt(s, { ...base, kind: 'cosine' });
    expect([0, 1, 2, 3].map(lr)).toEqual([0.0025, 0.005, 0.0075, 0.01]);
    expect(lr(4)).toBeCloseTo(0.01, 12); // start of the decay
    // Halfway through the 9 decay intervals (step 4 + 4.5): cos(π/2) = 0 → base/2; step 8 is at 4/9.
    expect(lr(8)).toBeCloseTo(0.01 * 0.5 * (1 + Math.cos((Math.PI * 4) / 9)), 12);
    expect(lr(13)).toBeCloseTo(0, 12);
    expect(learningRateAt(13, { ...base, kind: 'cosine', minFactor: 0.1 })).toBeCloseTo(0.001, 12);
  });

  it('is the paper constant without a schedule, and base × multiplier on plateau', () => {
    expect(learningRateAt(7, { ...base, warmupSteps: 0, kind: 'constant' })).toBe(0.01);
    expect(learningRateAt(7, { ...base, kind: 'plateau', plateau: 0.25 })).toBe(0.0025);
  });
});

describe('plateauFactor and early stopping on a toy run', () => {
  // Validation metric per epoch: improves to epoch 3, flat for 4 epochs, improves at 8, flat after.
  const history = [0.5, 0.6, 0.7, 0.7, 0.65, 0.69, 0.7, 0.75, 0.7, 0.7];
  it('halves the rate after each `patience` epochs without improvement', () => {
    expect(plateauFactor(history.slice(0, 3), 2)).toBe(1);
    expect(plateauFactor(history.slice(0, 5), 2)).toBe(0.5); // epochs 4, 5 did not improve
    expect(plateauFactor(history.slice(0, 7), 2)).toBe(0.25); // epochs 6, 7 neither
    expect(plateauFactor(history, 2)).toBe(0.125); // 9, 10
    expect(plateauFactor(history, 3, 0.1)).toBeCloseTo(0.1, 12); // epochs 4-6, then 9-10 is only 2
  });

  it('stops `patience` epochs after the best epoch, never when disabled', () => {
    const bestEpochAfter = (k: number) => {
      let best = 0;
      for (let i = 0; i < k; i++) if (history[i] > history[best]) best = i;
      return best + 1;
    };
    const stopAt = (patience: number) => {
      for (let done = 1; done <= history.length; done++)
        if (shouldStopEarly(done, bestEpochAfter(done), patience)) return done;
      return null;
    };
    expect(stopAt(3)).toBe(6); // best epoch 3, stop after epoch 6
    expect(stopAt(5)).toBeNull(); // epoch 8 improves before 5 flat epochs pass; 10 − 8 < 5
    expect(stopAt(2)).toBe(5);
    expect(stopAt(0)).toBeNull();
    expect(shouldStopEarly(4, null, 1)).toBe(false);
  });
});
