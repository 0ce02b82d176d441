import { crossValidationSplits, parseCrossValidationFold } from './cross-validation.js';
import type { PreparedData } from './prepare-data.js';

/** Rows 0..n-1 with the given labels and splits (no modalities: folds only look at splits and labels). */
function data(labels: number[], split: Split[]): PreparedData {
  const rows = (name: string): Int32Array => Int32Array.from(labels.flatMap((_, r) => (split[r] === name ? [r] : [])));
  return {
    modalities: [],
    classes: ['a', 'b', 'c'],
    ids: labels.map((_, r) => `p${r}`),
    labels: Int32Array.from(labels),
    observed: new Uint8Array(0),
    splits: { training: rows('training'), validation: rows('validation'), testing: rows('testing') },
    dropped: { training: 0, validation: 0, testing: 0 },
    droppedNotFull: 0,
  };
}

// 60 training rows (10 % class 1, some class 2), 21 validation rows, 15 test rows.
const labels = Array.from({ length: 96 }, (_, r) => (r % 10 === 0 ? 1 : r % 7 === 0 ? 2 : 0));
type Split = 'training' | 'validation' | 'testing';
const split = labels.map((_, r): Split => (r < 60 ? 'training' : r < 81 ? 'validation' : 'testing'));
const d = data(labels, split);

describe('crossValidationSplits', () => {
  const K = 4;
  const folds = Array.from({ length: K }, (_, f) => crossValidationSplits(d, { fold: f + 1, folds: K, seed: 7 }));

  it('partitions training ∪ validation into K held-out folds and never takes a test row', () => {
    const pool = [...d.splits.training, ...d.splits.validation].sort((a, b) => a - b);
    const heldOut = folds.flatMap((f) => [...f.validation]).sort((a, b) => a - b);
    expect(heldOut).toEqual(pool); // every pool row held out exactly once
    for (const f of folds) {
      expect([...f.training, ...f.validation].sort((a, b) => a - b)).toEqual(pool);
      expect(new Set([...f.training]).size).toBe(f.training.length);
      for (const r of [...f.training, ...f.validation]) expect(split[r]).not.toBe('testing');
      expect([...f.validation]).toEqual([...f.validation].sort((a, b) => a - b)); // ascending
    }
  });

  it('keeps the mix of origin split and label in every fold (sizes within one)', () => {
    const sizes = folds.map((f) => f.validation.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const origin of ['training', 'validation'] as const) {
      for (const label of [0, 1, 2]) {
        const perFold = folds.map(
          (f) => [...f.validation].filter((r) => split[r] === origin && labels[r] === label).length,
        );
        const total = labels.filter((l, r) => l === label && split[r] === origin).length;
        expect(perFold.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is a function of the seed: the same seed deals the same folds, another seed others', () => {
    expect(crossValidationSplits(d, { fold: 2, folds: K, seed: 7 })).toEqual(folds[1]);
    expect([...crossValidationSplits(d, { fold: 2, folds: K, seed: 8 }).validation]).not.toEqual([
      ...folds[1].validation,
    ]);
  });

  it('does not depend on test labels', () => {
    const poisoned = labels.map((l, r) => (split[r] === 'testing' ? (l + 1) % 3 : l));
    expect(crossValidationSplits(data(poisoned, split), { fold: 3, folds: K, seed: 7 })).toEqual(folds[2]);
  });

  it('with fullOnly trains each fold on full-modality patients only, holding out the others as before', () => {
    // Two modalities; validation rows with an odd index miss the second (training rows all have both, as
    // prepareData with fullOnly leaves them).
    const observed = new Uint8Array(labels.length * 2).fill(1);
    labels.forEach((_, r) => {
      if (split[r] === 'validation' && r % 2 === 1) observed[r * 2 + 1] = 0;
    });
    const withModalities: PreparedData = {
      ...d,
      modalities: ['a', 'b'].map((name, i) => ({
        name,
        letter: name.toUpperCase(),
        width: 1,
        featureNames: [name],
        features: new Float32Array(labels.length).fill(i),
      })),
      observed,
    };
    const full = crossValidationSplits(withModalities, { fold: 2, folds: K, seed: 7 }, { fullOnly: true });
    expect([...full.validation]).toEqual([...folds[1].validation]);
    const incomplete = (r: number): boolean => split[r] === 'validation' && r % 2 === 1;
    expect([...full.training]).toEqual([...folds[1].training].filter((r) => !incomplete(r)));
    expect([...folds[1].training].some(incomplete)).toBe(true);
  });

  it('refuses folds that cannot be dealt, naming the flag', () => {
    const small = data([0, 1, 0], ['training', 'validation', 'testing']);
    expect(() => crossValidationSplits(small, { fold: 1, folds: 3, seed: 0 })).toThrow(
      /--cv-fold 1\/3: training and validation hold only 2 patients/,
    );
    expect(() => crossValidationSplits(d, { fold: 1, folds: 2, seed: -1 })).toThrow(
      /--cv-seed: expected an integer >= 0, got -1/,
    );
  });
});

describe('parseCrossValidationFold', () => {
  it('reads k/K', () => {
    expect(parseCrossValidationFold('--cv-fold', '2/5', 3)).toEqual({ fold: 2, folds: 5, seed: 3 });
    expect(parseCrossValidationFold('--cv-fold', ' 1 / 2 ', 0)).toEqual({ fold: 1, folds: 2, seed: 0 });
  });

  it.each(['0/3', '4/3', '1/1', '2', 'a/b', '1.5/3', '-1/3'])('refuses %s, naming the flag', (v) => {
    expect(() => parseCrossValidationFold('--cv-fold', v, 0)).toThrow(/^--cv-fold: expected k\/K with K >= 2/);
  });
});
