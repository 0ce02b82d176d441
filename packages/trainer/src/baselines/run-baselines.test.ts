import type { PreparedData } from '../data/prepare-data.js';
import { designRows, fitDesignMatrix } from './design-matrix.js';
import { baselineVerdict, runBaselines } from './run-baselines.js';

/** Two modalities (A: 2 features, B: 1 feature); class 1 follows A's first feature and B. */
function toyData(n = 90, seed = 3): PreparedData {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const labels = new Int32Array(n);
  const a = new Float32Array(n * 2);
  const b = new Float32Array(n);
  const observed = new Uint8Array(n * 2);
  for (let r = 0; r < n; r++) {
    const y = r % 3 === 0 ? 1 : 0;
    labels[r] = y;
    a[2 * r] = y * 1.5 + rand() * 2 - 1;
    a[2 * r + 1] = rand();
    b[r] = y - 0.5 + rand() * 1.6 - 0.8;
    observed[2 * r] = r % 5 === 4 ? 0 : 1;
    observed[2 * r + 1] = r % 4 === 1 && r % 5 !== 4 ? 0 : 1;
  }
  const idx = (from: number, to: number): Int32Array => Int32Array.from({ length: to - from }, (_, i) => from + i);
  return {
    modalities: [
      { name: 'alpha', letter: 'A', width: 2, featureNames: ['a0', 'a1'], features: a },
      { name: 'beta', letter: 'B', width: 1, featureNames: ['b0'], features: b },
    ],
    classes: ['no', 'yes'],
    ids: Array.from({ length: n }, (_, i) => `p${i}`),
    labels,
    observed,
    splits: { training: idx(0, 50), validation: idx(50, 70), testing: idx(70, n) },
    dropped: { training: 0, validation: 0, testing: 0 },
    droppedNotFull: 0,
  };
}

describe('baseline design matrix', () => {
  it('imputes a missing modality with the training mean of observed cells and adds one indicator per modality', () => {
    const data = toyData();
    const spec = fitDesignMatrix(data, [0, 1], true, [0, 1, 2, 4]);
    // Row 4 lacks A (4 % 5 === 4), row 1 lacks B: A means over rows 0,1,2; B mean over rows 0,2,4.
    const meanA0 =
      (data.modalities[0].features[0] + data.modalities[0].features[2] + data.modalities[0].features[4]) / 3;
    const meanB =
      (data.modalities[1].features[0] + data.modalities[1].features[2] + data.modalities[1].features[4]) / 3;
    expect(spec.width).toBe(5);
    expect(spec.featureMeans[0]).toBeCloseTo(meanA0, 6);
    expect(spec.featureMeans[2]).toBeCloseTo(meanB, 6);
    const x = designRows(data, spec, [4]);
    // Imputed cell = training mean: standardised value (mean − column mean)·scale, indicator "A missing" = 1.
    const raw = [meanA0, spec.featureMeans[1], data.modalities[1].features[4], 1, 0];
    raw.forEach((v, c) => expect(x[c]).toBeCloseTo((v - spec.columnMeans[c]) * spec.columnScales[c], 6));
    expect(x[3]).toBeGreaterThan(0); // A-missing indicator is above its training mean (1 of 4 rows)
  });
});

describe('runBaselines', () => {
  it('fits all-modality and per-modality logistic regressions, chooses C and the best baseline on validation', () => {
    const data = toyData();
    const r = runBaselines(data, { selectMetric: 'auc', classWeights: 'balanced' });
    expect(Object.keys(r.perModality)).toEqual(['alpha', 'beta']);
    expect(r.logistic.features).toBe(5);
    expect(r.logistic.n).toEqual({ training: 50, validation: 20, testing: 20 });
    // Single-modality baselines see only the patients that have the modality.
    expect(r.perModality.alpha.n.testing).toBe(Array.from(data.splits.testing).filter((x) => x % 5 !== 4).length);
    expect(r.logistic.test.auc.mean).toBeGreaterThan(0.7);
    const perCombinationN = Object.values(r.logistic.perCombination).reduce((a, c) => a + c.n, 0);
    expect(perCombinationN).toBe(20);
    const names = ['logistic', 'alpha', 'beta'];
    expect(names).toContain(r.best);
    const vals = [r.logistic, r.perModality.alpha, r.perModality.beta].map((x) => x.validation.auc.mean);
    expect(vals[names.indexOf(r.best)]).toBe(Math.max(...vals));
  });

  it('selects on validation only: poisoned test labels change no choice, only the test scores', () => {
    const data = toyData();
    const clean = runBaselines(data, { selectMetric: 'accuracy', classWeights: 'none' });
    const poisoned = { ...data, labels: Int32Array.from(data.labels) };
    for (const r of data.splits.testing) poisoned.labels[r] = 1 - poisoned.labels[r];
    const dirty = runBaselines(poisoned, { selectMetric: 'accuracy', classWeights: 'none' });
    expect(dirty.best).toBe(clean.best);
    expect(dirty.logistic.c).toBe(clean.logistic.c);
    expect(dirty.perModality.beta.c).toBe(clean.perModality.beta.c);
    expect(dirty.logistic.validation).toEqual(clean.logistic.validation);
    expect(dirty.logistic.test.accuracy.mean).toBeCloseTo(1 - clean.logistic.test.accuracy.mean, 10);
  });

  it('keeps searching past the edge of the C grid while validation improves', () => {
    // Validation accuracy on this toy set: 0.65 up to C = 0.01, 0.75 at 0.1, 0.9 at 1 and at 10.
    const up = runBaselines(toyData(), { selectMetric: 'accuracy', classWeights: 'none', cGrid: [0.01, 0.1] });
    expect(up.logistic.c).toBe(1); // 0.1 was the best of the grid; 1 improves, 10 does not
    expect(up.logistic.validation.accuracy.mean).toBeCloseTo(0.9, 12);
    const flat = runBaselines(toyData(), { selectMetric: 'accuracy', classWeights: 'none', cGrid: [0.001, 0.01] });
    expect(flat.logistic.c).toBe(0.001); // ties keep the smaller C; going lower does not improve
  });

  it('says ahead / behind / within the seed spread', () => {
    const r = runBaselines(toyData(), { selectMetric: 'auc', classWeights: 'none' });
    const b = r.perModality[r.best]?.test.auc.mean ?? r.logistic.test.auc.mean;
    const at = (mean: number, std: number) => ({
      accuracy: { mean: 0, std: 0, perSeed: [] },
      macroF1: { mean: 0, std: 0, perSeed: [] },
      auc: { mean, std, perSeed: [] },
    });
    expect(baselineVerdict(r, at(b + 0.05, 0.01)).verdict).toBe('ahead');
    expect(baselineVerdict(r, at(b - 0.05, 0.01)).verdict).toBe('behind');
    expect(baselineVerdict(r, at(b - 0.005, 0.01)).verdict).toBe('within');
    expect(baselineVerdict(r, at(b + 0.05, 0.01)).line).toMatch(
      /is ahead of the best baseline \(.+, \d+\.\d\d; difference \+5\.00 points\)/,
    );
  });
});
