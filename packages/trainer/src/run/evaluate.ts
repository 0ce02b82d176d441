import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { FlexMoEModel } from '@flexmoe/moe-core';
import { readModelFiles } from '../checkpoint/model-files.js';
import { prepareData } from '../data/prepare-data.js';
import { manifestSha256 } from './train.js';
import { perCombinationScores, predictRows, scoresOf } from './evaluate-rows.js';
import type { CombinationScores, Scores } from './run-types.js';
import { parseModalitySelection } from '../data/modality-selection.js';
import { ensemblePredictions, seedModelDirs } from './seed-ensemble.js';

/** The training options run.json stores (absent for a model directory copied without its run). */
function runOptions(runDir: string): { seeds?: unknown; cvFold?: { fold: number; folds: number } } | undefined {
  const file = join(runDir, 'run.json');
  if (!existsSync(file)) return undefined;
  return (
    JSON.parse(readFileSync(file, 'utf8')) as {
      options?: { seeds?: unknown; cvFold?: { fold: number; folds: number } };
    }
  ).options;
}

/** The seeds of a finished run (run.json), for its seed ensemble. */
function runSeeds(runDir: string): number[] {
  const file = join(runDir, 'run.json');
  if (!existsSync(file)) throw new Error(`${file} not found: is ${runDir} a flexmoe run?`);
  const seeds = runOptions(runDir)?.seeds;
  if (!Array.isArray(seeds) || !seeds.every((s) => Number.isInteger(s)))
    throw new Error(`${file}: options.seeds is not a list of integers`);
  if (seeds.length < 2)
    throw new Error(`--ensemble needs a run trained with at least two seeds (${file} lists ${seeds.length})`);
  return seeds as number[];
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Run directory written by `train`. */
  run: string;
  /** Dataset directory (the one the run was trained on, or one built with the same transforms). */
  data: string;
  /** Modality letters treated as missing at inference (robustness to missing inputs, docs/algorithm.md §9). */
  withhold?: string;
  /** Evaluate `RUN/seed-<s>/best` instead of `RUN/best`. */
  seed?: number;
  /** Evaluate the seed ensemble: the mean probability of every seed's model (run.json's seeds). */
  ensemble?: boolean;
  /** Split to evaluate (default `testing`). */
  split?: 'testing' | 'validation' | 'training';
  batchSize?: number;
}

/** Result of {@link evaluate}. */
export interface EvaluateResult extends Scores {
  n: number;
  split: string;
  withheld: string[];
  /** Patients left with no modality once the withheld ones are removed (they cannot be predicted). */
  droppedNoModality: number;
  perCombination: Record<string, CombinationScores>;
  /** Whether the dataset's manifest is the one the run was trained on. */
  sameDataset: boolean;
  /** The kept epoch and seed of the model (with `ensemble`, of its first member). */
  epoch: number;
  seed: number;
  /** With `ensemble`: the seeds whose models were averaged. */
  ensembleSeeds?: number[];
  /** Why these scores may not be held-out ones (e.g. a `--cv-fold` run trained on part of this split). */
  warnings: string[];
}

/**
 * Evaluates one trained model on a dataset split, optionally with modalities withheld: they are treated
 * as missing, so each patient's combination changes and the bank supplies those modalities.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const runDir = resolve(options.run);
  if (options.ensemble && options.seed !== undefined) throw new Error('--ensemble averages every seed: drop --seed');
  const ensembleSeeds = options.ensemble ? runSeeds(runDir) : undefined;
  const modelDirs = ensembleSeeds
    ? seedModelDirs(runDir, ensembleSeeds)
    : [options.seed === undefined ? join(runDir, 'best') : join(runDir, `seed-${options.seed}`, 'best')];
  for (const dir of modelDirs)
    if (!existsSync(join(dir, 'model.json')))
      throw new Error(`${dir}/model.json not found: is ${runDir} a finished flexmoe run?`);
  const modelDir = modelDirs[0];
  const { meta, weights } = readModelFiles(modelDir);
  const letters = meta.config.modalities.map((m) => m.letter);
  const withheld =
    options.withhold === undefined
      ? []
      : parseModalitySelection('--withhold', options.withhold, meta.config.modalities, 'this model');
  const datasetDir = resolve(options.data);
  const dataset = await readDataset(datasetDir);
  const data = prepareData(dataset, { modalities: letters });
  data.modalities.forEach((m, j) => {
    const c = meta.config.modalities[j];
    if (m.letter !== c.letter || m.width !== c.width) {
      throw new Error(
        `dataset ${datasetDir}: modality ${m.letter} has width ${m.width}, the model expects ${c.letter} with width ${c.width}`,
      );
    }
  });
  const split = options.split ?? 'testing';
  const warnings: string[] = [];
  const cv = runOptions(runDir)?.cvFold;
  // A fold run trained on the training and validation splits except its fold: neither split is held out for it.
  if (cv && split !== 'testing')
    warnings.push(
      `this run was trained with --cv-fold ${cv.fold}/${cv.folds}: it trained on part of the ${split} split, ` +
        'so these scores are not held-out ones',
    );
  const M = letters.length;
  const observed = Uint8Array.from(data.observed);
  for (const l of withheld) {
    const j = letters.indexOf(l);
    for (let r = 0; r * M < observed.length; r++) observed[r * M + j] = 0;
  }
  const rows: number[] = [];
  let dropped = 0;
  for (const r of data.splits[split]) {
    let any = 0;
    for (let j = 0; j < M; j++) any += observed[r * M + j];
    if (any === 0) dropped++;
    else rows.push(r);
  }
  if (rows.length === 0) throw new Error(`no ${split} patient keeps a modality once ${withheld.join(',')} is withheld`);
  const model = new FlexMoEModel({ ...meta.config, dropout: meta.config.dropout ?? 0 }, { seed: 0 });
  try {
    model.setNamedWeights(weights);
    const batchSize = options.batchSize ?? 64;
    const p = ensembleSeeds
      ? ensemblePredictions(modelDirs, data, rows, batchSize, observed)
      : predictRows(model, data, rows, batchSize, observed);
    return {
      ...scoresOf(p, meta.config.classes),
      n: rows.length,
      split,
      withheld,
      droppedNoModality: dropped,
      perCombination: perCombinationScores(p, meta.config.classes, (c) => model.table.get(c).letters),
      sameDataset: manifestSha256(datasetDir) === meta.datasetManifestSha256,
      epoch: meta.epoch,
      seed: meta.seed,
      ...(ensembleSeeds ? { ensembleSeeds } : {}),
      warnings,
    };
  } finally {
    model.dispose();
  }
}
