import { readDataset, type LoadedDataset } from '@flexmoe/data';
import { Command } from 'commander';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerExportCommands } from './cli/register-export-commands.js';
import { exportOnnx } from './export-onnx.js';
import { datasetInputs, exportRun } from './export-run.js';
import { readModelMetadata } from './metadata.js';
import { readRun } from './run-reader.js';
import { fitTemperature } from './runtime/calibration.js';
import { Predictor } from './runtime/predictor.js';
import type { BatchOutputs } from './runtime/predictor-core.js';
import { buildServer } from './service/server.js';
import { maxAbsDiff, meanRows } from './testing/array-checks.js';
import { FIXTURE_CONFIG, fixtureSeedWeights, writeFixtureRun } from './testing/fixture-run.js';

/** Deliberately not in ascending order: member order must follow run.json. */
const SEEDS = [2, 0, 5];

async function run(bytes: Uint8Array, dataset: LoadedDataset, rows: ArrayLike<number>): Promise<BatchOutputs> {
  const predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  try {
    return await predictor.run(datasetInputs(dataset, rows, FIXTURE_CONFIG));
  } finally {
    await predictor.close();
  }
}

/** Each seed's model exported on its own (weights made independently of the run reader), run on `rows`. */
async function singleSeedOutputs(dataset: LoadedDataset, rows: ArrayLike<number>): Promise<BatchOutputs[]> {
  const out: BatchOutputs[] = [];
  for (const seed of SEEDS) {
    out.push(
      await run(
        exportOnnx({ config: FIXTURE_CONFIG, namedWeights: fixtureSeedWeights(FIXTURE_CONFIG, seed) }),
        dataset,
        rows,
      ),
    );
  }
  return out;
}

