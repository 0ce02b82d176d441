import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaselinesReport } from '../../trainer/src/baselines/run-baselines.js';
import { checkPageInChromium } from '../../trainer/src/report/browser-check.js';
import type { RunMetrics } from '../../trainer/src/run/train.js';
import { makeTinyAdniDataset, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';
import { toolForTests } from '../../data/src/testing/tool-gate.js';

const itWithChromium = toolForTests('chromium', 'cli test/baselines.test.ts (1 report rendering test)') ? it : it.skip;

const env = { FLEXMOE_BACKEND: 'wasm' };

describe('baselines next to every run', () => {
  let root = '';
  let ds = '';
  beforeAll(async () => {
    ({ root, ds } = await makeTinyAdniDataset());
  });

  it('flexmoe baseline writes {"baselines": …} and prints a table; --json without a value prints the JSON', async () => {
    const file = join(root, 'baselines.json');
    const r = await runCliChild(
      ['baseline', '--data', ds, '--json', file, '--select-metric', 'macroF1', '--class-weights', 'balanced'],
      { env },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/logistic \(all\)/);
    const { baselines } = JSON.parse(readFileSync(file, 'utf8')) as { baselines: BaselinesReport };
    expect(Object.keys(baselines.perModality).length).toBe(4);
    expect(baselines.selectMetric).toBe('macroF1');
    for (const key of ['accuracy', 'macroF1', 'auc'] as const)
      expect(baselines.logistic.test[key].mean).toBeGreaterThanOrEqual(0);
    expect(Object.keys(baselines.logistic.perCombination)).toEqual(['IGCB']);
    const stdout = await runCliChild(['baseline', '--data', ds, '--json'], { env });
    expect(stdout.code).toBe(0);
    expect(Object.keys(JSON.parse(stdout.stdout) as object)).toEqual(['baselines']);
  }, 120000);

  it('train --baselines puts them in the metrics, logs the verdict, and the report shows them', async () => {
    const run = join(root, 'run');
    const json = join(root, 'metrics.json');
    const r = await runCliChild(
      [
        'train',
        '--data',
        ds,
        '--out',
        run,
        '--epochs',
        '2',
        '--seeds',
        '0',
        '--no-progress',
        '--json',
        json,
        '--baselines',
        '--weight-decay',
        '0.01',
        '--lr-schedule',
        'cosine',
        '--lr-warmup',
        '1',
        ...TINY_MODEL_FLAGS,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Flex-MoE test accuracy .* (ahead of|behind|within the seed spread of) the best baseline/);
    const m = JSON.parse(readFileSync(json, 'utf8')) as RunMetrics;
    expect(m.baselines?.logistic.test.accuracy.perSeed).toHaveLength(1);
    expect(m.config.training).toMatchObject({ weightDecay: 0.01, lrSchedule: 'cosine', lrWarmup: 1, patience: 0 });
    const html = join(root, 'report.html');
    expect((await runCliChild(['report', '--run', run, '--out', html], { env })).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('<section id="baselines">');
  }, 180000);

  itWithChromium(
    'the report of that run shows the baselines section in headless Chromium',
    async () => {
      const check = await checkPageInChromium(join(root, 'report.html'));
      expect(check.consoleErrors).toEqual([]);
      expect(check.visibleSections).toContain('baselines');
    },
    60000,
  );

  it('stops a seed early when the validation metric has not improved for --patience epochs', async () => {
    const run = join(root, 'early');
    // A vanishing learning rate keeps the predictions (and so the metric) unchanged: epoch 1 stays the best.
    const r = await runCliChild(
      [
        'train',
        '--data',
        ds,
        '--out',
        run,
        '--epochs',
        '6',
        '--seeds',
        '0',
        '--no-progress',
        '--lr',
        '1e-12',
        '--patience',
        '2',
        ...TINY_MODEL_FLAGS,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/seed 0: early stop after epoch 3/);
    const analysis = JSON.parse(readFileSync(join(run, 'analysis.json'), 'utf8')) as {
      histories: Record<string, unknown[]>;
    };
    expect(analysis.histories['0']).toHaveLength(3);
    expect(existsSync(join(run, 'best', 'model.json'))).toBe(true);
  }, 120000);
});
