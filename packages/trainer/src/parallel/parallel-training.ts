import type { FlexMoEConfig, FlexMoEModel, TypedAdam } from '@flexmoe/moe-core';
import type { PreparedData } from '../data/prepare-data.js';
import { DataParallelPool } from './data-parallel.js';
import type { EpochLossSums } from './protocol.js';

/** What {@link ParallelTraining.start} needs besides the model and optimizer it mirrors. */
export interface ParallelTrainingOptions {
  workers: number;
  /** Backend candidate or TF.js backend name of this thread (`wasm`, `cpu`, `tensorflow`, …). */
  backend: string;
  config: FlexMoEConfig;
  seed: number;
  learningRate: number;
  /** Decoupled weight decay of the optimizer (AdamW); 0 = Adam. */
  weightDecay: number;
  data: PreparedData;
}

/**
 * Data-parallel epochs for the training loop: the workers hold replicas of `model` and `optimizer`; after each
 * epoch their state is copied back here, so validation and checkpoints see exactly what the workers trained.
 */
export class ParallelTraining {
  private constructor(
    private readonly pool: DataParallelPool,
    private readonly model: FlexMoEModel,
    private readonly optimizer: TypedAdam,
  ) {}

  /** Starts the workers with the current weights and optimizer state (a fresh or a resumed seed). */
  static async start(
    model: FlexMoEModel,
    optimizer: TypedAdam,
    options: ParallelTrainingOptions,
  ): Promise<ParallelTraining> {
    const variables = model.variables();
    const pool = await DataParallelPool.start({
      workers: options.workers,
      backend: options.backend === 'tensorflow' ? 'node' : options.backend,
      config: options.config,
      seed: options.seed,
      optimizer: { learningRate: options.learningRate, weightDecay: options.weightDecay },
      data: options.data,
      parameters: [...variables.values()].reduce((a, v) => a + v.size, 0),
      variables: variables.size,
    });
    try {
      await pool.setState({ weights: model.getNamedWeights(), optimizer: optimizer.getState(variables) });
    } catch (err) {
      await pool.close();
      throw err;
    }
    return new ParallelTraining(pool, model, optimizer);
  }

  /**
   * Trains epoch `epoch` (0-based) of `batches` on the workers with `learningRates[i]` at step i, then loads the
   * result into the model and optimizer.
   */
  async epoch(
    epoch: number,
    batches: ArrayLike<number>[],
    learningRates: Float64Array,
    onStep: (loss: number) => void,
  ): Promise<EpochLossSums> {
    const rows = batches.map((r) => Int32Array.from(r));
    const sums = await this.pool.runEpoch(epoch, rows, learningRates, onStep);
    const state = await this.pool.getState();
    this.model.setNamedWeights(state.weights);
    this.optimizer.setState(state.optimizer, this.model.variables());
    return sums;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
