/*
 * How one training batch is split between data-parallel workers, and how each shard's loss is weighted so that
 * the shards' gradients add up to the gradient of the whole batch's loss (the paper's batch semantics).
 */

/** Contiguous row ranges `[start, end)` of a batch of `size` rows over `workers` shards (some may be empty). */
export function shardRanges(size: number, workers: number): [number, number][] {
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`shardRanges: workers must be an integer >= 1, got ${workers}`);
  return Array.from({ length: workers }, (_, w) => [
    Math.floor((w * size) / workers),
    Math.floor(((w + 1) * size) / workers),
  ]);
}

/**
 * Loss weights of one shard. The task loss is the class-weighted mean cross-entropy over the batch, so a shard's
 * mean enters with its share of the batch's class weight (`W_shard / W_batch`); the router losses, computed by
 * each shard over its own tokens, enter with the shard's share of rows. Empty shards get zero weights.
 */
export function shardLossScales(
  labels: ArrayLike<number>,
  range: [number, number],
  classWeights: readonly number[] | undefined,
): { task: number; router: number } {
  const weight = (i: number): number => (classWeights ? classWeights[labels[i]] : 1);
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += weight(i);
  let shard = 0;
  for (let i = range[0]; i < range[1]; i++) shard += weight(i);
  if (range[1] <= range[0] || total <= 0) return { task: 0, router: 0 };
  return { task: shard / total, router: (range[1] - range[0]) / labels.length };
}

/**
 * Seed of worker `index`'s random stream (dropout, router noise) in epoch `epoch` (0-based) of run seed `seed`:
 * distinct per worker and epoch, and a function of the three only, so a resumed run draws what an
 * uninterrupted one draws.
 */
export function workerRandomSeed(seed: number, index: number, epoch: number): number {
  return (
    (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b) + Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0
  );
}
