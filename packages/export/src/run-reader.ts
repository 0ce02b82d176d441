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
  /**
   * With `{ ensemble: true }`: every seed of run.json's `options.seeds`, in that order, read from
   * `RUN/seed-<s>/best/` (same config). The fields above then describe member 0.
   */
  members?: LoadedRunMember[];
}

/** One seed's model of a run read as an ensemble. */
export interface LoadedRunMember {
  seed: number;
  modelDir: string;
  namedWeights: NamedWeights;
}

/** Options of {@link readRun}. */
export interface ReadRunOptions {
  /** Read every seed's best model (`RUN/seed-<s>/best/`) instead of `RUN/best/` alone (default false). */
  ensemble?: boolean;
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

/** One model directory's `model.json` + `weights.bin`. */
interface ModelDirContents {
  config: ExportModelConfig;
  namedWeights: NamedWeights;
  modalityFeatureNames?: Record<string, string[]>;
  classes?: string[];
  datasetManifestSha256?: string;
  epoch?: number;
}

/**
 * Reads a run directory: `RUN/run.json` and the best model (`RUN/best/`, else `RUN/seed-<bestSeed>/best/`), or
 * with `{ ensemble: true }` every seed of `options.seeds` (at least two, one config; see {@link LoadedRun.members}).
 * `weights[].offset` and `length` count float32 elements of `weights.bin` (the trainer's tensor index).
 * @throws naming the file and field that is missing or inconsistent
 */
export async function readRun(runDir: string, options: ReadRunOptions = {}): Promise<LoadedRun> {
  const runFile = path.join(runDir, 'run.json');
  const runJsonRaw = await readJson(runFile);
  if (!isObject(runJsonRaw)) throw new Error(`${runFile}: expected a JSON object`);
  const common = { runDir, runJson: runJsonRaw, datasetDir: datasetDirOf(runJsonRaw, runDir) };
  if (options.ensemble) {
    const seeds = runSeeds(runJsonRaw, runFile);
    const members: LoadedRunMember[] = [];
    let first: ModelDirContents | undefined;
    for (const seed of seeds) {
      const modelDir = path.join(runDir, `seed-${seed}`, 'best');
      if (!(await isDir(modelDir))) {
        throw new Error(
          `${modelDir}: no such directory; --ensemble reads seed-<s>/best/ of every seed run.json lists (${seeds.join(', ')})`,
        );
      }
      const model = await readModelDir(modelDir);
      if (first === undefined) {
        first = model;
      } else {
        const difference = configDifference(first.config, model.config);
        if (difference !== undefined) {
          throw new Error(
            `${modelDir}: config ${difference.field} is ${difference.theirs}, but seed-${seeds[0]} has ${difference.ours}; ` +
              'the members of an ensemble must share one config',
          );
        }
        if (JSON.stringify(model.classes) !== JSON.stringify(first.classes)) {
          throw new Error(
            `${modelDir}: classes ${JSON.stringify(model.classes)} differ from seed-${seeds[0]}'s ${JSON.stringify(first.classes)}`,
          );
        }
      }
      members.push({ seed, modelDir, namedWeights: model.namedWeights });
    }
    return { ...common, ...(first as ModelDirContents), modelDir: members[0].modelDir, members };
  }
  let modelDir = path.join(runDir, 'best');
  if (!(await isDir(modelDir))) {
    const bestSeed = runJsonRaw.bestSeed;
    if (typeof bestSeed !== 'number')
      throw new Error(`${runDir}: no best/ directory and run.json has no numeric bestSeed`);
    modelDir = path.join(runDir, `seed-${bestSeed}`, 'best');
  }
  return { ...common, ...(await readModelDir(modelDir)), modelDir };
}

/** The seeds of run.json's `options.seeds` (what `flexmoe train --seeds` wrote), at least two. */
function runSeeds(runJson: Record<string, unknown>, runFile: string): number[] {
  const seeds = isObject(runJson.options) ? runJson.options.seeds : undefined;
  if (!Array.isArray(seeds) || !seeds.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new Error(`${runFile}: options.seeds must list the run's seeds (non-negative integers) for --ensemble`);
  }
  if (seeds.length < 2) {
    throw new Error(`--ensemble needs a run trained with at least two seeds (run.json lists ${seeds.length})`);
  }
  if (new Set(seeds).size !== seeds.length) throw new Error(`${runFile}: options.seeds lists a seed twice`);
  return seeds as number[];
}

/** The first field (dotted path, e.g. `modalities[1].width`) where two configs differ, with both values as JSON. */
function configDifference(
  ours: unknown,
  theirs: unknown,
  field = '',
): { field: string; ours: string; theirs: string } | undefined {
  if (isObject(ours) && isObject(theirs)) {
    for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      const d = configDifference(ours[key], theirs[key], field ? `${field}.${key}` : key);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(ours) && Array.isArray(theirs) && ours.length === theirs.length) {
    for (let i = 0; i < ours.length; i++) {
      const d = configDifference(ours[i], theirs[i], `${field}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const show = (v: unknown): string => (v === undefined ? 'absent' : JSON.stringify(v));
  return show(ours) === show(theirs) ? undefined : { field: field || '(root)', ours: show(ours), theirs: show(theirs) };
}

/** Reads `model.json` and `weights.bin` of one model directory. */
async function readModelDir(modelDir: string): Promise<ModelDirContents> {
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
    config,
    namedWeights,
    modalityFeatureNames: named,
    classes: model.classes,
    datasetManifestSha256: model.datasetManifestSha256,
    epoch: model.epoch,
  };
}
