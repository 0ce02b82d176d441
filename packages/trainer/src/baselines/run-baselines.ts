import { classWeights, type PreparedData } from '../data/prepare-data.js';
import { accuracy, argmax, macroF1, meanStd, rocAuc, type MeanStd } from '../metrics/classification.js';
import type { SelectMetric } from '../run/options.js';
import type { AggregatedScores, CombinationScores, Scores } from '../run/run-types.js';
import { designRows, fitDesignMatrix } from './design-matrix.js';
import { fitLogistic, predictLogistic } from './logistic-regression.js';

/** Inverse regularisation strengths tried first; the one with the best validation metric is kept. */
export const DEFAULT_C_GRID = [0.0001, 0.001, 0.01, 0.1, 1, 10, 100];

/** One fitted baseline, in the train metrics schema (one "seed": the fit is deterministic). */
export interface BaselineResult {
  test: AggregatedScores;
  validation: AggregatedScores;
  /** Test accuracy / macro-F1 per input combination (letters in modality order). */
  perCombination: Record<string, CombinationScores>;
  /** The chosen inverse regularisation strength. */
  c: number;
  features: number;
  /** Patients used per split (a single-modality baseline sees only the patients that have it). */
  n: { training: number; validation: number; testing: number };
}

/** `flexmoe baseline --json` / `metrics.baselines` of `train --baselines`. */
export interface BaselinesReport {
  logistic: BaselineResult;
  perModality: Record<string, BaselineResult>;
  /** `logistic` or a modality name: the baseline with the best validation selection metric. */
  best: string;
  selectMetric: SelectMetric;
  classWeights: string;
}

/** Options of {@link runBaselines}. */
export interface BaselineOptions {
  selectMetric: SelectMetric;
  /** `none`, `balanced` or explicit weights, as for train. */
  classWeights: string;
  cGrid?: number[];
}

function scoresOf(labels: number[], probs: Float64Array, classes: number): Scores {
  const rows = labels.map((_, i) => Array.from(probs.subarray(i * classes, (i + 1) * classes)));
  const predictions = rows.map((p) => argmax(p));
  return {
    accuracy: accuracy(labels, predictions),
    macroF1: macroF1(labels, predictions, classes),
    auc: rocAuc(labels, rows, classes),
  };
}

function single(s: Scores): AggregatedScores {
  const one = (v: number): MeanStd => meanStd([v]);
  return { accuracy: one(s.accuracy), macroF1: one(s.macroF1), auc: one(s.auc) };
}

function value(s: Scores, metric: SelectMetric): number {
  return Number.isNaN(s[metric]) ? -Infinity : s[metric];
}

function lettersOf(data: PreparedData, r: number): string {
  const M = data.modalities.length;
  return data.modalities
    .filter((_, j) => data.observed[r * M + j] === 1)
    .map((m) => m.letter)
    .join('');
}

function perCombination(data: PreparedData, rows: number[], probs: Float64Array): Record<string, CombinationScores> {
  const C = data.classes.length;
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const k = lettersOf(data, r);
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const out: Record<string, CombinationScores> = {};
  for (const k of [...groups.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b))) {
    const idx = groups.get(k)!;
    const labels = idx.map((i) => data.labels[rows[i]]);
    const preds = idx.map((i) => argmax(probs.subarray(i * C, (i + 1) * C)));
    out[k] = { n: idx.length, accuracy: accuracy(labels, preds), macroF1: macroF1(labels, preds, C) };
  }
  return out;
}

/**
 * Fits one logistic baseline on `modalities` over the training rows that have at least one of them,
 * picks C on validation (earliest grid value on ties), and scores validation and test. Test labels are
 * read only after C is fixed.
 */
