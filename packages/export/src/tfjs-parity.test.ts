import { buildBatch, defaultConfig, disposeBatch, FlexMoEModel, type FlexMoEConfig } from '@flexmoe/moe-core';
import { combinationMasks } from '@flexmoe/moe-core/spec';
import { exportOnnx } from './export-onnx.js';
import type { GraphVariant } from './onnx/flexmoe-graph.js';
import { Predictor } from './runtime/predictor.js';
import { randomNamedWeights } from './testing/random-model.js';
import { mulberry32, readDataset } from '@flexmoe/data';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { datasetInputs } from './export-run.js';
import { FIXTURE_CONFIG, writeFixtureRun } from './testing/fixture-run.js';
import { tfjsDatasetProbabilities, useTfjsCpuBackend } from './testing/tfjs-cpu.js';

/**
 * ONNX vs the TF.js FlexMoEModel (cpu backend, inference mode) on inputs covering every one of the
 * 2^M − 1 combinations. Weights are re-drawn with O(1) scale so that pos_embed, experts and bank all matter.
 */
async function compare(
  config: FlexMoEConfig,
  variant: Partial<GraphVariant>,
  seed: number,
): Promise<{ maxDiff: number; batch: number }> {
  // Inference only: the constructor skips the gradient registration that training needs.
  const model = new FlexMoEModel(config, { seed });
  model.setNamedWeights(randomNamedWeights(config, seed + 100));
  const M = config.modalities.length;
  const masks = combinationMasks(M);
  const perCombination = 3;
  const B = masks.length * perCombination;
  const rand = mulberry32(seed);
  const observed = masks.flatMap((mask) => Array.from({ length: perCombination }, () => mask));
  const dense = config.modalities.map((m) => Float32Array.from({ length: B * m.width }, () => rand() * 2 - 1));
  const batch = buildBatch(
    model.table,
    config.modalities.map((m) => m.width),
    dense,
    observed,
  );
  const tfProbs = model.predict(batch).probabilities;
  disposeBatch(batch);
  const bytes = exportOnnx({ config, namedWeights: model.getNamedWeights() }, { variant });
  model.dispose();
  const predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  const samples = observed.map((mask, b) =>
    config.modalities.map((m, i) => (mask[i] ? dense[i].slice(b * m.width, (b + 1) * m.width) : null)),
  );
  const out = await predictor.run(samples);
  // The predictor reports each sample's combination letters in modality order.
  const letters = config.modalities.map((m) => m.letter);
  const outcomes = await predictor.predictInputs(samples.filter((_, b) => b % perCombination === 0));
  await predictor.close();
  expect(out.combination).toEqual(masks.flatMap((_, c) => Array.from({ length: perCombination }, () => c)));
  expect(outcomes.map((o) => (o.ok ? o.prediction.combination.letters : o.error))).toEqual(
    masks.map((mask) => letters.filter((_, m) => mask[m]).join('')),
  );
  let maxDiff = 0;
  for (let i = 0; i < tfProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tfProbs[i] - out.probabilities[i]));
  return { maxDiff, batch: B };
}

const modalities = [
  { name: 'image', letter: 'I', width: 9 },
  { name: 'genomic', letter: 'G', width: 6 },
  { name: 'clinical', letter: 'C', width: 4 },
];

