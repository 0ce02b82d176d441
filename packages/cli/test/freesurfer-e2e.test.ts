import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

interface PredictionLine {
  line: number;
  id?: string;
  error?: string;
  probabilities?: Record<string, number>;
  combination?: { letters: string };
}

describe('end to end with the FreeSurfer image route', () => {
  const root = mkdtempSync(join(tmpdir(), 'flexmoe-freesurfer-e2e-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('synthetic raw with UCSFFSX7 → dataset → short training → ONNX → predict on records.jsonl: probabilities sum to 1', async () => {
    const raw = join(root, 'raw');
    const ds = join(root, 'ds');
    const run = join(root, 'run');
    const model = join(root, 'model.onnx');
    const predictions = join(root, 'predictions.jsonl');
    const env = { FLEXMOE_BACKEND: 'cpu' };

    const synth = await runCliChild(['data', 'synth', 'adni', '--out', raw, '--scale', '0.05', '--seed', '6', '--image', 'freesurfer'], { env });
    expect(synth.stderr).toBe('');
    expect(synth.code).toBe(0);
    expect(synth.stdout).toContain('image input: the FreeSurfer table');

    const build = await runCliChild(['data', 'adni', '--raw', raw, '--out', ds], { env });
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/image: FreeSurfer table UCSFFSX7_09May2024\.csv: latest scan per patient, OVERALLQC Pass only/);
    const manifest = JSON.parse(readFileSync(join(ds, 'manifest.json'), 'utf8')) as { modalities: { name: string; origin?: string }[] };
    expect(manifest.modalities[0].origin).toMatch(/^FreeSurfer table/);

    const train = await runCliChild(['train', '--data', ds, '--out', run, '--epochs', '1', '--seeds', '0', '--no-progress', ...TINY_MODEL_FLAGS], { env });
    expect(train.code).toBe(0);

    const exported = await runCliChild(['export', '--run', run, '--out', model], { env });
    expect(exported.code).toBe(0);

    const predicted = await runCliChild(['predict', '--model', model, '--input', join(raw, 'records.jsonl'), '--out', predictions], { env });
    expect(predicted.code).toBe(0);
    const lines = readFileSync(predictions, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionLine);
    const records = readFileSync(join(raw, 'records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { modalities: Record<string, unknown> });
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
  }, 300000);
});
