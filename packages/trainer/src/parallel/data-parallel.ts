/*
 * Main-thread side of data-parallel training: starts the workers (./shard-worker.ts), hands them the model and
 * optimizer state, runs epochs on them and reads the state back for validation and checkpoints.
 */
import { Worker } from 'node:worker_threads';
import type { FlexMoEConfig, TypedAdamOptions } from '@flexmoe/moe-core';
import type { PreparedData } from '../data/prepare-data.js';
import type {
  EpochLossSums,
  FromWorker,
  ReplicaState,
  ShardWorkerData,
  SharedStepMemory,
  ToWorker,
} from './protocol.js';
import { BARRIER_SLOTS } from './step-barrier.js';

/** Options of {@link DataParallelPool.start}. */
export interface DataParallelOptions {
  workers: number;
  backend: string;
  config: FlexMoEConfig;
  /** Run seed; worker w draws dropout and router noise from a stream derived from (seed, w, epoch). */
  seed: number;
  optimizer: TypedAdamOptions;
  data: PreparedData;
  /** Number of trainable parameters (sizes the shared gradient buffers). */
  parameters: number;
  /** Number of trainable variables. */
  variables: number;
}

function workerUrl(): URL {
  // Sources run through a TypeScript loader (tests), the build from dist/: the worker file sits next to this one.
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './shard-worker.ts' : './shard-worker.js', here);
}

/** A pool of training workers, one model replica each. */
export class DataParallelPool {
  private failure: Error | null = null;
  private closing = false;
  private listeners: ((index: number, message: FromWorker) => void)[] = [];

  private constructor(private readonly workers: Worker[]) {
    workers.forEach((worker, index) => {
      worker.on('message', (message: FromWorker) => {
        for (const l of [...this.listeners]) l(index, message);
      });
      worker.on('error', (err) => this.fail(new Error(`training worker ${index}: ${err.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`training worker ${index} exited with code ${code}`));
      });
    });
  }

  /** Starts `options.workers` workers and waits until each has its backend and model ready. */
  static async start(options: DataParallelOptions): Promise<DataParallelPool> {
    const n = options.workers;
    const shared: SharedStepMemory = {
      control: new SharedArrayBuffer(BARRIER_SLOTS * 4),
      gradients: new SharedArrayBuffer(2 * n * options.parameters * 4),
      present: new SharedArrayBuffer(2 * n * options.variables * 4),
      losses: new SharedArrayBuffer(2 * n * 2 * 8),
    };
    // Patient ids stay in the main thread.
    const data: PreparedData = { ...options.data, ids: [] };
    const workers = Array.from({ length: n }, (_, index) => {
      const workerData: ShardWorkerData = {
        index,
        workers: n,
        backend: options.backend,
        config: options.config,
        seed: options.seed,
        optimizer: options.optimizer,
        data,
        shared,
      };
      return new Worker(workerUrl(), { workerData });
    });
    const pool = new DataParallelPool(workers);
    await pool.collect('ready', () => undefined);
    return pool;
  }

  /** Sends `message` to every worker and resolves with each worker's reply of type `reply`. */
  private request<T extends FromWorker['type']>(
    message: ToWorker | null,
    reply: T,
    onMessage?: (index: number, m: FromWorker) => void,
  ): Promise<Extract<FromWorker, { type: T }>[]> {
    const done = this.collect(reply, onMessage);
    if (message) for (const w of this.workers) w.postMessage(message);
    return done;
  }

  private collect<T extends FromWorker['type']>(
    reply: T,
    onMessage?: (index: number, m: FromWorker) => void,
  ): Promise<Extract<FromWorker, { type: T }>[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const replies: (Extract<FromWorker, { type: T }> | undefined)[] = new Array(this.workers.length);
      let count = 0;
      const errors: string[] = [];
      const listener = (index: number, m: FromWorker): void => {
        onMessage?.(index, m);
        if (m.type === 'error') errors.push(m.message);
        else if (m.type === reply) replies[index] = m as Extract<FromWorker, { type: T }>;
        else return;
        count++;
        if (count === this.workers.length) {
          this.listeners = this.listeners.filter((l) => l !== listener);
          this.rejectPending = null;
          if (errors.length > 0)
            reject(new Error(errors.find((e) => e !== 'another training worker failed') ?? errors[0]));
          else resolve(replies as Extract<FromWorker, { type: T }>[]);
        }
      };
      this.listeners.push(listener);
      this.rejectPending = (err) => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(err);
      };
    });
  }

  private rejectPending: ((err: Error) => void) | null = null;

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectPending?.(err);
  }

  /** Loads the same weights and optimizer state into every replica. */
  async setState(state: ReplicaState): Promise<void> {
    await this.request({ type: 'setState', state }, 'ready');
  }

  /**
   * Trains epoch `epoch` (0-based) on `batches` (rows of each batch) with `learningRates[i]` at step i (the
   * schedule); `onStep` sees each batch's loss.
   */
  async runEpoch(
    epoch: number,
    batches: Int32Array[],
    learningRates: Float64Array,
    onStep?: (loss: number) => void,
  ): Promise<EpochLossSums> {
    const replies = await this.request({ type: 'epoch', epoch, batches, learningRates }, 'epochDone', (index, m) => {
      if (index === 0 && m.type === 'step') onStep?.(m.loss);
    });
    return replies[0].sums;
  }

  /** The replicas' (identical) weights and optimizer state, read from worker 0. */
  async getState(): Promise<ReplicaState> {
    const done = this.collectOne('state');
    this.workers[0].postMessage({ type: 'getState' } satisfies ToWorker);
    return (await done).state;
  }

  private collectOne(reply: 'state'): Promise<Extract<FromWorker, { type: 'state' }>> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const listener = (index: number, m: FromWorker): void => {
        if (index !== 0 || (m.type !== reply && m.type !== 'error')) return;
        this.listeners = this.listeners.filter((l) => l !== listener);
        this.rejectPending = null;
        if (m.type === 'error') reject(new Error(m.message));
        else resolve(m as Extract<FromWorker, { type: 'state' }>);
      };
      this.listeners.push(listener);
      this.rejectPending = (err) => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(err);
      };
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
