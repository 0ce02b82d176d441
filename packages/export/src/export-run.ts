import { mulberry32, readDataset, writeFileAtomic, type LoadedDataset } from '@flexmoe/data';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exportOnnx, type ExportMetadataInput, type ExportOptions } from './export-onnx.js';
import { synthesizeCounterfactualRows } from './counterfactual-distributions.js';
import type { CalibrationReport, CounterfactualSample } from './metadata.js';
import type { ExportModelConfig } from './model-types.js';
import { readRun, type LoadedRun } from './run-reader.js';
import { fitTemperature, TEMPERATURE_BOUNDS } from './runtime/calibration.js';
import { Predictor } from './runtime/predictor.js';
import type { SampleInputs } from './runtime/prediction-types.js';

/** Options of {@link exportRun}. */
export interface ExportRunOptions extends ExportOptions {
  /** Dataset directory (default: the one run.json names). Without a dataset, no transforms/feature names are stored. */
  datasetDir?: string;
  /** Fit a softmax temperature on the validation split and store it (default false). */
  calibrate?: boolean;
  /** Rows per modality stored for counterfactual predictions (default 32; 0 = none). */
  counterfactualRows?: number;
  /**
   * Store real training rows (features only) instead of rows drawn from fitted per-feature distributions.
   * Opt-in only (`--counterfactual-real-rows`): it puts patient data into the model file (docs/privacy.md).
   */
  counterfactualRealRows?: boolean;
  /** Seed of the counterfactual row draw (default 0). */
  seed?: number;
  /**
   * Export every seed of the run (`RUN/seed-<s>/best/`) as one graph whose probabilities are the members'
   * mean (default false: the best seed only). Needs a run trained with at least two seeds.
   */
  ensemble?: boolean;
  /** Progress and warnings (default: none). */
  log?: (message: string) => void;
}

/** What {@link exportRun} wrote. */
export interface ExportRunResult {
  outPath: string;
  bytes: number;
  /** Models in the graph: 1, or the seed count with `ensemble`. */
  members: number;
  /** With `ensemble`: the members' seeds, in member order (member 0 gives the routing outputs). */
  seeds?: number[];
  calibration?: CalibrationReport;
  datasetDir?: string;
}

/**
 * Training options of run.json without anything patient-level or machine-local: metrics and analysis (they may
 * list test ids), dataset entries and file paths (`options.data`, `options.out`, `options.json`).
 */
function trainingOptions(runJson: Record<string, unknown>): Record<string, unknown> {
  const keep: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(runJson)) {
    if (['metrics', 'analysis', 'seeds', 'results', 'history', 'dataset', 'datasetDir', 'datasetPath'].includes(k))
      continue;
    if (k === 'options' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const { data: _data, out: _out, json: _json, ...options } = v as Record<string, unknown>;
      keep[k] = options;
      continue;
    }
    keep[k] = v;
  }
  return keep;
}

/** The dataset modalities a model uses, in the model's order (matched by name, else by letter). */
export function modelModalities(dataset: LoadedDataset, config: ExportModelConfig): LoadedDataset['modalities'] {
  return config.modalities.map((m) => {
    const found =
      dataset.modalities.find((d) => d.name === m.name) ?? dataset.modalities.find((d) => d.letter === m.letter);
    if (!found)
      throw new Error(`${dataset.dir}: the dataset has no modality ${m.name} (${m.letter}) that the model uses`);
    if (found.width !== m.width)
      throw new Error(`${dataset.dir}: modality ${m.name} has width ${found.width}, the model expects ${m.width}`);
    return found;
  });
}

/** Draws up to `k` training rows of each model modality (features only, no ids) with a seeded generator. */
export function sampleCounterfactualRows(
  dataset: LoadedDataset,
  config: ExportModelConfig,
  k: number,
  seed = 0,
): CounterfactualSample[] {
  const rand = mulberry32(seed + 1);
  return modelModalities(dataset, config).map((m, i) => {
    const rows = Array.from(dataset.splitIndices.training).filter((r) => m.observed[r] === 1);
    for (let j = rows.length - 1; j > 0; j--) {
      const t = Math.floor(rand() * (j + 1));
      [rows[j], rows[t]] = [rows[t], rows[j]];
    }
    const chosen = rows.slice(0, k);
    const values = new Float32Array(chosen.length * m.width);
    chosen.forEach((r, j) => values.set(m.features.subarray(r * m.width, (r + 1) * m.width), j * m.width));
    return { modality: config.modalities[i].name, rows: chosen.length, width: m.width, values };
  });
}

/** Model inputs of dataset rows `indices`, for the model's modalities (all dataset modalities without a config). */
export function datasetInputs(
  dataset: LoadedDataset,
  indices: ArrayLike<number>,
  config?: ExportModelConfig,
): SampleInputs[] {
  const modalities = config ? modelModalities(dataset, config) : dataset.modalities;
  return Array.from(indices, (i) =>
    modalities.map((m) => (m.observed[i] === 1 ? m.features.subarray(i * m.width, (i + 1) * m.width) : null)),
  );
}

