import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlexMoEConfig, NamedWeight } from '@flexmoe/moe-core';
import { writeFileAtomicSync } from '@flexmoe/data';
import { packTensors, unpackTensors, type TensorEntry } from './tensor-file.js';

/** `best/model.json` (docs/architecture.md §3). */
export interface ModelFile {
  formatVersion: 1;
  config: FlexMoEConfig;
  classes: string[];
  modalities: { name: string; letter: string; width: number; featureNames: string[] }[];
  datasetManifestSha256: string;
  /** 1-based epoch of these weights. */
  epoch: number;
  seed: number;
  weights: TensorEntry[];
}

/** Writes `dir/model.json` + `dir/weights.bin` (each atomically; weights first, so model.json names a complete file). */
export function writeModelFiles(
  dir: string,
  meta: Omit<ModelFile, 'weights' | 'formatVersion'>,
  weights: Map<string, NamedWeight>,
): void {
  mkdirSync(dir, { recursive: true });
  const { entries, bytes } = packTensors(weights);
  const { dispatch: _dispatch, ...config } = meta.config;
  void _dispatch;
  writeFileAtomicSync(join(dir, 'weights.bin'), bytes);
  const file: ModelFile = { formatVersion: 1, ...meta, config: config as FlexMoEConfig, weights: entries };
  writeFileAtomicSync(join(dir, 'model.json'), `${JSON.stringify(file, null, 1)}\n`);
}

/** Reads a model written by {@link writeModelFiles}. */
export function readModelFiles(dir: string): { meta: ModelFile; weights: Map<string, NamedWeight> } {
  const jsonPath = join(dir, 'model.json');
  let meta: ModelFile;
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelFile;
  } catch (err) {
    throw new Error(`${jsonPath}: cannot read the model description (${(err as Error).message})`);
  }
  if (!meta || !Array.isArray(meta.weights) || typeof meta.config !== 'object') {
    throw new Error(`${jsonPath}: expected { config, weights: [...] }`);
  }
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weights = unpackTensors(
    meta.weights,
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    join(dir, 'weights.bin'),
  );
  return { meta, weights };
}