describe('exportRun with ensemble: true', () => {
  let root: string;
  let runDir: string;
  let dataset: LoadedDataset;
  let allRows: number[];
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-ensemble-'));
    const fixture = await writeFixtureRun(root, FIXTURE_CONFIG, { seeds: SEEDS });
    runDir = fixture.runDir;
    dataset = await readDataset(fixture.datasetDir);
    allRows = Array.from({ length: dataset.ids.length }, (_, i) => i);
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  test('metadata and result name the members; probabilities are the mean of the seeds exported one by one', async () => {
    const out = path.join(root, 'ensemble.onnx');
    const logged: string[] = [];
    const result = await exportRun(runDir, out, { ensemble: true, counterfactualRows: 2, log: (m) => logged.push(m) });
    expect(result.members).toBe(3);
    expect(result.seeds).toEqual(SEEDS);
    expect(logged).toContain("ensemble of 3 seeds (2, 0, 5); routing outputs are seed 2's");
    const bytes = new Uint8Array(await readFile(out));
    const meta = readModelMetadata(bytes);
    expect(meta.ensemble).toEqual({ members: 3, seeds: SEEDS, combine: 'mean-probability' });
    expect(meta.temperature).toBe(1);
    expect(meta.classes).toEqual(['stable', 'decline']);
    expect(meta.config).toEqual(FIXTURE_CONFIG);

    // Every patient, all three modality combinations of the fixture.
    const ensemble = await run(bytes, dataset, allRows);
    expect(new Set(ensemble.combination).size).toBe(3);
    const singles = await singleSeedOutputs(dataset, allRows);
    expect(maxAbsDiff(singles[0].probabilities, singles[1].probabilities)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(ensemble.probabilities, meanRows(singles.map((s) => s.probabilities)))).toBeLessThan(1e-5);
    expect(ensemble.combination).toEqual(singles[0].combination);
    expect(ensemble.topkExperts).toEqual(singles[0].topkExperts);

    // The single-model export of the same run is unchanged: best/ only, no ensemble key.
    const best = await exportRun(runDir, path.join(root, 'best.onnx'), { counterfactualRows: 2 });
    expect(best.members).toBe(1);
    expect(best.seeds).toBeUndefined();
    expect(readModelMetadata(new Uint8Array(await readFile(best.outPath))).ensemble).toBeUndefined();
  });

  test('--calibrate fits the temperature on the ensemble: probabilities = softmax(log(mean) / T)', async () => {
    const out = path.join(root, 'calibrated.onnx');
    const { calibration } = await exportRun(runDir, out, { ensemble: true, calibrate: true, counterfactualRows: 0 });
    const T = calibration?.temperature ?? 1;
    expect(T).not.toBe(1);
    const validation = dataset.splitIndices.validation;
    const singlesOnValidation = await singleSeedOutputs(dataset, validation);
    const ensembleLogits = Float32Array.from(meanRows(singlesOnValidation.map((s) => s.probabilities)), Math.log);
    const labels = Array.from(validation, (i) => dataset.labels[i]);
    // The same fit on the averaged model's logits (not on any one seed's).
    expect(T).toBeCloseTo(fitTemperature(ensembleLogits, labels, 2).temperature, 3);
    expect(T).not.toBeCloseTo(fitTemperature(singlesOnValidation[0].logits, labels, 2).temperature, 3);

    const calibrated = await run(new Uint8Array(await readFile(out)), dataset, allRows);
    const singles = await singleSeedOutputs(dataset, allRows);
    const logMean = meanRows(singles.map((s) => s.probabilities)).map(Math.log);
    expect(maxAbsDiff(calibrated.logits, logMean)).toBeLessThan(1e-5);
    for (let b = 0; b < allRows.length; b++) {
      const p1 = 1 / (1 + Math.exp(-(logMean[2 * b + 1] - logMean[2 * b]) / T));
      expect(Math.abs(calibrated.probabilities[2 * b + 1] - p1)).toBeLessThan(1e-5);
    }
  });

  test('flexmoe export --ensemble: JSON result, and the service shows the ensemble in /v1/model', async () => {
    const out = path.join(root, 'cli.onnx');
    const json = path.join(root, 'export.json');
    const stdout: string[] = [];
    const program = new Command('flexmoe').exitOverride();
    program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerExportCommands(program, {
      log: () => undefined,
      io: { stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: () => true } },
    });
    await program.parseAsync([
      'node',
      'flexmoe',
      'export',
      '--run',
      runDir,
      '--out',
      out,
      '--ensemble',
      '--json',
      json,
    ]);
    const result = JSON.parse(await readFile(json, 'utf8'));
    expect(result).toMatchObject({ outPath: out, members: 3, seeds: SEEDS });
    expect(stdout.join('')).toMatch(/bytes, the mean of 3 seeds: 2, 0, 5\)/);

    const predictor = await Predictor.load(out);
    const app = await buildServer({ predictor, logger: false });
    try {
      const model = (await app.inject('/v1/model')).json();
      expect(model.ensemble).toEqual({ members: 3, seeds: SEEDS, combine: 'mean-probability' });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/predict',
        payload: { modalities: { clinical: { AGE: 70, MMSE: 25 } } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().combination.letters).toBe('C');
    } finally {
      await app.close();
      await predictor.close();
    }
  });

  test('readRun({ ensemble: true }) reads the seeds in run.json order; plain readRun still reads best/', async () => {
    const ensemble = await readRun(runDir, { ensemble: true });
    expect(ensemble.members?.map((m) => [m.seed, path.relative(runDir, m.modelDir)])).toEqual(
      SEEDS.map((s) => [s, path.join(`seed-${s}`, 'best')]),
    );
    expect(ensemble.members?.[2].namedWeights.get('bank')?.values).toEqual(
      fixtureSeedWeights(FIXTURE_CONFIG, 5).get('bank')?.values,
    );
    const plain = await readRun(runDir);
    expect(plain.members).toBeUndefined();
    expect(path.relative(runDir, plain.modelDir)).toBe('best');
  });

  describe('errors', () => {
    /** A copy of the fixture run, changed by `edit`. */
    async function brokenRun(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
      const dir = path.join(root, name);
      await cp(runDir, dir, { recursive: true });
      await edit(dir);
      return dir;
    }

    test('a one-seed run, and a run.json without options.seeds', async () => {
      const oneSeed = await brokenRun('one-seed', async (dir) => {
        const file = path.join(dir, 'run.json');
        const runJson = JSON.parse(await readFile(file, 'utf8'));
        runJson.options.seeds = [2];
        await writeFile(file, JSON.stringify(runJson));
      });
      await expect(exportRun(oneSeed, path.join(root, 'x.onnx'), { ensemble: true })).rejects.toThrow(
        '--ensemble needs a run trained with at least two seeds (run.json lists 1)',
      );
      const noSeeds = await brokenRun('no-seeds', async (dir) => {
        const file = path.join(dir, 'run.json');
        const { options: _options, ...runJson } = JSON.parse(await readFile(file, 'utf8'));
        await writeFile(file, JSON.stringify(runJson));
      });
      await expect(readRun(noSeeds, { ensemble: true })).rejects.toThrow(
        `${path.join(noSeeds, 'run.json')}: options.seeds must list the run's seeds`,
      );
    });

    test('a missing seed directory is named', async () => {
      const missing = await brokenRun('missing-seed', (dir) => rm(path.join(dir, 'seed-5'), { recursive: true }));
      await expect(exportRun(missing, path.join(root, 'x.onnx'), { ensemble: true })).rejects.toThrow(
        `${path.join(missing, 'seed-5', 'best')}: no such directory; --ensemble reads seed-<s>/best/ of every seed run.json lists (2, 0, 5)`,
      );
      const noWeights = await brokenRun('missing-weights', (dir) =>
        rm(path.join(dir, 'seed-0', 'best', 'weights.bin')),
      );
      await expect(readRun(noWeights, { ensemble: true })).rejects.toThrow(
        `${path.join(noWeights, 'seed-0', 'best', 'weights.bin')}: cannot be read`,
      );
    });

    test('members whose configs differ: the seed directory and the field are named', async () => {
      const differing = await brokenRun('differing', async (dir) => {
        const file = path.join(dir, 'seed-0', 'best', 'model.json');
        const model = JSON.parse(await readFile(file, 'utf8'));
        model.config.modalities[1].width = 4;
        await writeFile(file, JSON.stringify(model));
      });
      await expect(exportRun(differing, path.join(root, 'x.onnx'), { ensemble: true })).rejects.toThrow(
        `${path.join(differing, 'seed-0', 'best')}: config modalities[1].width is 4, but seed-2 has 3; ` +
          'the members of an ensemble must share one config',
      );
      const experts = await brokenRun('differing-experts', async (dir) => {
        const file = path.join(dir, 'seed-5', 'best', 'model.json');
        const model = JSON.parse(await readFile(file, 'utf8'));
        model.config.experts = 6;
        await writeFile(file, JSON.stringify(model));
      });
      await expect(readRun(experts, { ensemble: true })).rejects.toThrow(
        `${path.join(experts, 'seed-5', 'best')}: config experts is 6, but seed-2 has 4`,
      );
    });
  });
});