/** Export metadata from a run and (optionally) its dataset. */
export async function runMetadata(
  run: LoadedRun,
  dataset: LoadedDataset | undefined,
  options: ExportRunOptions,
): Promise<ExportMetadataInput> {
  const meta: ExportMetadataInput = {
    classes: run.classes ?? dataset?.classes,
    training: trainingOptions(run.runJson),
    datasetManifestSha256: run.datasetManifestSha256,
  };
  if (run.modalityFeatureNames) meta.featureNames = run.modalityFeatureNames;
  if (dataset) {
    // A run may use a subset of the dataset's modalities (trainer --modalities): match them by name.
    const used = modelModalities(dataset, run.config);
    meta.featureNames = Object.fromEntries(run.config.modalities.map((m, i) => [m.name, used[i].featureNames]));
    meta.transformsJson = await readFile(path.join(dataset.dir, 'transforms.json'), 'utf8');
    const k = options.counterfactualRows ?? 32;
    if (k > 0 && options.counterfactualRealRows) {
      meta.counterfactualSamples = sampleCounterfactualRows(dataset, run.config, k, options.seed ?? 0);
      for (const s of meta.counterfactualSamples) {
        options.log?.(
          `warning: embedding ${s.rows} real training rows of ${s.modality} ` +
            `(${s.width} transformed features each, no ids) in the model file`,
        );
      }
    } else if (k > 0) {
      const names = run.config.modalities.map((m) => m.name);
      meta.counterfactualSamples = synthesizeCounterfactualRows(dataset, used, names, k, options.seed ?? 0);
    }
  }
  return meta;
}

/**
 * Exports the best model of a run directory (with `ensemble`: all its seeds' models, averaged in one graph) to
 * `outPath` (written atomically), with the dataset's transforms, feature names, class names, counterfactual
 * rows and (with `calibrate`) a temperature fitted on the validation split.
 */
export async function exportRun(
  runDir: string,
  outPath: string,
  options: ExportRunOptions = {},
): Promise<ExportRunResult> {
  const log = options.log ?? (() => undefined);
  const run = await readRun(runDir, { ensemble: options.ensemble });
  const seeds = run.members?.map((m) => m.seed);
  // The single model, or every seed's (export-onnx averages a list of two or more).
  const namedWeights = run.members ? run.members.map((m) => m.namedWeights) : run.namedWeights;
  if (seeds) log(`ensemble of ${seeds.length} seeds (${seeds.join(', ')}); routing outputs are seed ${seeds[0]}'s`);
  const datasetDir = options.datasetDir ?? run.datasetDir;
  let dataset: LoadedDataset | undefined;
  if (datasetDir) {
    dataset = await readDataset(datasetDir);
  } else {
    log(`${runDir}: run.json names no dataset; exporting without transforms, feature names or counterfactual rows`);
  }
  if (options.calibrate && !dataset) throw new Error('--calibrate needs the dataset (its validation split)');
  const metadata: ExportMetadataInput = {
    ...(await runMetadata(run, dataset, options)),
    ...(seeds && { ensembleSeeds: seeds }),
  };
  let bytes = exportOnnx({ config: run.config, namedWeights, metadata }, options);
  let calibration: CalibrationReport | undefined;
  if (options.calibrate && dataset) {
    const validation = dataset.splitIndices.validation;
    if (validation.length === 0) throw new Error(`${dataset.dir}: the validation split is empty; cannot calibrate`);
    // For an ensemble this runs the ensemble graph, so T is fitted on the averaged model's logits.
    const predictor = await Predictor.load(bytes);
    try {
      const out = await predictor.run(datasetInputs(dataset, validation, run.config));
      const labels = Array.from(validation, (i) => dataset.labels[i]);
      calibration = fitTemperature(out.logits, labels, run.config.classes);
    } finally {
      await predictor.close();
    }
    log(
      `temperature ${calibration.temperature.toFixed(4)} on ${calibration.validationSamples} validation samples: ` +
        `ECE ${calibration.eceBefore.toFixed(4)} → ${calibration.eceAfter.toFixed(4)}, ` +
        `NLL ${calibration.nllBefore.toFixed(4)} → ${calibration.nllAfter.toFixed(4)}`,
    );
    const { min, max } = TEMPERATURE_BOUNDS;
    if (calibration.temperature > max * 0.99 || calibration.temperature < min * 1.01) {
      log(
        `warning: the temperature is at its search bound [${min}, ${max}]: ` +
          `validation predictions are barely better than chance (or the validation split is tiny)`,
      );
    }
    bytes = exportOnnx({ config: run.config, namedWeights, metadata: { ...metadata, calibration } }, options);
  }
  await writeFileAtomic(outPath, bytes);
  return {
    outPath,
    bytes: bytes.byteLength,
    members: seeds?.length ?? 1,
    ...(seeds && { seeds }),
    calibration,
    datasetDir,
  };
}
