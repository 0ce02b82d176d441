import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, expectClose, expectExact, flat, readGolden, useBackend } from '../testing/golden.js';
import { gatherTopKGates } from '../router/noisy-top-k.js';
import { denseExperts, type ExpertWeights } from './experts.js';
import { runSMoE } from './sparse-moe.js';

type Json = Record<string, unknown>;
interface SMoEGolden {
  P: number;
  E: number;
  k: number;
  sample_combinations: number[];
  inputs: {
    x: number[][];
    Wg: number[][];
    Wn: number[][];
    noise: number[][];
    W1: number[][][];
    b1: number[][];
    W2: number[][][];
    b2: number[][];
  };
  expert_outputs_dense: number[][][];
  training: Json;
  inference: Json;
}
const golden = readGolden<SMoEGolden>('smoe.json');

function weights(): ExpertWeights {
  const i = golden.inputs;
  return { w1: tf.tensor3d(i.W1), b1: tf.tensor2d(i.b1), w2: tf.tensor3d(i.W2), b2: tf.tensor2d(i.b2) };
}

describe.each(BACKENDS)('SMoE golden vectors (smoe.json) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('expert outputs of every (token, expert) pair', () => {
    const { E } = golden;
    const T = golden.inputs.x.length;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(golden.inputs.x);
      const w = weights();
      // Expert e alone: a one-hot gate column.
      return Array.from({ length: E }, (_, e) =>
        denseExperts(
          x,
          tf.cast(tf.oneHot(tf.fill([T], e, 'int32') as tf.Tensor1D, E), 'float32') as tf.Tensor2D,
          w,
        ).arraySync(),
      );
    });
    const perToken = Array.from({ length: T }, (_, t) => out.map((o) => o[t]));
    expectClose(flat(perToken), golden.expert_outputs_dense, 'expert_outputs_dense');
  });

  for (const mode of ['training', 'inference'] as const) {
    for (const dispatch of ['sparse', 'dense'] as const) {
      it(`${mode} output and router loss, ${dispatch} path`, () => {
        const exp = golden[mode];
        const T = golden.inputs.x.length;
        const tokenCombination = Int32Array.from(
          { length: T },
          (_, t) => golden.sample_combinations[Math.floor(t / golden.P)],
        );
        tf.tidy(() => {
          const r = runSMoE(
            tf.tensor2d(golden.inputs.x),
            { wg: tf.tensor2d(golden.inputs.Wg), wn: tf.tensor2d(golden.inputs.Wn) },
            weights(),
            golden.k,
            {
              noise: mode === 'training' ? Float32Array.from(flat(golden.inputs.noise)) : null,
              groups: { calls: 1, tokenCall: new Int32Array(T), tokenCombination },
              ablation: 'none',
              dispatch,
            },
          );
          expectExact(r.choice.topkIndices, exp.topk_indices, 'topk_indices');
          const g = r.gates.dataSync() as Float32Array;
          expectClose(gatherTopKGates(g, r.choice), exp.topk_gates, 'topk_gates');
          expectClose(g, exp.G, 'G');
          expectClose(r.output.dataSync(), exp.output, 'output');
          expectClose(r.total.dataSync(), [exp.router_loss_total], 'router_loss_total');
        });
      });
    }
  }
});