describe('ONNX export vs the TF.js FlexMoEModel', () => {
  useTfjsCpuBackend();

  test.each([
    ['sparse', { moe: 'sparse' } as Partial<GraphVariant>],
    ['dense', { moe: 'dense', linear: 'matmul' } as Partial<GraphVariant>],
  ])('3 modalities, 2 layers, all 7 combinations (%s experts): probabilities within 1e-4', async (_name, variant) => {
    const config = defaultConfig(modalities, {
      patches: 4,
      hidden: 8,
      heads: 2,
      experts: 8,
      topK: 2,
      layers: 2,
      classes: 3,
      dropout: 0.5,
    });
    const { maxDiff, batch } = await compare(config, variant, 1);
    expect(batch).toBe(21);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  // Any modality count and class count; names that collide once made input-safe ('lab results' and
  // 'lab/results' → x_lab_results), non-ASCII names and a single-feature modality narrower than P.
  const general = [
    { name: 'lab results', letter: 'L', width: 7 },
    { name: 'lab/results', letter: 'R', width: 1 },
    { name: 'genómica', letter: 'G', width: 5 },
    { name: 'q', letter: 'Q', width: 3 },
    { name: 'x.y-z', letter: 'X', width: 2 },
    { name: 'Ωmega', letter: 'O', width: 9 },
  ];
  test.each([
    [1, 2],
    [1, 5],
    [2, 2],
    [2, 4],
    [5, 4],
    [6, 2],
  ])('%i modalities, %i classes, every combination: probabilities within 1e-4', async (M, classes) => {
    const experts = Math.max(4, 2 ** M - 1);
    const config = defaultConfig(general.slice(0, M), {
      patches: 4,
      hidden: 8,
      heads: 2,
      experts,
      topK: 2,
      layers: 1,
      classes,
      dropout: 0.5,
    });
    const { maxDiff, batch } = await compare(config, {}, 10 * M + classes);
    expect(batch).toBe((2 ** M - 1) * 3);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  // Per-patch projections: every patch its own kernel and bias, including the all-padding patches of a width-1
  // modality (bias only) and a width that P does not divide.
  test.each([
    [2, 2, 'sparse'],
    [3, 3, 'sparse'],
    [3, 2, 'dense'],
  ])(
    'per-patch projections, %i modalities, %i classes (%s experts): probabilities within 1e-4',
    async (M, classes, moe) => {
      const config = defaultConfig(general.slice(0, M), {
        patches: 4,
        patchProjection: 'per-patch',
        hidden: 8,
        heads: 2,
        experts: Math.max(4, 2 ** M - 1),
        topK: 2,
        layers: 1,
        classes,
        dropout: 0.5,
      });
      const variant: Partial<GraphVariant> = moe === 'dense' ? { moe: 'dense', linear: 'matmul' } : { moe: 'sparse' };
      const { maxDiff, batch } = await compare(config, variant, 7 * M + classes);
      expect(batch).toBe((2 ** M - 1) * 3);
      expect(maxDiff).toBeLessThan(1e-4);
    },
  );

  test('no-bank ablation, 2 modalities, top-1: probabilities within 1e-4', async () => {
    const config = defaultConfig(modalities.slice(0, 2), {
      patches: 3,
      hidden: 4,
      heads: 1,
      experts: 3,
      topK: 1,
      layers: 1,
      classes: 2,
      ablation: 'no-bank',
    });
    const { maxDiff } = await compare(config, {}, 2);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  test('on a dataset (test and training splits, mixed combinations): probabilities within 1e-4', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'flexmoe-parity-'));
    try {
      const { datasetDir } = await writeFixtureRun(root);
      const dataset = await readDataset(datasetDir);
      const config = defaultConfig(FIXTURE_CONFIG.modalities, { ...FIXTURE_CONFIG, dropout: 0.5 });
      const model = new FlexMoEModel(config, { seed: 4 });
      model.setNamedWeights(randomNamedWeights(config, 44));
      const rows = [...dataset.splitIndices.testing, ...dataset.splitIndices.training];
      const M = config.modalities.length;
      const observed = rows.map((i) => dataset.modalities.map((m) => m.observed[i] === 1));
      expect(new Set(observed.map((o) => o.join())).size).toBe(3);
      const tfProbs = tfjsDatasetProbabilities(model, dataset, rows);
      const predictor = await Predictor.load(exportOnnx(model), { intraOpThreads: 1 });
      const out = await predictor.run(datasetInputs(dataset, rows));
      await predictor.close();
      model.dispose();
      expect(out.probabilities.length).toBe(rows.length * config.classes);
      let maxDiff = 0;
      for (let i = 0; i < tfProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tfProbs[i] - out.probabilities[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(M).toBe(2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
