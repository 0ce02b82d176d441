import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { REPO_ROOT } from './support/fixtures.js';

const PRELOADS = [
  '--import',
  join(REPO_ROOT, 'packages/cli/test/support/register-ts.mjs'),
  '--import',
  join(REPO_ROOT, 'packages/cli/test/support/kill-at-fs-call.mjs'),
];

function writeChild(dir: string, version: number, env: Record<string, string>) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.NODE_OPTIONS;
  delete e.JEST_WORKER_ID;
  return spawnSync(
    process.execPath,
    [...PRELOADS, join(REPO_ROOT, 'packages/cli/test/support/write-dataset-child.ts'), dir, String(version)],
    { env: e, encoding: 'utf8' },
  );
}

describe('replacing a dataset, killed at every filesystem write step', () => {
  it('always leaves a complete dataset (old or new) and no stale temporaries after the next read', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flexmoe-kill-ds-'));
    try {
      const ds = join(root, 'ds');
      const counted = writeChild(ds, 0, { FLEXMOE_COUNT_FS_CALLS: '1' });
      expect(counted.status).toBe(0);
      const replace = writeChild(join(root, 'probe'), 0, {});
      expect(replace.status).toBe(0);
      const steps = Number(
        /fs-calls: (\d+)/.exec(writeChild(join(root, 'probe'), 1, { FLEXMOE_COUNT_FS_CALLS: '1' }).stderr)?.[1],
      );
      expect(steps).toBeGreaterThanOrEqual(9); // a replace: mkdirs, a write per file, manifest, two renames, rm
      const outcomes = new Set<string>();
      for (let n = 1; n <= steps; n++) {
        const killed = writeChild(ds, n % 2 === 0 ? 1 : 2, { FLEXMOE_KILL_AT_FS_CALL: String(n) });
        expect({ n, signal: killed.signal }).toEqual({ n, signal: 'SIGKILL' });
        const loaded = await readDataset(ds); // recovers an interrupted replace
        outcomes.add(Array.from(loaded.labels).join(''));
        expect({ n, left: readdirSync(root).filter((f) => f.startsWith('ds.')) }).toEqual({ n, left: [] });
      }
      expect(outcomes.size).toBeGreaterThan(1); // some kills left the old dataset, later ones the new one
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 600000);
});
