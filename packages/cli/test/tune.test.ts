import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { encodeLabels } from '../../data/src/dataset/arrow-io.js';
import type { RunMetrics } from '../../trainer/src/run/train.js';
import { configArgs, type TrialConfig } from '../../trainer/src/tune/search-space.js';
import { TRIAL_TRAINING_ARGS, type TuneTrialRow } from '../../trainer/src/tune/tune.js';
import { finalTensors, makeTinyAdniDataset, runCliChild } from './support/fixtures.js';

const env = { FLEXMOE_BACKEND: 'wasm' };
const TUNE_FLAGS = [
  '--budget',
  '3',
  '--seeds',
  '0',
  '--epochs',
  '1,2',
  '--hidden',
  '8',
  '--patches',
  '4',
  '--heads',
  '2',
  '--batch-size',
  '8',
  '--select-metric',
  'macroF1',
  // Two folds keep these tunes short; three (the default) run in a --time-limit test below and in the queue test.
  '--folds',
  '2',
  // Results depend on the worker count; fixed here so that every run below trains alike on any machine.
  '--workers',
  '1',
];

/** A copy of the dataset whose test labels are rotated among the test patients (class counts unchanged). */
async function poisonTestLabels(ds: string, out: string): Promise<void> {
  cpSync(ds, out, { recursive: true });
  const d = await readDataset(ds);
  const labels = Int32Array.from(d.labels);
  const test = Array.from(d.splitIndices.testing);
  test.forEach((r, i) => {
    labels[r] = d.labels[test[(i + 1) % test.length]];
  });
  const poisoned = encodeLabels(d.ids, labels);
  writeFileSync(join(out, 'labels.arrow'), poisoned);
  // Record the new file's hash, as a dataset written with these labels would, so readDataset accepts it.
  const manifestPath = join(out, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { fileSha256?: Record<string, string> };
  if (manifest.fileSha256) manifest.fileSha256['labels.arrow'] = createHash('sha256').update(poisoned).digest('hex');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

interface TuneJson {
  trials: TuneTrialRow[];
}

function trialsOf(dir: string): TuneTrialRow[] {
  return (JSON.parse(readFileSync(join(dir, 'tune.json'), 'utf8')) as TuneJson).trials;
}

function runMetrics(runDir: string): RunMetrics {
  return (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { metrics: RunMetrics }).metrics;
}

/** `flexmoe train` flags of a fresh retraining of `config` with seed 0 (what the tune's final run must equal). */
function retrainArgs(ds: string, out: string, config: TrialConfig): string[] {
  return [
    'train',
    '--data',
    ds,
    '--out',
    out,
    '--seeds',
    '0',
    '--workers',
    '1',
    '--select-metric',
    'macroF1',
    '--no-progress',
    '--heads',
    '2',
    '--batch-size',
    '8',
    ...TRIAL_TRAINING_ARGS,
    ...configArgs(config),
  ];
}

function bestConfig(dir: string): { trial: string; validation: number; folds?: number[]; config: TrialConfig } {
  return JSON.parse(readFileSync(join(dir, 'best-config.json'), 'utf8')) as {
    trial: string;
    validation: number;
    folds?: number[];
    config: TrialConfig;
  };
}

describe('flexmoe tune', () => {
  let root = '';
  let ds = '';
  let clean = '';
  beforeAll(async () => {
    ({ root, ds } = await makeTinyAdniDataset());
    clean = join(root, 'tune-clean');
  });

  it('ranks trials by K-fold cross-validation on training + validation, retrains the best and writes table, configuration and final metrics', async () => {
    const json = join(root, 'final.json');
    const r = await runCliChild(
      ['tune', '--data', ds, '--out', clean, '--parallel', '2', '--json', json, ...TUNE_FLAGS],
      { env },
    );
    expect(r.code).toBe(0);
    const trials = trialsOf(clean);
    expect(trials.map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
    // Each trial is K = 2 fold runs; its score is the mean of the folds' validation metrics.
    for (const t of trials) {
      const folds = [1, 2].map((f) => runMetrics(join(clean, 'trials', t.name, `fold-${f}`)).validation.macroF1.mean);
      expect(t.foldValidation).toEqual(folds);
      expect(t.validation).toBeCloseTo(folds.reduce((a, b) => a + b, 0) / 2, 12);
      const log = readFileSync(join(clean, 'trials', t.name, 'fold-2.log'), 'utf8');
      expect(log).toMatch(/--cv-fold 2\/2 \(seed 0\): training and validation splits pooled/);
      // Trials never score the test split.
      expect(log).toMatch(/--validation-only: the test split is not evaluated/);
    }
    const best = bestConfig(clean);
    expect(best.validation).toBe(Math.max(...trials.map((t) => t.validation!)));
    expect(best.folds).toHaveLength(2);
    expect(readFileSync(join(clean, 'results.txt'), 'utf8')).toMatch(
      /trial-000 +ok .* per fold|per fold[\s\S]*trial-000 +ok/,
    );
    const m = JSON.parse(readFileSync(json, 'utf8')) as RunMetrics;
    expect(m.test.macroF1.perSeed).toHaveLength(1);
    expect(m.baselines?.best).toBeDefined();
    expect(r.stdout).toMatch(/best trial-00\d; final run .* \(seeds 0\)/);
    expect(r.stdout).toMatch(/deploy: flexmoe export --run .*final --out model\.onnx/); // one seed: no --ensemble
    // The fold runs trained on other patients: the final run trains its seed on the training split, from
    // scratch, and equals a fresh `flexmoe train` of the chosen configuration (same weights, same test scores).
    expect(r.stderr).not.toMatch(/continue from/);
    const fresh = join(root, 'fresh');
    const retrain = await runCliChild(retrainArgs(ds, fresh, best.config), { env });
    expect(retrain.code).toBe(0);
    const a = finalTensors(join(clean, 'final'));
    const b = finalTensors(fresh);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect({ name, same: bytes.equals(b.get(name)!) }).toEqual({ name, same: true });
    expect(m.test).toEqual(runMetrics(fresh).test);
  }, 300000);

  it('with --folds 1 ranks on the validation split and continues the seeds of the best trial instead of retraining them', async () => {
    const out = join(root, 'tune-split');
    const r = await runCliChild(['tune', '--data', ds, '--out', out, ...TUNE_FLAGS, '--folds', '1'], { env });
    expect(r.code).toBe(0);
    const trials = trialsOf(out);
    for (const t of trials) {
      expect(t.foldValidation).toBeUndefined();
      expect(t.validation).toBe(runMetrics(join(out, 'trials', t.name)).validation.macroF1.mean);
    }
    const best = bestConfig(out);
    expect(best.validation).toBe(Math.max(...trials.map((t) => t.validation!)));
    expect(readFileSync(join(out, 'trials', 'trial-000.log'), 'utf8')).toMatch(
      /--validation-only: the test split is not evaluated/,
    );
    // The final run's seed 0 is the best trial's training continued (not retrained), then tested once ...
    expect(r.stderr).toMatch(new RegExp(`seed\\(s\\) 0 continue from ${best.trial}`));
    expect(readFileSync(join(out, 'final.log'), 'utf8')).toMatch(/seed 0: resuming after epoch \d+\/\d+/);
    expect(readFileSync(join(out, 'final', 'seed-0', 'best', 'weights.bin'))).toEqual(
      readFileSync(join(out, 'trials', best.trial, 'seed-0', 'best', 'weights.bin')),
    );
    // ... and equals what retraining it from scratch gives.
    const fresh = join(root, 'fresh-split');
    expect((await runCliChild(retrainArgs(ds, fresh, best.config), { env })).code).toBe(0);
    const a = finalTensors(join(out, 'final'));
    for (const [name, bytes] of finalTensors(fresh))
      expect({ name, same: bytes.equals(a.get(name)!) }).toEqual({ name, same: true });
    expect(runMetrics(join(out, 'final')).test).toEqual(runMetrics(fresh).test);
    // A plan written before cross-validated trials (no folds field) is a --folds 1 tune and resumes as one.
    const planPath = join(out, 'tune-plan.json');
    const { folds: _folds, ...older } = JSON.parse(readFileSync(planPath, 'utf8')) as Record<string, unknown>;
    void _folds;
    writeFileSync(planPath, JSON.stringify(older));
    const again = await runCliChild(['tune', '--data', ds, '--out', out, ...TUNE_FLAGS, '--folds', '1'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming the tune/);
    expect(again.stderr).not.toMatch(/\[tune\] start trial/);
  }, 300000);

  it('stops starting trials at --time-limit and keeps only the final seeds that fit', async () => {
    const out = join(root, 'tune-time');
    const json = join(root, 'final-time.json');
    const flags = TUNE_FLAGS.map((f) => (f === '0' ? '0,1,2' : f)); // --seeds 0,1,2
    const r = await runCliChild(
      [
        'tune',
        '--data',
        ds,
        '--out',
        out,
        '--parallel',
        '1',
        '--time-limit',
        '0.02',
        '--json',
        json,
        ...flags,
        '--folds',
        '1',
      ],
      { env },
    );
    expect(r.code).toBe(0);
    // Trial-000 (seeds 0 and 1: --trial-seeds 2 is the default with --folds 1) took longer than the 1.2 s limit: nothing else
    // starts, and the final run keeps the trial's two seeds, continued from its checkpoints.
    expect(trialsOf(out).map((t) => t.status)).toEqual(['ok', 'skipped', 'skipped']);
    expect(trialsOf(out)[1].reason).toMatch(/^time limit: /);
    expect(r.stderr).toMatch(/the final run uses seeds 0,1 of 0,1,2/);
    expect(r.stderr).toMatch(/seed\(s\) 0,1 continue from trial-000/);
    const finalLog = readFileSync(join(out, 'final.log'), 'utf8');
    expect(finalLog).toMatch(/seed 0: resuming after epoch/);
    expect(finalLog).toMatch(/seed 1: resuming after epoch/);
    const m = JSON.parse(readFileSync(json, 'utf8')) as RunMetrics;
    expect(m.test.auc.perSeed).toHaveLength(2);
    // Two final seeds: the metrics carry their seed ensemble, and the deploy hint exports it.
    expect(m.ensemble?.seeds).toEqual([0, 1]);
    expect(r.stdout).toMatch(/seed ensemble: test accuracy [\d.]+ {2}macro-F1 [\d.]+ {2}AUC [\d.]+/);
    expect(r.stdout).toMatch(/deploy: flexmoe export --run .*final --ensemble --out model\.onnx/);
    // The trial is ranked by the mean validation metric of its seeds.
    const trialRun = JSON.parse(readFileSync(join(out, 'trials', 'trial-000', 'run.json'), 'utf8')) as {
      metrics: RunMetrics;
    };
    expect(trialRun.metrics.validation.macroF1.perSeed).toHaveLength(2);
    expect(trialsOf(out)[0].validation).toBe(trialRun.metrics.validation.macroF1.mean);
    expect(m.baselines?.best).toBeDefined();
  }, 300000);

  it('with folds and a --time-limit, finishes the started trial and keeps at least one final seed', async () => {
    const out = join(root, 'tune-time-cv');
    const flags = TUNE_FLAGS.map((f) => (f === '0' ? '0,1,2' : f)); // --seeds 0,1,2
    const r = await runCliChild(
      ['tune', '--data', ds, '--out', out, '--parallel', '2', '--time-limit', '0.02', ...flags, '--folds', '3'],
      { env },
    );
    expect(r.code).toBe(0);
    // All three folds of trial-000 ran (a trial is never cut short: its score needs every fold); then the limit
    // had passed, so no other trial started and the final run trains one seed from scratch.
    const trials = trialsOf(out);
    expect(trials.map((t) => t.status)).toEqual(['ok', 'skipped', 'skipped']);
    expect(trials[0].foldValidation).toHaveLength(3);
    expect(r.stderr).toMatch(/the final run uses seeds 0 of 0,1,2/);
    expect(r.stderr).not.toMatch(/continue from/);
    expect(runMetrics(join(out, 'final')).test.auc.perSeed).toHaveLength(1);
  }, 300000);

  it('never reads test labels before the end: poisoned test labels leave the search and the choice unchanged', async () => {
    const poisoned = join(root, 'ds-poisoned');
    await poisonTestLabels(ds, poisoned);
    const out = join(root, 'tune-poisoned');
    const json = join(root, 'final-poisoned.json');
    const r = await runCliChild(['tune', '--data', poisoned, '--out', out, '--json', json, ...TUNE_FLAGS], { env });
    expect(r.code).toBe(0);
    const strip = (rows: TuneTrialRow[]) => rows.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(trialsOf(out))).toEqual(strip(trialsOf(clean)));
    expect(readFileSync(join(out, 'best-config.json'), 'utf8')).toBe(
      readFileSync(join(clean, 'best-config.json'), 'utf8'),
    );
    // The final evaluation does read them: its test scores differ, its validation scores do not.
    const a = JSON.parse(readFileSync(join(root, 'final.json'), 'utf8')) as RunMetrics;
    const b = JSON.parse(readFileSync(json, 'utf8')) as RunMetrics;
    expect(b.validation).toEqual(a.validation);
    expect(b.test.accuracy.mean).not.toBe(a.test.accuracy.mean);
  }, 300000);

  it('resumes after SIGKILL without repeating finished trials', async () => {
    const out = join(root, 'tune-killed');
    // One run at a time: trial-000 and the first fold of trial-001 have finished when its second fold starts.
    const first = await runCliChild(['tune', '--data', ds, '--out', out, '--parallel', '1', ...TUNE_FLAGS], {
      env,
      onStderr: (text, kill) => {
        if (text.includes('[tune] start trial-001/fold-2')) kill();
      },
    });
    expect(first.signal).toBe('SIGKILL');
    expect(trialsOf(out).map((t) => t.status)).toEqual(['ok', 'pending', 'pending']);
    const second = await runCliChild(['tune', '--data', ds, '--out', out, ...TUNE_FLAGS], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/trial-000: finished before, reused/);
    expect(second.stderr).not.toMatch(/start trial-000/);
    expect(second.stderr).toMatch(/trial-001\/fold-1: finished before, reused/);
    expect(second.stderr).not.toMatch(/start trial-001\/fold-1/);
    expect(second.stderr).toMatch(/start trial-001\/fold-2/);
    // Fold 1 of trial-001 was trained once.
    const fold1Log = readFileSync(join(out, 'trials', 'trial-001', 'fold-1.log'), 'utf8');
    expect(fold1Log.match(/\[flexmoe\] training on \d+ patients/g)).toHaveLength(1);
    const strip = (rows: TuneTrialRow[]) => rows.map(({ seconds: _s, status: _t, ...rest }) => rest);
    expect(strip(trialsOf(out))).toEqual(strip(trialsOf(clean)));
    expect(trialsOf(out)[0].status).toBe('reused');
    // Another worker count would train the remaining trials differently: refused before anything is written.
    const before = readFileSync(join(out, 'tune.json'), 'utf8');
    const other = await runCliChild(['tune', '--data', ds, '--out', out, ...TUNE_FLAGS, '--workers', '2'], { env });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/tune-plan\.json: .* holds a tune with other settings \(workers differ\)/);
    const single = await runCliChild(['tune', '--data', ds, '--out', out, ...TUNE_FLAGS, '--folds', '1'], { env });
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(/holds a tune with other settings \(folds differ\)/);
    expect(readFileSync(join(out, 'tune.json'), 'utf8')).toBe(before);
  }, 300000);
});
