/**
 * A demo-sized model for the browser tests: users' tables with four modalities (numbers, 0/1, text, dates)
 * → `flexmoe-data tables` → a two-seed run with random weights → `flexmoe export --ensemble --calibrate --web DIR` (the real
 * command, in a child process).
 */
import { generateTablesRaw, runDataCli, readDataset, type RawPatientRecord } from '@flexmoe/data';
import { defaultConfig } from '@flexmoe/moe-core';
import { randomNamedWeights } from '../../../export/src/testing/random-model.js';
import { buildWebApp } from '@flexmoe/web';
import path from 'node:path';
import { writeModelDir, writeRunDir } from '../../../export/src/testing/fixture-run.js';
import { runCliChild } from './fixtures.js';

/** What {@link writeDemoModel} made. */
export interface DemoModel {
  /** The app folder written by `flexmoe export --web` (index.html, app.js, ort/, model.onnx). */
  webDir: string;
  modelFile: string;
  /** Raw records of every patient (the synthetic tables' own). */
  records: RawPatientRecord[];
  modalities: string[];
}

/** Writes the dataset, run and exported app under `root`. */
export async function writeDemoModel(root: string): Promise<DemoModel> {
  // The app from the current sources (export --web would reuse an older build).
  await buildWebApp();
  const raw = await generateTablesRaw({
    outDir: path.join(root, 'raw'),
    modalities: [
      { name: 'clinical' },
      { name: 'biospecimen' },
      { name: 'imaging', columns: 'single' },
      { name: 'history' },
    ],
    classes: ['CN', 'MCI', 'AD'],
    patients: 60,
    seed: 11,
  });
  const datasetDir = path.join(root, 'dataset');
  const errors: string[] = [];
  const code = await runDataCli(
    [
      'tables',
      ...raw.modalityFiles.flatMap((m) => ['--modality', `${m.name}=${m.file}`]),
      '--labels',
      raw.labelsFile,
      '--letters',
      'CBIH',
      '--out',
      datasetDir,
    ],
    { stdout: { write: () => true }, stderr: { write: (s: string) => errors.push(s) } },
  );
  if (code !== 0) throw new Error(`flexmoe-data tables failed: ${errors.join('')}`);
  const dataset = await readDataset(datasetDir);
  const config = defaultConfig(
    dataset.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
    {
      patches: 4,
      // flexmoe train's default projection, so the browser runs its Transpose/MatMul/Add encoder graph.
      patchProjection: 'per-patch',
      hidden: 16,
      heads: 2,
      experts: 15,
      topK: 2,
      layers: 1,
      classes: dataset.classes.length,
      dropout: 0,
    },
  );
  const runDir = path.join(root, 'run');
  // Two seeds exported as their seed ensemble (export --ensemble): the page runs the ensemble graph.
  const seeds = [7, 8];
  await writeRunDir(runDir, config, randomNamedWeights(config, seeds[0]), {
    classes: dataset.classes,
    datasetDir,
    extra: { options: { seeds } },
  });
  for (const seed of seeds) {
    const dir = path.join(runDir, `seed-${seed}`, 'best');
    await writeModelDir(dir, config, randomNamedWeights(config, seed), dataset.classes);
  }
  const webDir = path.join(root, 'web');
  const exported = await runCliChild([
    'export',
    '--run',
    runDir,
    '--web',
    webDir,
    '--ensemble',
    '--calibrate',
    '--counterfactual-rows',
    '8',
  ]);
  if (exported.code !== 0) throw new Error(`flexmoe export --web failed: ${exported.stderr}`);
  return {
    webDir,
    modelFile: path.join(webDir, 'model.onnx'),
    records: raw.records,
    modalities: dataset.modalities.map((m) => m.name),
  };
}
