import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch, disposeBatch, FlexMoEModel, SeededRandom, TypedAdam, type FlexMoEConfig } from '@flexmoe/moe-core';
import { registerAllGradients } from '@flexmoe/moe-core';

import { readModelFiles, writeModelFiles } from './model-files.js';
import { readTensorFile, writeTensorFile } from './tensor-file.js';
import { loadCheckpoint, restoreTrainingState, saveCheckpoint } from './training-checkpoint.js';

const config: FlexMoEConfig = {
  modalities: [
    { name: 'a', letter: 'A', width: 5 },
    { name: 'b', letter: 'B', width: 3 },
  ],
  patches: 2,
  hidden: 4,
  heads: 2,
  experts: 4,
  topK: 2,
  layers: 1,
  classes: 2,
  dropout: 0.3,
  routerLossWeight: 0.01,
  ablation: 'none',
};

function step(model: FlexMoEModel, opt: TypedAdam, seed: number): number {
  const r = new SeededRandom(seed);
  const batch = buildBatch(
    model.table,
    [5, 3],
    [r.normalArray(4 * 5), r.normalArray(4 * 3)],
    [
      [true, true],
      [true, false],
      [false, true],
      [true, true],
    ],
  );
  try {
    return model.trainStep(batch, Int32Array.from([0, 1, 1, 0]), opt).loss;
  } finally {
    disposeBatch(batch);
  }
}

describe('training checkpoint', () => {
  beforeAll(async () => {
    await registerAllGradients();
    await tf.setBackend('cpu');
  });

  it('round-trips weights, Adam state, RNG states, best weights and history; the next step is identical', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexmoe-ckpt-'));
    const a = new FlexMoEModel(config, { seed: 3 });
    const optA = new TypedAdam({ learningRate: 1e-2 });
    for (let s = 0; s < 3; s++) step(a, optA, s);
    const best = a.getNamedWeights();
    const history = [
      {
        epoch: 1,
        trainLoss: 1,
        trainTaskLoss: 0.9,
        trainRouterLoss: 10,
        validation: { accuracy: 0.5, macroF1: 0.4, auc: 0.6 },
        trainSeconds: 0.1,
        trainSamples: 4,
        steps: 3,
      },
    ];
    saveCheckpoint(
      dir,
      {
        seed: 3,
        epochsCompleted: 1,
        shuffleState: 12345,
        best: { epoch: 1, value: 0.5, validation: history[0].validation },
        history,
      },
      a,
      optA,
      best,
    );
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.bin', 'checkpoint.json']); // no temp file left behind

    const state = loadCheckpoint(dir)!;
    expect(state.header).toMatchObject({ seed: 3, epochsCompleted: 1, shuffleState: 12345, optimizerStep: 3, history });
    expect(state.header.modelRandomState).toEqual(a.random.getState());
    const b = new FlexMoEModel(config, { seed: 99 });
    const optB = new TypedAdam({ learningRate: 1e-2 });
    restoreTrainingState(state, b, optB);
    for (const [name, w] of a.getNamedWeights())
      expect({ name, v: Array.from(b.getNamedWeights().get(name)!.values) }).toEqual({ name, v: Array.from(w.values) });
    for (const [name, w] of best)
      expect(Array.from(state.bestWeights!.get(name)!.values)).toEqual(Array.from(w.values));
    expect(optB.step).toBe(3);

    // Same next step (dropout masks and router noise come from the restored RandomSource).
    const la = step(a, optA, 10);
    const lb = step(b, optB, 10);
    expect(lb).toBe(la);
    const wa = a.getNamedWeights();
    for (const [name, w] of b.getNamedWeights())
      expect({ name, v: Array.from(w.values) }).toEqual({ name, v: Array.from(wa.get(name)!.values) });
    a.dispose();
    b.dispose();
  });

  it('returns null without a checkpoint and rejects a corrupt one by file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexmoe-ckpt-'));
    expect(loadCheckpoint(dir)).toBeNull();
    writeFileSync(join(dir, 'checkpoint.bin'), 'garbage');
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.bin: not a Flex-MoE tensor file/);
  });

  it('tensor files: header + float32 data round trip, truncation is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexmoe-tf-'));
    const path = join(dir, 't.bin');
    writeTensorFile(path, { hello: 'wörld' }, [
      ['x', { values: Float32Array.from([1.5, -2, 3]), shape: [3] }],
      ['y', { values: Float32Array.from([7, 8, 9, 10]), shape: [2, 2] }],
    ]);
    const { header, tensors } = readTensorFile<{ hello: string }>(path);
    expect(header.hello).toBe('wörld');
    expect(Array.from(tensors.get('x')!.values)).toEqual([1.5, -2, 3]);
    expect(tensors.get('y')!.shape).toEqual([2, 2]);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 4));
    expect(() => readTensorFile(path)).toThrow(/tensor 'y' .* does not fit/);
  });

  it('model files (best/model.json + weights.bin) round trip and follow docs/architecture.md §3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexmoe-model-'));
    const m = new FlexMoEModel(config, { seed: 1 });
    const weights = m.getNamedWeights();
    writeModelFiles(
      dir,
      {
        config: { ...config, dispatch: 'auto' },
        classes: ['n', 'p'],
        modalities: [],
        datasetManifestSha256: 'abc',
        epoch: 4,
        seed: 1,
      },
      weights,
    );
    const { meta, weights: back } = readModelFiles(dir);
    expect(meta.config).toEqual(config); // dispatch is not part of the saved contract
    expect(meta.epoch).toBe(4);
    let offset = 0;
    for (const e of meta.weights) {
      expect(e.offset).toBe(offset);
      offset += e.length;
    }
    expect(readFileSync(join(dir, 'weights.bin')).length).toBe(offset * 4);
    for (const [name, w] of weights) expect(Array.from(back.get(name)!.values)).toEqual(Array.from(w.values));
    m.dispose();
  });
});
