/**
 * The fitted 'aggregates' transform (MIMIC labs + vitals, modality L). Features: for each selected
 * item (the `topLabs` lab items measured in the most training admissions, ties → smaller itemid,
 * then the 8 vitals) the statistics last, mean, min, max over the admission. Each feature is scaled
 * by MinMax to [-1, 1] with training min/max (constant feature → 0) and a missing item is imputed
 * with the feature's training mean after scaling. Values outside the training range are not clipped.
 *
 * Raw record part: `{ "<item key>": number[] }` with the item's values of the admission in
 * chronological order (the last element is the latest), in canonical units (vitals: °C, after the
 * valid-range filter of vitalsign.sql). Item keys are `lab:<itemid>` and `vital:<name>`.
 */
import type { ItemAccumulator } from '../../mimic/event-aggregates.js';
import type { TransformKind } from '../transform-kind.js';

/**
 * MIMIC labs/vitals: per item key (`lab:<itemid>`, `vital:<name>`) the statistics over the admission; per
 * feature (item-major, statistic-minor) training min/max for MinMax to [-1, 1] and the fill value
 * (training mean after scaling).
 */
export interface AggregatesModalityTransform {
  kind: 'aggregates';
  items: string[];
  itemLabels: string[];
  statistics: ('last' | 'mean' | 'min' | 'max')[];
  min: number[];
  max: number[];
  fill: number[];
}

/** Statistics per item, in feature order. */
export const AGGREGATE_STATISTICS = ['last', 'mean', 'min', 'max'] as const;

function statistic(a: ItemAccumulator, s: (typeof AGGREGATE_STATISTICS)[number]): number {
  switch (s) {
    case 'last':
      return a.last;
    case 'mean':
      return a.sum / a.count;
    case 'min':
      return a.min;
    default:
      return a.max;
  }
}

/** Unscaled feature vector of one admission (NaN = item not measured). */
export function aggregateFeatures(
  items: readonly string[],
  byItem: ReadonlyMap<string, ItemAccumulator> | undefined,
): Float64Array {
  const out = new Float64Array(items.length * AGGREGATE_STATISTICS.length).fill(NaN);
  if (!byItem) return out;
  items.forEach((key, i) => {
    const a = byItem.get(key);
    if (!a) return;
    AGGREGATE_STATISTICS.forEach((s, j) => (out[i * AGGREGATE_STATISTICS.length + j] = statistic(a, s)));
  });
  return out;
}

/** Fits min/max/fill on training feature vectors (unscaled, NaN = missing). */
export function fitAggregatesTransform(
  items: string[],
  itemLabels: string[],
  training: readonly Float64Array[],
): AggregatesModalityTransform {
  const width = items.length * AGGREGATE_STATISTICS.length;
  const min = new Array<number>(width).fill(Infinity);
  const max = new Array<number>(width).fill(-Infinity);
  for (const row of training) {
    for (let j = 0; j < width; j++) {
      const v = row[j];
      if (Number.isNaN(v)) continue;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  for (let j = 0; j < width; j++) {
    if (min[j] === Infinity) {
      min[j] = 0;
      max[j] = 0;
    }
  }
  const sum = new Array<number>(width).fill(0);
  const count = new Array<number>(width).fill(0);
  for (const row of training) {
    for (let j = 0; j < width; j++) {
      if (Number.isNaN(row[j])) continue;
      sum[j] += scaleValue(row[j], min[j], max[j]);
      count[j]++;
    }
  }
  return {
    kind: 'aggregates',
    items,
    itemLabels,
    statistics: [...AGGREGATE_STATISTICS],
    min,
    max,
    fill: sum.map((s, j) => (count[j] > 0 ? s / count[j] : 0)),
  };
}

/** MinMax to [-1, 1]; a constant feature maps to 0. */
export function scaleValue(v: number, lo: number, hi: number): number {
  return hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0;
}

/** Scales an unscaled feature vector and imputes missing features (→ Float32). */
export function scaleAggregateFeatures(
  t: AggregatesModalityTransform,
  raw: Float64Array,
  out = new Float32Array(raw.length),
): Float32Array {
  for (let j = 0; j < raw.length; j++)
    out[j] = Number.isNaN(raw[j]) ? t.fill[j] : scaleValue(raw[j], t.min[j], t.max[j]);
  return out;
}

/** Feature names `<item key>:<statistic>` (with the item label when known). */
export function aggregateFeatureNames(t: AggregatesModalityTransform): string[] {
  return t.items.flatMap((k, i) =>
    t.statistics.map((s) => `${k}${t.itemLabels[i] ? `(${t.itemLabels[i]})` : ''}:${s}`),
  );
}

/** Applies the transform to a raw record part (see the file comment). */
export function applyAggregatesTransform(t: AggregatesModalityTransform, raw: unknown, where: string): Float32Array {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `${where}: expected an object { "<item key>": number[] } (item keys like lab:50912, vital:heart_rate)`,
    );
  }
  const byItem = new Map<string, ItemAccumulator>();
  for (const [key, values] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(values)) throw new Error(`${where}: item '${key}' must be an array of numbers`);
    values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`${where}: item '${key}'[${i}] is not a finite number`);
      const a = byItem.get(key);
      if (!a) byItem.set(key, { count: 1, sum: v, min: v, max: v, last: v, lastTime: 0 });
      else {
        a.count++;
        a.sum += v;
        if (v < a.min) a.min = v;
        if (v > a.max) a.max = v;
        a.last = v;
      }
    });
  }
  return scaleAggregateFeatures(t, aggregateFeatures(t.items, byItem));
}

export const aggregatesKind: TransformKind<AggregatesModalityTransform> = {
  kind: 'aggregates',
  apply: applyAggregatesTransform,
  width: (t) => t.items.length * t.statistics.length,
};
