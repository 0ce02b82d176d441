/**
 * @jest-environment ../export/jest-environment.cjs
 */
// onnxruntime-node needs the shared typed arrays of @flexmoe/export's test environment.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { datasetInputs, exportOnnx, Predictor, readRun } from '@flexmoe/export';
import { buildBatch, defaultConfig, disposeBatch, FlexMoEModel } from '@flexmoe/moe-core';
import { finalTensors, makeTinyAdniDataset, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

describe('flexmoe train --workers (data-parallel)', () => {
  it('two runs with --workers 2 and the same seed give identical weights; the model exports to ONNX within 1e-4', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const env = { FLEXMOE_BACKEND: 'wasm' };
    const common = [
      'train',
      '--data',
      ds,
      '--epochs',
      '3',
      '--warmup',
      '1',
      '--seeds',
      '0',
      '--no-progress',
      '--workers',
      '2',
      ...TINY_MODEL_FLAGS,
    ];
    const a = await runCliChild([...common, '--out', join(root, 'a')], { env });
    expect(a.stderr).toContain('data-parallel training: 2 worker threads');
    expect(a.code).toBe(0);
    const b = await runCliChild([...common, '--out', join(root, 'b')], { env });
    expect(b.code).toBe(0);
    const ta = finalTensors(join(root, 'a'));
    const tb = finalTensors(join(root, 'b'));
    expect(ta.size).toBeGreaterThan(10);
    expect([...tb.keys()]).toEqual([...ta.keys()]);
    for (const [name, bytes] of ta) expect({ name, same: bytes.equals(tb.get(name)!) }).toEqual({ name, same: true });
    expect(
      readFileSync(join(root, 'b', 'best', 'weights.bin')).equals(readFileSync(join(root, 'a', 'best', 'weights.bin'))),
    ).toBe(true);

    // A single-thread run of the same seed trains differently (other dropout and noise streams), so the
    // comparison above is not vacuous.
    const single = await runCliChild(
      [
        ...common.slice(0, -TINY_MODEL_FLAGS.length - 2),
        '--workers',
        '1',
        ...TINY_MODEL_FLAGS,
        '--out',
        join(root, 's'),
      ],
      { env },
    );
    expect(single.code).toBe(0);
    expect(single.stderr).not.toContain('data-parallel');
    const ts = finalTensors(join(root, 's'));
    expect([...ta].some(([name, bytes]) => !bytes.equals(ts.get(name)!))).toBe(true);

    // The learning-rate schedule and decoupled weight decay reach the workers: the same workers run with them
    // ends elsewhere (were they dropped, it would repeat run a bit for bit).
    const regularised = await runCliChild(
      [...common, '--weight-decay', '0.05', '--lr-schedule', 'cosine', '--lr-warmup', '1', '--out', join(root, 'r')],
      { env },
    );
    expect(regularised.code).toBe(0);
    const tr = finalTensors(join(root, 'r'));
    expect([...ta].some(([name, bytes]) => !bytes.equals(tr.get(name)!))).toBe(true);

    // Export parity: the ONNX graph of the worker-trained model against the TF.js model on the test split.
    await tf.setBackend('cpu');
    const run = await readRun(join(root, 'a'));
    const dataset = await readDataset(ds);
    const model = new FlexMoEModel(defaultConfig(run.config.modalities, { ...run.config }));
    model.setNamedWeights(run.namedWeights);
    const rows = Array.from(dataset.splitIndices.testing);
    const observed = rows.map((i) => dataset.modalities.map((m) => m.observed[i] === 1));
    const dense = dataset.modalities.map((m) => {
      const out = new Float32Array(rows.length * m.width);
      rows.forEach((i, r) => out.set(m.features.subarray(i * m.width, (i + 1) * m.width), r * m.width));
      return out;
    });
    const batch = buildBatch(
      model.table,
      dataset.modalities.map((m) => m.width),
      dense,
      observed,
    );
    const tfProbs = model.predict(batch).probabilities;
    disposeBatch(batch);
    const predictor = await Predictor.load(exportOnnx({ config: run.config, namedWeights: run.namedWeights }), {
      intraOpThreads: 1,
    });
    const out = await predictor.run(datasetInputs(dataset, rows));
    await predictor.close();
    model.dispose();
    expect(out.probabilities.length).toBe(tfProbs.length);
    let maxDiff = 0;
    for (let i = 0; i < tfProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tfProbs[i] - out.probabilities[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  }, 300000);
});
