import { mulberry32, writeDataset, type DatasetContent } from '@flexmoe/data';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportModelConfig, NamedWeights } from '../model-types.js';
import { ADNI_SIZED_CONFIG, randomNamedWeights } from './random-model.js';

/** Tiny two-modality config used by the run/dataset fixtures (1 layer, dropout 0, λ 0.01, no ablation). */
export const FIXTURE_CONFIG: ExportModelConfig = {
  ...ADNI_SIZED_CONFIG,
  modalities: [
    { name: 'clinical', letter: 'C', width: 5 },
    { name: 'biospecimen', letter: 'B', width: 3 },
  ],
  patches: 2,
  hidden: 8,
  heads: 2,
  experts: 4,
  topK: 2,
  classes: 2,
};

/** Raw numerical columns of the fixture: [name, min, max] per modality; output = MinMax to [-1, 1]. */
export const FIXTURE_COLUMNS: Record<string, [string, number, number][]> = {
  clinical: [
    ['AGE', 50, 90],
    ['MMSE', 0, 30],
    ['BMI', 15, 40],
    ['EDU', 0, 20],
    ['HR', 40, 120],
  ],
  biospecimen: [
    ['ABETA', 200, 1700],
    ['TAU', 80, 800],
    ['PTAU', 8, 80],
  ],
};

/** A patient id pattern that is easy to scan an exported file for. */
export const fixturePatientId = (i: number): string => `PTID-${String(9000 + i)}-XQ`;

/** Writes `model.json` + `weights.bin` of one model into `dir`, as the trainer's checkpoints. */
export async function writeModelDir(
  dir: string,
  config: ExportModelConfig,
  weights: NamedWeights,
  classes: string[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  let offset = 0;
  const index = [...weights].map(([name, w]) => {
    const entry = { name, shape: w.shape, offset, length: w.values.length };
    offset += w.values.length;
    return entry;
  });
  const all = new Float32Array(offset);
  index.forEach((e) => all.set((weights.get(e.name) as { values: Float32Array }).values, e.offset));
  await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(all.buffer));
  await writeFile(
    path.join(dir, 'model.json'),
    JSON.stringify({
      config,
      classes,
      modalities: config.modalities,
      datasetManifestSha256: 'abc',
      epoch: 3,
      weights: index,
    }),
  );
}

/**
 * Writes a run directory as the trainer does (docs/architecture.md §3): `run.json` naming the dataset, and
 * `best/model.json` + `best/weights.bin` holding `weights`.
 */
export async function writeRunDir(
  runDir: string,
  config: ExportModelConfig,
  weights: NamedWeights,
  options: { classes: string[]; datasetDir: string; extra?: Record<string, unknown> },
): Promise<void> {
  await writeModelDir(path.join(runDir, 'best'), config, weights, options.classes);
  await writeFile(
    path.join(runDir, 'run.json'),
    JSON.stringify({
      config,
      dataset: { path: path.relative(runDir, options.datasetDir), manifestSha256: 'abc' },
      bestSeed: 0,
      ...options.extra,
    }),
  );
}

/** The random weights the fixture run stores for training seed `seed` (seed 0: the single-seed run's model). */
export function fixtureSeedWeights(config: ExportModelConfig, seed: number): NamedWeights {
  return randomNamedWeights(config, 3 + seed);
}

/**
 * Writes a dataset (40 patients; validation/testing full-modality) and a run directory with random weights.
 * Feature values are consistent with the column transforms, so raw records can be checked by hand.
 * With `seeds`, the run is a multi-seed one: `seed-<s>/best/` per seed ({@link fixtureSeedWeights}), run.json's
 * `options.seeds`, and `best/` a copy of the first seed's model.
 */
export async function writeFixtureRun(
  root: string,
  config: ExportModelConfig = FIXTURE_CONFIG,
  options: { seeds?: number[] } = {},
): Promise<{ runDir: string; datasetDir: string; content: DatasetContent }> {
  const rand = mulberry32(5);
  const n = 40;
  const ids = Array.from({ length: n }, (_, i) => fixturePatientId(i));
  const label = Int32Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1));
  // patients 0..11 full (validation 0-5, testing 6-11); others: full, C only or B only
  const has = ids.map((_, i) =>
    i < 12
      ? [true, true]
      : [
          [true, true],
          [true, false],
          [false, true],
        ][i % 3],
  );
  const modalities = FIXTURE_CONFIG.modalities.map((m, mi) => {
    const rows = ids.map((_, i) => i).filter((i) => has[i][mi]);
    const features = new Float32Array(rows.length * m.width);
    for (let r = 0; r < rows.length; r++) {
      for (let f = 0; f < m.width; f++)
        features[r * m.width + f] = rand() * 2 - 1 + (label[rows[r]] === 1 ? 0.3 : -0.3);
    }
    return {
      name: m.name,
      letter: m.letter,
      featureNames: FIXTURE_COLUMNS[m.name].map(([c]) => c),
      ids: rows.map((i) => ids[i]),
      features,
    };
  });
  const content: DatasetContent = {
    source: 'tables',
    modalities,
    classes: ['stable', 'decline'],
    labels: { ids, label },
    splits: { training: ids.slice(12), validation: ids.slice(0, 6), testing: ids.slice(6, 12) },
    transforms: {
      formatVersion: 1,
      modalities: Object.fromEntries(
        Object.entries(FIXTURE_COLUMNS).map(([name, cols]) => [
          name,
          {
            kind: 'columns',
            columns: cols.map(([column, min, max]) => ({
              column,
              missingCodes: [],
              type: 'numerical',
              min,
              max,
              mean: 0,
            })),
          },
        ]),
      ),
    },
    sources: [],
  };
  const datasetDir = path.join(root, 'dataset');
  await writeDataset(datasetDir, content, { splitsGiven: true });
  const runDir = path.join(root, 'run');
  const seeds = options.seeds ?? [0];
  await writeRunDir(runDir, config, fixtureSeedWeights(config, seeds[0]), {
    classes: content.classes,
    datasetDir,
    extra: {
      lr: 1e-4,
      batchSize: 8,
      epochs: 3,
      metrics: { perSample: ids },
      ...(options.seeds && { options: { seeds, epochs: 3 }, bestSeed: seeds[0] }),
    },
  });
  for (const seed of options.seeds ?? []) {
    await writeModelDir(
      path.join(runDir, `seed-${seed}`, 'best'),
      config,
      fixtureSeedWeights(config, seed),
      content.classes,
    );
  }
  return { runDir, datasetDir, content };
}
