import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  buildBatch,
  disposeBatch,
  FlexMoEModel,
  registerAllGradients,
  SeededRandom,
  type ModalityEncoder,
} from '@flexmoe/moe-core';
import { encoderFor } from './encoder-for.js';

/** Wraps an encoder and records the rows it was given. */
class RecordingEncoder implements ModalityEncoder {
  readonly seen: number[][][] = [];
  constructor(private readonly inner: ModalityEncoder) {}
  encode(x: tf.Tensor, training: boolean): tf.Tensor3D {
    this.seen.push(x.arraySync() as number[][]);
    return this.inner.encode(x, training);
  }
  namedWeights(): Map<string, tf.Variable> {
    return this.inner.namedWeights();
  }
  dispose(): void {
    this.inner.dispose();
  }
}

describe('encoders inside FlexMoEModel', () => {
  beforeAll(async () => {
    await registerAllGradients();
    await tf.setBackend('cpu');
  });

  it('only the samples that observed a modality are encoded (CNN for the volume, patch embedding for the vector)', () => {
    const random = new SeededRandom(1);
    const dims = { patches: 4, hidden: 8 };
    const volume = new RecordingEncoder(
      encoderFor(
        { name: 'image', letter: 'I', width: 64, kind: 'volume', volumeShape: [4, 4, 4], channels: [2, 2, 2] },
        0,
        dims,
        random,
      ),
    );
    const vector = new RecordingEncoder(encoderFor({ name: 'clinical', letter: 'C', width: 6 }, 1, dims, random));
    const model = new FlexMoEModel(
      {
        modalities: [
          { name: 'image', letter: 'I', width: 64 },
          { name: 'clinical', letter: 'C', width: 6 },
        ],
        patches: 4,
        hidden: 8,
        heads: 2,
        experts: 3,
        topK: 2,
        layers: 1,
        classes: 2,
        dropout: 0,
        routerLossWeight: 0.01,
        ablation: 'none',
      },
      { random, encoders: [volume, vector] },
    );
    // Samples: 0 I+C, 1 C only, 2 I only. Missing rows hold a sentinel that must never reach an encoder.
    const img = new Float32Array(3 * 64).fill(-99);
    img.fill(0.5, 0, 64);
    img.fill(0.25, 128, 192);
    const clin = new Float32Array(3 * 6).fill(-99);
    clin.fill(1, 0, 12);
    const batch = buildBatch(
      model.table,
      [64, 6],
      [img, clin],
      [
        [true, true],
        [false, true],
        [true, false],
      ],
    );
    const { grads } = tf.variableGrads(
      () => model.loss(batch, Int32Array.from([0, 1, 0])).loss,
      [...volume.namedWeights().values()],
    );
    expect(volume.seen).toHaveLength(1);
    expect(volume.seen[0].map((row) => row[0])).toEqual([0.5, 0.25]); // samples 0 and 2
    expect(vector.seen[0]).toHaveLength(2); // samples 0 and 1
    expect(vector.seen[0].flat().every((v) => v === 1)).toBe(true);
    // The CNN is trained through the whole model.
    for (const g of Object.values(grads)) expect(g.dataSync().some((v) => v !== 0)).toBe(true);
    expect([...model.getNamedWeights().keys()].filter((k) => k.startsWith('encoder0/conv'))).toHaveLength(12);
    disposeBatch(batch);
    model.dispose();
  });
});
