/*
 * One data-parallel training worker (worker_threads): a full replica of the model and the optimizer on its own
 * TF.js backend. Per step it computes the gradient of its shard of the batch, publishes it in shared memory,
 * waits for the others, adds every shard's gradient in worker order and applies the same Adam update as every
 * other worker, so all replicas stay identical without sending weights around.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, FlexMoEModel, registerAllGradients, SeededRandom, TypedAdam } from '@flexmoe/moe-core';
import { chooseBackend } from '../backend/choose-backend.js';
import { makeBatch } from '../run/batching.js';
import type { EpochLossSums, FromWorker, ShardWorkerData, ToWorker } from './protocol.js';
import { shardLossScales, shardRanges, workerRandomSeed } from './shards.js';
import { BarrierAbortedError, StepBarrier } from './step-barrier.js';

const input = workerData as ShardWorkerData;
const port = parentPort;
if (!port) throw new Error('shard-worker.ts runs only as a worker thread');
const post = (message: FromWorker): void => port.postMessage(message);

tf.enableProdMode();
await chooseBackend({ forced: input.backend, log: () => undefined });
await registerAllGradients();

const { config, data, index, workers } = input;
const random = new SeededRandom(workerRandomSeed(input.seed, index, 0));
const model = new FlexMoEModel(config, { random });
const optimizer = new TypedAdam(input.optimizer);
const named = model.variables();
const variables = [...named.values()];
const offsets: number[] = [];
let parameters = 0;
for (const v of variables) {
  offsets.push(parameters);
  parameters += v.size;
}
const barrier = new StepBarrier(new Int32Array(input.shared.control), workers);
const gradients = new Float32Array(input.shared.gradients);
const present = new Int32Array(input.shared.present);
const losses = new Float64Array(input.shared.losses);
const sums = variables.map((v) => new Float32Array(v.size));
let step = 0;

/** Writes this worker's shard gradient (and weighted losses) for `rows` into the parity's slots. */
function shardGradient(rows: Int32Array, parity: number): void {
  const range = shardRanges(rows.length, workers)[index];
  const base = (parity * workers + index) * parameters;
  const flags = (parity * workers + index) * variables.length;
  const lossAt = (parity * workers + index) * 2;
  if (range[1] <= range[0]) {
    gradients.fill(0, base, base + parameters);
    present.fill(0, flags, flags + variables.length);
    losses[lossAt] = 0;
    losses[lossAt + 1] = 0;
    return;
  }
  const labels = Array.from(rows, (r) => data.labels[r]);
  const scales = shardLossScales(labels, range, config.classWeights);
  const { batch, labels: shardLabels } = makeBatch(data, model.table, rows.subarray(range[0], range[1]));
  try {
    tf.tidy(() => {
      let task = NaN;
      let router = NaN;
      const { grads } = tf.variableGrads(() => {
        const r = model.loss(batch, shardLabels, true);
        task = r.taskLoss.dataSync()[0];
        router = r.routerLoss.dataSync()[0];
        return tf.add(
          tf.mul(r.taskLoss, scales.task),
          tf.mul(r.routerLoss, config.routerLossWeight * scales.router),
        ) as tf.Scalar;
      }, variables);
      variables.forEach((v, i) => {
        const g = grads[v.name];
        if (g) gradients.set(g.dataSync() as Float32Array, base + offsets[i]);
        else gradients.fill(0, base + offsets[i], base + offsets[i] + v.size);
        present[flags + i] = g ? 1 : 0;
      });
      losses[lossAt] = task * scales.task;
      losses[lossAt + 1] = router * scales.router;
    });
  } finally {
    disposeBatch(batch);
  }
}

/** Adds the shards' gradients in worker order and applies one Adam step; returns the batch's loss parts. */
function combineAndApply(parity: number): { task: number; router: number } {
  const update: { name: string; tensor: tf.Tensor }[] = [];
  variables.forEach((v, i) => {
    const sum = sums[i];
    let any = false;
    for (let w = 0; w < workers; w++) {
      if (present[(parity * workers + w) * variables.length + i] === 0) continue;
      const at = (parity * workers + w) * parameters + offsets[i];
      if (!any) sum.set(gradients.subarray(at, at + v.size));
      else for (let j = 0; j < v.size; j++) sum[j] += gradients[at + j];
      any = true;
    }
    if (any) update.push({ name: v.name, tensor: tf.tensor(sum, v.shape) });
  });
  optimizer.applyGradients(update);
  tf.dispose(update.map((u) => u.tensor));
  let task = 0;
  let router = 0;
  for (let w = 0; w < workers; w++) {
    task += losses[(parity * workers + w) * 2];
    router += losses[(parity * workers + w) * 2 + 1];
  }
  return { task, router };
}

/** `FLEXMOE_WORKER_PROFILE=1`: each worker prints where its step time went, once per epoch (stderr). */
const profile = process.env.FLEXMOE_WORKER_PROFILE === '1';

function runEpoch(epoch: number, batches: Int32Array[], learningRates: Float64Array): EpochLossSums {
  random.setState(new SeededRandom(workerRandomSeed(input.seed, index, epoch)).getState());
  const out: EpochLossSums = { loss: 0, task: 0, router: 0 };
  const ms = { gradient: 0, wait: 0, combine: 0 };
  for (const [stepInEpoch, rows] of batches.entries()) {
    // Every replica applies the same scheduled rate, so the replicas stay identical.
    optimizer.learningRate = learningRates[stepInEpoch];
    const parity = step & 1;
    const t0 = performance.now();
    shardGradient(rows, parity);
    const t1 = performance.now();
    barrier.arrive();
    const t2 = performance.now();
    const { task, router } = combineAndApply(parity);
    if (profile) {
      ms.gradient += t1 - t0;
      ms.wait += t2 - t1;
      ms.combine += performance.now() - t2;
    }
    step++;
    const loss = task + config.routerLossWeight * router;
    if (!Number.isFinite(loss)) throw new Error(`epoch ${epoch + 1}: the training loss became ${loss}`);
    out.loss += loss * rows.length;
    out.task += task * rows.length;
    out.router += router * rows.length;
    if (index === 0) post({ type: 'step', loss });
  }
  if (profile && batches.length > 0) {
    const per = (x: number): string => (x / batches.length).toFixed(1);
    process.stderr.write(
      `[flexmoe] worker ${index} epoch ${epoch + 1}: per step ${per(ms.gradient)} ms shard forward+backward, ` +
        `${per(ms.wait)} ms waiting for the other workers, ${per(ms.combine)} ms adding gradients + Adam\n`,
    );
  }
  return out;
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'setState':
        model.setNamedWeights(message.state.weights);
        optimizer.setState(message.state.optimizer, named);
        post({ type: 'ready' });
        break;
      case 'epoch':
        post({ type: 'epochDone', sums: runEpoch(message.epoch, message.batches, message.learningRates) });
        break;
      case 'getState':
        post({ type: 'state', state: { weights: model.getNamedWeights(), optimizer: optimizer.getState(named) } });
        break;
      case 'close':
        optimizer.dispose();
        model.dispose();
        port.close();
        break;
    }
  } catch (err) {
    if (!(err instanceof BarrierAbortedError)) barrier.abort();
    post({ type: 'error', message: (err as Error).message });
  }
});
post({ type: 'ready' });
