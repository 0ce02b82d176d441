/** Choosing the lab and vital items of the 'aggregates' modality (MIMIC-IV, transforms/kinds/aggregates.ts). */
import type { ItemAccumulator } from './event-aggregates.js';
import { VITAL_NAMES } from './event-aggregates.js';

/** Chooses the item keys: `topLabs` labs by number of training admissions, then every vital. */
export function selectAggregateItems(
  training: Iterable<ReadonlyMap<string, ItemAccumulator>>,
  topLabs: number,
): string[] {
  const freq = new Map<string, number>();
  for (const byItem of training)
    for (const k of byItem.keys()) if (k.startsWith('lab:')) freq.set(k, (freq.get(k) ?? 0) + 1);
  const labs = [...freq.entries()]
    .sort((a, b) => b[1] - a[1] || Number(a[0].slice(4)) - Number(b[0].slice(4)) || (a[0] < b[0] ? -1 : 1))
    .slice(0, topLabs)
    .map(([k]) => k);
  return [...labs, ...VITAL_NAMES.map((n) => `vital:${n}`)];
}
