import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerAllGradients } from '@flexmoe/moe-core';
import { readDataset } from '@flexmoe/data';
import { crossValidationSplits } from '../src/data/cross-validation.js';
import { prepareData } from '../src/data/prepare-data.js';
import { train } from '../src/run/train.js';
import { loadReportInput } from '../src/report/write-report.js';
import { renderReport } from '../src/report/render-report.js';
import { evaluate } from '../src/run/evaluate.js';
import { predictRows, scoresOf } from '../src/run/evaluate-rows.js';
import { ensemblePredictions } from '../src/run/seed-ensemble.js';
import { readModelFiles } from '../src/checkpoint/model-files.js';
import { FlexMoEModel } from '@flexmoe/moe-core';
import type { RunFile } from '../src/run/train.js';
import { makeTinyAdniDataset } from './support/fixtures.js';

const tiny = { hidden: 8, patches: 4, heads: 2, topK: 2, epochs: 2, warmup: 1, seeds: [0] };
const quiet = { progress: false, log: (): void => undefined };

/** Metrics without wall-clock fields. */
function timeless(m: Awaited<ReturnType<typeof train>>['metrics']): unknown {
  const { throughput: _t, seeds, ...rest } = m;
  void _t;
  return { ...rest, seeds: seeds.map(({ throughput: _x, ...s }) => s) };
}

