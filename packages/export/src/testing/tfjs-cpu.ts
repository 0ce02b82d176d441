import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LoadedDataset } from '@flexmoe/data';
import { buildBatch, disposeBatch, type FlexMoEModel } from '@flexmoe/moe-core';

/**
 * Jest hooks for tests that run the TF.js model: the cpu backend for the enclosing `describe`, without
 * tfjs-backend-cpu's once-per-process "tfjs-node" advert on console.warn (test output stays clean).
 */
export function useTfjsCpuBackend(): void {
  const warn = console.warn;
  beforeAll(async () => {
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes('tfjs-node')) warn(...args);
    };
    await tf.setBackend('cpu');
    await tf.ready();
  });
  afterAll(() => {
    console.warn = warn;
  });
}

/** The TF.js model's probabilities (inference mode) for dense per-modality rows and their observed masks. */
export function tfjsProbabilities(model: FlexMoEModel, dense: Float32Array[], observed: boolean[][]): Float32Array {
  const batch = buildBatch(
    model.table,
    model.config.modalities.map((m) => m.width),
    dense,
    observed,
  );
  try {
    return model.predict(batch).probabilities;
  } finally {
    disposeBatch(batch);
  }
}

/**
 * The TF.js model's probabilities (inference mode) on dataset rows `rows`, in that order, with each row's
 * observed modalities; `[rows.length × classes]`.
 */
export function tfjsDatasetProbabilities(
  model: FlexMoEModel,
  dataset: LoadedDataset,
  rows: readonly number[],
): Float32Array {
  const observed = rows.map((i) => dataset.modalities.map((m) => m.observed[i] === 1));
  const dense = dataset.modalities.map((m) => {
    const out = new Float32Array(rows.length * m.width);
    rows.forEach((i, r) => out.set(m.features.subarray(i * m.width, (i + 1) * m.width), r * m.width));
    return out;
  });
  return tfjsProbabilities(model, dense, observed);
}
