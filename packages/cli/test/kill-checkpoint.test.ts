import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanRunTemporaries, loadCheckpoint } from '@flexmoe/trainer';
import { REPO_ROOT } from './support/fixtures.js';

const PRELOADS = [
  '--import',
  join(REPO_ROOT, 'packages/cli/test/support/register-ts.mjs'),
  '--import',
  join(REPO_ROOT, 'packages/cli/test/support/kill-at-fs-call.mjs'),
];

function saveChild(dir: string, epochs: number, env: Record<string, string>) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.NODE_OPTIONS;
  delete e.JEST_WORKER_ID;
  return spawnSync(
    process.execPath,
    [...PRELOADS, join(REPO_ROOT, 'packages/cli/test/support/save-checkpoint-child.ts'), dir, String(epochs)],
    { env: e, encoding: 'utf8' },
  );
}

describe('saving a checkpoint, killed at every filesystem write step', () => {
  it('leaves the previous or the new checkpoint, verified by its checksum; temporaries are cleaned afterwards', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flexmoe-kill-ckpt-'));
    try {
      const previous = join(root, 'previous', 'seed-0');
      expect(saveChild(previous, 1, {}).status).toBe(0);
      const counted = saveChild(join(root, 'count', 'seed-0'), 2, { FLEXMOE_COUNT_FS_CALLS: '1' });
      expect(counted.status).toBe(0);
      const steps = Number(/fs-calls: (\d+)/.exec(counted.stderr)?.[1]);
      expect(steps).toBeGreaterThanOrEqual(8); // checkpoint.bin and checkpoint.json: open, write, fsync, rename each
      const seen = new Set<number>();
      for (let n = 1; n <= steps; n++) {
        const run = join(root, `run-${n}`);
        cpSync(join(root, 'previous'), run, { recursive: true });
        const killed = saveChild(join(run, 'seed-0'), 2, { FLEXMOE_KILL_AT_FS_CALL: String(n) });
        expect({ n, signal: killed.signal }).toEqual({ n, signal: 'SIGKILL' });
        const state = loadCheckpoint(join(run, 'seed-0')); // throws on a checksum mismatch
        seen.add(state?.header.epochsCompleted ?? -1);
        await cleanRunTemporaries(run);
        expect({ n, files: readdirSync(join(run, 'seed-0')).sort() }).toEqual({
          n,
          files: ['checkpoint.bin', 'checkpoint.json'],
        });
      }
      expect([...seen].sort()).toEqual([1, 2]); // early kills keep epoch 1, kills after the commit see epoch 2
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 600000);
});