function fitBaseline(
  data: PreparedData,
  modalities: number[],
  indicators: boolean,
  options: BaselineOptions,
  weights: number[] | null,
): BaselineResult {
  const M = data.modalities.length;
  const C = data.classes.length;
  const has = (r: number): boolean => modalities.some((j) => data.observed[r * M + j] === 1);
  const train = Array.from(data.splits.training).filter(has);
  const val = Array.from(data.splits.validation).filter(has);
  const test = Array.from(data.splits.testing).filter(has);
  if (train.length === 0 || val.length === 0 || test.length === 0) {
    const names = modalities.map((j) => data.modalities[j].name).join(', ');
    throw new Error(`baseline on ${names}: no training, validation or test patient has it`);
  }
  const spec = fitDesignMatrix(data, modalities, indicators, train);
  const xTrain = designRows(data, spec, train);
  const yTrain = Int32Array.from(train, (r) => data.labels[r]);
  const sampleWeights = weights ? Float64Array.from(yTrain, (y) => weights[y]) : undefined;
  const xVal = designRows(data, spec, val);
  const valLabels = val.map((r) => data.labels[r]);
  type Fit = { c: number; model: ReturnType<typeof fitLogistic>; scores: Scores };
  const fits: Fit[] = [];
  let bestIndex = -1;
  const tryC = (c: number): boolean => {
    const model = fitLogistic(xTrain, train.length, spec.width, yTrain, C, {
      c,
      sampleWeights,
      gradientTolerance: 1e-7,
    });
    const scores = scoresOf(valLabels, predictLogistic(model, xVal, val.length), C);
    fits.push({ c, model, scores });
    const better =
      bestIndex < 0 || value(scores, options.selectMetric) > value(fits[bestIndex].scores, options.selectMetric);
    if (better) bestIndex = fits.length - 1;
    return better;
  };
  const grid = [...(options.cGrid ?? DEFAULT_C_GRID)].sort((a, b) => a - b);
  if (grid.length === 0) throw new Error('baseline: the C grid is empty');
  for (const c of grid) tryC(c);
  // The best C at an edge of the grid: keep going that way (×10) while it still improves, within 1e-6 … 1e6.
  const lo = grid[0];
  const hi = grid[grid.length - 1];
  const times = (c: number, f: number): number => Number((c * f).toPrecision(12)); // 1e-6, not 1.0000000000000002e-6
  if (fits[bestIndex].c === lo) for (let c = times(lo, 0.1); c >= 1e-6 && tryC(c); c = times(c, 0.1));
  else if (fits[bestIndex].c === hi) for (let c = times(hi, 10); c <= 1e6 && tryC(c); c = times(c, 10));
  const best = fits[bestIndex];
  const testProbs = predictLogistic(best.model, designRows(data, spec, test), test.length);
  return {
    test: single(
      scoresOf(
        test.map((r) => data.labels[r]),
        testProbs,
        C,
      ),
    ),
    validation: single(best.scores),
    perCombination: perCombination(data, test, testProbs),
    c: best.c,
    features: spec.width,
    n: { training: train.length, validation: val.length, testing: test.length },
  };
}

/**
 * The simple baselines every run is compared with: L2 logistic regression on all modalities
 * (mean-imputed, one missing indicator per modality) and on each single modality (patients that have
 * it), fitted on the training split with C chosen on validation.
 */
export function runBaselines(data: PreparedData, options: BaselineOptions): BaselinesReport {
  const weights = classWeights(options.classWeights, data);
  const all = data.modalities.map((_, j) => j);
  const logistic = fitBaseline(data, all, data.modalities.length > 1, options, weights);
  const perModality: Record<string, BaselineResult> = {};
  if (data.modalities.length > 1) {
    for (const j of all) perModality[data.modalities[j].name] = fitBaseline(data, [j], false, options, weights);
  }
  let best = 'logistic';
  let bestValue = logistic.validation[options.selectMetric].mean;
  for (const [name, r] of Object.entries(perModality)) {
    const v = r.validation[options.selectMetric].mean;
    if (v > bestValue) {
      best = name;
      bestValue = v;
    }
  }
  return { logistic, perModality, best, selectMetric: options.selectMetric, classWeights: options.classWeights };
}

/** The best baseline's result. */
export function bestBaseline(report: BaselinesReport): BaselineResult {
  return report.best === 'logistic' ? report.logistic : report.perModality[report.best];
}

/**
 * One line comparing Flex-MoE with the best baseline on the test metric: ahead or behind when the
 * difference exceeds the spread over seeds (std, ddof 0), else within it.
 */
export function baselineVerdict(
  report: BaselinesReport,
  flexmoe: AggregatedScores,
  name = 'Flex-MoE',
): { verdict: 'ahead' | 'behind' | 'within'; line: string } {
  const metric = report.selectMetric;
  const b = bestBaseline(report).test[metric].mean;
  const f = flexmoe[metric];
  const diff = f.mean - b;
  const verdict = Math.abs(diff) <= f.std ? 'within' : diff > 0 ? 'ahead' : 'behind';
  const pct = (x: number): string => (x * 100).toFixed(2);
  const words = { ahead: 'ahead of', behind: 'behind', within: 'within the seed spread of' }[verdict];
  return {
    verdict,
    line:
      `${name} test ${metric} ${pct(f.mean)}${f.std > 0 ? ` ± ${pct(f.std)}` : ''} is ${words} the best baseline ` +
      `(${report.best}, ${pct(b)}; difference ${diff >= 0 ? '+' : ''}${pct(diff)} points).`,
  };
}
