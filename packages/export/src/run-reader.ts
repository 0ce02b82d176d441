import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExportModelConfig, NamedWeights } from './model-types.js';

/** A trained model read from a run directory (docs/architecture.md §3). */
export interface LoadedRun {
  runDir: string;
  /** The directory holding model.json + weights.bin that was read. */
  modelDir: string;
  config: ExportModelConfig;
  namedWeights: NamedWeights;
  classes?: string[];
  datasetManifestSha256?: string;
  epoch?: number;
  /** run.json as written by the trainer (config, training options, dataset, metrics). */
  runJson: Record<string, unknown>;
  /** The dataset directory named in run.json (resolved against the run directory), if any. */
  datasetDir?: string;
  /** Feature names per modality name, when model.json lists them. */
  modalityFeatureNames?: Record<string, string[]>;
}

interface ModelJson {
  config: ExportModelConfig;
  modalities?: { name: string; featureNames?: string[] }[];
  classes?: string[];
  datasetManifestSha256?: string;
  epoch?: number;
  weights: { name: string; shape: number[]; offset: number; length: number }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The dataset directory run.json names (`dataset`, `datasetDir`, `dataset.dir` or `dataset.path`). */
function datasetDirOf(runJson: Record<string, unknown>, runDir: string): string | undefined {
  const d = runJson.dataset;
  const candidates = [
    typeof d === 'string' ? d : undefined,
    isObject(d) && typeof d.dir === 'string' ? d.dir : undefined,
    isObject(d) && typeof d.path === 'string' ? d.path : undefined,
    typeof runJson.datasetDir === 'string' ? runJson.datasetDir : undefined,
    typeof runJson.datasetPath === 'string' ? runJson.datasetPath : undefined,
  ];
  const found = candidates.find((c): c is string => c !== undefined);
  return found === undefined ? undefined : path.resolve(runDir, found);
}

/**
 * Reads a run directory: `RUN/run.json` and the best model (`RUN/best/`, else `RUN/seed-<bestSeed>/best/`).
 * `weights[].offset` and `length` count float32 elements of `weights.bin` (the trainer's tensor index).
 * @throws naming the file and field that is missing or inconsistent
 */
export async function readRun(runDir: string): Promise<LoadedRun> {
  const runFile = path.join(runDir, 'run.json');
  const runJsonRaw = await readJson(runFile);
  if (!isObject(runJsonRaw)) throw new Error(`${runFile}: expected a JSON object`);
  let modelDir = path.join(runDir, 'best');
  if (!(await isDir(modelDir))) {
    const bestSeed = runJsonRaw.bestSeed;
    if (typeof bestSeed !== 'number')
      throw new Error(`${runDir}: no best/ directory and run.json has no numeric bestSeed`);
    modelDir = path.join(runDir, `seed-${bestSeed}`, 'best');
  }
  const modelFile = path.join(modelDir, 'model.json');
  const model = (await readJson(modelFile)) as ModelJson;
  if (!isObject(model) || !isObject(model.config)) throw new Error(`${modelFile}: field 'config' is missing`);
  if (!Array.isArray(model.weights)) throw new Error(`${modelFile}: field 'weights' must be an array`);
  const binFile = path.join(modelDir, 'weights.bin');
  let bytes: Buffer;
  try {
    bytes = await readFile(binFile);
  } catch (e) {
    throw new Error(`${binFile}: cannot be read (${(e as Error).message})`);
  }
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${binFile}: ${bytes.byteLength} bytes is not a whole number of float32`);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const namedWeights: NamedWeights = new Map();
  model.weights.forEach((w, i) => {
    const where = `${modelFile}: weights[${i}]`;
    if (
      !isObject(w) ||
      typeof w.name !== 'string' ||
      !Array.isArray(w.shape) ||
      !Number.isInteger(w.offset) ||
      !Number.isInteger(w.length)
    ) {
      throw new Error(`${where}: expected { name, shape, offset, length }`);
    }
    const size = w.shape.reduce((a: number, b: number) => a * b, 1);
    if (size !== w.length)
      throw new Error(`${where} (${w.name}): length ${w.length} does not match shape [${w.shape.join(', ')}]`);
    if (w.offset < 0 || w.offset + w.length > floats.length) {
      throw new Error(
        `${where} (${w.name}): offset ${w.offset} + length ${w.length} exceeds ${binFile} (${floats.length} float32)`,
      );
    }
    namedWeights.set(w.name, { values: floats.slice(w.offset, w.offset + w.length), shape: [...w.shape] });
  });
  const config = { ...model.config };
  delete (config as { dispatch?: unknown }).dispatch; // a training-time choice, not part of the model
  const named =
    Array.isArray(model.modalities) &&
    model.modalities.every((m) => isObject(m) && typeof m.name === 'string' && Array.isArray(m.featureNames))
      ? Object.fromEntries(model.modalities.map((m) => [m.name, m.featureNames as string[]]))
      : undefined;
  return {
    runDir,
    modelDir,
    config,
    namedWeights,
    modalityFeatureNames: named,
    classes: model.classes,
    datasetManifestSha256: model.datasetManifestSha256,
    epoch: model.epoch,
    runJson: runJsonRaw,
    datasetDir: datasetDirOf(runJsonRaw, runDir),
  };
}
