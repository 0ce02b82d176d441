import { ShuffleRandom, shuffled } from '../schedule/shuffle-random.js';
import { observedCounts, type PreparedData } from './prepare-data.js';

/** One fold of a K-fold split of training ∪ validation (`flexmoe train --cv-fold k/K`). */
export interface CrossValidationFold {
  /** 1-based fold index: this fold's patients are held out and scored. */
  fold: number;
  folds: number;
  /** Seed of the assignment of patients to folds (the same for every fold of one tune). */
  seed: number;
}

/** Parses `k/K` (1 ≤ k ≤ K, K ≥ 2), naming the flag on error. */
export function parseCrossValidationFold(flag: string, value: string, seed: number): CrossValidationFold {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const fold = m ? Number(m[1]) : NaN;
  const folds = m ? Number(m[2]) : NaN;
  const cv = { fold, folds, seed };
  checkCrossValidationFold(flag, cv);
  return cv;
}

/** Throws, naming the flag, unless `cv` is a valid fold. */
export function checkCrossValidationFold(flag: string, cv: CrossValidationFold): void {
  if (!(
    Number.isInteger(cv.folds) &&
    cv.folds >= 2 &&
    Number.isInteger(cv.fold) &&
    cv.fold >= 1 &&
    cv.fold <= cv.folds
  ))
    throw new Error(
      `${flag}: expected k/K with K >= 2 and 1 <= k <= K (e.g. 2/3), got ${JSON.stringify(`${cv.fold}/${cv.folds}`)}`,
    );
  if (!Number.isInteger(cv.seed) || cv.seed < 0) throw new Error(`--cv-seed: expected an integer >= 0, got ${cv.seed}`);
}

/**
 * Training and held-out rows of one cross-validation fold. The pool is the training and validation splits
 * together; the test split never enters. Patients are dealt to folds within strata of (split they came from,
 * label), so every fold holds the same mix of both: the validation split of a dataset may differ from its
 * training split (e.g. only full-modality patients), and a fold with few positives would rank nothing.
 * Fold sizes differ by at most one. With `fullOnly`, a fold trains only on patients with every modality.
 */
export function crossValidationSplits(
  data: PreparedData,
  cv: CrossValidationFold,
  options: { fullOnly?: boolean } = {},
): { training: Int32Array; validation: Int32Array } {
  checkCrossValidationFold('--cv-fold', cv);
  const pool = data.splits.training.length + data.splits.validation.length;
  if (pool < cv.folds)
    throw new Error(`--cv-fold ${cv.fold}/${cv.folds}: training and validation hold only ${pool} patients`);
  const random = new ShuffleRandom(cv.seed);
  const assigned = new Map<number, number>();
  let dealt = 0;
  for (const split of [data.splits.training, data.splits.validation]) {
    const byLabel = new Map<number, number[]>();
    for (const r of split) {
      const rows = byLabel.get(data.labels[r]) ?? [];
      rows.push(r);
      byLabel.set(data.labels[r], rows);
    }
    for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
      // Dealing continues where the previous stratum stopped, so the folds stay within one patient of each other.
      for (const r of shuffled(byLabel.get(label)!, random)) assigned.set(r, dealt++ % cv.folds);
    }
  }
  const training: number[] = [];
  const validation: number[] = [];
  for (const [r, f] of assigned) (f === cv.fold - 1 ? validation : training).push(r);
  const ascending = (rows: number[]): Int32Array => Int32Array.from(rows).sort();
  // --full-only: prepareData left only full-modality patients in the training split, but the validation split's
  // part of the pool is unfiltered; its incomplete patients may be held out, not trained on.
  const counts = options.fullOnly ? observedCounts(data, training) : [];
  const trained = options.fullOnly ? training.filter((_, i) => counts[i] === data.modalities.length) : training;
  return { training: ascending(trained), validation: ascending(validation) };
}
