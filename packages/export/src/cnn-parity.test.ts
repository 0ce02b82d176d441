import {
  buildBatch,
  defaultConfig,
  disposeBatch,
  FlexMoEModel,
  SeededRandom,
  type FlexMoEConfig,
} from '@flexmoe/moe-core';
import { Cnn3dEncoder, encoderFor } from '@flexmoe/encoders';
import { mulberry32 } from '@flexmoe/data';
import { combinationMasks } from '@flexmoe/moe-core/spec';
import { exportOnnx } from './export-onnx.js';
import type { GraphVariant } from './onnx/flexmoe-graph.js';
import { Predictor } from './runtime/predictor.js';
import { randomNamedWeights } from './testing/random-model.js';
import { useTfjsCpuBackend } from './testing/tfjs-cpu.js';

/**
 * Volume modalities (the 3D CNN of @flexmoe/encoders) in the ONNX graph: the TF.js FlexMoEModel with a
 * `Cnn3dEncoder` (cpu backend, inference mode) vs the exported graph in onnxruntime, on every combination.
 */
async function compare(config: FlexMoEConfig, variant: Partial<GraphVariant>, seed: number) {
  const random = new SeededRandom(seed);
  const dims = { patches: config.patches, hidden: config.hidden, patchProjection: config.patchProjection };
  const encoders = config.modalities.map((m, i) => (m.kind === 'volume' ? encoderFor(m, i, dims, random) : undefined));
  expect(encoders.filter((e) => e instanceof Cnn3dEncoder)).toHaveLength(
    config.modalities.filter((m) => m.kind === 'volume').length,
  );
  const model = new FlexMoEModel(config, { seed, encoders });
  // O(1)-scale weights for every tensor (the CNN's too) so that all of them matter; setNamedWeights checks
  // that the names and shapes of randomNamedWeights are exactly those of the Cnn3dEncoder.
  // CNN kernels at He-uniform scale (±√(6/fan-in)) and small biases, so that activations keep an O(1) scale
  // through the six ReLU convs and the input, not the bias, drives them.
  const weights = randomNamedWeights(config, seed + 100);
  for (const [name, w] of weights) {
    const cnn = /^encoder\d+\/(conv\d+|cnn_dense)_(kernel|bias)$/.exec(name);
    if (cnn) w.values = w.values.map((v) => v * (cnn[2] === 'kernel' ? Math.sqrt(6) : 0.1));
    // The CNN's features are small after the global pool; a larger patch embedding lets them move the tokens.
    if (
      /^encoder\d+\/patch_kernel$/.test(name) &&
      config.modalities[Number(name.slice(7, name.indexOf('/')))].kind === 'volume'
    ) {
      w.values = w.values.map((v) => v * 8);
    }
  }
  model.setNamedWeights(weights);
  const M = config.modalities.length;
  const masks = combinationMasks(M);
  const perCombination = 3;
  const B = masks.length * perCombination;
  const rand = mulberry32(seed);
  const observed = masks.flatMap((mask) => Array.from({ length: perCombination }, () => mask));
  const dense = config.modalities.map((m) =>
    m.volumeShape
      ? rampVolumes(m.volumeShape, B, rand)
      : Float32Array.from({ length: B * m.width }, () => rand() * 2 - 1),
  );
  const batch = buildBatch(
    model.table,
    config.modalities.map((m) => m.width),
    dense,
    observed,
  );
  const tfProbs = model.predict(batch).probabilities;
  disposeBatch(batch);
  const bytes = exportOnnx(model, { variant });
  model.dispose();
  const predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  // Rows of missing modalities are not sent (the predictor feeds zeros).
  const samples = observed.map((mask, b) =>
    config.modalities.map((m, i) => (mask[i] ? dense[i].slice(b * m.width, (b + 1) * m.width) : null)),
  );
  const out = await predictor.run(samples);
  const stored = predictor.metadata.config.modalities;
  await predictor.close();
  expect(out.combination).toEqual(masks.flatMap((_, c) => Array.from({ length: perCombination }, () => c)));
  let maxDiff = 0;
  for (let i = 0; i < tfProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tfProbs[i] - out.probabilities[i]));
  return { maxDiff, tfProbs, masks, perCombination, stored };
}

/**
 * `n` flattened volumes `[D][H][W]`: a random linear ramp along each axis plus noise. I.i.d. noise alone would
 * average out in the global pool; ramps keep the CNN's output sensitive to the kernel's orientation and to
 * where the pooling pads.
 */
function rampVolumes([D, H, W]: [number, number, number], n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n * D * H * W);
  for (let b = 0; b < n; b++) {
    const [a, c, e] = [0, 1, 2].map(() => rand() * 8 - 4);
    const offset = rand() - 0.5;
    for (let d = 0; d < D; d++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          out[((b * D + d) * H + h) * W + w] =
            offset + a * (d / D) + c * (h / H) + e * (w / W) + 0.3 * (rand() * 2 - 1);
        }
      }
    }
  }
  return out;
}

