import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../ops/variables.js';
import { SMoEWeights, runSMoE, type SMoEResult } from '../moe/sparse-moe.js';
import type { Dispatch } from '../moe/experts.js';
import { dense } from '../ops/fast-matmul.js';
import { WorkBuffers } from '../ops/work-buffers.js';
import type { NoiseSource, RandomSource } from '../random/random-source.js';
import type { Ablation } from '../router/router-losses.js';
import { attentionCore } from './attention.js';
import { dropout, dropoutMask } from './dropout.js';
import { layerNorm } from './layer-norm.js';
import { uniformInit } from './patch-embedding.js';

/** Per-call context of a fusion layer. */
export interface FusionContext {
  batch: number;
  modalities: number;
  patches: number;
  training: boolean;
  dropout: number;
  random: RandomSource;
  noise: NoiseSource;
  /** `[B]` combination index per sample (for the router losses). */
  combination: Int32Array;
  ablation: Ablation;
  dispatch: Dispatch;
  topK: number;
  /** Optional sink for intermediate values (tests, debugging). */
  trace?: (name: string, value: tf.Tensor) => void;
}

/** Output of one fusion layer. */
export interface FusionOutput {
  x: tf.Tensor2D;
  smoe: SMoEResult;
  /** `[B·M·P]` call (block) index of each token row. */
  tokenCall: Int32Array;
  /** `[B·M·P]` combination of each token row. */
  tokenCombination: Int32Array;
}

/**
 * One fusion layer (docs/algorithm.md §4): `x = x + Dropout(MHSA(LN1 x))`, then for every modality block
 * `x_m = x_m + Dropout(SMoE(LN2 x_m, c))` with the SMoE and router shared by the blocks. Tokens are kept
 * sample-major `[B·M·P, H]` (row `b·M·P + m·P + p`); the M SMoE calls are evaluated together and their
 * router losses kept apart per block. Each call draws one `[B·P, E]` noise matrix, in block order.
 */
export class FusionLayer {
  readonly ln1Gamma: tf.Variable;
  readonly ln1Beta: tf.Variable;
  readonly qKernel: tf.Variable;
  readonly kvKernel: tf.Variable;
  readonly outKernel: tf.Variable;
  readonly outBias: tf.Variable;
  readonly ln2Gamma: tf.Variable;
  readonly ln2Beta: tf.Variable;
  readonly smoe: SMoEWeights;
  /** Attention work buffers of this layer (reused across steps). */
  readonly buffers = new WorkBuffers();
  private readonly ln1Buffers = new WorkBuffers();
  private readonly ln2Buffers = new WorkBuffers();

  constructor(
    readonly index: number,
    readonly hidden: number,
    readonly heads: number,
    readonly experts: number,
    random: RandomSource,
  ) {
    const bound = 1 / Math.sqrt(hidden);
    this.ln1Gamma = ownedVariable(tf.ones([hidden]));
    this.ln1Beta = ownedVariable(tf.zeros([hidden]));
    this.qKernel = ownedVariable(uniformInit(random, [hidden, hidden], bound));
    this.kvKernel = ownedVariable(uniformInit(random, [hidden, 2 * hidden], bound));
    this.outKernel = ownedVariable(uniformInit(random, [hidden, hidden], bound));
    this.outBias = ownedVariable(uniformInit(random, [hidden], bound));
    this.ln2Gamma = ownedVariable(tf.ones([hidden]));
    this.ln2Beta = ownedVariable(tf.zeros([hidden]));
    this.smoe = new SMoEWeights(hidden, experts, random);
  }

  /** Weights by name (`layer{l}/…`, docs/architecture.md §1). */
  namedWeights(): Map<string, tf.Variable> {
    const p = `layer${this.index}/`;
    return new Map<string, tf.Variable>([
      [`${p}ln1_gamma`, this.ln1Gamma],
      [`${p}ln1_beta`, this.ln1Beta],
      [`${p}attn_q_kernel`, this.qKernel],
      [`${p}attn_kv_kernel`, this.kvKernel],
      [`${p}attn_out_kernel`, this.outKernel],
      [`${p}attn_out_bias`, this.outBias],
      [`${p}ln2_gamma`, this.ln2Gamma],
      [`${p}ln2_beta`, this.ln2Beta],
      [`${p}router_Wg`, this.smoe.wg],
      [`${p}router_Wn`, this.smoe.wn],
      [`${p}expert_W1`, this.smoe.w1],
      [`${p}expert_b1`, this.smoe.b1],
      [`${p}expert_W2`, this.smoe.w2],
      [`${p}expert_b2`, this.smoe.b2],
    ]);
  }

