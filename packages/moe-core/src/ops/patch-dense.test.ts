import * as tf from '@tensorflow/tfjs-core';
import { setNativeMatmul, type NativeMatmul } from '../backends/native-matmul.js';
import { SeededRandom } from '../random/random-source.js';
import { BACKENDS, useBackend } from '../testing/golden.js';
import { patchDense } from './patch-dense.js';

const [N, P, s, H] = [5, 4, 3, 6];
const random = new SeededRandom(11);
const x = random.normalArray(N * P * s);
const w = random.normalArray(P * s * H);
const b = random.normalArray(P * H);
const r = random.normalArray(N * P * H); // loss = Σ r ⊙ y

/** float64 references: y, and the gradients of Σ r ⊙ y for x, W and b. */
function reference(): { y: number[]; dx: number[]; dw: number[]; db: number[] } {
  const y = new Array<number>(N * P * H).fill(0);
  const dx = new Array<number>(N * P * s).fill(0);
  const dw = new Array<number>(P * s * H).fill(0);
  const db = new Array<number>(P * H).fill(0);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < P; p++)
      for (let h = 0; h < H; h++) {
        const o = (n * P + p) * H + h;
        let sum = b[p * H + h];
        for (let j = 0; j < s; j++) {
          sum += x[(n * P + p) * s + j] * w[(p * s + j) * H + h];
          dx[(n * P + p) * s + j] += r[o] * w[(p * s + j) * H + h];
          dw[(p * s + j) * H + h] += r[o] * x[(n * P + p) * s + j];
        }
        y[o] = sum;
        db[p * H + h] += r[o];
      }
  return { y, dx, dw, db };
}

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  if (worst > 1e-4) throw new Error(`${what}: largest difference ${worst}`);
}

/** Output and gradients within 1e-4 of the float64 reference. */
function expectReference(got: ReturnType<typeof run>): void {
  const want = reference();
  expectClose(got.y, want.y, 'y');
  expectClose(got.dx, want.dx, 'dx');
  expectClose(got.dw, want.dw, 'dW');
  expectClose(got.db, want.db, 'db');
}

/** A float64 JavaScript engine with the batched form, counting its batched calls. */
function batchedJsEngine(): NativeMatmul & { batchedCalls: number } {
  const engine: NativeMatmul & { batchedCalls: number } = {
    name: 'js',
    minWork: 1,
    batchedCalls: 0,
    // The bias gradient's ones-row product (a plain product).
    matmul(a, bm, out, M, K, Nn, transA, transB) {
      engine.batchedMatmul!(a, bm, out, 1, M, K, Nn, transA, transB);
      engine.batchedCalls--;
    },
    batchedMatmul(a, bm, out, batch, M, K, Nn, transA, transB) {
      engine.batchedCalls++;
      for (let p = 0; p < batch; p++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < Nn; j++) {
            let sum = 0;
            for (let k = 0; k < K; k++) {
              const av = transA ? a[p * M * K + k * M + i] : a[p * M * K + i * K + k];
              const bv = transB ? bm[p * K * Nn + j * K + k] : bm[p * K * Nn + k * Nn + j];
              sum += av * bv;
            }
            out[p * M * Nn + i * Nn + j] = sum;
          }
    },
  };
  return engine;
}

function run(): { y: Float32Array; dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const xt = tf.tensor3d(x, [N, P, s]);
  const wt = tf.variable(tf.tensor3d(w, [P, s, H]));
  const bt = tf.variable(tf.tensor2d(b, [P, H]));
  const rt = tf.tensor3d(r, [N, P, H]);
  const y = patchDense(xt, wt, bt);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(patchDense(xt, wt, bt), rt)), [wt, bt]);
  const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(patchDense(v as tf.Tensor3D, wt, bt), rt)))(xt);
  const out = {
    y: y.dataSync() as Float32Array,
    dx: dx.dataSync() as Float32Array,
    dw: grads[wt.name].dataSync() as Float32Array,
    db: grads[bt.name].dataSync() as Float32Array,
  };
  tf.dispose([xt, wt, bt, rt, y, dx, ...Object.values(grads)]);
  return out;
}

describe.each(BACKENDS)('patchDense (per-patch projection) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterEach(() => setNativeMatmul(null));

  it('computes each patch with its own kernel and bias, and the gradients of input, kernels and biases', () => {
    expectReference(run());
  });

  it('an empty batch gives an empty output', () => {
    const y = patchDense(tf.zeros([0, P, s]), tf.ones([P, s, H]), tf.ones([P, H]));
    expect(y.shape).toEqual([0, P, H]);
    y.dispose();
  });

  if (backend === 'wasm') {
    it('with a native engine: the P products go through its batched form, with the same results', () => {
      const engine = batchedJsEngine();
      setNativeMatmul(engine);
      expectReference(run());
      // Forward once per patchDense call (3) + backward products (2 each for the two gradient calls).
      expect(engine.batchedCalls).toBeGreaterThanOrEqual(3 + 2 * 2);
    });
  }
});
