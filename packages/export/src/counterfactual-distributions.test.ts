import { mulberry32 } from '@flexmoe/data';
import { drawFromDistributions, featureGroupWidths, fitFeatureDistributions } from './counterfactual-distributions.js';

describe('counterfactual rows from fitted per-feature distributions', () => {
  // 4 rows × width 4: a one-hot group of 2 (categorical), a 3-level feature, a continuous feature.
  const features = Float32Array.from([1, -1, -1, 0.1, 1, -1, 0, 0.5, -1, 1, 1, 0.3, 1, -1, -1, 0.9]);
  const dists = fitFeatureDistributions(features, 4, [0, 1, 2, 3], [2, 1, 1]);

  it('fits one-hot frequencies, level frequencies and mean/std/range (hand-computed)', () => {
    expect(dists[0]).toEqual({ kind: 'one-hot', offset: 0, width: 2, probabilities: [0.75, 0.25, 0] });
    expect(dists[1]).toEqual({ kind: 'levels', offset: 2, levels: [-1, 0, 1], probabilities: [0.5, 0.25, 0.25] });
    const n = dists[2];
    if (n.kind !== 'normal') throw new Error('expected a normal feature');
    const xs = [0.1, 0.5, 0.3, 0.9].map((x) => Math.fround(x));
    const mean = xs.reduce((a, b) => a + b) / 4;
    expect(n.mean).toBeCloseTo(mean, 6);
    expect(n.std).toBeCloseTo(Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 4), 6);
    expect([n.min, n.max]).toEqual([Math.fround(0.1), Math.fround(0.9)]);
  });

  it('draws rows whose frequencies and moments match the fit, within the training range', () => {
    const count = 20000;
    const rows = drawFromDistributions(dists, 4, count, mulberry32(3));
    let hot0 = 0;
    let level0 = 0;
    let sum = 0;
    for (let r = 0; r < count; r++) {
      const row = rows.subarray(r * 4, r * 4 + 4);
      expect(row[0] + row[1]).toBe(0); // exactly one hot index of two
      if (row[0] === 1) hot0++;
      if (row[2] === 0) level0++;
      expect(row[3]).toBeGreaterThanOrEqual(Math.fround(0.1));
      expect(row[3]).toBeLessThanOrEqual(Math.fround(0.9));
      sum += row[3];
    }
    expect(hot0 / count).toBeCloseTo(0.75, 1);
    expect(level0 / count).toBeCloseTo(0.25, 1);
    expect(sum / count).toBeCloseTo(0.45, 1); // truncating a normal symmetrically keeps its mean
  });

  it('groups one-hot columns from the transforms, else one feature per group', () => {
    const t = {
      kind: 'columns' as const,
      columns: [
        { column: 'A', type: 'numerical' as const, missingCodes: [], min: 0, max: 1, mean: 0 },
        {
          column: 'S',
          type: 'categorical' as const,
          missingCodes: [],
          numericCategories: false,
          categories: ['f', 'm', '(other)'],
          mode: 'f',
        },
        { column: 'D', type: 'date' as const, missingCodes: [], edges: [0, 1, 2], mode: 0 },
      ],
    };
    expect(featureGroupWidths(t, 6)).toEqual([1, 3, 2]);
    expect(featureGroupWidths(undefined, 3)).toEqual([1, 1, 1]);
    expect(featureGroupWidths(t, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]); // widths disagree: no grouping
  });
});
