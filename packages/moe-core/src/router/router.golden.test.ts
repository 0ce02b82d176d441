import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, expectClose, expectExact, flat, readGolden, useBackend } from '../testing/golden.js';
import { estimateLoad } from './load-estimator.js';
import { gatherTopKGates, routerLogits, selectTopK, topKGates } from './noisy-top-k.js';
import { routerLosses, type TokenGroups } from './router-losses.js';

type Json = Record<string, unknown>;
interface RouterGolden {
  E: number;
  k: number;
  inputs: { x: number[][]; Wg: number[][]; Wn: number[][]; noise: number[][] };
  clean_logits: number[][];
  noise_std: number[][];
  routing: Record<'training' | 'inference', Json>;
  variants: ({ name: string; token_combinations: number[] } & Record<'training' | 'inference', Json>)[];
}
const golden = readGolden<RouterGolden>('router.json');
const MODES = ['training', 'inference'] as const;

function route(x: tf.Tensor2D, wg: tf.Tensor2D, wn: tf.Tensor2D, noise: Float32Array | null, groups: TokenGroups) {
  const logits = routerLogits(x, wg, wn, noise);
  const choice = selectTopK(logits.noisy.dataSync() as Float32Array, x.shape[0], golden.E, golden.k);
  const g = topKGates(logits.noisy, choice);
  const p = estimateLoad(logits.clean, logits.noisy, logits.sigma, choice);
  const terms = routerLosses(g, p, logits.noisy, choice, groups, 'none');
  return { ...logits, choice, g, p, terms };
}

describe.each(BACKENDS)('router golden vectors (router.json) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(MODES)('routing in %s mode', (mode) => {
    const exp = golden.routing[mode];
    const T = golden.inputs.x.length;
    const noise = mode === 'training' ? Float32Array.from(flat(golden.inputs.noise)) : null;
    const groups: TokenGroups = { calls: 1, tokenCall: new Int32Array(T), tokenCombination: new Int32Array(T) };
    tf.tidy(() => {
      const r = route(
        tf.tensor2d(golden.inputs.x),
        tf.tensor2d(golden.inputs.Wg),
        tf.tensor2d(golden.inputs.Wn),
        noise,
        groups,
      );
      expectClose(r.clean.dataSync(), golden.clean_logits, 'clean_logits');
      if (r.sigma) expectClose(r.sigma.dataSync(), golden.noise_std, 'noise_std');
      const noisy = r.noisy.dataSync() as Float32Array;
      expectClose(noisy, exp.noisy_logits, 'noisy_logits');
      expectExact(r.choice.topkIndices, exp.topk_indices, 'topk_indices');
      expectExact(r.choice.top1, exp.top1, 'top1');
      const E = golden.E;
      const k = golden.k;
      expectClose(
        Array.from(r.choice.topkIndices, (e, i) => noisy[Math.floor(i / k) * E + e]),
        exp.topk_logits,
        'topk_logits',
      );
      const g = r.g.dataSync() as Float32Array;
      expectClose(gatherTopKGates(g, r.choice), exp.topk_gates, 'topk_gates');
      expectClose(g, exp.G, 'G');
      expectClose(r.p.dataSync(), exp.p, 'p');
      if (mode === 'training') {
        expectClose(
          Array.from(r.choice.thresholdInIndex, (e, t) => noisy[t * E + e]),
          exp.threshold_in,
          'threshold_in',
        );
        expectClose(
          Array.from(r.choice.thresholdOutIndex, (e, t) => noisy[t * E + e]),
          exp.threshold_out,
          'threshold_out',
        );
        expectExact(r.choice.isIn, exp.is_in, 'is_in');
      }
    });
  });

  for (const variant of golden.variants) {
    it.each(MODES)(`losses of variant ${variant.name} in %s mode`, (mode) => {
      const exp = variant[mode];
      const T = golden.inputs.x.length;
      const noise = mode === 'training' ? Float32Array.from(flat(golden.inputs.noise)) : null;
      const groups: TokenGroups = {
        calls: 1,
        tokenCall: new Int32Array(T),
        tokenCombination: Int32Array.from(variant.token_combinations),
      };
      tf.tidy(() => {
        const { terms } = route(
          tf.tensor2d(golden.inputs.x),
          tf.tensor2d(golden.inputs.Wg),
          tf.tensor2d(golden.inputs.Wn),
          noise,
          groups,
        );
        expectClose(terms.importanceF.dataSync(), exp.importance_F, 'importance_F');
        expectClose(terms.loadF.dataSync(), exp.load_F, 'load_F');
        expectClose(terms.gBalance.dataSync(), [exp.g_balance], 'g_balance');
        expectClose(terms.sCE.dataSync(), [exp.s_ce], 's_ce');
        expectExact(terms.top1Mask, exp.top1_mask, 'top1_mask');
        expectClose(terms.importanceS.dataSync(), exp.importance_S_masked, 'importance_S_masked');
        expectClose(terms.loadS.dataSync(), exp.load_S_masked, 'load_S_masked');
        expectClose(terms.sBalance.dataSync(), [exp.s_balance], 's_balance');
        expectClose(terms.total.dataSync(), [exp.total], 'total');
      });
      if (mode === 'training') {
        const grads = tf.tidy(() => {
          const f = (x: tf.Tensor, wg: tf.Tensor, wn: tf.Tensor) =>
            tf.sum(route(x as tf.Tensor2D, wg as tf.Tensor2D, wn as tf.Tensor2D, noise, groups).terms.total);
          const [dx, dwg, dwn] = tf.grads(f)([
            tf.tensor2d(golden.inputs.x),
            tf.tensor2d(golden.inputs.Wg),
            tf.tensor2d(golden.inputs.Wn),
          ]);
          return [dx.dataSync(), dwg.dataSync(), dwn.dataSync()];
        });
        expectClose(grads[0], exp.grad_x, 'grad_x');
        expectClose(grads[1], exp.grad_Wg, 'grad_Wg');
        expectClose(grads[2], exp.grad_Wn, 'grad_Wn');
      }
    });
  }
});
