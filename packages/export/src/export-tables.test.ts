import { defaultConfig, FlexMoEModel } from '@flexmoe/moe-core';
import { generateTablesRaw, readDataset, runDataCli, type TablesSynthOptions } from '@flexmoe/data';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportRun } from './export-run.js';
import { readModelMetadata } from './metadata.js';
import { Predictor } from './runtime/predictor.js';
import { randomNamedWeights } from './testing/random-model.js';
import { writeRunDir } from './testing/fixture-run.js';
import { tfjsDatasetProbabilities, useTfjsCpuBackend } from './testing/tfjs-cpu.js';

/**
 * Users' tables → `flexmoe-data tables` → a (random) trained model → `exportRun` → `Predictor` on every
 * patient's *raw* record (through the transforms embedded in the model): the same probabilities as the
 * TF.js model on the dataset rows, within 1e-4, for layouts with 1 to 4 modalities and 2 to 4 classes.
 */
describe("export of a model trained on users' tables", () => {
  let root: string;
  useTfjsCpuBackend();
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-export-tables-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const layouts: [string, Omit<TablesSynthOptions, 'outDir'>, string, string[]][] = [
    [
      '1 modality (one column), numeric binary labels',
      { modalities: [{ name: 'only', columns: 'single' }], classes: [0, 1], numericIds: true },
      'O',
      [],
    ],
    [
      '4 modalities with unusual names, 4 text classes',
      {
        modalities: [
          { name: 'labs (2020)' },
          { name: 'a b', format: 'arrow' },
          { name: 'a/b', columns: 'single' },
          { name: 'Ωmega', format: 'csv.gz' },
        ],
        classes: ['none', 'mild', 'moderate', 'severe'],
      },
      'LABO',
      ['--classes', 'none,mild,moderate,severe'],
    ],
  ];

  test.each(layouts)('%s', async (_title, layout, letters, extra) => {
    const raw = await generateTablesRaw({ ...layout, outDir: path.join(root, 'raw'), patients: 40, seed: 5 });
    const datasetDir = path.join(root, 'ds');
    const err: string[] = [];
    const code = await runDataCli(
      [
        'tables',
        ...raw.modalityFiles.flatMap((m) => ['--modality', `${m.name}=${m.file}`]),
        '--labels',
        raw.labelsFile,
        '--letters',
        letters,
        ...extra,
        '--out',
        datasetDir,
      ],
      { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } },
    );
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const dataset = await readDataset(datasetDir);
    const M = dataset.modalities.length;
    const config = defaultConfig(
      dataset.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
      {
        patches: 3,
        hidden: 8,
        heads: 2,
        experts: Math.max(4, 2 ** M - 1),
        topK: 2,
        layers: 1,
        classes: dataset.classes.length,
        dropout: 0.5,
      },
    );
    const model = new FlexMoEModel(config, { seed: 1 });
    model.setNamedWeights(randomNamedWeights(config, 21));
    const runDir = path.join(root, 'run');
    await writeRunDir(runDir, config, model.getNamedWeights(), { classes: dataset.classes, datasetDir });
    const onnx = path.join(root, 'model.onnx');
    await exportRun(runDir, onnx, { counterfactualRows: 4 });
    const meta = readModelMetadata(new Uint8Array(await readFile(onnx)));
    expect(meta.classes).toEqual(dataset.classes);
    expect(meta.modalities.map((m) => m.name)).toEqual(dataset.modalities.map((m) => m.name));
    expect(new Set(meta.modalities.map((m) => m.input)).size).toBe(M);

    // TF.js on the dataset rows, in the generator's patient order.
    const rows = raw.ids.map((id) => dataset.ids.indexOf(id));
    const observed = rows.map((i) => dataset.modalities.map((m) => m.observed[i] === 1));
    const tfProbs = tfjsDatasetProbabilities(model, dataset, rows);
    model.dispose();

    // ONNX on the raw records, transformed by the model's embedded transforms.
    const predictor = await Predictor.load(onnx, { intraOpThreads: 1 });
    const outcomes = await predictor.predictRecords(raw.records, { counterfactuals: true });
    await predictor.close();
    const C = dataset.classes.length;
    let maxDiff = 0;
    outcomes.forEach((o, r) => {
      if (!o.ok) throw new Error(o.error);
      expect(o.prediction.id).toBe(raw.ids[r]);
      expect(o.prediction.combination.letters).toBe(observed[r].map((x, m) => (x ? letters[m] : '')).join(''));
      // Effects are reported exactly for the modalities the patient lacks.
      expect((o.prediction.missingModalityEffects ?? []).map((e) => e.letter).sort()).toEqual(
        [...letters].filter((_, m) => !observed[r][m]).sort(),
      );
      dataset.classes.forEach(
        (c, k) => (maxDiff = Math.max(maxDiff, Math.abs(o.prediction.probabilities[c] - tfProbs[r * C + k]))),
      );
    });
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
