import { join } from 'node:path';
import { FlexMoEModel } from '@flexmoe/moe-core';
import { readModelFiles } from '../checkpoint/model-files.js';
import type { PreparedData } from '../data/prepare-data.js';
import { argmax } from '../metrics/classification.js';
import { perCombinationScores, predictRows, scoresOf, type RowPredictions } from './evaluate-rows.js';
import type { AggregatedScores, CombinationScores, Scores } from './run-types.js';

/**
 * The seed ensemble of a run: the arithmetic mean of its seeds' predicted probabilities. Seeds differ
 * in initialisation and batch order only, so on small data they disagree patient by patient; averaging
 * removes that noise (docs/training.md, "Seed ensembles"). `flexmoe export --ensemble` serves the same mean.
 */
export interface EnsembleScores {
  /** Seeds whose `seed-<s>/best` models were averaged, in order. */
  seeds: number[];
  validation: Scores;
  test: Scores;
  /** Letters → test n, accuracy and macro-F1 of the ensemble. */
  perCombination: Record<string, CombinationScores>;
}

/** The kept model directory of each seed of a run. */
export function seedModelDirs(runDir: string, seeds: readonly number[]): string[] {
  return seeds.map((s) => join(runDir, `seed-${s}`, 'best'));
}

/**
 * Predictions of the mean of several models on `rows`: probabilities averaged, predictions their argmax;
 * combinations and routing are the first model's (the members see the same inputs).
 * @throws naming the directory whose model differs from the first one's configuration
 */
export function ensemblePredictions(
  modelDirs: readonly string[],
  data: PreparedData,
  rows: ArrayLike<number>,
  batchSize: number,
  observed?: Uint8Array,
): RowPredictions {
  if (modelDirs.length === 0) throw new Error('ensemble: no model to average');
  let first: RowPredictions | undefined;
  let firstConfig = '';
  let sums: Float64Array[] = [];
  for (const dir of modelDirs) {
    const { meta, weights } = readModelFiles(dir);
    const config = JSON.stringify({ ...meta.config, dropout: 0 });
    if (first && config !== firstConfig)
      throw new Error(`ensemble: ${dir} has another model configuration than ${modelDirs[0]}`);
    const model = new FlexMoEModel({ ...meta.config, dropout: 0 }, { seed: 0 });
    let p: RowPredictions;
    try {
      model.setNamedWeights(weights);
      p = predictRows(model, data, rows, batchSize, observed);
    } finally {
      model.dispose();
    }
    if (!first) {
      first = p;
      firstConfig = config;
      sums = p.probabilities.map((q) => Float64Array.from(q));
    } else {
      p.probabilities.forEach((q, i) => q.forEach((v, c) => (sums[i][c] += v)));
    }
  }
  const n = modelDirs.length;
  const probabilities = sums.map((q) => Array.from(q, (v) => v / n));
  return { ...first!, probabilities, predictions: probabilities.map(argmax) };
}

/**
 * Scores of the seed ensemble of a finished run on the validation and test splits of `data` (as the run
 * prepared them: with `--validation-only` its test split repeats validation).
 */
export function ensembleScores(
  runDir: string,
  seeds: readonly number[],
  data: PreparedData,
  batchSize: number,
  lettersOf: (c: number) => string,
): EnsembleScores {
  const dirs = seedModelDirs(runDir, seeds);
  const C = data.classes.length;
  const validation = ensemblePredictions(dirs, data, data.splits.validation, batchSize);
  const test = ensemblePredictions(dirs, data, data.splits.testing, batchSize);
  return {
    seeds: [...seeds],
    validation: scoresOf(validation, C),
    test: scoresOf(test, C),
    perCombination: perCombinationScores(test, C, lettersOf),
  };
}

/** One model's scores in the over-seeds shape (std 0), to set the ensemble beside the baselines like a run. */
export function singleModelScores(s: Scores): AggregatedScores {
  return {
    accuracy: { mean: s.accuracy, std: 0, perSeed: [s.accuracy] },
    macroF1: { mean: s.macroF1, std: 0, perSeed: [s.macroF1] },
    auc: { mean: s.auc, std: 0, perSeed: [s.auc] },
  };
}
