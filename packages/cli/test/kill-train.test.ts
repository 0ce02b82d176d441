import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalTensors, makeTinyAdniDataset, REPO_ROOT, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

const KILL_PRELOAD = join(REPO_ROOT, 'packages/cli/test/support/kill-at-fs-call.mjs');

describe('train killed at filesystem write steps, then resumed', () => {
  it("reaches the uninterrupted run's final weights bit for bit from kills spread over every phase", async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const common = ['train', '--data', ds, '--epochs', '3', '--seeds', '0', '--no-progress', ...TINY_MODEL_FLAGS];
    const env = { FLEXMOE_BACKEND: 'wasm', NODE_OPTIONS: `--import ${KILL_PRELOAD}` };
    const full = await runCliChild([...common, '--out', join(root, 'full')], {
      env: { ...env, FLEXMOE_COUNT_FS_CALLS: '1' },
    });
    expect(full.code).toBe(0);
    const steps = Number(/fs-calls: (\d+)/.exec(full.stderr)?.[1]);
    expect(steps).toBeGreaterThan(20);
    const reference = finalTensors(join(root, 'full'));
    // Kill points spread over the run: the first checkpoint, mid-run checkpoints, the final copies and run.json.
    const points = [0.15, 0.4, 0.65, 0.9, 1].map((f) => Math.max(1, Math.round(f * steps)));
    for (const n of points) {
      const out = join(root, `killed-${n}`);
      const killed = await runCliChild([...common, '--out', out], {
        env: { ...env, FLEXMOE_KILL_AT_FS_CALL: String(n) },
      });
      expect({ n, signal: killed.signal }).toEqual({ n, signal: 'SIGKILL' });
      const resumed = await runCliChild(['train', '--data', ds, '--out', out, '--resume', '--no-progress'], {
        env: { FLEXMOE_BACKEND: 'wasm' },
      });
      expect({ n, code: resumed.code, err: resumed.code === 0 ? '' : resumed.stderr }).toEqual({ n, code: 0, err: '' });
      const got = finalTensors(out);
      for (const [name, bytes] of reference)
        expect({ n, name, same: bytes.equals(got.get(name) as Buffer) }).toEqual({ n, name, same: true });
      expect(
        readFileSync(join(out, 'best', 'weights.bin')).equals(readFileSync(join(root, 'full', 'best', 'weights.bin'))),
      ).toBe(true);
    }
  }, 900000);
});
