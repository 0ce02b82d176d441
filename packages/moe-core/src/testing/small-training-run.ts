import * as tf from '@tensorflow/tfjs-core';
import { buildBatch, disposeBatch } from '../model/batch.js';
import { FlexMoEModel, type LossValues, type NamedWeight } from '../model/flex-moe-model.js';
import { TypedAdam } from '../optim/typed-adam.js';
import { SeededRandom } from '../random/random-source.js';
import { defaultConfig } from '../spec/config.js';

/** Three small tabular modalities (widths 13, 7, 30) for kernel-equivalence tests. */
const SMALL_MODALITIES = [
  { name: 'a', letter: 'A', width: 13 },
  { name: 'b', letter: 'B', width: 7 },
  { name: 'c', letter: 'C', width: 30 },
];

/** What {@link smallTrainingRun} observed. */
export interface SmallTrainingRun {
  /** Loss and gradients of the first step. */
  grads: { values: LossValues; gradients: Map<string, NamedWeight> };
  /** Losses of three TypedAdam steps after it. */
  losses: LossValues[];
  /** Weights after those steps. */
  weights: Map<string, NamedWeight>;
  /** Tensors left behind by one more step (0 when nothing leaks). */
  leaked: number;
}

/**
 * A fixed small training run (2 sparse layers, dropout 0.3, 6 samples with mixed combinations, seeds 3 and 8)
 * on the current backend: gradients, four TypedAdam steps, the weights. Tests run it under two settings (fast
 * path on/off, a native matrix-product engine or none) and compare.
 */
export function smallTrainingRun(): SmallTrainingRun {
  const config = defaultConfig(SMALL_MODALITIES, {
    patches: 4,
    hidden: 16,
    heads: 2,
    experts: 8,
    topK: 3,
    classes: 3,
    dropout: 0.3,
    layers: 2,
    dispatch: 'sparse',
  });
  const model = new FlexMoEModel(config, { seed: 3 });
  const random = new SeededRandom(8);
  const B = 6;
  const observed = Array.from({ length: B }, (_, b) =>
    SMALL_MODALITIES.map((_, m) => b % 2 === 0 || (b + m) % 3 !== 0),
  );
  const batch = buildBatch(
    model.table,
    SMALL_MODALITIES.map((m) => m.width),
    SMALL_MODALITIES.map((m) => random.normalArray(B * m.width)),
    observed,
  );
  const labels = Int32Array.from({ length: B }, (_, b) => b % 3);
  const grads = model.computeGradients(batch, labels);
  const opt = new TypedAdam({ learningRate: 1e-2 });
  const losses = [0, 1, 2].map(() => model.trainStep(batch, labels, opt));
  const weights = model.getNamedWeights();
  const before = tf.memory().numTensors;
  model.trainStep(batch, labels, opt);
  const leaked = tf.memory().numTensors - before;
  disposeBatch(batch);
  opt.dispose();
  model.dispose();
  return { grads, losses, weights, leaked };
}