  /** Runs the layer on `x [B·M·P, H]`. */
  forward(x: tf.Tensor2D, ctx: FusionContext): FusionOutput {
    const { batch: B, modalities: M, patches: P, training } = ctx;
    const H = this.hidden;
    const N = M * P;
    const rows = B * N;
    const rate = ctx.dropout;
    const trace = ctx.trace;
    const name = (s: string) => `layer${this.index}/${s}`;

    const h = layerNorm(x, this.ln1Gamma as tf.Tensor1D, this.ln1Beta as tf.Tensor1D, this.ln1Buffers);
    trace?.(name('ln1'), h);
    // q and kv projections as one matmul: [h·Wq | h·Wkv].
    const qkv = dense(h, tf.concat([this.qKernel, this.kvKernel], 1) as tf.Tensor2D);
    // The mask lives until this layer's backward, so a per-layer buffer reused across steps holds it.
    const probSize = B * this.heads * N * N;
    const probMask =
      training && rate > 0
        ? dropoutMask(ctx.random, probSize, rate, training, this.buffers.get('probDropMask', probSize))
        : null;
    const ctxOut = attentionCore(qkv, { batch: B, tokens: N, heads: this.heads, hidden: H }, probMask, this.buffers);
    let a = dense(ctxOut, this.outKernel as tf.Tensor2D, this.outBias as tf.Tensor1D);
    a = dropout(a, ctx.random, rate, training);
    trace?.(name('attn'), a);
    const x1 = tf.add(x, dropout(a, ctx.random, rate, training)) as tf.Tensor2D;
    trace?.(name('after_attention'), x1);

    const h2 = layerNorm(x1, this.ln2Gamma as tf.Tensor1D, this.ln2Beta as tf.Tensor1D, this.ln2Buffers);
    trace?.(name('smoe_input'), h2);
    const tokenCall = new Int32Array(rows);
    const tokenCombination = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      tokenCall[r] = Math.floor(r / P) % M;
      tokenCombination[r] = ctx.combination[Math.floor(r / N)];
    }
    let noise: Float32Array | null = null;
    if (training) {
      const E = this.experts;
      noise = new Float32Array(rows * E);
      for (let m = 0; m < M; m++) {
        const mat = ctx.noise.next([B * P, E]);
        const data = mat.dataSync() as Float32Array;
        mat.dispose();
        for (let b = 0; b < B; b++) {
          for (let p = 0; p < P; p++) {
            const src = (b * P + p) * E;
            noise.set(data.subarray(src, src + E), (b * N + m * P + p) * E);
          }
        }
      }
    }
    const smoe = runSMoE(h2, this.smoe.router(), this.smoe.experts(), ctx.topK, {
      noise,
      groups: { calls: M, tokenCall, tokenCombination },
      ablation: ctx.ablation,
      dispatch: ctx.dispatch,
      scratch: this.smoe.scratch,
    });
    if (trace) {
      const E = this.experts;
      const { info } = smoe;
      trace(name('clean_logits'), tf.tensor2d(info.clean, [rows, E]));
      trace(name('noisy_logits'), tf.tensor2d(info.noisy, [rows, E]));
      trace(name('gates'), smoe.gates);
      trace(name('load'), tf.tensor2d(info.load, [rows, E]));
      trace(name('smoe_output'), smoe.output);
      trace(name('g_balance'), tf.tensor1d(Float32Array.from(info.gBalance)));
      trace(name('s_ce'), tf.tensor1d(Float32Array.from(info.sCE)));
      trace(name('s_balance'), tf.tensor1d(Float32Array.from(info.sBalance)));
      trace(name('router_loss'), smoe.total);
    }
    const out = tf.add(x1, dropout(smoe.output, ctx.random, rate, training)) as tf.Tensor2D;
    trace?.(name('after_smoe'), out);
    return { x: out, smoe, tokenCall, tokenCombination };
  }

  /** Frees the work buffers (and their wasm-heap regions); they are re-created on the next use. */
  releaseBuffers(): void {
    for (const b of [this.buffers, this.ln1Buffers, this.ln2Buffers, this.smoe.scratch]) b.release();
  }

  dispose(): void {
    for (const v of this.namedWeights().values()) v.dispose();
    this.releaseBuffers();
  }
}
