import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../testing/golden.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { TypedAdam } from './typed-adam.js';

/** Float64 AdamW (decoupled decay, PyTorch order: w ← w·(1 − lr·λ), then the Adam step) with a per-step lr. */
function handAdamW(w0: number[], grads: number[][], lrs: number[], decay: number): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const s = w.map(() => 0);
  grads.forEach((g, step) => {
    const t = step + 1;
    const size = (lrs[step] * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
    for (let i = 0; i < w.length; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
      w[i] = w[i] * (1 - lrs[step] * decay) - (size * m[i]) / (Math.sqrt(s[i]) + 1e-8);
    }
  });
  return w;
}

const w0 = [1, -2, 0.5, 3, -0.25];
const grads = [
  [0.5, -1, 0, 0.2, 0.1],
  [0.25, 2, -3, 0.2, -0.4],
  [-0.5, 0.1, 1, 0, 0.3],
];
const lrs = [0.1, 0.05, 0.2];

describe('TypedAdam with weight decay (AdamW) and a settable learning rate', () => {
  afterAll(() => {
    WasmHeap.enabled = true;
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches a float64 hand computation of three AdamW steps with changing lr (${backend})`, async () => {
      await useBackend(backend);
      const v = tf.variable(tf.tensor1d(w0));
      const opt = new TypedAdam({ learningRate: lrs[0], weightDecay: 0.3 });
      grads.forEach((g, step) => {
        opt.learningRate = lrs[step];
        tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]));
      });
      const expected = handAdamW(w0, grads, lrs, 0.3);
      const got = Array.from(v.dataSync());
      got.forEach((x, i) => expect(Math.abs(x - expected[i])).toBeLessThan(1e-6));
      // Without decay the result differs by more than float32 noise (the test would notice a missing decay).
      const plain = handAdamW(w0, grads, lrs, 0);
      expect(Math.abs(plain[3] - expected[3])).toBeGreaterThan(0.1);
      opt.dispose();
      v.dispose();
    });
  }

  it('rejects a negative weight decay', () => {
    expect(() => new TypedAdam({ learningRate: 0.1, weightDecay: -1 })).toThrow(/weight decay must be >= 0/);
  });
});
