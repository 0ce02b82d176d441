import { defaultConfig, FlexMoEModel, type FlexMoEConfig } from '@flexmoe/moe-core';
import { combinationMasks } from '@flexmoe/moe-core/spec';
import { mulberry32 } from '@flexmoe/data';
import { exportOnnx } from '../export-onnx.js';
import { readModelMetadata } from '../metadata.js';
import type { NamedWeights } from '../model-types.js';
import { Predictor } from '../runtime/predictor.js';
import type { BatchOutputs } from '../runtime/predictor-core.js';
import type { SampleInputs } from '../runtime/prediction-types.js';
import { randomNamedWeights } from '../testing/random-model.js';
import { maxAbsDiff, meanRows } from '../testing/array-checks.js';
import { tfjsProbabilities, useTfjsCpuBackend } from '../testing/tfjs-cpu.js';
import { ENSEMBLE_PROBABILITY_FLOOR, type GraphVariant } from './flexmoe-graph.js';

const modalities = [
  { name: 'image', letter: 'I', width: 9 },
  { name: 'genomic', letter: 'G', width: 6 },
  { name: 'clinical', letter: 'C', width: 4 },
];

/** `perCombination` random samples of every modality combination, as graph inputs and as a TF.js batch. */
function samplesOfEveryCombination(config: FlexMoEConfig, seed: number, perCombination = 3) {
  const masks = combinationMasks(config.modalities.length);
  const observed = masks.flatMap((mask) => Array.from({ length: perCombination }, () => mask));
  const rand = mulberry32(seed);
  const dense = config.modalities.map((m) =>
    Float32Array.from({ length: observed.length * m.width }, () => rand() * 2 - 1),
  );
  const samples: SampleInputs[] = observed.map((mask, b) =>
    config.modalities.map((m, i) => (mask[i] ? dense[i].slice(b * m.width, (b + 1) * m.width) : null)),
  );
  return { observed, dense, samples };
}

/** The TF.js model's probabilities (inference mode) for the given member weights. */
function memberProbabilities(
  config: FlexMoEConfig,
  weights: NamedWeights,
  dense: Float32Array[],
  observed: boolean[][],
): Float32Array {
  const model = new FlexMoEModel(config, { seed: 1 });
  try {
    model.setNamedWeights(weights);
    return tfjsProbabilities(model, dense, observed);
  } finally {
    model.dispose();
  }
}

async function runOnnx(bytes: Uint8Array, samples: readonly SampleInputs[]): Promise<BatchOutputs> {
  const predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  try {
    return await predictor.run(samples);
  } finally {
    await predictor.close();
  }
}

/** A small two-modality, two-class model. */
const tinyConfig = (): FlexMoEConfig =>
  defaultConfig(modalities.slice(0, 2), {
    patches: 2,
    hidden: 4,
    heads: 1,
    experts: 3,
    topK: 1,
    layers: 1,
    classes: 2,
  });

/** Row-wise softmax(x / T) of a flat `[rows, classes]` matrix, in float64. */
function softmaxRows(x: ArrayLike<number>, classes: number, T = 1): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / classes; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, x[r * classes + c] / T);
    let z = 0;
    for (let c = 0; c < classes; c++) z += out[r * classes + c] = Math.exp(x[r * classes + c] / T - max);
    for (let c = 0; c < classes; c++) out[r * classes + c] /= z;
  }
  return out;
}

