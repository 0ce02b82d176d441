import { useBackend } from '../testing/golden.js';
import { smallTrainingRun } from '../testing/small-training-run.js';
import { setNativeMatmul, type NativeMatmul } from './native-matmul.js';

/** A plain-JavaScript engine (float64 sums): the reference for how the fast path uses transA/transB. */
function jsEngine(scale = 1): NativeMatmul & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    name: 'js',
    minWork: 1, // every product, however small
    calls,
    matmul(a, b, out, M, K, N, transA, transB) {
      const key = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let p = 0; p < K; p++)
            s += (transA ? a[p * M + i] : a[i * K + p]) * (transB ? b[j * K + p] : b[p * N + j]);
          out[i * N + j] = scale * s;
        }
    },
  };
}

function trainRun(engine: NativeMatmul | null) {
  setNativeMatmul(engine);
  try {
    const run = smallTrainingRun();
    return { ...run, losses: run.losses.map((l) => l.loss) };
  } finally {
    setNativeMatmul(null);
  }
}

describe('native matrix products on the wasm fast path (backends/native-matmul.ts)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => setNativeMatmul(null));

  it('give the same losses and gradients as XNNPACK (to float32 rounding), using the three product forms', () => {
    const xnnpack = trainRun(null);
    const engine = jsEngine();
    const native = trainRun(engine);
    expect(native.leaked).toBe(0);
    // Every product form the fast path sends: forward (NN), weight gradients (TN), input gradients (NT).
    expect([...engine.calls.keys()].sort()).toEqual(['NN', 'NT', 'TN']);
    expect(native.grads.values.loss).toBeCloseTo(xnnpack.grads.values.loss, 5);
    let checked = 0;
    for (const [name, g] of xnnpack.grads.gradients) {
      const n = native.grads.gradients.get(name)?.values as Float32Array;
      let scale = 0;
      for (const v of g.values) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < g.values.length; i++) {
        expect(Math.abs(n[i] - g.values[i])).toBeLessThanOrEqual(1e-4 * scale + 1e-7);
      }
      checked += g.values.length;
    }
    expect(checked).toBeGreaterThan(1000);
    for (let i = 0; i < 3; i++) expect(native.losses[i]).toBeCloseTo(xnnpack.losses[i], 4);
  });

  it("uses the engine's results (a wrong engine changes the loss) and is deterministic", () => {
    const a = trainRun(jsEngine());
    const b = trainRun(jsEngine());
    expect(b.losses).toEqual(a.losses);
    const wrong = trainRun(jsEngine(2));
    expect(Math.abs(wrong.grads.values.loss - a.grads.values.loss)).toBeGreaterThan(1e-3);
  });

  it('is not used below its minWork threshold (then results equal XNNPACK bit for bit)', () => {
    const engine = { ...jsEngine(2), minWork: Number.MAX_SAFE_INTEGER };
    const skipped = trainRun(engine);
    const xnnpack = trainRun(null);
    expect(skipped.losses).toEqual(xnnpack.losses);
  });
});
