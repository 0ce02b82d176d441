import type { LoadedDataset } from '@flexmoe/data';
import { classWeights, observedCounts, prepareData } from './prepare-data.js';

/** 6 patients, modalities I (w1), G (w2); observed: p0 IG, p1 I, p2 G, p3 IG, p4 IG, p5 G. */
function fakeDataset(): LoadedDataset {
  const obsI = Uint8Array.from([1, 1, 0, 1, 1, 0]);
  const obsG = Uint8Array.from([1, 0, 1, 1, 1, 1]);
  return {
    dir: '/fake/ds',
    manifest: {} as LoadedDataset['manifest'],
    ids: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
    labels: Int32Array.from([0, 1, 1, 0, 1, 0]),
    classes: ['neg', 'pos'],
    modalities: [
      {
        name: 'image',
        letter: 'I',
        width: 1,
        featureNames: ['i'],
        features: Float32Array.from([1, 2, 0, 4, 5, 0]),
        observed: obsI,
      },
      {
        name: 'genomic',
        letter: 'G',
        width: 2,
        featureNames: ['a', 'b'],
        features: new Float32Array(12),
        observed: obsG,
      },
    ],
    splitIndices: {
      training: Int32Array.from([0, 1, 2, 5]),
      validation: Int32Array.from([3]),
      testing: Int32Array.from([4]),
    },
    splits: { training: ['p0', 'p1', 'p2', 'p5'], validation: ['p3'], testing: ['p4'] },
    transforms: {} as LoadedDataset['transforms'],
  };
}

describe('prepareData', () => {
  it('keeps all modalities by default', () => {
    const d = prepareData(fakeDataset());
    expect(d.modalities.map((m) => m.letter)).toEqual(['I', 'G']);
    expect(Array.from(d.observed)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1]);
    expect(Array.from(d.splits.training)).toEqual([0, 1, 2, 5]);
    expect(observedCounts(d, d.splits.training)).toEqual([2, 1, 1, 1]);
    expect(d.dropped).toEqual({ training: 0, validation: 0, testing: 0 });
  });

  it('restricts to a subset end to end and drops (and counts) patients with none of it', () => {
    const d = prepareData(fakeDataset(), { modalities: ['I'] });
    expect(d.modalities.map((m) => m.letter)).toEqual(['I']);
    expect(Array.from(d.observed)).toEqual([1, 1, 0, 1, 1, 0]);
    expect(Array.from(d.splits.training)).toEqual([0, 1]);
    expect(d.dropped).toEqual({ training: 2, validation: 0, testing: 0 });
  });

  it('full-only keeps training patients with every selected modality', () => {
    const d = prepareData(fakeDataset(), { fullOnly: true });
    expect(Array.from(d.splits.training)).toEqual([0]);
    expect(d.droppedNotFull).toBe(3);
  });

  it('rejects unknown or repeated letters with the dataset path', () => {
    expect(() => prepareData(fakeDataset(), { modalities: ['X'] })).toThrow(
      /'X' is not a modality of dataset \/fake\/ds \(expected letters IG/,
    );
    expect(() => prepareData(fakeDataset(), { modalities: ['I', 'I'] })).toThrow(/modality I is given twice/);
  });

  it('class weights: none, balanced (n / (C n_c)), explicit, invalid', () => {
    const d = prepareData(fakeDataset());
    expect(classWeights('none', d)).toBeNull();
    // training labels: p0 0, p1 1, p2 1, p5 0 -> 2 and 2 -> 4 / (2*2) = 1
    expect(classWeights('balanced', d)).toEqual([1, 1]);
    const d1 = prepareData(fakeDataset(), { modalities: ['G'] }); // training p0 0, p2 1, p5 0
    expect(classWeights('balanced', d1)).toEqual([3 / 4, 3 / 2]);
    expect(classWeights('0.25,0.75', d)).toEqual([0.25, 0.75]);
    expect(() => classWeights('1,2,3', d)).toThrow(/expected none, balanced or 2 non-negative numbers/);
  });
});