describe('train() API', () => {
  let root = '';
  let ds = '';
  beforeAll(async () => {
    await registerAllGradients();
    await tf.setBackend('wasm');
    ({ root, ds } = await makeTinyAdniDataset());
  });

  it('is deterministic with a seed on one backend: two runs give identical metrics and weights', async () => {
    const a = await train({ data: ds, out: join(root, 'a'), ...tiny }, quiet);
    const b = await train({ data: ds, out: join(root, 'b'), ...tiny }, quiet);
    expect(timeless(b.metrics)).toEqual(timeless(a.metrics));
    expect(
      readFileSync(join(root, 'b', 'best', 'weights.bin')).equals(readFileSync(join(root, 'a', 'best', 'weights.bin'))),
    ).toBe(true);
    const c = await train({ data: ds, out: join(root, 'c'), ...tiny, seeds: [5] }, quiet);
    expect(
      readFileSync(join(root, 'c', 'best', 'weights.bin')).equals(readFileSync(join(root, 'a', 'best', 'weights.bin'))),
    ).toBe(false);
    expect(c.metrics.seeds[0].seed).toBe(5);
    expect(a.metrics.ensemble).toBeUndefined(); // one seed: no ensemble
  }, 120000);

  it('restricts a run to a modality subset end to end, and full-only / ablations reach the model config', async () => {
    const ig = await train({ data: ds, out: join(root, 'ig'), ...tiny, modalities: ['G', 'I'] }, quiet);
    expect(ig.metrics.config.modalities.map((m) => m.letter)).toEqual(['I', 'G']); // dataset order
    expect(ig.metrics.config.experts).toBe(16);
    const run = JSON.parse(readFileSync(join(root, 'ig', 'run.json'), 'utf8')) as RunFile;
    expect(run.dropped.training).toBeGreaterThan(0); // patients with neither I nor G
    const model = JSON.parse(readFileSync(join(root, 'ig', 'best', 'model.json'), 'utf8'));
    expect(model.weights.map((w: { name: string }) => w.name).filter((n: string) => n.startsWith('encoder'))).toEqual([
      'encoder0/patch_kernel',
      'encoder0/patch_bias',
      'encoder1/patch_kernel',
      'encoder1/patch_bias',
    ]);
    expect(model.weights.find((w: { name: string }) => w.name === 'bank').shape).toEqual([3, 2, 4, 8]);

    const full = await train(
      { data: ds, out: join(root, 'full'), ...tiny, fullOnly: true, ablation: 'no-bank', classWeights: 'balanced' },
      quiet,
    );
    const fullRun = JSON.parse(readFileSync(join(root, 'full', 'run.json'), 'utf8')) as RunFile;
    expect(fullRun.dropped.notFullModality).toBeGreaterThan(0);
    expect(full.metrics.config.ablation).toBe('no-bank');
    expect(full.metrics.config.classWeights).toHaveLength(3);
    const order = await train({ data: ds, out: join(root, 'asc'), ...tiny, ablation: 'order-ascending' }, quiet);
    expect(order.metrics.config.ablation).toBe('none');
    expect(order.metrics.config.training.ablation).toBe('order-ascending');
    await expect(train({ data: ds, out: join(root, 'asc'), ...tiny }, quiet)).rejects.toThrow(
      /already exists and is not empty: pass --resume/,
    );
    await expect(train({ data: ds, out: join(root, 'bad'), ...tiny, modalities: ['X'] }, quiet)).rejects.toThrow(
      /'X' is not a modality of dataset/,
    );
  }, 180000);

  it('projects patches per patch by default; a run stored before the option resumes with the shared projection', async () => {
    const perPatch = await train({ data: ds, out: join(root, 'pp'), ...tiny }, quiet);
    expect(perPatch.metrics.config.patchProjection).toBe('per-patch');
    const model = JSON.parse(readFileSync(join(root, 'pp', 'best', 'model.json'), 'utf8'));
    const kernel = model.weights.find((w: { name: string }) => w.name === 'encoder0/patch_kernel');
    expect(kernel.shape).toEqual([4, Math.ceil(perPatch.metrics.config.modalities[0].width / 4), 8]);
    expect(loadReportInput(join(root, 'pp')).config.patchProjection).toBe('per-patch');
    await expect(
      train({ data: ds, out: join(root, 'bad-projection'), ...tiny, patchProjection: 'rows' as 'shared' }, quiet),
    ).rejects.toThrow(/--patch-projection: expected shared or per-patch, got 'rows'/);
    expect(existsSync(join(root, 'bad-projection'))).toBe(false);

    // An "old" run: shared projection, interrupted after epoch 1 of 2, its run.json without the field.
    const oldDir = join(root, 'old');
    await train({ data: ds, out: oldDir, ...tiny, epochs: 1, patchProjection: 'shared' }, quiet);
    const runPath = join(oldDir, 'run.json');
    const run = JSON.parse(readFileSync(runPath, 'utf8'));
    delete run.options.patchProjection;
    run.options.epochs = 2;
    run.status = 'running';
    writeFileSync(runPath, JSON.stringify(run));
    const checkpointPath = join(oldDir, 'seed-0', 'checkpoint.json');
    const header = JSON.parse(readFileSync(checkpointPath, 'utf8'));
    const lines: string[] = [];
    const resumed = await train({ data: ds, out: oldDir, resume: true }, { ...quiet, log: (l) => lines.push(l) });
    expect(header.epochsCompleted).toBe(1);
    expect(lines.some((l) => /seed 0: resuming after epoch 1\/2/.test(l))).toBe(true);
    expect(resumed.metrics.config.patchProjection).toBe('shared');
    const resumedModel = JSON.parse(readFileSync(join(oldDir, 'best', 'model.json'), 'utf8'));
    const sharedKernel = resumedModel.weights.find((w: { name: string }) => w.name === 'encoder0/patch_kernel');
    expect(sharedKernel.shape).toEqual([kernel.shape[1], 8]);
    // The report of a run whose metrics predate the field shows the projection it used.
    const finished = JSON.parse(readFileSync(runPath, 'utf8'));
    delete finished.metrics.config.patchProjection;
    writeFileSync(runPath, JSON.stringify(finished));
    expect(loadReportInput(oldDir).config.patchProjection).toBe('shared');
  }, 180000);

  it('--cv-fold trains on training + validation without the fold, selects and scores on the fold, never on test', async () => {
    const cvFold = { fold: 2, folds: 3, seed: 1 };
    const fold = crossValidationSplits(prepareData(await readDataset(ds)), cvFold);
    const lines: string[] = [];
    const r = await train(
      { data: ds, out: join(root, 'cv'), ...tiny, cvFold },
      { ...quiet, log: (l) => lines.push(l) },
    );
    const n = fold.validation.length;
    expect(
      lines.some((l) => l.includes(`training on ${fold.training.length} patients (validation ${n}, test ${n})`)),
    ).toBe(true);
    expect(lines.some((l) => l.includes('--cv-fold 2/3 (seed 1)'))).toBe(true);
    expect(r.metrics.test).toEqual(r.metrics.validation);
    const run = JSON.parse(readFileSync(join(root, 'cv', 'run.json'), 'utf8')) as RunFile;
    expect(run.options.cvFold).toEqual(cvFold);
    expect(run.options.validationOnly).toBe(true);
    // evaluate says so when a fold run is scored on a split it partly trained on; test is held out.
    const onValidation = await evaluate({ run: join(root, 'cv'), data: ds, split: 'validation' });
    expect(onValidation.warnings).toEqual([
      'this run was trained with --cv-fold 2/3: it trained on part of the validation split, so these scores are not held-out ones',
    ]);
    expect((await evaluate({ run: join(root, 'cv'), data: ds })).warnings).toEqual([]);
    await expect(
      train({ data: ds, out: join(root, 'cv-bad'), ...tiny, cvFold: { fold: 4, folds: 3, seed: 0 } }, quiet),
    ).rejects.toThrow(/--cv-fold: expected k\/K with K >= 2 and 1 <= k <= K/);
    expect(existsSync(join(root, 'cv-bad'))).toBe(false);
  }, 120000);

  it("with two or more seeds scores the seed ensemble: the mean of the seeds' probabilities", async () => {
    const lines: string[] = [];
    const r = await train(
      { data: ds, out: join(root, 'ens'), ...tiny, seeds: [0, 1], baselines: true },
      { ...quiet, log: (l) => lines.push(l) },
    );
    // The mean computed here from each seed's kept model, independently of the trainer's code.
    const data = prepareData(await readDataset(ds));
    const perSeed = [0, 1].map((s) => {
      const { meta, weights } = readModelFiles(join(root, 'ens', `seed-${s}`, 'best'));
      const model = new FlexMoEModel({ ...meta.config, dropout: 0 }, { seed: 0 });
      model.setNamedWeights(weights);
      const p = predictRows(model, data, data.splits.testing, 64);
      model.dispose();
      return p;
    });
    const mean = perSeed[0].probabilities.map((q, i) => q.map((v, c) => (v + perSeed[1].probabilities[i][c]) / 2));
    const argmax = (q: number[]): number => q.indexOf(Math.max(...q));
    const expected = scoresOf({ labels: perSeed[0].labels, probabilities: mean, predictions: mean.map(argmax) }, 3);
    expect(perSeed[0].probabilities).not.toEqual(perSeed[1].probabilities);
    expect(r.metrics.ensemble?.seeds).toEqual([0, 1]);
    for (const k of ['accuracy', 'macroF1', 'auc'] as const)
      expect(r.metrics.ensemble?.test[k]).toBeCloseTo(expected[k], 10);
    expect(Object.values(r.metrics.ensemble?.perCombination ?? {}).reduce((a, c) => a + c.n, 0)).toBe(mean.length);
    expect(lines.some((l) => l.includes('seed ensemble (mean probability of 2 models'))).toBe(true);
    expect(lines.some((l) => l.startsWith('[flexmoe] Flex-MoE seed ensemble test accuracy'))).toBe(true);

    const evaluated = await evaluate({ run: join(root, 'ens'), data: ds, ensemble: true });
    expect(evaluated.ensembleSeeds).toEqual([0, 1]);
    expect(evaluated.auc).toBeCloseTo(expected.auc, 10);
    expect(evaluated.accuracy).toBeCloseTo(expected.accuracy, 10);
    await expect(evaluate({ run: join(root, 'ens'), data: ds, ensemble: true, seed: 0 })).rejects.toThrow(
      /drop --seed/,
    );
    // A one-seed run has no ensemble (its run.json, edited, stands in for one).
    const one = join(root, 'ens-one');
    mkdirSync(one);
    const runJson = JSON.parse(readFileSync(join(root, 'ens', 'run.json'), 'utf8')) as RunFile;
    writeFileSync(join(one, 'run.json'), JSON.stringify({ ...runJson, options: { ...runJson.options, seeds: [0] } }));
    await expect(evaluate({ run: one, data: ds, ensemble: true })).rejects.toThrow(
      /--ensemble needs a run trained with at least two seeds \(.*run\.json lists 1\)/,
    );
    // Members must share one configuration.
    const other = join(root, 'ens-other');
    cpSync(join(root, 'ens', 'seed-1', 'best'), other, { recursive: true });
    const modelJson = JSON.parse(readFileSync(join(other, 'model.json'), 'utf8')) as { config: { topK: number } };
    writeFileSync(
      join(other, 'model.json'),
      JSON.stringify({ ...modelJson, config: { ...modelJson.config, topK: 1 } }),
    );
    expect(() =>
      ensemblePredictions([join(root, 'ens', 'seed-0', 'best'), other], data, data.splits.testing, 64),
    ).toThrow(/ens-other has another model configuration than .*seed-0\/best/);
    const html = renderReport(loadReportInput(join(root, 'ens')));
    expect(html).toContain('ensemble of 2');
    expect(html).toContain('Flex-MoE seed ensemble (mean probability of 2 seeds)');
  }, 120000);
});
