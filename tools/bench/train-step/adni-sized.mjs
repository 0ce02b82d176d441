// The ADNI-sized benchmark model and its random batches, shared by the train-step benchmarks.
import { buildBatch } from '@flexmoe/moe-core';

/** 4 modalities of widths 500, 2000, 300, 20 (the ADNI-sized model). */
export const ADNI_MODALITIES = [
  { name: 'image', letter: 'I', width: 500 },
  { name: 'genomic', letter: 'G', width: 2000 },
  { name: 'clinical', letter: 'C', width: 300 },
  { name: 'biospecimen', letter: 'B', width: 20 },
];

/** A random batch of `B` samples: half full-modality, the rest a random non-empty subset (as in ADNI's mix). */
export function randomBatch(model, B, rng) {
  const M = ADNI_MODALITIES.length;
  const observed = new Uint8Array(B * M);
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let m = 0; m < M; m++) {
      observed[b * M + m] = b % 2 === 0 || rng.nextFloat() < 0.5 ? 1 : 0;
      any ||= observed[b * M + m] === 1;
    }
    if (!any) observed[b * M] = 1;
  }
  const dense = ADNI_MODALITIES.map((m) => rng.normalArray(B * m.width));
  const labels = Int32Array.from({ length: B }, () => Math.floor(rng.nextFloat() * 3));
  return {
    batch: buildBatch(
      model.table,
      ADNI_MODALITIES.map((m) => m.width),
      dense,
      observed,
    ),
    labels,
  };
}
