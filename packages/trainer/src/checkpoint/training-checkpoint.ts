import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FlexMoEModel, NamedWeight, TypedAdam } from '@flexmoe/moe-core';
import type { EpochRecord, Scores } from '../run/run-types.js';
import { writeFileAtomicSync } from '@flexmoe/data';
import { readTensorFile, writeTensorFile, type TensorEntry } from './tensor-file.js';

/** Best-so-far selection state. */
export interface BestState {
  /** 1-based epoch. */
  epoch: number;
  /** Value of the selection metric. */
  value: number;
  validation: Scores;
}

/** The JSON part of a checkpoint (also written, for people and tools, as `checkpoint.json`). */
export interface CheckpointHeader {
  formatVersion: 1;
  seed: number;
  /** Epochs fully completed (training + validation + this checkpoint). */
  epochsCompleted: number;
  /** Adam updates applied so far. */
  optimizerStep: number;
  /** State of the model's RandomSource (init, dropout, router noise). */
  modelRandomState: number[];
  /** State of the epoch-shuffle RNG. */
  shuffleState: number;
  best: BestState | null;
  history: EpochRecord[];
  /** Index of the tensors in `checkpoint.bin`: `weight/…`, `adam_m/…`, `adam_v/…`, `best/…`. */
  tensors?: TensorEntry[];
}

/** Everything a resumed run needs. */
export interface TrainingState {
  header: CheckpointHeader;
  weights: Map<string, NamedWeight>;
  bestWeights: Map<string, NamedWeight> | null;
  /** Adam moments by weight name. */
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/** Paths of a seed's checkpoint files. */
export function checkpointPaths(seedDir: string): { bin: string; json: string } {
  return { bin: join(seedDir, 'checkpoint.bin'), json: join(seedDir, 'checkpoint.json') };
}

/**
 * Saves model weights, Adam state, RNG states, best-so-far weights and history. `checkpoint.bin` is the
 * single, self-describing commit point (written to a temp file and renamed); `checkpoint.json` repeats its
 * header afterwards. A run killed at any moment resumes from the last complete `checkpoint.bin`.
 */
export function saveCheckpoint(
  seedDir: string,
  header: Omit<CheckpointHeader, 'tensors' | 'optimizerStep' | 'modelRandomState' | 'formatVersion'>,
  model: FlexMoEModel,
  optimizer: TypedAdam,
  bestWeights: Map<string, NamedWeight> | null,
): void {
  mkdirSync(seedDir, { recursive: true });
  const variables = model.variables();
  const adam = optimizer.getState(variables);
  const tensors: [string, NamedWeight][] = [];
  for (const [name, w] of model.getNamedWeights()) tensors.push([`weight/${name}`, w]);
  for (const [name, v] of variables) {
    const m = adam.moments.get(name);
    if (!m) continue;
    tensors.push([`adam_m/${name}`, { values: m.m, shape: [...v.shape] }]);
    tensors.push([`adam_v/${name}`, { values: m.v, shape: [...v.shape] }]);
  }
  if (bestWeights) for (const [name, w] of bestWeights) tensors.push([`best/${name}`, w]);
  const full: CheckpointHeader = {
    formatVersion: 1,
    ...header,
    optimizerStep: adam.step,
    modelRandomState: model.random.getState(),
  };
  const { bin, json } = checkpointPaths(seedDir);
  const entries = writeTensorFile(bin, full, tensors);
  writeFileAtomicSync(json, `${JSON.stringify({ ...full, tensors: entries }, null, 1)}\n`);
}

/** Loads a seed's checkpoint, or null when there is none. */
export function loadCheckpoint(seedDir: string): TrainingState | null {
  const { bin } = checkpointPaths(seedDir);
  if (!existsSync(bin)) return null;
  const { header, tensors } = readTensorFile<CheckpointHeader>(bin, { requireChecksum: true });
  if (header.formatVersion !== 1)
    throw new Error(`${bin}: unsupported checkpoint formatVersion ${String(header.formatVersion)}`);
  const weights = new Map<string, NamedWeight>();
  const best = new Map<string, NamedWeight>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, NamedWeight>();
  for (const [key, t] of tensors) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'weight') weights.set(name, t);
    else if (kind === 'best') best.set(name, t);
    else if (kind === 'adam_m') m.set(name, t.values);
    else if (kind === 'adam_v') v.set(name, t);
    else throw new Error(`${bin}: unexpected tensor '${key}'`);
  }
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const [name, vt] of v) {
    const mv = m.get(name);
    if (!mv) throw new Error(`${bin}: adam_v/${name} has no adam_m/${name}`);
    moments.set(name, { m: mv, v: vt.values });
  }
  return { header, weights, bestWeights: best.size ? best : null, moments };
}

/** Restores a model and its optimizer from a loaded checkpoint (moments are keyed by weight name). */
export function restoreTrainingState(state: TrainingState, model: FlexMoEModel, optimizer: TypedAdam): void {
  model.setNamedWeights(state.weights);
  model.random.setState(state.header.modelRandomState);
  optimizer.setState({ step: state.header.optimizerStep, moments: state.moments }, model.variables());
}

/** Writes JSON atomically with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 1)}\n`);
}