/** Spread of the first class probability between the samples of the combination that observes modality `m` only. */
function spreadWithin(
  tfProbs: Float32Array,
  classes: number,
  masks: boolean[][],
  perCombination: number,
  m: number,
): number {
  const c = masks.findIndex((mask) => mask.every((o, i) => o === (i === m)));
  const p = Array.from({ length: perCombination }, (_, j) => tfProbs[(c * perCombination + j) * classes]);
  return Math.max(...p) - Math.min(...p);
}

describe('ONNX export of volume modalities (3D CNN) vs the TF.js FlexMoEModel', () => {
  useTfjsCpuBackend();

  test.each(['shared', 'per-patch'] as const)(
    '5×6×7 volume + tabular modality, every combination (sparse experts, Gemm, %s patch projection): within 1e-4',
    async (patchProjection) => {
      // Odd sizes: both max-pools pad at the end (TF 'same'), 5×6×7 → 3×3×4 → 2×2×2.
      const config = defaultConfig(
        [
          { name: 'mri', letter: 'I', width: 210, kind: 'volume', volumeShape: [5, 6, 7], channels: [2, 3, 4] },
          { name: 'clinical', letter: 'C', width: 5 },
        ],
        { patches: 4, hidden: 8, heads: 2, experts: 4, topK: 2, layers: 1, classes: 3, dropout: 0.5, patchProjection },
      );
      const { maxDiff, tfProbs, masks, perCombination, stored } = await compare(config, {}, 3);
      expect(masks).toHaveLength(3);
      expect(maxDiff).toBeLessThan(1e-4);
      // The volume drives the prediction (the check is not vacuous): volume-only samples differ only in their volumes.
      expect(spreadWithin(tfProbs, 3, masks, perCombination, 0)).toBeGreaterThan(1e-2);
      // The exported config keeps the volume's shape and channels.
      expect(stored[0]).toMatchObject({ kind: 'volume', volumeShape: [5, 6, 7], channels: [2, 3, 4] });
    },
  );

  test(
    'tabular + 2×3×4 volume at position 1 (even and size-1 pooling, default channels; dense experts, MatMul): ' +
      'within 1e-4',
    async () => {
      const config = defaultConfig(
        [
          { name: 'labs', letter: 'L', width: 3 },
          { name: 'pet scan', letter: 'P', width: 24, kind: 'volume', volumeShape: [2, 3, 4] },
        ],
        { patches: 3, hidden: 4, heads: 1, experts: 3, topK: 1, layers: 2, classes: 2 },
      );
      const { maxDiff, tfProbs, masks, perCombination } = await compare(config, { moe: 'dense', linear: 'matmul' }, 5);
      expect(maxDiff).toBeLessThan(1e-4);
      expect(spreadWithin(tfProbs, 2, masks, perCombination, 1)).toBeGreaterThan(5e-4);
    },
  );
});

describe('volume modality config errors', () => {
  const tabular = { name: 'clinical', letter: 'C', width: 5 };
  const base = { patches: 2, hidden: 4, heads: 1, experts: 3, topK: 1, layers: 1, classes: 2 };

  test('a volumeShape that does not match the width is a clear error (export and model config)', () => {
    const config = defaultConfig(
      [{ name: 'mri', letter: 'I', width: 210, kind: 'volume', volumeShape: [5, 6, 6], channels: [2, 2, 2] }, tabular],
      base,
    );
    const good = {
      ...config,
      modalities: [{ ...config.modalities[0], volumeShape: [5, 6, 7] as [number, number, number] }, tabular],
    };
    const weights = randomNamedWeights(good, 1);
    expect(() => exportOnnx({ config, namedWeights: weights })).toThrow(
      /volume modality mri \(position 0\): volumeShape 5×6×6 = 180 voxels does not match width 210/,
    );
    expect(() => new FlexMoEModel(config)).toThrow(
      /FlexMoEConfig\.modalities\[0\]\.volumeShape: volume 5×6×6 = 180 voxels does not match width 210 of modality mri/,
    );
    // The same weights with the matching shape export.
    expect(exportOnnx({ config: good, namedWeights: weights }).length).toBeGreaterThan(0);
  });

  test('a volume modality without volumeShape, or without its CNN weights, is a clear error', () => {
    const config = defaultConfig([{ name: 'mri', letter: 'I', width: 8, kind: 'volume' }, tabular], base);
    expect(() => exportOnnx({ config, namedWeights: randomNamedWeights(config, 1) })).toThrow(
      /volume modality mri \(position 0\) needs volumeShape \[D, H, W\]/,
    );
    const shaped = defaultConfig(
      [{ name: 'mri', letter: 'I', width: 8, kind: 'volume', volumeShape: [2, 2, 2] }, tabular],
      base,
    );
    const tabularWeights = randomNamedWeights(
      { ...shaped, modalities: [{ name: 'mri', letter: 'I', width: 8 }, tabular] },
      1,
    );
    expect(() => exportOnnx({ config: shaped, namedWeights: tabularWeights })).toThrow(
      /weight encoder0\/conv0_kernel is missing \(expected shape \[3, 3, 3, 1, 8\]\)/,
    );
  });
});
