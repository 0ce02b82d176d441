/**
 * Counterfactual "if acquired" rows that belong to no patient: each feature group of a modality gets a
 * distribution fitted on the training rows that observe the modality, and the stored rows are drawn from
 * those distributions independently (docs/privacy.md). A one-hot group (a categorical or date column) draws
 * one category by its training frequency; a feature with at most three distinct values (genotype dosages,
 * ±1 indicators) draws one of its levels by frequency; any other feature draws from a normal distribution
 * with the training mean and standard deviation, truncated to the training range.
 */
import { mulberry32, type LoadedDataset, type LoadedModality, type ModalityTransform } from '@flexmoe/data';
import type { CounterfactualSample } from './metadata.js';

/** A fitted distribution of one group of consecutive features. */
export type FeatureGroupDistribution =
  | { kind: 'one-hot'; offset: number; width: number; probabilities: number[] }
  | { kind: 'levels'; offset: number; levels: number[]; probabilities: number[] }
  | { kind: 'normal'; offset: number; mean: number; std: number; min: number; max: number };

/** Widths of the feature groups of a modality: one-hot groups for categorical/date columns, else 1 each. */
export function featureGroupWidths(transform: ModalityTransform | undefined, width: number): number[] {
  if (transform?.kind === 'columns') {
    const widths = transform.columns.map((c) =>
      c.type === 'numerical' ? 1 : c.type === 'categorical' ? c.categories.length : c.edges.length - 1,
    );
    if (widths.reduce((a, b) => a + b, 0) === width) return widths;
  }
  return new Array<number>(width).fill(1);
}

/**
 * Fits one distribution per feature group on `rows` (row-major `features`, `width` per row).
 * @param groups widths of consecutive feature groups (sum = width); width > 1 = one-hot ±1 group
 */
export function fitFeatureDistributions(
  features: Float32Array,
  width: number,
  rows: readonly number[],
  groups: readonly number[],
): FeatureGroupDistribution[] {
  const out: FeatureGroupDistribution[] = [];
  let offset = 0;
  for (const g of groups) {
    if (g > 1) {
      // Frequency of the hot index; the last slot counts rows with no hot index (all -1).
      const counts = new Array<number>(g + 1).fill(0);
      for (const r of rows) {
        let hot = g;
        for (let k = 0; k < g; k++) if (features[r * width + offset + k] > 0) hot = k;
        counts[hot]++;
      }
      out.push({ kind: 'one-hot', offset, width: g, probabilities: counts.map((c) => c / Math.max(1, rows.length)) });
    } else {
      const levelCounts = new Map<number, number>();
      let sum = 0;
      let sumSq = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const r of rows) {
        const x = features[r * width + offset];
        if (levelCounts.size <= 3) levelCounts.set(x, (levelCounts.get(x) ?? 0) + 1);
        sum += x;
        sumSq += x * x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const n = Math.max(1, rows.length);
      if (levelCounts.size <= 3) {
        const levels = [...levelCounts.keys()].sort((a, b) => a - b);
        out.push({
          kind: 'levels',
          offset,
          levels,
          probabilities: levels.map((l) => (levelCounts.get(l) as number) / n),
        });
      } else {
        const mean = sum / n;
        out.push({ kind: 'normal', offset, mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), min, max });
      }
    }
    offset += g;
  }
  return out;
}

function drawIndex(probabilities: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < probabilities.length; i++) {
    acc += probabilities[i];
    if (u < acc) return i;
  }
  return probabilities.length - 1;
}

/**
 * A normal draw inside [min, max] by rejection (Box–Muller), so no value sits exactly on a patient's
 * extreme value as clipping would put it; after 16 rejections a uniform draw in the range.
 */
function truncatedNormal(d: { mean: number; std: number; min: number; max: number }, rand: () => number): number {
  for (let tries = 0; tries < 16; tries++) {
    const x = d.mean + d.std * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    if (x > d.min && x < d.max) return x;
  }
  return d.min + (d.max - d.min) * rand();
}

/** Draws `count` rows from fitted distributions with a seeded generator. */
export function drawFromDistributions(
  distributions: readonly FeatureGroupDistribution[],
  width: number,
  count: number,
  rand: () => number,
): Float32Array {
  const values = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const row = values.subarray(r * width, (r + 1) * width);
    for (const d of distributions) {
      if (d.kind === 'one-hot') {
        const hot = drawIndex(d.probabilities, rand());
        for (let k = 0; k < d.width; k++) row[d.offset + k] = k === hot ? 1 : -1;
      } else if (d.kind === 'levels') {
        row[d.offset] = d.levels[drawIndex(d.probabilities, rand())];
      } else {
        row[d.offset] = truncatedNormal(d, rand);
      }
    }
  }
  return values;
}

/**
 * `k` synthetic rows per modality drawn from per-feature-group distributions fitted on the training rows that
 * observe it (none when no training row does). No stored row is a patient's row.
 */
export function synthesizeCounterfactualRows(
  dataset: LoadedDataset,
  modalities: readonly LoadedModality[],
  modelNames: readonly string[],
  k: number,
  seed = 0,
): CounterfactualSample[] {
  const rand = mulberry32(seed + 1);
  return modalities.map((m, i) => {
    const rows = Array.from(dataset.splitIndices.training).filter((r) => m.observed[r] === 1);
    if (rows.length === 0) return { modality: modelNames[i], rows: 0, width: m.width, values: new Float32Array(0) };
    const groups = featureGroupWidths(dataset.transforms.modalities[m.name], m.width);
    const distributions = fitFeatureDistributions(m.features, m.width, rows, groups);
    return {
      modality: modelNames[i],
      rows: k,
      width: m.width,
      values: drawFromDistributions(distributions, m.width, k, rand),
    };
  });
}
