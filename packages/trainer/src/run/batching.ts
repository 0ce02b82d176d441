import { buildBatch, type CombinationTable, type FlexMoEBatch } from '@flexmoe/moe-core';
import type { PreparedData } from '../data/prepare-data.js';

/**
 * The model batch of dataset rows `rows` (in that order): per-modality dense slices and the observed mask.
 * `observed` overrides the dataset's mask (robustness evaluation with modalities withheld).
 */
export function makeBatch(
  data: PreparedData,
  table: CombinationTable,
  rows: ArrayLike<number>,
  observed: Uint8Array = data.observed,
): { batch: FlexMoEBatch; labels: Int32Array } {
  const M = data.modalities.length;
  const B = rows.length;
  const mask = new Uint8Array(B * M);
  const labels = new Int32Array(B);
  const dense = data.modalities.map((m) => new Float32Array(B * m.width));
  for (let i = 0; i < B; i++) {
    const r = rows[i];
    labels[i] = data.labels[r];
    for (let j = 0; j < M; j++) {
      const seen = observed[r * M + j];
      mask[i * M + j] = seen;
      if (seen) {
        const w = data.modalities[j].width;
        dense[j].set(data.modalities[j].features.subarray(r * w, (r + 1) * w), i * w);
      }
    }
  }
  const batch = buildBatch(
    table,
    data.modalities.map((m) => m.width),
    dense,
    mask,
  );
  return { batch, labels };
}
