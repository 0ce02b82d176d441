import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../ops/variables.js';
import { CombinationTable } from '../spec/combinations.js';
import { denseBias } from '../ops/fast-matmul.js';
import { WorkBuffers } from '../ops/work-buffers.js';
import { assertGradientsRegistered, registerAllGradients } from '../ops/register-gradients.js';
import { RandomNoiseSource, SeededRandom, type NoiseSource, type RandomSource } from '../random/random-source.js';
import type { FlexMoEBatch } from './batch.js';
import { modalityOrder, validateConfig, type FlexMoEConfig } from '../spec/config.js';
import { FusionLayer, type FusionOutput } from './fusion-layer.js';
import { assembleBlocks, createBank } from './missing-bank.js';
import { PatchEmbedding, uniformInit, type ModalityEncoder } from './patch-embedding.js';
import { accumulateRouting, emptyRoutingStats, type RoutingStats } from './routing-stats.js';

/** Construction options. */
export interface FlexMoEModelOptions {
  /** Source of all randomness (init, dropout, router noise). Default `new SeededRandom(seed ?? 0)`. */
  random?: RandomSource;
  seed?: number;
  /** Router noise; default draws from `random`. */
  noise?: NoiseSource;
  /** Per-modality encoders; missing entries get a {@link PatchEmbedding}. */
  encoders?: (ModalityEncoder | null | undefined)[];
}

/** A named weight value (checkpoint / export interface, docs/architecture.md §1). */
export interface NamedWeight {
  values: Float32Array;
  shape: number[];
}

/** Forward outputs (tensors owned by the caller's tidy scope). */
export interface ForwardResult {
  /** `[B, classes]`. */
  logits: tf.Tensor2D;
  /** Σ over layers and calls of the router losses (scalar). */
  routerLoss: tf.Scalar;
  layers: FusionOutput[];
}

/** Loss values of one step. */
export interface LossValues {
  loss: number;
  taskLoss: number;
  routerLoss: number;
}

/** `predict` output: plain arrays, nothing to dispose. */
export interface Prediction {
  /** `[B × classes]` softmax probabilities, row-major. */
  probabilities: Float32Array;
  classes: number;
  /** Expert selections per combination over all layers and calls. */
  routing: RoutingStats;
}

/** Options of {@link FlexMoEModel.forward}. */
export interface ForwardOptions {
  training: boolean;
  /** Optional sink for intermediate values: `blocks`, `x0`, `layer{l}/…`, `pooled`, `logits`. */
  trace?: (name: string, value: tf.Tensor) => void;
}

/**
 * The Flex-MoE model (docs/algorithm.md §2-6): modality encoders, missing-modality bank, fusion layers with a shared
 * sparse MoE per layer, mean-pool head. All randomness comes from the injected {@link RandomSource} /
 * {@link NoiseSource}, so a run is reproducible and resumable.
 */
export class FlexMoEModel {
  readonly config: FlexMoEConfig;
  readonly table: CombinationTable;
  readonly encoders: ModalityEncoder[];
  readonly bank: tf.Variable;
  readonly posEmbed: tf.Variable;
  readonly layers: FusionLayer[];
  readonly headKernel: tf.Variable;
  readonly headBias: tf.Variable;
  random: RandomSource;
  noise: NoiseSource;
  private disposed = false;
  private readonly buffers = new WorkBuffers();

