import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../ops/variables.js';
import { uniformInit } from '../model/patch-embedding.js';
import type { RandomSource } from '../random/random-source.js';
import { dense } from '../ops/fast-matmul.js';
import { fusedRouter, type FusedRouterInfo } from '../router/fused-router.js';
import type { RoutingChoice } from '../router/noisy-top-k.js';
import type { Ablation, TokenGroups } from '../router/router-losses.js';
import { WorkBuffers } from '../ops/work-buffers.js';
import { denseExperts, sparseExperts, type Dispatch, type ExpertWeights } from './experts.js';

/** Everything one SMoE evaluation produced (tensors live in the caller's scope). */
export interface SMoEResult {
  /** `[rows, H]`, Σ_j gate_j · expert_j(x) (no residual). */
  output: tf.Tensor2D;
  /** Dense gates `[rows, E]`. */
  gates: tf.Tensor2D;
  /** Router loss of every call `[calls]` (G-balance + S-CE + S-balance). */
  total: tf.Tensor1D;
  choice: RoutingChoice;
  /** Plain-number intermediates: clean/noisy logits, gates, load, per-call loss terms. */
  info: FusedRouterInfo;
}

/** Options of one SMoE evaluation. */
export interface SMoEOptions {
  /** Router noise `[rows·E]` in row order (training), or null (inference). */
  noise: Float32Array | null;
  groups: TokenGroups;
  ablation: Ablation;
  dispatch: Dispatch;
  /** Work buffers reused across calls (one per layer); fresh ones when absent. */
  scratch?: WorkBuffers;
}

/** Weights of the router (`Wg`, `Wn [H, E]`). */
export interface RouterWeights {
  wg: tf.Tensor2D;
  wn: tf.Tensor2D;
}

/** Which path `auto` takes (measured on wasm, see docs/benchmarks.md): sparse unless k is close to E. */
export function resolveDispatch(dispatch: Dispatch, k: number, experts: number): 'sparse' | 'dense' {
  if (dispatch !== 'auto') return dispatch;
  return 2 * k > experts ? 'dense' : 'sparse';
}

/**
 * One (possibly multi-call) SMoE evaluation on `x [rows, H]`: noisy top-k router, experts, router losses.
 * Rows of several calls may be evaluated together; `groups.tokenCall` keeps their losses apart.
 */
export function runSMoE(
  x: tf.Tensor2D,
  router: RouterWeights,
  experts: ExpertWeights,
  k: number,
  opts: SMoEOptions,
): SMoEResult {
  const E = router.wg.shape[1];
  // One matmul for both router kernels in training: [x·Wg | x·Wn].
  const logits = opts.noise ? dense(x, tf.concat([router.wg, router.wn], 1) as tf.Tensor2D) : dense(x, router.wg);
  const { gates, total, choice, info } = fusedRouter(logits, opts.noise, k, opts.groups, opts.ablation);
  const output =
    resolveDispatch(opts.dispatch, k, E) === 'sparse'
      ? sparseExperts(x, gates, choice, experts, opts.scratch)
      : denseExperts(x, gates, experts);
  return { output, gates, total, choice, info };
}

/** Trainable weights of one SMoE layer (router + stacked experts), initialised as the reference (docs/algorithm.md §5). */
export class SMoEWeights {
  readonly wg: tf.Variable;
  readonly wn: tf.Variable;
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;
  /** Reused work buffers of this layer's sparse expert op. */
  readonly scratch = new WorkBuffers();

  constructor(hidden: number, experts: number, random: RandomSource) {
    const routerBound = 1 / Math.sqrt(experts);
    this.wg = ownedVariable(uniformInit(random, [hidden, experts], routerBound));
    this.wn = ownedVariable(uniformInit(random, [hidden, experts], routerBound));
    // FastMoE kaiming_uniform on the 3-D stacked tensor: fan_in = in·out, so nearly silent experts.
    const expertBound = 1 / Math.sqrt(hidden * 2 * hidden);
    this.w1 = ownedVariable(uniformInit(random, [experts, hidden, 2 * hidden], expertBound));
    this.b1 = ownedVariable(tf.zeros([experts, 2 * hidden]));
    this.w2 = ownedVariable(uniformInit(random, [experts, 2 * hidden, hidden], expertBound));
    this.b2 = ownedVariable(tf.zeros([experts, hidden]));
  }

  router(): RouterWeights {
    return { wg: this.wg as tf.Tensor2D, wn: this.wn as tf.Tensor2D };
  }

  experts(): ExpertWeights {
    return {
      w1: this.w1 as tf.Tensor3D,
      b1: this.b1 as tf.Tensor2D,
      w2: this.w2 as tf.Tensor3D,
      b2: this.b2 as tf.Tensor2D,
    };
  }
}
