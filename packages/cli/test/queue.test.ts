import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepRow } from '../../trainer/src/sweep/sweep.js';
import type { TuneTrialRow } from '../../trainer/src/tune/tune.js';
import { makeTinyAdniDataset, runCliChild, type ChildResult } from './support/fixtures.js';
import { toolForTests } from '../../data/src/testing/tool-gate.js';

const redisServer = toolForTests('redis-server', 'cli test/queue.test.ts (2 queue tests)');

const env = { FLEXMOE_BACKEND: 'wasm' };

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A throwaway redis-server on a free loopback port (the Debian package; .ci/run installs it). */
async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'flexmoe-redis-'));
  const proc = spawn(
    redisServer as string,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolveReady, reject) => {
    let out = '';
    proc.on('error', (err) =>
      reject(new Error(`redis-server could not start (is the redis-server package installed?): ${err.message}`)),
    );
    proc.on('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${out}`)));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('Ready to accept connections')) resolveReady();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, proc };
}

(redisServer ? describe : describe.skip)('trials on a BullMQ queue with two workers', () => {
  it('retries the trial of a worker killed mid-trial on the other worker and collects every result once', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const redis = await startRedis();
    try {
      let killedTrial = '';
      const workerA = runCliChild(['worker', '--queue', redis.url, '--lock-seconds', '2'], {
        env,
        onStderr: (text, kill) => {
          const m = /start (trial-\d+\/fold-\d)/.exec(text);
          if (m && !killedTrial) {
            killedTrial = m[1];
            setTimeout(kill, 1500); // mid-trial: its train child has started
          }
        },
      });
      let stopB: () => void = () => undefined;
      const workerB = runCliChild(['worker', '--queue', redis.url, '--lock-seconds', '2'], {
        env,
        onStderr: (_text, kill) => {
          stopB = kill;
        },
      });
      const out = join(root, 'tune-queue');
      const tune = await runCliChild(
        [
          'tune',
          '--data',
          ds,
          '--out',
          out,
          '--queue',
          redis.url,
          '--budget',
          '3',
          '--seeds',
          '0',
          '--epochs',
          '3',
          '--hidden',
          '8',
          '--patches',
          '4',
          '--heads',
          '2',
          '--batch-size',
          '8',
        ],
        { env },
      );
      const a: ChildResult = await workerA;
      stopB();
      const b: ChildResult = await workerB;
      expect(tune.code).toBe(0);
      expect(a.signal).toBe('SIGKILL');
      expect(killedTrial).toMatch(/^trial-00\d\/fold-[123]$/);
      // The killed trial was taken over by worker B and finished there, once.
      expect(b.stderr).toMatch(new RegExp(`start ${killedTrial} \\(attempt \\d\\)`));
      expect(b.stderr.match(new RegExp(`done ${killedTrial} `, 'g'))).toHaveLength(1);
      expect(a.stderr).not.toMatch(new RegExp(`done ${killedTrial} `));
      const trials = (JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8')) as { trials: TuneTrialRow[] }).trials;
      expect(trials.map((t) => [t.name, t.status])).toEqual([
        ['trial-000', 'ok'],
        ['trial-001', 'ok'],
        ['trial-002', 'ok'],
      ]);
      // Every fold run of every trial (3-fold cross-validation by default) ran to completion exactly once.
      const done = [...(a.stderr + b.stderr).matchAll(/done (trial-\d+\/fold-\d) /g)].map((m) => m[1]).sort();
      expect(done).toEqual(
        ['trial-000', 'trial-001', 'trial-002'].flatMap((t) => [1, 2, 3].map((f) => `${t}/fold-${f}`)),
      );
      expect(tune.stdout).toMatch(/best trial-00\d; final run/);
    } finally {
      redis.proc.kill('SIGTERM');
    }
  }, 400000);

  it('runs the points of a sweep on the workers, each once, and tabulates them like a local sweep', async () => {
    const { root, ds } = await makeTinyAdniDataset();
    const redis = await startRedis();
    const stops: (() => void)[] = [];
    try {
      const workers = [0, 1].map((i) =>
        runCliChild(['worker', '--queue', redis.url, '--lock-seconds', '2'], {
          env,
          onStderr: (_text, kill) => {
            stops[i] = kill;
          },
        }),
      );
      const out = join(root, 'sweep-queue');
      const sweep = await runCliChild(
        [
          'sweep',
          '--data',
          ds,
          '--out',
          out,
          '--queue',
          redis.url,
          '--experts',
          '16',
          '--top-k',
          '2,4,17',
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
        { env },
      );
      for (const stop of stops) stop();
      const logs = (await Promise.all(workers)).map((w) => w.stderr).join('\n');
      expect(sweep.code).toBe(0);
      const { rows } = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rows: SweepRow[] };
      expect(rows.map((x) => [x.name, x.status])).toEqual([
        ['e16-k2-l1', 'ok'],
        ['e16-k4-l1', 'ok'],
        ['e16-k17-l1', 'skipped'],
      ]);
      // The points ran on the workers (the sweep process trains nothing itself), each exactly once.
      const done = [...logs.matchAll(/done (e16-k\d+-l1) /g)].map((m) => m[1]).sort();
      expect(done).toEqual(['e16-k2-l1', 'e16-k4-l1']);
      for (const r of rows.filter((x) => x.status === 'ok')) expect(r.accuracy!.perSeed).toHaveLength(1);
      expect(sweep.stdout).toMatch(/e16-k4-l1\s+16\s+4\s+1\s+-\s+ok\s+\d+\.\d\d ± 0\.00/);
    } finally {
      for (const stop of stops) stop();
      redis.proc.kill('SIGTERM');
    }
  }, 400000);
});