describe('seed ensemble as one ONNX graph', () => {
  useTfjsCpuBackend();

  test.each([
    // members, modalities, classes, layers, variant
    [2, 3, 3, 2, { moe: 'sparse' }],
    [3, 2, 2, 1, { moe: 'dense', linear: 'matmul' }],
    [3, 3, 3, 1, { attention: 'fused' }],
  ] as [number, number, number, number, Partial<GraphVariant>][])(
    '%i members, %i modalities, %i classes, %i layers (%j): the mean of the members, every combination',
    async (members, M, classes, layers, variant) => {
      const config = defaultConfig(modalities.slice(0, M), {
        patches: 4,
        hidden: 8,
        heads: 2,
        experts: Math.max(4, 2 ** M - 1),
        topK: 2,
        layers,
        classes,
        dropout: 0.5,
      });
      const weights = Array.from({ length: members }, (_, i) => randomNamedWeights(config, 200 + 17 * i));
      const { observed, dense, samples } = samplesOfEveryCombination(config, members * 10 + M);
      const B = samples.length;
      expect(B).toBe((2 ** M - 1) * 3);

      const ensemble = await runOnnx(exportOnnx({ config, namedWeights: weights }, { variant }), samples);
      const singles: BatchOutputs[] = [];
      for (const w of weights)
        singles.push(await runOnnx(exportOnnx({ config, namedWeights: w }, { variant }), samples));

      // The members really differ, so a graph that ignored all but one member would fail below.
      expect(maxAbsDiff(singles[0].probabilities, singles[1].probabilities)).toBeGreaterThan(1e-3);

      // probabilities: the mean of the members' TF.js probabilities and of their single-model ONNX exports
      const tfMean = meanRows(weights.map((w) => memberProbabilities(config, w, dense, observed)));
      expect(maxAbsDiff(ensemble.probabilities, tfMean)).toBeLessThan(1e-4);
      const onnxMean = meanRows(singles.map((s) => s.probabilities));
      expect(maxAbsDiff(ensemble.probabilities, onnxMean)).toBeLessThan(1e-5);
      // logits: log of the mean, so softmax(logits) gives the probabilities back
      expect(maxAbsDiff(ensemble.logits, onnxMean.map(Math.log))).toBeLessThan(1e-4);
      expect(maxAbsDiff(softmaxRows(ensemble.logits, classes), ensemble.probabilities)).toBeLessThan(1e-5);

      // combination shared; routing outputs = member 0's, in their usual shape
      expect(ensemble.combination).toEqual(singles[0].combination);
      expect(ensemble.topkExperts).toEqual(singles[0].topkExperts);
      expect(ensemble.topkExperts).toHaveLength(B * layers * M * 4 * 2);
      expect(maxAbsDiff(ensemble.topkGates, singles[0].topkGates)).toBeLessThan(1e-6);
      expect(ensemble.topkExperts).not.toEqual(singles[1].topkExperts);
    },
  );

  test('with a temperature: probabilities = softmax(logits / T) of the ensemble logits', async () => {
    const config = defaultConfig(modalities, {
      patches: 3,
      hidden: 8,
      heads: 2,
      experts: 7,
      topK: 2,
      layers: 1,
      classes: 3,
    });
    const weights = [1, 2, 3].map((s) => randomNamedWeights(config, 300 + s));
    const { samples } = samplesOfEveryCombination(config, 5);
    const T = 1.7;
    const calibration = {
      temperature: T,
      validationSamples: 10,
      nllBefore: 1,
      nllAfter: 0.9,
      eceBefore: 0.2,
      eceAfter: 0.1,
      bins: 15,
    };
    const bytes = exportOnnx({ config, namedWeights: weights, metadata: { calibration } });
    const ensemble = await runOnnx(bytes, samples);
    const singles: BatchOutputs[] = [];
    for (const w of weights) singles.push(await runOnnx(exportOnnx({ config, namedWeights: w }), samples));
    const meanProbability = meanRows(singles.map((s) => s.probabilities));
    expect(maxAbsDiff(ensemble.logits, meanProbability.map(Math.log))).toBeLessThan(1e-4);
    const expected = softmaxRows(meanProbability.map(Math.log), 3, T);
    expect(maxAbsDiff(ensemble.probabilities, expected)).toBeLessThan(1e-5);
    // the temperature did change the probabilities (sharper mean at T = 1)
    expect(maxAbsDiff(ensemble.probabilities, meanProbability)).toBeGreaterThan(1e-3);
    expect(readModelMetadata(bytes).temperature).toBe(T);
  });

  test('a class probability that underflows in every member gives finite logits (floored mean)', async () => {
    const config = tinyConfig();
    // A head bias of ±200 makes class 1's probability exp(-400), 0 in float32, for every member.
    const weights = [7, 8].map((s) => {
      const w = randomNamedWeights(config, s);
      w.set('head_bias', { values: Float32Array.from([200, -200]), shape: [2] });
      return w;
    });
    const { samples } = samplesOfEveryCombination(config, 9, 1);
    const out = await runOnnx(exportOnnx({ config, namedWeights: weights }), samples);
    for (let b = 0; b < samples.length; b++) {
      expect(out.probabilities[2 * b]).toBe(1);
      expect(out.probabilities[2 * b + 1]).toBe(0);
      expect(out.logits[2 * b]).toBeCloseTo(0, 6);
      expect(out.logits[2 * b + 1]).toBeCloseTo(Math.log(ENSEMBLE_PROBABILITY_FLOOR), 3);
    }
  });

  test('one member is exactly the single-model export (same bytes), calibrated or not', () => {
    const config = defaultConfig(modalities, {
      patches: 4,
      hidden: 8,
      heads: 2,
      experts: 8,
      topK: 2,
      layers: 2,
      classes: 3,
    });
    const w = randomNamedWeights(config, 11);
    for (const metadata of [
      undefined,
      {
        calibration: {
          temperature: 0.8,
          validationSamples: 3,
          nllBefore: 1,
          nllAfter: 1,
          eceBefore: 0,
          eceAfter: 0,
          bins: 15,
        },
      },
    ]) {
      for (const variant of [{}, { moe: 'dense', linear: 'matmul' } as const]) {
        const single = exportOnnx({ config, namedWeights: w, metadata }, { variant });
        const listOfOne = exportOnnx({ config, namedWeights: [w], metadata }, { variant });
        expect(Buffer.from(listOfOne).equals(Buffer.from(single))).toBe(true);
        expect(readModelMetadata(listOfOne).ensemble).toBeUndefined();
      }
    }
  });

  test('metadata: member count, seeds (given or by position), combine rule; seeds must match the members', () => {
    const config = tinyConfig();
    const weights = [1, 2, 3].map((s) => randomNamedWeights(config, s));
    const byPosition = readModelMetadata(exportOnnx({ config, namedWeights: weights }));
    expect(byPosition.ensemble).toEqual({ members: 3, seeds: [0, 1, 2], combine: 'mean-probability' });
    const seeded = readModelMetadata(
      exportOnnx({ config, namedWeights: weights.slice(0, 2), metadata: { ensembleSeeds: [4, 9] } }),
    );
    expect(seeded.ensemble).toEqual({ members: 2, seeds: [4, 9], combine: 'mean-probability' });
    expect(() => exportOnnx({ config, namedWeights: weights, metadata: { ensembleSeeds: [4, 9] } })).toThrow(
      'metadata.ensembleSeeds lists 2 seeds, the ensemble has 3 members',
    );
    expect(readModelMetadata(exportOnnx({ config, namedWeights: weights[0] })).ensemble).toBeUndefined();
  });

  test('a bad member is named: wrong weight shape, no members', () => {
    const config = tinyConfig();
    const good = randomNamedWeights(config, 1);
    const bad = randomNamedWeights(config, 2);
    bad.set('layer0/router_Wg', { values: new Float32Array(4 * 5), shape: [4, 5] });
    expect(() => exportOnnx({ config, namedWeights: [good, bad] })).toThrow(
      /^ensemble member 1: weight layer0\/router_Wg has shape \[4, 5\], expected \[4, 3\]$/,
    );
    expect(() => exportOnnx({ config, namedWeights: [] })).toThrow(/no weights given/);
  });
});
