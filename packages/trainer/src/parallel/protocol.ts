import type { FlexMoEConfig, NamedWeight, TypedAdamOptions, TypedAdamState } from '@flexmoe/moe-core';
import type { PreparedData } from '../data/prepare-data.js';

/** Shared memory of one data-parallel pool (every worker sees the same buffers). */
export interface SharedStepMemory {
  /** Int32: the step barrier's slots. */
  control: SharedArrayBuffer;
  /** Float32 `[2][workers][parameters]`: each worker's shard gradient, double-buffered by step parity. */
  gradients: SharedArrayBuffer;
  /** Int32 `[2][workers][variables]`: 1 where the worker's shard produced a gradient for the variable. */
  present: SharedArrayBuffer;
  /** Float64 `[2][workers][2]`: each shard's weighted task and router loss. */
  losses: SharedArrayBuffer;
}

/** `workerData` of a training worker. */
export interface ShardWorkerData {
  index: number;
  workers: number;
  /** Backend candidate name (`wasm`, `cpu`, …) the main thread trains on. */
  backend: string;
  config: FlexMoEConfig;
  /** The run seed: this worker's dropout and router-noise stream restarts each epoch from (seed, index, epoch). */
  seed: number;
  optimizer: TypedAdamOptions;
  /** The prepared dataset without patient ids. */
  data: PreparedData;
  shared: SharedStepMemory;
}

/** Weights and optimizer state by stable weight name. */
export interface ReplicaState {
  weights: Map<string, NamedWeight>;
  optimizer: TypedAdamState;
}

/** Loss sums of an epoch, each weighted by the batch's number of rows (as the single-thread loop sums them). */
export interface EpochLossSums {
  loss: number;
  task: number;
  router: number;
}

export type ToWorker =
  | { type: 'setState'; state: ReplicaState }
  | { type: 'epoch'; epoch: number; batches: Int32Array[]; learningRates: Float64Array }
  | { type: 'getState' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'step'; loss: number }
  | { type: 'epochDone'; sums: EpochLossSums }
  | { type: 'state'; state: ReplicaState }
  | { type: 'error'; message: string };
