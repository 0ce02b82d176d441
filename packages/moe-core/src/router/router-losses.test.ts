import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../random/random-source.js';
import { useBackend } from '../testing/golden.js';
import { cvSquaredOf } from './cv-squared.js';
import { estimateLoad } from './load-estimator.js';
import { routerLogits, selectTopK, topKGates } from './noisy-top-k.js';
import { routerLosses, type Ablation, type TokenGroups } from './router-losses.js';

const T = 16;
const H = 5;
const E = 7;
const K = 2;
const rng = new SeededRandom(42);
const x0 = rng.normalArray(T * H);
const wg0 = rng.normalArray(H * E).map((v) => v * 1.5);
const wn0 = rng.normalArray(H * E).map((v) => v * 0.5);
const noise = rng.normalArray(T * E);
// Two calls of 8 tokens; combinations mixed (0 = full).
const groups: TokenGroups = {
  calls: 2,
  tokenCall: Int32Array.from({ length: T }, (_, t) => (t < 8 ? 0 : 1)),
  tokenCombination: Int32Array.from([0, 0, 3, 3, 0, 0, 5, 5, 2, 2, 2, 2, 6, 6, 1, 1]),
};

function evaluate(x: tf.Tensor2D, wg: tf.Tensor2D, wn: tf.Tensor2D, training: boolean, ablation: Ablation = 'none') {
  const l = routerLogits(x, wg, wn, training ? noise : null);
  const choice = selectTopK(l.noisy.dataSync() as Float32Array, T, E, K);
  const g = topKGates(l.noisy, choice);
  const p = estimateLoad(l.clean, l.noisy, l.sigma, choice);
  return { choice, g, p, noisy: l.noisy, terms: routerLosses(g, p, l.noisy, choice, groups, ablation) };
}

function lossAt(wg: Float32Array, wn: Float32Array, x: Float32Array): { value: number; topk: number[] } {
  return tf.tidy(() => {
    const r = evaluate(tf.tensor2d(x, [T, H]), tf.tensor2d(wg, [H, E]), tf.tensor2d(wn, [H, E]), true);
    return {
      value: tf.sum(r.terms.total).dataSync()[0],
      topk: Array.from(r.choice.topkIndices).concat(Array.from(r.choice.thresholdInIndex)),
    };
  });
}

