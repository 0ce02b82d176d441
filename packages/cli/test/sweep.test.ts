import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { SweepRow } from '../../trainer/src/sweep/sweep.js';
import { makeTinyAdniDataset, runCliChild } from './support/fixtures.js';

describe('flexmoe sweep', () => {
  it('runs a grid as parallel child processes, skips k > E, reports failures and tabulates', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const out = join(root, 'grid');
    const r = await runCliChild(
      [
        'sweep',
        '--data',
        ds,
        '--out',
        out,
        '--experts',
        '8,16',
        '--top-k',
        '2,9',
        '--layers',
        '1',
        '--parallel',
        '2',
        '--epochs',
        '1',
        '--seeds',
        '0',
        '--hidden',
        '8',
        '--patches',
        '4',
        '--heads',
        '2',
      ],
      { env: { FLEXMOE_BACKEND: 'wasm' } },
    );
    expect(r.code).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rows: SweepRow[] };
    const byName = Object.fromEntries(rows.map((x) => [x.name, x]));
    expect(Object.keys(byName)).toEqual(['e8-k2-l1', 'e8-k9-l1', 'e16-k2-l1', 'e16-k9-l1']);
    expect(byName['e8-k9-l1'].status).toBe('skipped');
    // 4 modalities need E >= 15: the child fails with the config error, the sweep goes on.
    expect(byName['e8-k2-l1'].status).toBe('failed');
    expect(byName['e8-k2-l1'].reason).toMatch(/E = 8 is smaller than the 15 combinations/);
    expect(byName['e16-k2-l1'].status).toBe('ok');
    expect(byName['e16-k2-l1'].accuracy!.perSeed).toHaveLength(1);
    expect(byName['e16-k9-l1'].status).toBe('ok');
    expect(existsSync(join(out, 'e16-k9-l1', 'best', 'model.json'))).toBe(true);
    // Two points at once share the cores: each gets half of the default --workers (the core count).
    const pointRun = JSON.parse(readFileSync(join(out, 'e16-k2-l1', 'run.json'), 'utf8')) as {
      options: { workers: number };
    };
    expect(pointRun.options.workers).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    expect(r.stdout).toMatch(/e16-k2-l1\s+16\s+2\s+1\s+-\s+ok\s+\d+\.\d\d ± 0\.00/);

    // A second sweep reuses complete points instead of retraining them.
    const again = await runCliChild(
      [
        'sweep',
        '--data',
        ds,
        '--out',
        out,
        '--experts',
        '16',
        '--top-k',
        '2',
        '--epochs',
        '1',
        '--seeds',
        '0',
        '--hidden',
        '8',
        '--patches',
        '4',
        '--heads',
        '2',
      ],
      {
        env: { FLEXMOE_BACKEND: 'wasm' },
      },
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/e16-k2-l1\s+16\s+2\s+1\s+-\s+reused/);

    // Crossing with ablations (paper Table 3) gives one point per ablation.
    const abl = await runCliChild(
      [
        'sweep',
        '--data',
        ds,
        '--out',
        join(root, 'abl'),
        '--experts',
        '16',
        '--top-k',
        '2',
        '--ablations',
        'none,no-bank',
        '--epochs',
        '1',
        '--seeds',
        '0',
        '--hidden',
        '8',
        '--patches',
        '4',
        '--heads',
        '2',
        '--parallel',
        '2',
      ],
      { env: { FLEXMOE_BACKEND: 'wasm' } },
    );
    expect(abl.code).toBe(0);
    const ablRows = (JSON.parse(readFileSync(join(root, 'abl', 'sweep.json'), 'utf8')) as { rows: SweepRow[] }).rows;
    expect(ablRows.map((x) => [x.name, x.status])).toEqual([
      ['e16-k2-l1-none', 'ok'],
      ['e16-k2-l1-no-bank', 'ok'],
    ]);
    const model = JSON.parse(readFileSync(join(root, 'abl', 'e16-k2-l1-no-bank', 'best', 'model.json'), 'utf8'));
    expect(model.config.ablation).toBe('no-bank');
    expect(model.weights.find((w: { name: string }) => w.name === 'bank').shape[0]).toBe(1);
  }, 240000);
});
