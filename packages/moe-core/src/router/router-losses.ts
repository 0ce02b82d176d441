import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '../ops/fast-matmul.js';
import { cvSquaredRows } from './cv-squared.js';
import type { RoutingChoice } from './noisy-top-k.js';

import type { Ablation } from '../spec/config.js';
export type { Ablation };

/** Which tokens belong to which SMoE call, and their combinations. */
export interface TokenGroups {
  /** Number of SMoE calls covered by these rows. */
  calls: number;
  /** `[rows]`: the call of each token row. */
  tokenCall: Int32Array;
  /** `[rows]`: the combination index of each token row. */
  tokenCombination: Int32Array;
}

/** Router losses of each call (`[calls]` tensors) and the vectors they are built from. */
export interface RouterLossTerms {
  /** cv²(Σ_F G) + cv²(Σ_F p); with `no-es-eg` the balance over all tokens of the call. */
  gBalance: tf.Tensor1D;
  /** Mean S-Router cross-entropy over S (0 with an ablation or an empty S). */
  sCE: tf.Tensor1D;
  /** cv² of the top-1-masked S importance and load (unmasked with `no-es`; 0 with `no-es-eg`). */
  sBalance: tf.Tensor1D;
  /** gBalance + sCE + sBalance. */
  total: tf.Tensor1D;
  importanceF: tf.Tensor2D;
  loadF: tf.Tensor2D;
  importanceS: tf.Tensor2D;
  loadS: tf.Tensor2D;
  /** `[rows·E]`: 0 at (t, top1_t), 1 elsewhere. */
  top1Mask: Float32Array;
}

/**
 * Router losses (docs/algorithm.md §6) for every call at once. `G` and `p` are `[rows, E]`; `noisy` the logits used for
 * the S-Router CE (the clean logits at inference). Empty groups contribute exactly 0 with zero gradient.
 */
export function routerLosses(
  g: tf.Tensor2D,
  p: tf.Tensor2D,
  noisy: tf.Tensor2D,
  choice: RoutingChoice,
  groups: TokenGroups,
  ablation: Ablation,
): RouterLossTerms {
  const { rows, experts: E } = choice;
  const C = groups.calls;
  if (groups.tokenCall.length !== rows || groups.tokenCombination.length !== rows) {
    throw new Error(`routerLosses: token groups cover ${groups.tokenCall.length} rows, the router saw ${rows}`);
  }
  const combinationAware = ablation !== 'no-es-eg';
  const specialise = ablation === 'none' || ablation === 'no-bank';
  const wF = new Float32Array(C * rows);
  const wS = new Float32Array(C * rows);
  const wCE = new Float32Array(C * rows);
  const countF = new Float32Array(C);
  const countS = new Float32Array(C);
  for (let t = 0; t < rows; t++) {
    const c = groups.tokenCall[t];
    const full = !combinationAware || groups.tokenCombination[t] === 0;
    if (full) {
      wF[c * rows + t] = 1;
      countF[c]++;
    } else {
      wS[c * rows + t] = 1;
      countS[c]++;
    }
  }
  const top1Mask = new Float32Array(rows * E).fill(1);
  for (let t = 0; t < rows; t++) top1Mask[t * E + choice.top1[t]] = 0;
  const hasF = tf.tensor1d(Array.from(countF, (n) => (n > 0 ? 1 : 0)));
  const hasS = tf.tensor1d(Array.from(countS, (n) => (n > 0 ? 1 : 0)));

  const wFt = tf.tensor2d(wF, [C, rows]);
  const wSt = tf.tensor2d(wS, [C, rows]);
  const importanceF = matMul2d(wFt, g);
  const loadF = matMul2d(wFt, p);
  const gBalance = tf.mul(tf.add(cvSquaredRows(importanceF), cvSquaredRows(loadF)), hasF) as tf.Tensor1D;

  let gS = g;
  let pS = p;
  if (specialise) {
    const mask = tf.tensor2d(top1Mask, [rows, E]);
    gS = tf.mul(g, mask);
    pS = tf.mul(p, mask);
  }
  const importanceS = matMul2d(wSt, gS);
  const loadS = matMul2d(wSt, pS);
  const sBalance = tf.mul(tf.add(cvSquaredRows(importanceS), cvSquaredRows(loadS)), hasS) as tf.Tensor1D;

  let sCE: tf.Tensor1D = tf.zeros([C]);
  if (specialise && countS.some((n) => n > 0)) {
    const target = new Float32Array(rows * E);
    for (let t = 0; t < rows; t++) {
      const c = groups.tokenCall[t];
      const comb = groups.tokenCombination[t];
      if (comb !== 0) {
        if (comb >= E)
          throw new Error(`routerLosses: combination ${comb} has no expert (E = ${E}); E must be >= 2^M - 1`);
        target[t * E + comb] = 1;
        wCE[c * rows + t] = 1 / countS[c];
      }
    }
    const ce = tf.sub(tf.logSumExp(noisy, 1, true), tf.sum(tf.mul(noisy, tf.tensor2d(target, [rows, E])), 1, true));
    sCE = tf.reshape(matMul2d(tf.tensor2d(wCE, [C, rows]), ce as tf.Tensor2D), [C]);
  }
  const total = tf.add(tf.add(gBalance, sCE), sBalance) as tf.Tensor1D;
  return { gBalance, sCE, sBalance, total, importanceF, loadF, importanceS, loadS, top1Mask };
}
