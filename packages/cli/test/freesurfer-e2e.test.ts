import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { runCliChild, TINY_MODEL_FLAGS, type ChildResult } from './support/fixtures.js';

interface PredictionLine {
  line: number;
  id?: string;
  error?: string;
  probabilities?: Record<string, number>;
  combination?: { letters: string };
}

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `url` until it answers 200; fails when the server process ends first. */
async function waitUntilReady(url: string, serving: Promise<ChildResult>): Promise<void> {
  let ended: ChildResult | undefined;
  void serving.then((r) => (ended = r));
  for (let i = 0; i < 600; i++) {
    if (ended) throw new Error(`serve ended early (code ${ended.code}): ${ended.stderr}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: not ready after 60 s`);
}

describe('end to end with the FreeSurfer image route (predict and serve)', () => {
  const root = mkdtempSync(join(tmpdir(), 'flexmoe-freesurfer-e2e-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'synthetic raw with UCSFFSX7 → dataset → short training → ONNX → predict and serve on records.jsonl: ' +
      'probabilities sum to 1',
    async () => {
      const raw = join(root, 'raw');
      const ds = join(root, 'ds');
      const run = join(root, 'run');
      const model = join(root, 'model.onnx');
      const predictions = join(root, 'predictions.jsonl');
      const env = { FLEXMOE_BACKEND: 'cpu' };

      const synth = await runCliChild(
        ['data', 'synth', 'adni', '--out', raw, '--scale', '0.05', '--seed', '6', '--image', 'freesurfer'],
        { env },
      );
      expect(synth.stderr).toBe('');
      expect(synth.code).toBe(0);
      expect(synth.stdout).toContain('image input: the FreeSurfer table');

      const build = await runCliChild(['data', 'adni', '--raw', raw, '--out', ds], { env });
      expect(build.code).toBe(0);
      expect(build.stdout).toMatch(
        /image: FreeSurfer table UCSFFSX7_09May2024\.csv: latest scan per patient, OVERALLQC Pass only/,
      );
      const manifest = JSON.parse(readFileSync(join(ds, 'manifest.json'), 'utf8')) as {
        modalities: { name: string; origin?: string }[];
      };
      expect(manifest.modalities[0].origin).toMatch(/^FreeSurfer table/);

      const train = await runCliChild(
        ['train', '--data', ds, '--out', run, '--epochs', '1', '--seeds', '0', '--no-progress', ...TINY_MODEL_FLAGS],
        { env },
      );
      expect(train.code).toBe(0);

      const exported = await runCliChild(['export', '--run', run, '--out', model], { env });
      expect(exported.code).toBe(0);

      const predicted = await runCliChild(
        ['predict', '--model', model, '--input', join(raw, 'records.jsonl'), '--out', predictions],
        { env },
      );
      expect(predicted.code).toBe(0);
      const lines = readFileSync(predictions, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PredictionLine);
      const records = readFileSync(join(raw, 'records.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { modalities: Record<string, unknown> });
      expect(lines).toHaveLength(records.length);
      expect(lines.filter((l) => l.error !== undefined)).toEqual([]);
      for (const [i, l] of lines.entries()) {
        const p = Object.values(l.probabilities ?? {});
        expect(Object.keys(l.probabilities ?? {})).toEqual(['CN', 'MCI', 'Dementia']);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        for (const x of p) expect(x).toBeGreaterThanOrEqual(0);
        // The image part of the record is the FreeSurfer values, and it is used.
        expect(l.combination?.letters.startsWith('I')).toBe(records[i].modalities.image !== undefined);
      }
      expect(lines.some((l) => l.combination?.letters.startsWith('I'))).toBe(true);

      // The service takes the same raw records (FreeSurfer values in the image part) and answers the same.
      const port = await freePort();
      let server: ChildProcess | undefined;
      const serving = runCliChild(['serve', '--model', model, '--port', String(port), '--log-level', 'warn'], {
        env,
        onSpawn: (c) => (server = c),
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitUntilReady(`${base}/readyz`, serving);
        const res = await fetch(`${base}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ records }),
        });
        expect(res.status).toBe(200);
        const served = ((await res.json()) as { predictions: { probabilities: Record<string, number> }[] }).predictions;
        expect(served).toHaveLength(records.length);
        served.forEach((p, i) => {
          for (const c of ['CN', 'MCI', 'Dementia'])
            expect(p.probabilities[c]).toBeCloseTo(lines[i].probabilities?.[c] ?? NaN, 5);
        });
      } finally {
        server?.kill('SIGTERM');
      }
      expect((await serving).code).toBe(0); // graceful shutdown on SIGTERM
    },
    300000,
  );
});
