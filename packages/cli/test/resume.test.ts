import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointHeader } from '../../trainer/src/checkpoint/training-checkpoint.js';
import type { RunMetrics } from '../../trainer/src/run/train.js';
import { finalTensors, makeTinyAdniDataset, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

describe('resume after SIGKILL', () => {
  it('continues a killed run to the same final weights as an uninterrupted one (bit for bit)', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const env = { FLEXMOE_BACKEND: 'wasm' };
    const common = [
      'train',
      '--data',
      ds,
      '--epochs',
      '7',
      '--warmup',
      '2',
      '--seeds',
      '0',
      '--no-progress',
      ...TINY_MODEL_FLAGS,
    ];

    const full = await runCliChild([...common, '--out', join(root, 'full'), '--json', join(root, 'full.json')], {
      env,
    });
    expect(full.stderr).toContain('backend: wasm');
    expect(full.code).toBe(0);

    let killed = false;
    const interrupted = await runCliChild([...common, '--out', join(root, 'killed')], {
      env,
      onStderr: (text, kill) => {
        // Kill somewhere inside epoch 4 (after the epoch-3 checkpoint is on disk).
        if (!killed && text.includes('epoch 3/7')) {
          killed = true;
          kill();
        }
      },
    });
    expect(interrupted.signal).toBe('SIGKILL');
    const partial = JSON.parse(
      readFileSync(join(root, 'killed', 'seed-0', 'checkpoint.json'), 'utf8'),
    ) as CheckpointHeader;
    expect(partial.epochsCompleted).toBeGreaterThanOrEqual(3);
    expect(partial.epochsCompleted).toBeLessThan(7);
    expect(JSON.parse(readFileSync(join(root, 'killed', 'run.json'), 'utf8')).status).toBe('running');
    expect(existsSync(join(root, 'killed', 'best'))).toBe(false);

    const resumed = await runCliChild(
      ['train', '--data', ds, '--out', join(root, 'killed'), '--resume', '--json', join(root, 'resumed.json')],
      { env },
    );
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/seed 0: resuming after epoch [3-6]\/7/);

    const a = finalTensors(join(root, 'full'));
    const b = finalTensors(join(root, 'killed'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect({ name, same: bytes.equals(b.get(name)!) }).toEqual({ name, same: true });
    expect(
      readFileSync(join(root, 'killed', 'best', 'weights.bin')).equals(
        readFileSync(join(root, 'full', 'best', 'weights.bin')),
      ),
    ).toBe(true);
    const ma = JSON.parse(readFileSync(join(root, 'full.json'), 'utf8')) as RunMetrics;
    const mb = JSON.parse(readFileSync(join(root, 'resumed.json'), 'utf8')) as RunMetrics;
    expect(mb.test).toEqual(ma.test);
    expect(mb.validation).toEqual(ma.validation);
    expect(mb.bestEpoch).toEqual(ma.bestEpoch);
  }, 240000);
});
