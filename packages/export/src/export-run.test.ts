import { loadTransforms, readDataset } from '@flexmoe/data';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportRun } from './export-run.js';
import { readModelMetadata } from './metadata.js';
import { readRun } from './run-reader.js';
import { Predictor } from './runtime/predictor.js';
import { FIXTURE_COLUMNS, FIXTURE_CONFIG, fixturePatientId, writeFixtureRun } from './testing/fixture-run.js';

describe('exportRun', () => {
  let root: string;
  let runDir: string;
  let datasetDir: string;
  let modelPath: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-export-'));
    ({ runDir, datasetDir } = await writeFixtureRun(root));
    modelPath = path.join(root, 'out', 'model.onnx');
    await exportRun(runDir, modelPath, { calibrate: true, counterfactualRows: 4 });
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  test('metadata: names, classes, training config, transforms hash, calibration, counterfactual rows', async () => {
    const bytes = new Uint8Array(await readFile(modelPath));
    const meta = readModelMetadata(bytes);
    expect(meta.modalities.map((m) => [m.name, m.letter, m.input])).toEqual([
      ['clinical', 'C', 'x_clinical'],
      ['biospecimen', 'B', 'x_biospecimen'],
    ]);
    expect(meta.modalities[1].featureNames).toEqual(['ABETA', 'TAU', 'PTAU']);
    expect(meta.classes).toEqual(['stable', 'decline']);
    expect(meta.config).toEqual(FIXTURE_CONFIG);
    expect(meta.training).toMatchObject({ lr: 1e-4, batchSize: 8, epochs: 3 });
    expect(meta.training).not.toHaveProperty('metrics');
    const transformsBytes = await readFile(path.join(datasetDir, 'transforms.json'));
    expect(meta.transformsSha256).toBe(createHash('sha256').update(transformsBytes).digest('hex'));
    expect(meta.calibration?.validationSamples).toBe(6);
    expect(meta.temperature).toBe(meta.calibration?.temperature);
    expect(meta.calibration?.nllAfter).toBeLessThanOrEqual((meta.calibration?.nllBefore ?? 0) + 1e-12);
    // counterfactual rows are drawn from fitted distributions: none is a training patient's row, and no
    // stored value is a patient's value
    const dataset = await readDataset(datasetDir);
    const bio = dataset.modalities[1];
    const stored = meta.counterfactualSamples.find((s) => s.modality === 'biospecimen');
    expect(stored?.rows).toBe(4);
    const observed = Array.from(dataset.splitIndices.training).filter((i) => bio.observed[i]);
    const patientValues = new Set(observed.flatMap((i) => Array.from(bio.features.subarray(i * 3, i * 3 + 3))));
    const storedValues = Array.from(stored?.values ?? []);
    expect(storedValues).toHaveLength(12);
    for (const v of storedValues) expect(patientValues.has(v)).toBe(false);
  });

  test('real training rows only with the explicit opt-in, which says what it embeds', async () => {
    const out = path.join(root, 'out', 'real-rows.onnx');
    const logged: string[] = [];
    await exportRun(runDir, out, { counterfactualRows: 3, counterfactualRealRows: true, log: (m) => logged.push(m) });
    expect(logged).toContain(
      'warning: embedding 3 real training rows of biospecimen (3 transformed features each, no ids) in the model file',
    );
    const meta = readModelMetadata(new Uint8Array(await readFile(out)));
    const dataset = await readDataset(datasetDir);
    const bio = dataset.modalities[1];
    const stored = meta.counterfactualSamples.find((s) => s.modality === 'biospecimen');
    const rows = Array.from(dataset.splitIndices.training)
      .filter((i) => bio.observed[i])
      .map((i) => Array.from(bio.features.subarray(i * 3, i * 3 + 3)).join());
    for (let r = 0; r < 3; r++)
      expect(rows).toContain(Array.from(stored?.values.subarray(r * 3, r * 3 + 3) ?? []).join());
  });

  test('no patient identifier anywhere in the exported bytes', async () => {
    const text = Buffer.from(await readFile(modelPath)).toString('latin1');
    const dataset = await readDataset(datasetDir);
    expect(dataset.ids.length).toBe(40);
    for (const id of dataset.ids) expect(text.includes(id)).toBe(false);
    expect(text.includes('PTID-')).toBe(false);
    expect(fixturePatientId(0)).toBe('PTID-9000-XQ');
  });

  test('calibrated probabilities are softmax(logits / T); raw records equal the features form', async () => {
    const predictor = await Predictor.load(modelPath);
    const T = predictor.metadata.temperature;
    expect(T).not.toBe(1);
    const rawValues = { AGE: 70, MMSE: 27, BMI: 22.5, EDU: 16, HR: 80 };
    const scaled = FIXTURE_COLUMNS.clinical.map(
      ([c, min, max]) => ((rawValues[c as keyof typeof rawValues] - min) / (max - min)) * 2 - 1,
    );
    const [raw, features] = await predictor.predictRecords([
      { id: 'r', modalities: { clinical: rawValues } },
      { id: 'f', features: { clinical: scaled } },
    ]);
    if (!raw.ok || !features.ok) throw new Error('prediction failed');
    expect(raw.prediction.logits[0]).toBeCloseTo(features.prediction.logits[0], 5);
    expect(raw.prediction.combination.letters).toBe('C');
    const [l0, l1] = raw.prediction.logits;
    const p1 = 1 / (1 + Math.exp(-(l1 - l0) / T));
    expect(raw.prediction.probabilities.decline).toBeCloseTo(p1, 5);
    await predictor.close();
  });

  test('a model whose embedded transforms were altered is refused', async () => {
    const bytes = Buffer.from(await readFile(modelPath));
    const at = bytes.indexOf('"type":"numerical"');
    expect(at).toBeGreaterThan(0);
    bytes.write('"type":"numericaL"', at, 'latin1');
    await expect(Predictor.load(new Uint8Array(bytes))).rejects.toThrow(
      /embedded transforms do not match their sha256/,
    );
  });

  test('readRun names the file of a broken weight index', async () => {
    const run = await readRun(runDir);
    expect(run.namedWeights.get('bank')?.shape).toEqual([3, 2, 2, 8]);
    await expect(readRun(path.join(root, 'nope'))).rejects.toThrow(/nope\/run\.json: cannot be read/);
  });

  test("a run on a subset of the dataset's modalities: raw records with extra modalities use the model's only", async () => {
    const subsetRoot = await mkdtemp(path.join(tmpdir(), 'flexmoe-subset-'));
    try {
      const config = { ...FIXTURE_CONFIG, modalities: [FIXTURE_CONFIG.modalities[1]], experts: 2, topK: 1 };
      const fixture = await writeFixtureRun(subsetRoot, config);
      const out = path.join(subsetRoot, 'subset.onnx');
      await exportRun(fixture.runDir, out, { calibrate: true, counterfactualRows: 2 });
      const meta = readModelMetadata(new Uint8Array(await readFile(out)));
      expect(meta.modalities.map((m) => m.name)).toEqual(['biospecimen']);
      expect(meta.modalities[0].featureNames).toEqual(['ABETA', 'TAU', 'PTAU']);
      expect(meta.counterfactualSamples.map((c) => c.modality)).toEqual(['biospecimen']);
      const bio = { ABETA: 900, TAU: 300, PTAU: 30 };
      for (const predictor of [
        await Predictor.load(out),
        await Predictor.load(out, { transformer: await loadTransforms(fixture.datasetDir) }),
      ]) {
        const [both, only, clinicalOnly] = await predictor.predictRecords([
          { modalities: { clinical: { AGE: 70 }, biospecimen: bio } },
          { modalities: { biospecimen: bio } },
          { modalities: { clinical: { AGE: 70 } } },
        ]);
        if (!both.ok || !only.ok) throw new Error('prediction failed');
        expect(both.prediction.combination.letters).toBe('B');
        expect(both.prediction.logits).toEqual(only.prediction.logits);
        expect(clinicalOnly.ok).toBe(false);
        expect(clinicalOnly.ok ? '' : clinicalOnly.error).toMatch(/no modality/);
        await predictor.close();
      }
    } finally {
      await rm(subsetRoot, { recursive: true, force: true });
    }
  });
});