  constructor(config: FlexMoEConfig, options: FlexMoEModelOptions = {}) {
    validateConfig(config);
    this.config = { ...config, modalities: config.modalities.map((m) => ({ ...m })) };
    this.table = new CombinationTable(modalityOrder(config));
    this.random = options.random ?? new SeededRandom(options.seed ?? 0);
    this.noise = options.noise ?? new RandomNoiseSource(this.random);
    const { patches: P, hidden: H } = config;
    const M = config.modalities.length;
    this.encoders = config.modalities.map(
      (m, i) => options.encoders?.[i] ?? new PatchEmbedding(i, m.width, P, H, this.random, config.patchProjection),
    );
    this.bank = createBank(this.random, config.ablation === 'no-bank' ? 1 : this.table.count, M, P, H);
    this.posEmbed = ownedVariable(tf.zeros([1, M * P, H]));
    this.layers = Array.from(
      { length: config.layers },
      (_, l) => new FusionLayer(l, H, config.heads, config.experts, this.random),
    );
    const bound = 1 / Math.sqrt(M * H);
    this.headKernel = ownedVariable(uniformInit(this.random, [M * H, config.classes], bound));
    this.headBias = ownedVariable(uniformInit(this.random, [config.classes], bound));
  }

  /** Creates a model after registering the TF.js gradients training needs. */
  static async create(config: FlexMoEConfig, options: FlexMoEModelOptions = {}): Promise<FlexMoEModel> {
    await registerAllGradients();
    return new FlexMoEModel(config, options);
  }