describe('router losses', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('gradients w.r.t. Wg, Wn and x agree with central finite differences (float32, routing held fixed)', () => {
    const analytic = tf.tidy(() => {
      const f = (x: tf.Tensor, wg: tf.Tensor, wn: tf.Tensor) =>
        tf.sum(evaluate(x as tf.Tensor2D, wg as tf.Tensor2D, wn as tf.Tensor2D, true).terms.total);
      return tf
        .grads(f)([tf.tensor2d(x0, [T, H]), tf.tensor2d(wg0, [H, E]), tf.tensor2d(wn0, [H, E])])
        .map((g) => Float32Array.from(g.dataSync()));
    });
    const base = lossAt(wg0, wn0, x0);
    const eps = 1e-2;
    const params = [x0, wg0, wn0];
    let checked = 0;
    params.forEach((p, which) => {
      for (let i = 0; i < p.length; i += which === 0 ? 5 : 2) {
        const plus = Float32Array.from(p);
        const minus = Float32Array.from(p);
        plus[i] += eps;
        minus[i] -= eps;
        const args = (q: Float32Array) =>
          (which === 0 ? [wg0, wn0, q] : which === 1 ? [q, wn0, x0] : [wg0, q, x0]) as [
            Float32Array,
            Float32Array,
            Float32Array,
          ];
        const fp = lossAt(...args(plus));
        const fm = lossAt(...args(minus));
        // The finite difference is only meaningful where the routing decisions do not flip.
        expect(fp.topk).toEqual(base.topk);
        expect(fm.topk).toEqual(base.topk);
        const fd = (fp.value - fm.value) / (2 * eps);
        const a = analytic[which][i];
        expect([which, i, Math.abs(fd - a) <= 2e-3 + 2e-2 * Math.abs(a)]).toEqual([which, i, true]);
        checked++;
      }
    });
    expect(checked).toBe(52);
  });

  it('matches a plain-number recomputation per call (G-balance, S-CE, S-balance)', () => {
    tf.tidy(() => {
      const r = evaluate(tf.tensor2d(x0, [T, H]), tf.tensor2d(wg0, [H, E]), tf.tensor2d(wn0, [H, E]), true);
      const g = r.g.dataSync();
      const p = r.p.dataSync();
      const noisy = r.noisy.dataSync();
      for (let c = 0; c < 2; c++) {
        const impF = new Array(E).fill(0);
        const loadF = new Array(E).fill(0);
        const impS = new Array(E).fill(0);
        const loadS = new Array(E).fill(0);
        let ce = 0;
        let nS = 0;
        for (let t = 0; t < T; t++) {
          if (groups.tokenCall[t] !== c) continue;
          const comb = groups.tokenCombination[t];
          for (let e = 0; e < E; e++) {
            if (comb === 0) {
              impF[e] += g[t * E + e];
              loadF[e] += p[t * E + e];
            } else if (e !== r.choice.top1[t]) {
              impS[e] += g[t * E + e];
              loadS[e] += p[t * E + e];
            }
          }
          if (comb !== 0) {
            const row = Array.from(noisy.subarray(t * E, (t + 1) * E));
            const mx = Math.max(...row);
            ce += mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) - row[comb];
            nS++;
          }
        }
        const expected = [cvSquaredOf(impF) + cvSquaredOf(loadF), ce / nS, cvSquaredOf(impS) + cvSquaredOf(loadS)];
        const got = [r.terms.gBalance.dataSync()[c], r.terms.sCE.dataSync()[c], r.terms.sBalance.dataSync()[c]];
        got.forEach((v, i) =>
          expect(Math.abs(v - expected[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[i]))),
        );
      }
    });
  });

  it('ablations: no-es drops the CE and balances S unmasked; no-es-eg balances all tokens together', () => {
    tf.tidy(() => {
      const args = [tf.tensor2d(x0, [T, H]), tf.tensor2d(wg0, [H, E]), tf.tensor2d(wn0, [H, E])] as const;
      const full = evaluate(...args, false, 'none');
      const noEs = evaluate(...args, false, 'no-es');
      const noEsEg = evaluate(...args, false, 'no-es-eg');
      const g = full.g.dataSync();
      const p = full.p.dataSync();
      expect(Array.from(noEs.terms.sCE.dataSync())).toEqual([0, 0]);
      expect(Array.from(noEsEg.terms.sCE.dataSync())).toEqual([0, 0]);
      expect(Array.from(noEsEg.terms.sBalance.dataSync())).toEqual([0, 0]);
      for (let c = 0; c < 2; c++) {
        const impAll = new Array(E).fill(0);
        const loadAll = new Array(E).fill(0);
        const impS = new Array(E).fill(0);
        const loadS = new Array(E).fill(0);
        for (let t = c * 8; t < c * 8 + 8; t++) {
          for (let e = 0; e < E; e++) {
            impAll[e] += g[t * E + e];
            loadAll[e] += p[t * E + e];
            if (groups.tokenCombination[t] !== 0) {
              impS[e] += g[t * E + e];
              loadS[e] += p[t * E + e];
            }
          }
        }
        const eg = cvSquaredOf(impAll) + cvSquaredOf(loadAll);
        expect(Math.abs(noEsEg.terms.gBalance.dataSync()[c] - eg)).toBeLessThan(1e-4 * Math.max(1, eg));
        const sb = cvSquaredOf(impS) + cvSquaredOf(loadS);
        expect(Math.abs(noEs.terms.sBalance.dataSync()[c] - sb)).toBeLessThan(1e-4 * Math.max(1, sb));
        expect(noEs.terms.gBalance.dataSync()[c]).toBeCloseTo(full.terms.gBalance.dataSync()[c], 5);
      }
    });
  });

  it('empty groups give 0 with zero gradient (never NaN)', () => {
    const allFull: TokenGroups = { calls: 2, tokenCall: groups.tokenCall, tokenCombination: new Int32Array(T) };
    const noneFull: TokenGroups = {
      calls: 2,
      tokenCall: groups.tokenCall,
      tokenCombination: new Int32Array(T).fill(4),
    };
    for (const gr of [allFull, noneFull]) {
      const grads = tf.tidy(() => {
        const f = (wg: tf.Tensor) => {
          const l = routerLogits(tf.tensor2d(x0, [T, H]), wg as tf.Tensor2D, tf.tensor2d(wn0, [H, E]), noise);
          const choice = selectTopK(l.noisy.dataSync() as Float32Array, T, E, K);
          const g = topKGates(l.noisy, choice);
          const p = estimateLoad(l.clean, l.noisy, l.sigma, choice);
          const terms = routerLosses(g, p, l.noisy, choice, gr, 'none');
          const empty = gr === allFull ? tf.add(terms.sCE, terms.sBalance) : terms.gBalance;
          expect(Array.from(empty.dataSync())).toEqual([0, 0]);
          return tf.sum(empty);
        };
        return Array.from(
          tf
            .grad(f)(tf.tensor2d(wg0, [H, E]))
            .dataSync(),
        );
      });
      expect(grads.every((v) => v === 0)).toBe(true);
    }
  });
});
