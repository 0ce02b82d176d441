/**
 * Classification metrics computed in float64 on plain arrays, so they do not depend on the TF.js backend.
 * Conventions follow scikit-learn (what the reference code calls), see docs/training.md.
 */

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} labels but ${b.length} predictions`);
}

/** Fraction of predictions equal to the label; NaN for an empty set. */
export function accuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkSameLength(labels, predictions, 'accuracy');
  if (labels.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) hits++;
  return hits / labels.length;
}

/** `matrix[trueClass][predictedClass]` counts. */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes: number,
): number[][] {
  checkSameLength(labels, predictions, 'confusionMatrix');
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new Error(`confusionMatrix: sample ${i} has label ${t} / prediction ${p}, expected 0..${classes - 1}`);
    }
    m[t][p]++;
  }
  return m;
}

/**
 * Macro-averaged F1 over the classes that occur in the labels or the predictions (scikit-learn's
 * `f1_score(average='macro')`): a class that is predicted but never true scores 0 and counts; a class
 * absent from both is not part of the average. F1 of a class = 2TP / (2TP + FP + FN). NaN when empty.
 */
export function macroF1(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number {
  if (labels.length === 0) return Number.NaN;
  const m = confusionMatrix(labels, predictions, classes);
  let sum = 0;
  let counted = 0;
  for (let c = 0; c < classes; c++) {
    const tp = m[c][c];
    let fn = 0;
    let fp = 0;
    for (let o = 0; o < classes; o++) {
      if (o === c) continue;
      fn += m[c][o];
      fp += m[o][c];
    }
    if (tp + fn + fp === 0) continue;
    sum += (2 * tp) / (2 * tp + fp + fn);
    counted++;
  }
  return sum / counted;
}

/** Ranks 1..n of `scores` with ties given the average of the ranks they span. */
export function averageRanks(scores: ArrayLike<number>): Float64Array {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let r = i; r <= j; r++) ranks[order[r]] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * ROC-AUC of scores for a binary target (Mann-Whitney U with averaged ranks for ties, so a tie between a
 * positive and a negative counts one half). NaN when only one class is present.
 */
export function binaryAuc(isPositive: ArrayLike<boolean>, scores: ArrayLike<number>): number {
  if (isPositive.length !== scores.length) {
    throw new Error(`binaryAuc: ${isPositive.length} targets but ${scores.length} scores`);
  }
  const ranks = averageRanks(scores);
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (isPositive[i]) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = ranks.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC-AUC from class probabilities `probabilities[i][c]`. Binary: the positive-class (class 1)
 * probability. Multi-class: one-vs-rest AUC per class, macro average over the classes that have both
 * positives and negatives in `labels` (NaN if none has).
 */
export function rocAuc(labels: ArrayLike<number>, probabilities: ArrayLike<number>[], classes: number): number {
  if (labels.length !== probabilities.length) {
    throw new Error(`rocAuc: ${labels.length} labels but ${probabilities.length} probability rows`);
  }
  if (classes === 2) {
    return binaryAuc(
      Array.from(labels, (l) => l === 1),
      probabilities.map((p) => p[1]),
    );
  }
  let sum = 0;
  let counted = 0;
  for (let c = 0; c < classes; c++) {
    const auc = binaryAuc(
      Array.from(labels, (l) => l === c),
      probabilities.map((p) => p[c]),
    );
    if (Number.isNaN(auc)) continue;
    sum += auc;
    counted++;
  }
  return counted === 0 ? Number.NaN : sum / counted;
}

/** One point of a ROC curve. */
export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** ROC curve points (from (0,0) to (1,1)); tied scores form one step. Empty if a class is missing. */
export function rocCurve(isPositive: ArrayLike<boolean>, scores: ArrayLike<number>): RocPoint[] {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i]];
    while (i < n && scores[order[i]] === s) {
      if (isPositive[order[i]]) tp++;
      else fp++;
      i++;
    }
    points.push({ fpr: fp / nNeg, tpr: tp / nPos });
  }
  return points;
}

/** Mean and population standard deviation (ddof 0, as numpy's default used by the paper). */
export interface MeanStd {
  mean: number;
  std: number;
  perSeed: number[];
}

/** Mean ± std (ddof 0) of per-seed values. */
export function meanStd(values: number[]): MeanStd {
  if (values.length === 0) return { mean: Number.NaN, std: Number.NaN, perSeed: [] };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / values.length;
  return { mean, std: Math.sqrt(variance), perSeed: [...values] };
}

/** Index of the largest value (first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
