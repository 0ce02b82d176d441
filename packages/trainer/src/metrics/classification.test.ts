import {
  accuracy,
  averageRanks,
  binaryAuc,
  confusionMatrix,
  macroF1,
  meanStd,
  rocAuc,
  rocCurve,
} from './classification.js';

describe('classification metrics (hand-computed)', () => {
  it('accuracy and confusion matrix', () => {
    expect(accuracy([0, 1, 2, 1], [0, 2, 2, 1])).toBe(0.75);
    expect(confusionMatrix([0, 1, 2, 1], [0, 2, 2, 1], 3)).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/sample 1 has label 3/);
    expect(() => accuracy([0], [0, 1])).toThrow(/1 labels but 2 predictions/);
  });

  it('macro-F1 over classes present in labels or predictions', () => {
    // class 0: TP1 FP0 FN0 -> 1; class 1: TP1 FP0 FN1 -> 2/3; class 2: TP1 FP1 FN0 -> 2/3
    expect(macroF1([0, 1, 2, 1], [0, 2, 2, 1], 3)).toBeCloseTo((1 + 2 / 3 + 2 / 3) / 3, 12);
    // class 2 absent from labels and predictions: not averaged -> (1 + 1) / 2
    expect(macroF1([0, 1, 1], [0, 1, 1], 3)).toBe(1);
    // class 2 never true but predicted once: F1(2) = 0, F1(0) = 1, F1(1) = 2*1/(2+0+1) = 2/3
    expect(macroF1([0, 1, 1], [0, 1, 2], 3)).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
  });

  it('average ranks with ties', () => {
    expect(Array.from(averageRanks([0.3, 0.1, 0.3, 0.2]))).toEqual([3.5, 1, 3.5, 2]);
  });

  it('binary AUC counts positive/negative ties as one half', () => {
    // positives 0.8, 0.4; negatives 0.4, 0.1. Pairs: (0.8>0.4)1 (0.8>0.1)1 (0.4=0.4).5 (0.4>0.1)1 -> 3.5/4
    expect(binaryAuc([true, true, false, false], [0.8, 0.4, 0.4, 0.1])).toBe(0.875);
    expect(binaryAuc([true, false], [0.5, 0.5])).toBe(0.5);
    expect(binaryAuc([true, true], [0.1, 0.2])).toBeNaN();
  });

  it('rocAuc: binary uses the positive-class probability, multi-class is one-vs-rest macro', () => {
    const probs2 = [
      [0.2, 0.8],
      [0.6, 0.4],
      [0.6, 0.4],
      [0.9, 0.1],
    ];
    expect(rocAuc([1, 1, 0, 0], probs2, 2)).toBe(0.875);
    const labels = [0, 1, 2, 2];
    const probs3 = [
      [0.7, 0.2, 0.1],
      [0.1, 0.5, 0.4],
      [0.3, 0.3, 0.4],
      [0.3, 0.4, 0.3],
    ];
    // class 0 scores 0.7 .1 .3 .3: the positive is on top -> 1; class 1 scores .2 .5 .3 .4 -> 1;
    // class 2 scores .1 .4 .4 .3, positives {.4, .3}, negatives {.1, .4}:
    //   .4>.1 1, .4=.4 0.5, .3>.1 1, .3<.4 0 -> 2.5 / 4 = 0.625
    expect(rocAuc(labels, probs3, 3)).toBeCloseTo((1 + 1 + 0.625) / 3, 12);
  });

  it('rocCurve steps through tied scores together', () => {
    expect(rocCurve([true, true, false, false], [0.8, 0.4, 0.4, 0.1])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
  });

  it('meanStd uses ddof 0', () => {
    const r = meanStd([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.std).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(r.perSeed).toEqual([1, 2, 3, 4]);
    expect(meanStd([0.5]).std).toBe(0);
  });
});
