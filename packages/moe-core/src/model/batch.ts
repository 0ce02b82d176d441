import * as tf from '@tensorflow/tfjs-core';
import { CombinationTable, combinationIndices } from '../spec/combinations.js';

/**
 * A model input batch. `inputs[m]` holds only the rows of the samples that observed modality m, in
 * ascending sample order (null when none did); `combination[b]` is sample b's combination index.
 */
export interface FlexMoEBatch {
  inputs: (tf.Tensor | null)[];
  combination: Int32Array;
}

/**
 * Builds a batch from dense per-modality arrays (`[B × width_m]`, row-major; rows of missing modalities are
 * ignored) and an observed mask (`Uint8Array [B × M]` or one boolean array per sample). The caller disposes
 * the batch ({@link disposeBatch}).
 */
export function buildBatch(
  table: CombinationTable,
  widths: number[],
  dense: (Float32Array | null)[],
  observed: Uint8Array | boolean[][],
): FlexMoEBatch {
  const M = table.M;
  if (widths.length !== M || dense.length !== M) {
    throw new Error(`buildBatch: expected ${M} modalities, got ${widths.length} widths and ${dense.length} arrays`);
  }
  const combination = combinationIndices(table, observed);
  const B = combination.length;
  const inputs = widths.map((w, m) => {
    const rows: number[] = [];
    for (let b = 0; b < B; b++) if (table.has(combination[b], m)) rows.push(b);
    if (rows.length === 0) return null;
    const src = dense[m];
    if (!src)
      throw new Error(
        `buildBatch: modality ${m} (${table.order[m]}) is observed by ${rows.length} samples but no array was given`,
      );
    if (src.length !== B * w)
      throw new Error(
        `buildBatch: modality ${m} (${table.order[m]}) array has ${src.length} values, expected ${B} × ${w}`,
      );
    const out = new Float32Array(rows.length * w);
    rows.forEach((b, i) => out.set(src.subarray(b * w, (b + 1) * w), i * w));
    return tf.tensor2d(out, [rows.length, w]);
  });
  return { inputs, combination };
}

/** Disposes the input tensors of a batch. */
export function disposeBatch(batch: FlexMoEBatch): void {
  for (const t of batch.inputs) t?.dispose();
}
