import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../testing/golden.js';
import { TypedAdam } from './typed-adam.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { adamKernel } from '../backends/wasm/wasm-simd.js';
import { SeededRandom } from '../random/random-source.js';

describe('TypedAdam', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('matches a float64 hand computation of two Adam steps', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const opt = new TypedAdam({ learningRate: 0.1 });
    const grads = [
      [0.5, -1, 0],
      [0.25, 2, -3],
    ];
    const w = [1, -2, 0.5];
    const m = [0, 0, 0];
    const s = [0, 0, 0];
    grads.forEach((g, step) => {
      tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]));
      const t = step + 1;
      const size = (0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      for (let i = 0; i < 3; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
        w[i] -= (size * m[i]) / (Math.sqrt(s[i]) + 1e-8);
      }
    });
    const got = Array.from(v.dataSync());
    got.forEach((x, i) => expect(Math.abs(x - w[i])).toBeLessThan(1e-6));
    v.dispose();
  });

  it('agrees with tf.train.adam and restores its state exactly', () => {
    const a = tf.variable(
      tf.tensor2d([
        [0.3, -0.7],
        [1.1, 0.2],
      ]),
    );
    const b = tf.variable(
      tf.tensor2d([
        [0.3, -0.7],
        [1.1, 0.2],
      ]),
    );
    const ours = new TypedAdam({ learningRate: 0.01 });
    const ref = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        ours.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
        ref.minimize(() => tf.sum(tf.square(tf.sub(b, 1))), false, [b]);
      });
    }
    const da = a.dataSync();
    const db = b.dataSync();
    for (let i = 0; i < 4; i++) expect(Math.abs(da[i] - db[i])).toBeLessThan(1e-6);
    // Resume from a saved state: the next step is identical.
    const saved = ours.getState();
    const before = Float32Array.from(a.dataSync());
    tf.tidy(() => {
      ours.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
    });
    const after = Float32Array.from(a.dataSync());
    a.assign(tf.tensor2d(before, [2, 2]));
    const resumed = new TypedAdam({ learningRate: 0.01 });
    resumed.setState(saved);
    tf.tidy(() => {
      resumed.minimize(() => tf.sum(tf.square(tf.sub(a, 1))), false, [a]);
    });
    expect(Array.from(a.dataSync())).toEqual(Array.from(after));
    a.dispose();
    b.dispose();
    ref.dispose();
  });
});

describe('TypedAdam on wasm (heap-resident moments, SIMD kernel)', () => {
  afterAll(() => {
    WasmHeap.enabled = true;
  });

  it('is bit-identical to the JavaScript loop, and its state round-trips', async () => {
    await useBackend('wasm');
    const heap = WasmHeap.current();
    expect(heap).not.toBeNull();
    expect(adamKernel(heap as WasmHeap)).not.toBeNull(); // the SIMD kernel is what is being compared
    const shapes = [[7], [16, 33], [2, 3, 5], [1]];
    const random = new SeededRandom(4);
    const init = shapes.map((s) => random.normalArray(s.reduce((a, b) => a * b, 1)));
    const grads = [0, 1, 2, 3].map(() =>
      shapes.map((s) => random.normalArray(s.reduce((a, b) => a * b, 1)).map((g, i) => (i % 5 === 0 ? g * 1e-6 : g))),
    );
    const run = (heapOn: boolean) => {
      WasmHeap.enabled = heapOn;
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
      const opt = new TypedAdam({ learningRate: 0.01 });
      for (const step of grads)
        tf.tidy(() =>
          opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(step[i], shapes[i]) }))),
        );
      const values = vars.map((v) => Array.from(v.dataSync()));
      const names = new Map(vars.map((v, i) => [`v${i}`, v] as [string, tf.Variable]));
      const state = opt.getState(names);
      return { vars, opt, values, state, names };
    };
    const js = run(false);
    const simd = run(true);
    expect(simd.values).toEqual(js.values);
    for (const [k, s] of js.state.moments) {
      expect(Array.from(simd.state.moments.get(k)?.m ?? [])).toEqual(Array.from(s.m));
      expect(Array.from(simd.state.moments.get(k)?.v ?? [])).toEqual(Array.from(s.v));
    }
    // setState on the heap path, then one more step on each: still identical.
    simd.opt.setState(js.state, simd.names);
    const last = shapes.map((s) => tf.tensor(random.normalArray(s.reduce((a, b) => a * b, 1)), s));
    WasmHeap.enabled = false;
    js.opt.applyGradients(js.vars.map((v, i) => ({ name: v.name, tensor: last[i] })));
    WasmHeap.enabled = true;
    simd.opt.applyGradients(simd.vars.map((v, i) => ({ name: v.name, tensor: last[i] })));
    expect(simd.vars.map((v) => Array.from(v.dataSync()))).toEqual(js.vars.map((v) => Array.from(v.dataSync())));
    // Another heap step, then dispose: the moments are copied back, getState still returns them.
    simd.opt.applyGradients(simd.vars.map((v, i) => ({ name: v.name, tensor: last[i] })));
    const beforeDispose = simd.opt.getState();
    simd.opt.applyGradients(simd.vars.map((v, i) => ({ name: v.name, tensor: last[i] })));
    const live = simd.opt.getState();
    simd.opt.dispose();
    expect(simd.opt.getState()).toEqual(live);
    expect(live).not.toEqual(beforeDispose);
    for (const r of [js, simd]) {
      r.vars.forEach((v) => v.dispose());
      if (r === js) r.opt.dispose();
    }
    last.forEach((t) => t.dispose());
  });
});
