import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../ops/custom-op.js';
import { normalCdfValue, normalPdfValue } from './normal-distribution.js';
import { peekData } from '../ops/peek-data.js';
import { CV2_EPS } from './cv-squared.js';
import { NOISE_EPS, selectTopK, type RoutingChoice } from './noisy-top-k.js';
import type { Ablation, TokenGroups } from './router-losses.js';

/** Plain-number intermediates of a fused router evaluation (for traces and statistics). */
export interface FusedRouterInfo {
  clean: Float32Array;
  noisy: Float32Array;
  /** Dense gates `[rows·E]`. */
  gates: Float32Array;
  /** Load `[rows·E]`. */
  load: Float32Array;
  gBalance: Float64Array;
  sCE: Float64Array;
  sBalance: Float64Array;
  total: Float64Array;
}

/** Output of {@link fusedRouter}. */
export interface FusedRouterResult {
  /** Dense gates `[rows, E]` (differentiable). */
  gates: tf.Tensor2D;
  /** Router loss of every call `[calls]` (differentiable). */
  total: tf.Tensor1D;
  choice: RoutingChoice;
  info: FusedRouterInfo;
}

/** cv² of `v` and its gradient w.r.t. `v` (into `grad`, scaled by `scale`, added). */
function cv2WithGrad(v: Float64Array, grad: Float64Array | null, scale: number): number {
  const n = v.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - mean) ** 2;
  const variance = ss / (n - 1);
  const denom = mean * mean + CV2_EPS;
  if (grad) {
    const common = (variance * 2 * mean) / (n * denom * denom);
    for (let i = 0; i < n; i++) grad[i] += scale * ((2 * (v[i] - mean)) / (n - 1) / denom - common);
  }
  return variance / denom;
}

/**
 * Router (docs/algorithm.md §5-6) as one custom op on the router logits: from `clean = x·Wg` and (training) `pre = x·Wn`
 * it forms σ, the noisy logits, the top-k gates, the load, and the G-balance / S-CE / S-balance of every call,
 * with a hand-written backward (float64 in JS). Same numbers as the tf-ops version (`routerLogits` …
 * `routerLosses`, kept as the readable reference and tested against it), but ~2 small kernels instead of
 * ~200 per step. Piecewise-constant choices are held fixed, as in the golden README.
 *
 * @param logits training: `[rows, 2E]` = `[x·Wg | x·Wn]` (one matmul with the concatenated kernels);
 *   inference: `[rows, E]` = `x·Wg`
 * @param noise `[rows·E]` standard normals (training) or null (inference: noisy = clean, hard load)
 */
