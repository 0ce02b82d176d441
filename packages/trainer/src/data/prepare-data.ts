import type { LoadedDataset } from '@flexmoe/data';
import { parseModalitySelection } from './modality-selection.js';

/** One modality as the model sees it. */
export interface PreparedModality {
  name: string;
  letter: string;
  width: number;
  featureNames: string[];
  /** `rows × width`, row-major; rows without the modality are 0 and never fed to the encoder. */
  features: Float32Array;
}

/** A dataset restricted to the modalities of one run (docs/algorithm.md §9, paper Table 1). */
export interface PreparedData {
  /** Selected modalities, in the dataset's modality order. */
  modalities: PreparedModality[];
  classes: string[];
  ids: string[];
  labels: Int32Array;
  /** `rows × M`: 1 where the row observed the (selected) modality. */
  observed: Uint8Array;
  /** Row indices per split (ascending). */
  splits: { training: Int32Array; validation: Int32Array; testing: Int32Array };
  /** Patients dropped because they have none of the selected modalities, per split. */
  dropped: { training: number; validation: number; testing: number };
  /** Training patients left out by `fullOnly` (they miss at least one selected modality). */
  droppedNotFull: number;
}

/** Options of {@link prepareData}. */
export interface PrepareDataOptions {
  /** Modalities to keep (letters or names, any order, e.g. `['I','G']`, `['IG']`; modality-selection.ts); all when undefined. */
  modalities?: string[];
  /** Train only on patients with every selected modality (the paper's full-modality baseline). */
  fullOnly?: boolean;
}

/**
 * Restricts a loaded dataset to a subset of modalities, end to end: only the selected modalities'
 * features are kept, and patients with none of them are dropped (and counted) from every split.
 */
export function prepareData(dataset: LoadedDataset, options: PrepareDataOptions = {}): PreparedData {
  const available = dataset.modalities.map((m) => m.letter);
  let selected = dataset.modalities.map((_, i) => i);
  if (options.modalities !== undefined) {
    const seen = new Set(
      parseModalitySelection('--modalities', options.modalities, dataset.modalities, `dataset ${dataset.dir}`),
    );
    selected = selected.filter((i) => seen.has(available[i]));
  }
  const M = selected.length;
  const n = dataset.ids.length;
  const observedAll = new Uint8Array(n * M);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < M; j++) observedAll[r * M + j] = dataset.modalities[selected[j]].observed[r];
  }
  const count = (r: number): number => {
    let c = 0;
    for (let j = 0; j < M; j++) c += observedAll[r * M + j];
    return c;
  };
  const dropped = { training: 0, validation: 0, testing: 0 };
  let droppedNotFull = 0;
  const keep = (name: 'training' | 'validation' | 'testing'): Int32Array => {
    const out: number[] = [];
    for (const r of dataset.splitIndices[name]) {
      const c = count(r);
      if (c === 0) {
        dropped[name]++;
        continue;
      }
      if (name === 'training' && options.fullOnly && c < M) {
        droppedNotFull++;
        continue;
      }
      out.push(r);
    }
    return Int32Array.from(out);
  };
  const splits = { training: keep('training'), validation: keep('validation'), testing: keep('testing') };
  for (const name of ['training', 'validation', 'testing'] as const) {
    if (splits[name].length === 0) {
      throw new Error(
        `dataset ${dataset.dir}: no ${name} patient has any of the modalities ${selected.map((i) => available[i]).join(',')}${
          name === 'training' && options.fullOnly ? ' (with --full-only: all of them)' : ''
        }`,
      );
    }
  }
  return {
    modalities: selected.map((i) => {
      const m = dataset.modalities[i];
      return { name: m.name, letter: m.letter, width: m.width, featureNames: m.featureNames, features: m.features };
    }),
    classes: dataset.classes,
    ids: dataset.ids,
    labels: dataset.labels,
    observed: observedAll,
    splits,
    dropped,
    droppedNotFull,
  };
}

/** Number of observed (selected) modalities of each row in `rows`. */
export function observedCounts(data: PreparedData, rows: ArrayLike<number>): number[] {
  const M = data.modalities.length;
  return Array.from(rows, (r) => {
    let c = 0;
    for (let j = 0; j < M; j++) c += data.observed[r * M + j];
    return c;
  });
}

/**
 * Class weights for the task cross-entropy: `none` (all 1), `balanced` (n / (C · n_c) on training labels,
 * as scikit-learn) or explicit.
 */
export function classWeights(spec: string, data: PreparedData): number[] | null {
  const C = data.classes.length;
  if (spec === 'none') return null;
  if (spec === 'balanced') {
    const counts = new Array<number>(C).fill(0);
    for (const r of data.splits.training) counts[data.labels[r]]++;
    const n = data.splits.training.length;
    return counts.map((c) => (c === 0 ? 0 : n / (C * c)));
  }
  const parts = spec.split(',').map((s) => Number(s.trim()));
  if (parts.length !== C || parts.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new Error(
      `--class-weights '${spec}': expected none, balanced or ${C} non-negative numbers separated by commas ` +
        `(classes ${data.classes.join(', ')})`,
    );
  }
  return parts;
}
