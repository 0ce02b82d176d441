import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/fast-matmul.js';

/** Added to softplus(x·Wn) to form the noise std (docs/algorithm.md §5). */
export const NOISE_EPS = 1e-2;

/** The piecewise-constant routing decisions, computed outside the gradient tape (plain arrays). */
export interface RoutingChoice {
  rows: number;
  experts: number;
  k: number;
  /** `[rows·k]`: selected experts per token, by descending noisy logit. */
  topkIndices: Int32Array;
  /** `[rows]`: `topkIndices[t·k]`. */
  top1: Int32Array;
  /** `[rows]`: expert holding the (k+1)-th largest logit (`in_t`), −1 when k = E. */
  thresholdInIndex: Int32Array;
  /** `[rows]`: expert holding the k-th largest logit (`out_t`). */
  thresholdOutIndex: Int32Array;
  /** `[rows·E]`: 1 where `noisy > in_t` (strict), else 0; all 0 when k = E. */
  isIn: Float32Array;
  /** `[rows·E]`: 1 for the selected experts. */
  selected: Float32Array;
  /** `[rows]`: the largest noisy logit (softmax shift). */
  rowMax: Float32Array;
}

/** Router logits: `clean = x·Wg`, and in training `σ = softplus(x·Wn) + 1e-2`, `noisy = clean + noise·σ`. */
export interface RouterLogits {
  clean: tf.Tensor2D;
  /** Null at inference. */
  sigma: tf.Tensor2D | null;
  /** Equals `clean` at inference. */
  noisy: tf.Tensor2D;
}

/** Compute the router logits; `noise` (`[rows·E]`, row-major) is null at inference. */
export function routerLogits(
  x: tf.Tensor2D,
  wg: tf.Tensor2D,
  wn: tf.Tensor2D,
  noise: Float32Array | null,
): RouterLogits {
  const clean = dense(x, wg);
  if (!noise) return { clean, sigma: null, noisy: clean };
  const sigma = tf.add(tf.softplus(dense(x, wn)), NOISE_EPS) as tf.Tensor2D;
  const noisy = tf.add(clean, tf.mul(tf.tensor2d(noise, clean.shape), sigma)) as tf.Tensor2D;
  return { clean, sigma, noisy };
}

/**
 * Top-k (and the (k+1)-th) experts of every row of `noisy [rows·E]`. Ties go to the lower expert index.
 */
export function selectTopK(noisy: Float32Array, rows: number, experts: number, k: number): RoutingChoice {
  if (k < 1 || k > experts) throw new Error(`selectTopK: k = ${k} must be in 1..${experts}`);
  const want = Math.min(k + 1, experts);
  const topkIndices = new Int32Array(rows * k);
  const top1 = new Int32Array(rows);
  const thresholdInIndex = new Int32Array(rows).fill(-1);
  const thresholdOutIndex = new Int32Array(rows);
  const isIn = new Float32Array(rows * experts);
  const selected = new Float32Array(rows * experts);
  const rowMax = new Float32Array(rows);
  const taken = new Uint8Array(experts);
  const order = new Int32Array(want);
  for (let t = 0; t < rows; t++) {
    const base = t * experts;
    taken.fill(0);
    for (let j = 0; j < want; j++) {
      let best = -1;
      let bestVal = -Infinity;
      for (let e = 0; e < experts; e++) {
        if (taken[e]) continue;
        const v = noisy[base + e];
        if (best < 0 || v > bestVal) {
          best = e;
          bestVal = v;
        }
      }
      taken[best] = 1;
      order[j] = best;
    }
    for (let j = 0; j < k; j++) {
      topkIndices[t * k + j] = order[j];
      selected[base + order[j]] = 1;
    }
    top1[t] = order[0];
    rowMax[t] = noisy[base + order[0]];
    thresholdOutIndex[t] = order[k - 1];
    if (k < experts) {
      const inIdx = order[k];
      thresholdInIndex[t] = inIdx;
      const inVal = noisy[base + inIdx];
      for (let e = 0; e < experts; e++) isIn[base + e] = noisy[base + e] > inVal ? 1 : 0;
    }
  }
  return { rows, experts, k, topkIndices, top1, thresholdInIndex, thresholdOutIndex, isIn, selected, rowMax };
}

/** Dense gate matrix `G [rows, E]`: softmax over the k selected noisy logits, 0 elsewhere (differentiable). */
export function topKGates(noisy: tf.Tensor2D, choice: RoutingChoice): tf.Tensor2D {
  const shape: [number, number] = [choice.rows, choice.experts];
  const shifted = tf.sub(noisy, tf.tensor2d(choice.rowMax, [choice.rows, 1]));
  const ex = tf.mul(tf.exp(shifted), tf.tensor2d(choice.selected, shape));
  return tf.div(ex, tf.sum(ex, 1, true)) as tf.Tensor2D;
}

/** Gate values of the selected experts, `[rows, k]`, in routing order (plain numbers). */
export function gatherTopKGates(g: Float32Array, choice: RoutingChoice): Float32Array {
  const out = new Float32Array(choice.rows * choice.k);
  for (let t = 0; t < choice.rows; t++) {
    for (let j = 0; j < choice.k; j++)
      out[t * choice.k + j] = g[t * choice.experts + choice.topkIndices[t * choice.k + j]];
  }
  return out;
}
