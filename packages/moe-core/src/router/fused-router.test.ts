import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/fast-matmul.js';
import { SeededRandom } from '../random/random-source.js';
import { BACKENDS, expectClose, expectExact, flat, readGolden, useBackend } from '../testing/golden.js';
import { fusedRouter } from './fused-router.js';
import { estimateLoad } from './load-estimator.js';
import { routerLogits, selectTopK, topKGates } from './noisy-top-k.js';
import { routerLosses, type Ablation, type TokenGroups } from './router-losses.js';

type Json = Record<string, unknown>;
interface RouterGolden {
  E: number;
  k: number;
  inputs: { x: number[][]; Wg: number[][]; Wn: number[][]; noise: number[][] };
  routing: Record<'training' | 'inference', Json>;
  variants: ({ name: string; token_combinations: number[] } & Record<'training' | 'inference', Json>)[];
}
const golden = readGolden<RouterGolden>('router.json');

function fused(
  x: tf.Tensor2D,
  wg: tf.Tensor2D,
  wn: tf.Tensor2D,
  noise: Float32Array | null,
  k: number,
  groups: TokenGroups,
  ablation: Ablation,
) {
  return fusedRouter(
    noise ? dense(x, tf.concat([wg, wn], 1) as tf.Tensor2D) : dense(x, wg),
    noise,
    k,
    groups,
    ablation,
  );
}

function viaOps(
  x: tf.Tensor2D,
  wg: tf.Tensor2D,
  wn: tf.Tensor2D,
  noise: Float32Array | null,
  k: number,
  groups: TokenGroups,
  ablation: Ablation,
) {
  const l = routerLogits(x, wg, wn, noise);
  const choice = selectTopK(l.noisy.dataSync() as Float32Array, x.shape[0], wg.shape[1], k);
  const gates = topKGates(l.noisy, choice);
  const p = estimateLoad(l.clean, l.noisy, l.sigma, choice);
  return { gates, total: routerLosses(gates, p, l.noisy, choice, groups, ablation).total, choice };
}

describe.each(BACKENDS)('fusedRouter on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  for (const variant of golden.variants) {
    it.each(['training', 'inference'] as const)(`golden router.json, variant ${variant.name}, %s`, (mode) => {
      const exp = variant[mode];
      const routing = golden.routing[mode];
      const T = golden.inputs.x.length;
      const noise = mode === 'training' ? Float32Array.from(flat(golden.inputs.noise)) : null;
      const groups: TokenGroups = {
        calls: 1,
        tokenCall: new Int32Array(T),
        tokenCombination: Int32Array.from(variant.token_combinations),
      };
      const inputs = [
        tf.tensor2d(golden.inputs.x),
        tf.tensor2d(golden.inputs.Wg),
        tf.tensor2d(golden.inputs.Wn),
      ] as const;
      tf.tidy(() => {
        const r = fused(...inputs, noise, golden.k, groups, 'none');
        expectExact(r.choice.topkIndices, routing.topk_indices, 'topk_indices');
        expectClose(r.info.noisy, routing.noisy_logits, 'noisy_logits');
        expectClose(r.gates.dataSync(), routing.G, 'G');
        expectClose(r.info.load, routing.p, 'p');
        expectClose(
          [r.info.gBalance[0], r.info.sCE[0], r.info.sBalance[0]],
          [exp.g_balance, exp.s_ce, exp.s_balance],
          'g_balance, s_ce, s_balance',
        );
        expectClose(r.total.dataSync(), [exp.total], 'total');
      });
      if (mode === 'training') {
        const grads = tf.tidy(() =>
          tf
            .grads((x: tf.Tensor, wg: tf.Tensor, wn: tf.Tensor) =>
              tf.sum(
                fused(x as tf.Tensor2D, wg as tf.Tensor2D, wn as tf.Tensor2D, noise, golden.k, groups, 'none').total,
              ),
            )([...inputs])
            .map((g) => Float32Array.from(g.dataSync())),
        );
        expectClose(grads[0], exp.grad_x, 'grad_x');
        expectClose(grads[1], exp.grad_Wg, 'grad_Wg');
        expectClose(grads[2], exp.grad_Wn, 'grad_Wn');
      }
      inputs.forEach((t) => t.dispose());
    });
  }

  const cases: [Ablation, boolean, number][] = [
    ['none', true, 2],
    ['none', false, 2],
    ['no-es', true, 2],
    ['no-es-eg', true, 3],
    ['no-bank', true, 2],
    ['none', true, 6], // k = E: hard load in training
  ];
  it.each(cases)(
    'matches the tf-ops router (ablation %s, training %s, k %i): values and gradients, gates and losses',
    (ablation, training, k) => {
      const T = 12;
      const H = 4;
      const E = 6;
      const rng = new SeededRandom(31);
      const x = tf.tensor2d(rng.normalArray(T * H), [T, H]);
      const wg = tf.tensor2d(
        rng.normalArray(H * E).map((v) => 1.5 * v),
        [H, E],
      );
      const wn = tf.tensor2d(
        rng.normalArray(H * E).map((v) => 0.5 * v),
        [H, E],
      );
      const noise = training ? rng.normalArray(T * E) : null;
      const groups: TokenGroups = {
        calls: 2,
        tokenCall: Int32Array.from({ length: T }, (_, t) => (t < 6 ? 0 : 1)),
        tokenCombination: Int32Array.from([0, 0, 3, 3, 5, 5, 1, 1, 2, 2, 0, 0]),
      };
      const gateWeights = tf.tensor2d(rng.normalArray(T * E), [T, E]);
      type Impl = (...a: Parameters<typeof fused>) => { gates: tf.Tensor2D; total: tf.Tensor1D };
      const run = (impl: Impl) =>
        tf.tidy(() => {
          // Both outputs carry gradient: the losses and (through the experts) the gates. Wn only acts in training.
          const f = (a: tf.Tensor, b: tf.Tensor, c?: tf.Tensor) => {
            const r = impl(a as tf.Tensor2D, b as tf.Tensor2D, (c ?? wn) as tf.Tensor2D, noise, k, groups, ablation);
            return tf.add(tf.sum(r.total), tf.sum(tf.mul(r.gates, gateWeights)));
          };
          const r = impl(x, wg, wn, noise, k, groups, ablation);
          const values = [Float32Array.from(r.gates.dataSync()), Float32Array.from(r.total.dataSync())];
          const grads = tf
            .grads(f)(training ? [x, wg, wn] : [x, wg])
            .map((g) => Float32Array.from(g.dataSync()));
          return [...values, ...grads];
        });
      const a = run(fused);
      const b = run(viaOps);
      expect(a.length).toBe(training ? 5 : 4);
      ['gates', 'total', 'grad_x', 'grad_Wg', 'grad_Wn']
        .slice(0, a.length)
        .forEach((label, i) => expectClose(a[i], Array.from(b[i]), label, 1e-5, 1e-4));
      [x, wg, wn, gateWeights].forEach((t) => t.dispose());
    },
  );
});
