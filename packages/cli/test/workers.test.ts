/**
 * @jest-environment ../../jest-shared-realm-environment.cjs
 */
// onnxruntime-node needs the typed arrays shared between the test realm and the main one.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
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

  it('--workers 1 reproduces the single-thread trainer from before data-parallel training, byte for byte', async () => {
    // Recorded by training this tiny dataset with commit 6b7cf2a (the last commit before `--workers`
    // existed; `node packages/cli/bin/flexmoe.js train` with the flags below and FLEXMOE_BACKEND=wasm):
    // SHA-256 over the seed-0 checkpoint's tensors (model, Adam moments, kept weights), sorted by name.
    const RECORDED_CHECKPOINT_SHA256 = '9d0bc8448f85b8efb0ff97fffd78468ceef5a193de4cb9b06856f225a5e8e245';
    // The dataset it was recorded on (file hashes from its manifest): if the generator or the pipeline
    // changes these, the reference no longer applies and must be recorded again with 6b7cf2a.
    const RECORDED_DATASET_FILES = {
      'modality-image.arrow': '79d0138e1d7aa5305f812a2b5f8b0c8370e0e2789f18cdf2cd405a14303e13a4',
      'modality-genomic.arrow': '84b154e7f888064244457605d4b94ebc209fce21f03aa8e46a19db32e8edf3ad',
      'modality-clinical.arrow': '3ca0dedd608b194c63700b15321802430b25f9183caec207bd65953505e81125',
      'modality-biospecimen.arrow': 'c74ea5fabbfd7621166f96bc8fcd11157bbdcb1a9178605b1f68951a8f9f66b7',
      'labels.arrow': 'b861f9257659aeac3ad6bd5361946b6203d9b914de06210694abe298265fa1a5',
      'splits.json': '2745caef63c2c3affdde4e7d2824a113dfb3888c278df2432154805069665ded',
    };
    const { root, ds } = await makeTinyAdniDataset(0.05, 1);
    const manifest = JSON.parse(readFileSync(join(ds, 'manifest.json'), 'utf8')) as { fileSha256: object };
    expect(manifest.fileSha256).toMatchObject(RECORDED_DATASET_FILES);
    const out = join(root, 'one');
    const r = await runCliChild(
      [
        'train',
        '--data',
        ds,
        '--out',
        out,
        '--epochs',
        '2',
        '--seeds',
        '0',
        '--no-progress',
        '--workers',
        '1',
        // The projection of that time (per-patch projections became the default later).
        '--patch-projection',
        'shared',
        ...TINY_MODEL_FLAGS,
      ],
      // Every product on XNNPACK, as when it was recorded (the native engine did not exist yet).
      { env: { FLEXMOE_BACKEND: 'wasm', FLEXMOE_NATIVE_MATMUL: '0' } },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('matrix products: XNNPACK (native engine off: FLEXMOE_NATIVE_MATMUL)');
    const tensors = finalTensors(out);
    const hash = createHash('sha256');
    for (const name of [...tensors.keys()].sort()) {
      hash.update(name);
      hash.update(tensors.get(name)!);
    }
    expect(tensors.size).toBe(104);
    expect(hash.digest('hex')).toBe(RECORDED_CHECKPOINT_SHA256);
  }, 300000);
  it('with native matrix products (onnxruntime-node): --workers 2 is deterministic, recorded, and close to XNNPACK', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    // Hidden 64: the attention and expert products reach the engine's size threshold (hidden 8 would not).
    const common = ['train', '--data', ds, '--epochs', '2', '--seeds', '0', '--no-progress', '--workers', '2'];
    const flags = [...TINY_MODEL_FLAGS];
    flags[flags.indexOf('--hidden') + 1] = '64';
    const run = async (name: string, native: string) => {
      const r = await runCliChild([...common, ...flags, '--out', join(root, name)], {
        env: { FLEXMOE_BACKEND: 'wasm', FLEXMOE_NATIVE_MATMUL: native },
      });
      expect(r.code).toBe(0);
      return r;
    };
    const a = await run('a', '1');
    expect(a.stderr).toMatch(/matrix products: onnxruntime-node 1\.30\.0 \(MLAS, 1 thread\) for the larger ones/);
    const runFile = JSON.parse(readFileSync(join(root, 'a', 'run.json'), 'utf8')) as { nativeMatmul?: string };
    expect(runFile.nativeMatmul).toBe('onnxruntime-node 1.30.0 (MLAS, 1 thread)');
    await run('b', '1');
    const off = await run('off', '0');
    expect(off.stderr).toContain('matrix products: XNNPACK');
    const ta = finalTensors(join(root, 'a'));
    const tb = finalTensors(join(root, 'b'));
    const tOff = finalTensors(join(root, 'off'));
    for (const [name, bytes] of ta) expect({ name, same: bytes.equals(tb.get(name)!) }).toEqual({ name, same: true });
    // Another engine sums in another order: not the same bits, but the same training to float32 noise.
    let differs = 0;
    let maxDiff = 0;
    for (const [name, bytes] of ta) {
      const o = tOff.get(name)!;
      const x = new Float32Array(Uint8Array.from(bytes).buffer);
      const y = new Float32Array(Uint8Array.from(o).buffer);
      if (!bytes.equals(o)) differs++;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
    }
    expect(differs).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-3);
  }, 300000);
});