  /** Trainable variables by name, in a fixed order (encoders, bank, pos_embed, layers, head). */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const e of this.encoders) for (const [k, v] of e.namedWeights()) out.set(k, v);
    out.set('bank', this.bank);
    out.set('pos_embed', this.posEmbed);
    for (const l of this.layers) for (const [k, v] of l.namedWeights()) out.set(k, v);
    out.set('head_kernel', this.headKernel);
    out.set('head_bias', this.headBias);
    return out;
  }

  /** Copies of every weight, `[in, out]` layout (docs/architecture.md §1). */
  getNamedWeights(): Map<string, NamedWeight> {
    const out = new Map<string, NamedWeight>();
    for (const [k, v] of this.variables())
      out.set(k, { values: Float32Array.from(v.dataSync() as Float32Array), shape: v.shape.slice() });
    return out;
  }

  /** Replaces every weight; the map must hold exactly the model's names with matching shapes. */
  setNamedWeights(weights: Map<string, NamedWeight>): void {
    const vars = this.variables();
    for (const name of weights.keys())
      if (!vars.has(name)) throw new Error(`setNamedWeights: unknown weight "${name}"`);
    for (const [name, v] of vars) {
      const w = weights.get(name);
      if (!w) throw new Error(`setNamedWeights: weight "${name}" is missing`);
      const size = v.shape.reduce((a, b) => a * b, 1);
      if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i]) || w.values.length !== size) {
        throw new Error(
          `setNamedWeights: weight "${name}" has shape [${w.shape.join(', ')}] (${w.values.length} values), ` +
            `expected [${v.shape.join(', ')}]`,
        );
      }
    }
    for (const [name, v] of vars) {
      const w = weights.get(name) as NamedWeight;
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape, 'float32')));
    }
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.variables().values()) n += v.size;
    return n;
  }

  private validateBatch(batch: FlexMoEBatch): void {
    const M = this.table.M;
    if (!(batch.combination instanceof Int32Array)) throw new Error('FlexMoEBatch.combination: expected an Int32Array');
    if (batch.inputs.length !== M)
      throw new Error(`FlexMoEBatch.inputs: expected ${M} entries (one per modality), got ${batch.inputs.length}`);
    if (batch.combination.length === 0) throw new Error('FlexMoEBatch: empty batch');
    batch.combination.forEach((c, b) => {
      if (!Number.isInteger(c) || c < 0 || c >= this.table.count) {
        throw new Error(`FlexMoEBatch.combination[${b}]: ${c} is not a combination index 0..${this.table.count - 1}`);
      }
    });
    for (let m = 0; m < M; m++) {
      let n = 0;
      for (const c of batch.combination) if (this.table.has(c, m)) n++;
      const x = batch.inputs[m];
      const rows = x ? x.shape[0] : 0;
      if (rows !== n) {
        throw new Error(
          `FlexMoEBatch.inputs[${m}] (${this.config.modalities[m].name}): ${rows} rows, but ${n} samples observe this modality`,
        );
      }
    }
  }

  /** Forward pass. Call inside `tf.tidy` (or dispose the tensors yourself). */
  forward(batch: FlexMoEBatch, options: ForwardOptions): ForwardResult {
    if (this.disposed) throw new Error('FlexMoEModel: used after dispose()');
    this.validateBatch(batch);
    const { patches: P, hidden: H } = this.config;
    const M = this.table.M;
    const B = batch.combination.length;
    const N = M * P;
    const trace = options.trace;
    const observedRow = new Int32Array(B * M).fill(-1);
    const next = new Int32Array(M);
    for (let b = 0; b < B; b++) {
      for (let m = 0; m < M; m++) if (this.table.has(batch.combination[b], m)) observedRow[b * M + m] = next[m]++;
    }
    const encoded = batch.inputs.map((x, m) => {
      if (!x) return null;
      const y = this.encoders[m].encode(x, options.training);
      if (y.rank !== 3 || y.shape[0] !== x.shape[0] || y.shape[1] !== P || y.shape[2] !== H) {
        throw new Error(`encoder${m}: produced [${y.shape.join(', ')}], expected [${x.shape[0]}, ${P}, ${H}]`);
      }
      return tf.reshape(y, [x.shape[0], P * H]) as tf.Tensor2D;
    });
    const bankRow = this.config.ablation === 'no-bank' ? new Int32Array(B) : Int32Array.from(batch.combination);
    const blocks = assembleBlocks(encoded, this.bank, this.posEmbed, observedRow, bankRow, this.buffers);
    let x = tf.reshape(blocks, [B * N, H]) as tf.Tensor2D;
    if (trace) {
      trace('blocks', tf.sub(tf.reshape(blocks, [B, N, H]), this.posEmbed));
      trace('x0', x);
    }
    const layerOutputs: FusionOutput[] = [];
    let routerLoss: tf.Scalar = tf.scalar(0);
    for (const layer of this.layers) {
      const out = layer.forward(x, {
        batch: B,
        modalities: M,
        patches: P,
        training: options.training,
        dropout: this.config.dropout,
        random: this.random,
        noise: this.noise,
        combination: batch.combination,
        ablation: this.config.ablation,
        dispatch: this.config.dispatch ?? 'auto',
        topK: this.config.topK,
        trace,
      });
      layerOutputs.push(out);
      routerLoss = tf.add(routerLoss, tf.sum(out.smoe.total));
      x = out.x;
    }
    const pooled = tf.reshape(tf.mean(tf.reshape(x, [B * M, P, H]), 1), [B, M * H]) as tf.Tensor2D;
    trace?.('pooled', pooled);
    const logits = denseBias(pooled, this.headKernel as tf.Tensor2D, this.headBias as tf.Tensor1D);
    trace?.('logits', logits);
    return { logits, routerLoss, layers: layerOutputs };
  }

  /** Task cross-entropy (class-weighted like torch `CrossEntropyLoss(weight)`: Σ w_y·CE / Σ w_y). */
  taskLoss(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    const [B, C] = logits.shape;
    if (labels.length !== B) throw new Error(`labels: expected ${B} labels, got ${labels.length}`);
    const oneHot = new Float32Array(B * C);
    const weights = new Float32Array(B);
    let wsum = 0;
    labels.forEach((y, b) => {
      if (!Number.isInteger(y) || y < 0 || y >= C)
        throw new Error(`labels[${b}]: ${y} is not a class index 0..${C - 1}`);
      oneHot[b * C + y] = 1;
      weights[b] = this.config.classWeights ? this.config.classWeights[y] : 1;
      wsum += weights[b];
    });
    const ce = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.tensor2d(oneHot, [B, C])), 1));
    return tf.div(tf.sum(tf.mul(ce, tf.tensor1d(weights))), wsum) as tf.Scalar;
  }

  /** Total training loss `task CE + λ·Σ router losses` (scalar) plus its parts. Call inside `tf.tidy`. */
  loss(
    batch: FlexMoEBatch,
    labels: Int32Array,
    training = true,
    trace?: ForwardOptions['trace'],
  ): { loss: tf.Scalar; taskLoss: tf.Scalar; routerLoss: tf.Scalar; forward: ForwardResult } {
    const forward = this.forward(batch, { training, trace });
    const taskLoss = this.taskLoss(forward.logits, labels);
    const loss = tf.add(taskLoss, tf.mul(forward.routerLoss, this.config.routerLossWeight)) as tf.Scalar;
    return { loss, taskLoss, routerLoss: forward.routerLoss, forward };
  }

  /** One optimisation step (forward, backward, optimizer update) in training mode. */
  trainStep(batch: FlexMoEBatch, labels: Int32Array, optimizer: tf.Optimizer): LossValues {
    assertGradientsRegistered();
    const varList = [...this.variables().values()];
    let taskLoss = NaN;
    let routerLoss = NaN;
    const cost = optimizer.minimize(
      () => {
        const r = this.loss(batch, labels, true);
        taskLoss = r.taskLoss.dataSync()[0];
        routerLoss = r.routerLoss.dataSync()[0];
        return r.loss;
      },
      true,
      varList,
    );
    const loss = cost ? cost.dataSync()[0] : NaN;
    cost?.dispose();
    return { loss, taskLoss, routerLoss };
  }

  /** Loss and the gradient of every named weight (training mode), as plain arrays. */
  computeGradients(
    batch: FlexMoEBatch,
    labels: Int32Array,
  ): { values: LossValues; gradients: Map<string, NamedWeight> } {
    assertGradientsRegistered();
    const vars = this.variables();
    const names = [...vars.keys()];
    const list = names.map((n) => vars.get(n) as tf.Variable);
    let taskLoss = NaN;
    let routerLoss = NaN;
    const { value, grads } = tf.variableGrads(() => {
      const r = this.loss(batch, labels, true);
      taskLoss = r.taskLoss.dataSync()[0];
      routerLoss = r.routerLoss.dataSync()[0];
      return r.loss;
    }, list);
    const gradients = new Map<string, NamedWeight>();
    names.forEach((n, i) => {
      const g = grads[list[i].name];
      gradients.set(n, {
        values: g ? Float32Array.from(g.dataSync() as Float32Array) : new Float32Array(list[i].size),
        shape: list[i].shape.slice(),
      });
    });
    const loss = value.dataSync()[0];
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return { values: { loss, taskLoss, routerLoss }, gradients };
  }

  /** Inference: class probabilities and routing statistics (no dropout, no router noise). */
  predict(batch: FlexMoEBatch): Prediction {
    const stats = emptyRoutingStats(this.table.count, this.config.experts, this.config.topK);
    const probabilities = tf.tidy(() => {
      const f = this.forward(batch, { training: false });
      for (const l of f.layers) accumulateRouting(stats, l.smoe.choice, l.tokenCombination);
      return tf.softmax(f.logits).dataSync() as Float32Array;
    });
    return { probabilities: Float32Array.from(probabilities), classes: this.config.classes, routing: stats };
  }

  /** Evaluation: losses (inference mode) and probabilities. */
  evaluate(batch: FlexMoEBatch, labels: Int32Array): LossValues & { probabilities: Float32Array } {
    return tf.tidy(() => {
      const r = this.loss(batch, labels, false);
      return {
        loss: r.loss.dataSync()[0],
        taskLoss: r.taskLoss.dataSync()[0],
        routerLoss: r.routerLoss.dataSync()[0],
        probabilities: Float32Array.from(tf.softmax(r.forward.logits).dataSync() as Float32Array),
      };
    });
  }

  /** Frees every variable (encoders included). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables().values()) v.dispose();
    for (const l of this.layers) l.releaseBuffers();
    this.buffers.release();
  }
}
