import { ShuffleRandom, shuffled } from './shuffle-random.js';

/** Training order of docs/algorithm.md §7 and its Table 3 ablations. */
export type TrainingOrder = 'descending' | 'ascending' | 'random';

/**
 * Curriculum order (docs/algorithm.md §7): sample positions sorted by number of observed modalities, descending
 * (full-modality samples first), stable so ties keep their dataset order. `ascending` reverses the key.
 */
export function curriculumOrder(observedCounts: readonly number[], order: TrainingOrder = 'descending'): number[] {
  const positions = observedCounts.map((_, i) => i);
  if (order === 'random') return positions;
  const sign = order === 'descending' ? -1 : 1;
  // Array.prototype.sort is stable (ES2019), and the index tie-break makes that explicit.
  return positions.sort((a, b) => sign * (observedCounts[a] - observedCounts[b]) || a - b);
}

/**
 * Sample order for one epoch (0-based): during the first `warmup` epochs the curriculum order without
 * shuffling; afterwards (and in every epoch for the `random` order ablation) a fresh shuffle drawn from
 * `random`, which advances only when it shuffles.
 */
export function epochOrder(
  curriculum: readonly number[],
  epoch: number,
  warmup: number,
  order: TrainingOrder,
  random: ShuffleRandom,
): number[] {
  if (order !== 'random' && epoch < warmup) return [...curriculum];
  return shuffled(curriculum, random);
}

/** Splits an order into consecutive batches of `batchSize` (the last one may be smaller). */
export function batches(order: readonly number[], batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}
