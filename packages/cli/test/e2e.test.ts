import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolForTests } from '../../data/src/testing/tool-gate.js';
import { checkPageInChromium } from '../../trainer/src/report/browser-check.js';
import type { RunFile, RunMetrics } from '../../trainer/src/run/train.js';
import { makeTinyAdniDataset, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

const itWithChromium = toolForTests('chromium', 'cli test/e2e.test.ts (1 report rendering test)') ? it : it.skip;

describe('end to end: synthetic ADNI → dataset → flexmoe train → metrics JSON → report', () => {
  let root = '';
  let ds = '';
  let html = '';
  beforeAll(async () => {
    ({ root, ds } = await makeTinyAdniDataset());
  });

  it('trains from the command line, writes the run directory and a report that renders', async () => {
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
        '0,1',
        '--no-progress',
        '--json',
        json,
        ...TINY_MODEL_FLAGS,
      ],
      {
        env: { FLEXMOE_BACKEND: 'wasm' },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test accuracy \d+\.\d\d ± \d+\.\d\d/);
    const m = JSON.parse(readFileSync(json, 'utf8')) as RunMetrics;
    for (const key of ['accuracy', 'macroF1', 'auc'] as const) {
      for (const part of [m.test[key], m.validation[key]]) {
        expect(part.perSeed).toHaveLength(2);
        expect(part.mean).toBeCloseTo((part.perSeed[0] + part.perSeed[1]) / 2, 12);
        expect(part.std).toBeCloseTo(Math.abs(part.perSeed[0] - part.perSeed[1]) / 2, 12);
        expect(part.mean).toBeGreaterThanOrEqual(0);
        expect(part.mean).toBeLessThanOrEqual(1);
      }
    }
    expect(Object.keys(m.perCombination)).toEqual(['IGCB']); // ADNI validation/test hold only full-modality patients
    expect(m.perCombination.IGCB.n).toBeGreaterThan(0);
    expect(m.throughput.trainSamplesPerSecond).toBeGreaterThan(0);
    expect(m.throughput.msPerStep).toBeGreaterThan(0);
    expect(m.backend).toBe('wasm');
    expect(m.config).toMatchObject({
      hidden: 8,
      patches: 4,
      heads: 2,
      topK: 2,
      experts: 16,
      classes: 3,
      training: { epochs: 2, seeds: [0, 1] },
    });
    expect(Object.keys(m.bestEpoch)).toEqual(['0', '1']);
    // Run directory contract (docs/architecture.md §3)
    const runFile = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as RunFile;
    expect(runFile.status).toBe('complete');
    expect(runFile.bestSeed).toBe(m.bestSeed);
    for (const f of [
      'best/model.json',
      'best/weights.bin',
      'seed-0/checkpoint.json',
      'seed-0/checkpoint.bin',
      'seed-1/best/model.json',
    ]) {
      expect({ f, exists: existsSync(join(run, f)) }).toEqual({ f, exists: true });
    }
    expect(
      readFileSync(join(run, 'best', 'weights.bin')).equals(
        readFileSync(join(run, `seed-${m.bestSeed}`, 'best', 'weights.bin')),
      ),
    ).toBe(true);

    // Robustness evaluation: withholding I and G changes every test combination to CB.
    const ev = await runCliChild(
      ['evaluate', '--run', run, '--data', ds, '--withhold', 'IG', '--json', join(root, 'eval.json')],
      { env: { FLEXMOE_BACKEND: 'wasm' } },
    );
    expect(ev.code).toBe(0);
    const e = JSON.parse(readFileSync(join(root, 'eval.json'), 'utf8'));
    expect(Object.keys(e.perCombination)).toEqual(['CB']);
    expect(e.withheld).toEqual(['I', 'G']);
    expect(e.sameDataset).toBe(true);
    // The same withholding by modality names, with the result as JSON on stdout (--json without a file).
    const byName = await runCliChild(
      ['evaluate', '--run', run, '--data', ds, '--withhold', 'image,genomic', '--json'],
      { env: { FLEXMOE_BACKEND: 'wasm' } },
    );
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout)).toEqual(e);
    expect(byName.stderr).toMatch(/accuracy \d+\.\d\d {2}macro-F1/);

    html = join(root, 'report.html');
    const rep = await runCliChild(['report', '--run', run, '--out', html]);
    expect(rep.code).toBe(0);
    expect(existsSync(html)).toBe(true);
  }, 240000);

  itWithChromium(
    'the report of that run renders in headless Chromium with every section',
    async () => {
      expect(html).not.toBe(''); // written by the test above
      const check = await checkPageInChromium(html, { screenshotPath: join(root, 'report.png') });
      expect(check.consoleErrors).toEqual([]);
      expect(check.externalRequests).toEqual([]);
      expect(check.visibleSections).toEqual([
        'summary',
        'baselines',
        'curves',
        'bank',
        'experts',
        'combinations',
        'confusion',
        'roc',
      ]);
      expect(check.renderedSvgs).toBeGreaterThanOrEqual(8);
    },
    60000,
  );

  it('reports bad input clearly', async () => {
    const missing = await runCliChild(
      ['train', '--data', join(root, 'nope'), '--out', join(root, 'x'), '--epochs', '1'],
      { env: { FLEXMOE_BACKEND: 'cpu' } },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/flexmoe: .*nope/);
    const badBackend = await runCliChild(['train', '--data', ds, '--out', join(root, 'y'), '--epochs', '1'], {
      env: { FLEXMOE_BACKEND: 'tpu' },
    });
    expect(badBackend.code).toBe(1);
    expect(badBackend.stderr).toContain("FLEXMOE_BACKEND='tpu' is not a known backend");
    // Cross-validation flags are checked before anything is written.
    for (const [flags, message] of [
      [['--cv-fold', '4/3'], /--cv-fold: expected k\/K with K >= 2 and 1 <= k <= K/],
      [['--cv-seed', '2'], /--cv-seed: only meaningful with --cv-fold k\/K/],
      [['--cv-fold', '1/2', '--cv-seed', '-1'], /--cv-seed: expected an integer >= 0, got -1/],
    ] as const) {
      const out = join(root, `cv-${flags.join('')}`);
      const r = await runCliChild(['train', '--data', ds, '--out', out, '--epochs', '1', ...flags], {
        env: { FLEXMOE_BACKEND: 'cpu' },
      });
      expect({ flags, code: r.code }).toEqual({ flags, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 120000);
});
