import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepRow } from '../src/sweep/sweep.js';
import { makeTinyAdniDataset, runCliChild } from './support/fixtures.js';

describe('flexmoe sweep', () => {
  it('runs a grid as parallel child processes, skips k > E, reports failures and tabulates', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const out = join(root, 'grid');
    const r = await runCliChild(
      ['sweep', '--data', ds, '--out', out, '--experts', '8,16', '--top-k', '2,9', '--layers', '1', '--parallel', '2', '--epochs', '1', '--seeds', '0', '--hidden', '8', '--patches', '4', '--heads', '2'],
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
    expect(r.stdout).toMatch(/e16-k2-l1\s+16\s+2\s+1\s+ok\s+\d+\.\d\d ± 0\.00/);

    // A second sweep reuses complete points instead of retraining them.
    const again = await runCliChild(['sweep', '--data', ds, '--out', out, '--experts', '16', '--top-k', '2', '--epochs', '1', '--seeds', '0', '--hidden', '8', '--patches', '4', '--heads', '2'], {
      env: { FLEXMOE_BACKEND: 'wasm' },
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/e16-k2-l1\s+16\s+2\s+1\s+reused/);
  }, 240000);
});