export function fusedRouter(
  logits: tf.Tensor2D,
  noise: Float32Array | null,
  k: number,
  groups: TokenGroups,
  ablation: Ablation,
): FusedRouterResult {
  const training = noise !== null;
  const R = logits.shape[0];
  const E = training ? logits.shape[1] / 2 : logits.shape[1];
  if (!Number.isInteger(E) || (training && noise.length !== R * E)) {
    throw new Error(
      `fusedRouter: logits [${logits.shape.join(', ')}] and ${noise ? noise.length : 0} noise values do not fit`,
    );
  }
  const C = groups.calls;
  if (groups.tokenCall.length !== R || groups.tokenCombination.length !== R) {
    throw new Error(`fusedRouter: token groups cover ${groups.tokenCall.length} rows, the router saw ${R}`);
  }
  const combinationAware = ablation !== 'no-es-eg';
  const specialise = ablation === 'none' || ablation === 'no-bank';
  // Group membership per token: F (balance like G) or S.
  const inF = new Uint8Array(R);
  const countF = new Float64Array(C);
  const countS = new Float64Array(C);
  for (let t = 0; t < R; t++) {
    const c = groups.tokenCall[t];
    if (c < 0 || c >= C) throw new Error(`fusedRouter: token ${t} has call ${c}, expected 0..${C - 1}`);
    if (!combinationAware || groups.tokenCombination[t] === 0) {
      inF[t] = 1;
      countF[c]++;
    } else {
      countS[c]++;
      if (specialise && groups.tokenCombination[t] >= E) {
        throw new Error(
          `fusedRouter: combination ${groups.tokenCombination[t]} has no expert (E = ${E}); E must be >= 2^M - 1`,
        );
      }
    }
  }
  let choice: RoutingChoice | null = null;
  let info: FusedRouterInfo | null = null;

  const op = customOp<tf.Tensor1D>((inputs) => {
    const both = peekData(inputs[0]);
    const cleanD = new Float32Array(R * E);
    const preD = training ? new Float32Array(R * E) : null;
    const width = training ? 2 * E : E;
    for (let t = 0; t < R; t++) {
      cleanD.set(both.subarray(t * width, t * width + E), t * E);
      if (preD) preD.set(both.subarray(t * width + E, t * width + 2 * E), t * E);
    }
    const sigma = new Float32Array(training ? R * E : 0);
    const noisy = new Float32Array(R * E);
    for (let i = 0; i < R * E; i++) {
      if (training) {
        const z = (preD as Float32Array)[i];
        // softplus, computed stably: log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
        const sp = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
        sigma[i] = Math.fround(sp + NOISE_EPS);
        noisy[i] = cleanD[i] + (noise as Float32Array)[i] * sigma[i];
      } else {
        noisy[i] = cleanD[i];
      }
    }
    const ch = selectTopK(noisy, R, E, k);
    choice = ch;
    // Gates: softmax over the k selected noisy logits.
    const gates = new Float64Array(R * E);
    for (let t = 0; t < R; t++) {
      let z = 0;
      for (let j = 0; j < k; j++) {
        const e = ch.topkIndices[t * k + j];
        const v = Math.exp(noisy[t * E + e] - ch.rowMax[t]);
        gates[t * E + e] = v;
        z += v;
      }
      for (let j = 0; j < k; j++) gates[t * E + ch.topkIndices[t * k + j]] /= z;
    }
    // Load: smooth estimator in training with k < E, else hard selections.
    const smooth = training && k < E;
    const load = new Float64Array(R * E);
    const zs = smooth ? new Float64Array(R * E) : null;
    for (let t = 0; t < R; t++) {
      const inVal = smooth ? noisy[t * E + ch.thresholdInIndex[t]] : 0;
      const outVal = smooth ? noisy[t * E + ch.thresholdOutIndex[t]] : 0;
      for (let e = 0; e < E; e++) {
        const i = t * E + e;
        if (smooth) {
          const thr = ch.isIn[i] ? inVal : outVal;
          const z = (cleanD[i] - thr) / sigma[i];
          (zs as Float64Array)[i] = z;
          load[i] = normalCdfValue(z);
        } else {
          load[i] = ch.selected[i];
        }
      }
    }
    // Per-call vectors.
    const impF = Array.from({ length: C }, () => new Float64Array(E));
    const loadF = Array.from({ length: C }, () => new Float64Array(E));
    const impS = Array.from({ length: C }, () => new Float64Array(E));
    const loadS = Array.from({ length: C }, () => new Float64Array(E));
    const ceTok = new Float64Array(R);
    const softmaxAll = specialise ? new Float64Array(R * E) : null;
    for (let t = 0; t < R; t++) {
      const c = groups.tokenCall[t];
      const top1 = ch.top1[t];
      for (let e = 0; e < E; e++) {
        const i = t * E + e;
        if (inF[t]) {
          impF[c][e] += gates[i];
          loadF[c][e] += load[i];
        } else if (!specialise || e !== top1) {
          impS[c][e] += gates[i];
          loadS[c][e] += load[i];
        }
      }
      if (specialise && !inF[t]) {
        let mx = -Infinity;
        for (let e = 0; e < E; e++) mx = Math.max(mx, noisy[t * E + e]);
        let s = 0;
        for (let e = 0; e < E; e++) s += Math.exp(noisy[t * E + e] - mx);
        for (let e = 0; e < E; e++) (softmaxAll as Float64Array)[t * E + e] = Math.exp(noisy[t * E + e] - mx) / s;
        ceTok[t] = mx + Math.log(s) - noisy[t * E + groups.tokenCombination[t]];
      }
    }
    const gBalance = new Float64Array(C);
    const sCE = new Float64Array(C);
    const sBalance = new Float64Array(C);
    const total = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      if (countF[c] > 0) gBalance[c] = cv2WithGrad(impF[c], null, 0) + cv2WithGrad(loadF[c], null, 0);
      if (countS[c] > 0) sBalance[c] = cv2WithGrad(impS[c], null, 0) + cv2WithGrad(loadS[c], null, 0);
    }
    if (specialise) {
      for (let t = 0; t < R; t++) if (!inF[t]) sCE[groups.tokenCall[t]] += ceTok[t] / countS[groups.tokenCall[t]];
    }
    for (let c = 0; c < C; c++) total[c] = gBalance[c] + sCE[c] + sBalance[c];
    info = {
      clean: cleanD,
      noisy,
      gates: Float32Array.from(gates),
      load: Float32Array.from(load),
      gBalance,
      sCE,
      sBalance,
      total,
    };
    const out = new Float32Array(R * E + C);
    out.set(info.gates, 0);
    for (let c = 0; c < C; c++) out[R * E + c] = total[c];
    return {
      value: tf.tensor1d(out),
      gradFunc: (dy) => {
        const dyd = Float64Array.from(peekData(dy));
        const dG = dyd.subarray(0, R * E);
        const dTot = dyd.subarray(R * E);
        const dLoad = new Float64Array(R * E);
        const dNoisy = new Float64Array(R * E);
        const dClean = new Float64Array(R * E);
        const dSigma = new Float64Array(training ? R * E : 0);
        for (let c = 0; c < C; c++) {
          const w = dTot[c];
          if (w === 0) continue;
          const gImpF = new Float64Array(E);
          const gLoadF = new Float64Array(E);
          const gImpS = new Float64Array(E);
          const gLoadS = new Float64Array(E);
          if (countF[c] > 0) {
            cv2WithGrad(impF[c], gImpF, w);
            cv2WithGrad(loadF[c], gLoadF, w);
          }
          if (countS[c] > 0) {
            cv2WithGrad(impS[c], gImpS, w);
            cv2WithGrad(loadS[c], gLoadS, w);
          }
          for (let t = 0; t < R; t++) {
            if (groups.tokenCall[t] !== c) continue;
            const top1 = ch.top1[t];
            for (let e = 0; e < E; e++) {
              const i = t * E + e;
              if (inF[t]) {
                dG[i] += gImpF[e];
                dLoad[i] += gLoadF[e];
              } else if (!specialise || e !== top1) {
                dG[i] += gImpS[e];
                dLoad[i] += gLoadS[e];
              }
            }
            if (specialise && !inF[t]) {
              const s = w / countS[c];
              const target = groups.tokenCombination[t];
              for (let e = 0; e < E; e++)
                dNoisy[t * E + e] += s * ((softmaxAll as Float64Array)[t * E + e] - (e === target ? 1 : 0));
            }
          }
        }
        // Gates: softmax over the selected logits.
        for (let t = 0; t < R; t++) {
          let dot = 0;
          for (let j = 0; j < k; j++) {
            const i = t * E + ch.topkIndices[t * k + j];
            dot += gates[i] * dG[i];
          }
          for (let j = 0; j < k; j++) {
            const i = t * E + ch.topkIndices[t * k + j];
            dNoisy[i] += gates[i] * (dG[i] - dot);
          }
        }
        // Smooth load: p = Φ((clean − thr)/σ), thr = one noisy logit of the row.
        if (smooth) {
          for (let t = 0; t < R; t++) {
            const inIdx = t * E + ch.thresholdInIndex[t];
            const outIdx = t * E + ch.thresholdOutIndex[t];
            for (let e = 0; e < E; e++) {
              const i = t * E + e;
              const q = dLoad[i];
              if (q === 0) continue;
              const z = (zs as Float64Array)[i];
              const a = (q * normalPdfValue(z)) / sigma[i];
              dClean[i] += a;
              dSigma[i] -= a * z;
              dNoisy[ch.isIn[i] ? inIdx : outIdx] -= a;
            }
          }
        }
        // noisy = clean + noise·σ; σ = softplus(pre) + eps.
        // Gradient w.r.t. [clean | pre], row by row.
        const dLogits = new Float32Array(R * width);
        for (let t = 0; t < R; t++) {
          for (let e = 0; e < E; e++) {
            const i = t * E + e;
            dLogits[t * width + e] = dClean[i] + dNoisy[i];
            if (training) {
              const ds = dSigma[i] + dNoisy[i] * (noise as Float32Array)[i];
              dLogits[t * width + E + e] = ds / (1 + Math.exp(-(preD as Float32Array)[i]));
            }
          }
        }
        return [tf.tensor2d(dLogits, [R, width])];
      },
    };
  });
  const packed = op(logits);
  const gates = tf.reshape(tf.slice(packed, [0], [R * E]), [R, E]) as tf.Tensor2D;
  const total = tf.slice(packed, [R * E], [C]) as tf.Tensor1D;
  return { gates, total, choice: choice as unknown as RoutingChoice, info: info as unknown as FusedRouterInfo };
}
