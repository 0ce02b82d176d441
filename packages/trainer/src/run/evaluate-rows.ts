import {
  disposeBatch,
  emptyRoutingStats,
  mergeRoutingStats,
  type FlexMoEModel,
  type RoutingStats,
} from '@flexmoe/moe-core';
import type { PreparedData } from '../data/prepare-data.js';
import { accuracy, argmax, macroF1, rocAuc } from '../metrics/classification.js';
import type { CombinationScores, Scores } from './run-types.js';
import { makeBatch } from './batching.js';

/** Predictions of a model on some dataset rows (inference mode: no dropout, no router noise). */
export interface RowPredictions {
  rows: number[];
  labels: number[];
  probabilities: number[][];
  predictions: number[];
  /** Combination index of each row (after any withholding). */
  combinations: number[];
  routing: RoutingStats;
}

/** Runs inference on `rows` in batches of `batchSize`. */
export function predictRows(
  model: FlexMoEModel,
  data: PreparedData,
  rows: ArrayLike<number>,
  batchSize: number,
  observed?: Uint8Array,
): RowPredictions {
  const all = Array.from(rows);
  const out: RowPredictions = {
    rows: all,
    labels: [],
    probabilities: [],
    predictions: [],
    combinations: [],
    routing: emptyRoutingStats(model.table.count, model.config.experts, model.config.topK),
  };
  const C = model.config.classes;
  for (let start = 0; start < all.length; start += batchSize) {
    const part = all.slice(start, start + batchSize);
    const { batch, labels } = makeBatch(data, model.table, part, observed);
    try {
      const p = model.predict(batch);
      out.routing = mergeRoutingStats(out.routing, p.routing);
      for (let i = 0; i < part.length; i++) {
        const probs = Array.from(p.probabilities.subarray(i * C, (i + 1) * C));
        out.probabilities.push(probs);
        out.predictions.push(argmax(probs));
        out.labels.push(labels[i]);
        out.combinations.push(batch.combination[i]);
      }
    } finally {
      disposeBatch(batch);
    }
  }
  return out;
}

/** Accuracy, macro-F1 and AUC of predictions. */
export function scoresOf(p: Pick<RowPredictions, 'labels' | 'predictions' | 'probabilities'>, classes: number): Scores {
  return {
    accuracy: accuracy(p.labels, p.predictions),
    macroF1: macroF1(p.labels, p.predictions, classes),
    auc: rocAuc(p.labels, p.probabilities, classes),
  };
}

/** Accuracy and macro-F1 per input combination (letters in modality order), in combination-index order. */
export function perCombinationScores(
  p: RowPredictions,
  classes: number,
  lettersOf: (c: number) => string,
): Record<string, CombinationScores> {
  const groups = new Map<number, number[]>();
  p.combinations.forEach((c, i) => {
    const g = groups.get(c) ?? [];
    g.push(i);
    groups.set(c, g);
  });
  const out: Record<string, CombinationScores> = {};
  for (const c of [...groups.keys()].sort((a, b) => a - b)) {
    const idx = groups.get(c)!;
    const labels = idx.map((i) => p.labels[i]);
    const preds = idx.map((i) => p.predictions[i]);
    out[lettersOf(c)] = { n: idx.length, accuracy: accuracy(labels, preds), macroF1: macroF1(labels, preds, classes) };
  }
  return out;
}
