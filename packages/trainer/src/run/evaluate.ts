import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { FlexMoEModel } from '@flexmoe/moe-core';
import { readModelFiles } from '../checkpoint/model-files.js';
import { prepareData } from '../data/prepare-data.js';
import { manifestSha256 } from './train.js';
import { perCombinationScores, predictRows, scoresOf } from './evaluate-rows.js';
import type { CombinationScores, Scores } from './run-types.js';
import { parseModalitySelection } from '../data/modality-selection.js';

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
  epoch: number;
  seed: number;
}

/**
 * Evaluates one trained model on a dataset split, optionally with modalities withheld: they are treated
 * as missing, so each patient's combination changes and the bank supplies those modalities.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const runDir = resolve(options.run);
  const modelDir = options.seed === undefined ? join(runDir, 'best') : join(runDir, `seed-${options.seed}`, 'best');
  if (!existsSync(join(modelDir, 'model.json')))
    throw new Error(`${modelDir}/model.json not found: is ${runDir} a finished flexmoe run?`);
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
    const p = predictRows(model, data, rows, options.batchSize ?? 64, observed);
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
    };
  } finally {
    model.dispose();
  }
}
