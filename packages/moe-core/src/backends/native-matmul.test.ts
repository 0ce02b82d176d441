import { useBackend } from '../testing/golden.js';
import { smallTrainingRun } from '../testing/small-training-run.js';
import { setNativeMatmul, type NativeMatmul } from './native-matmul.js';

/** `out [M, N] = scale · op(a) · op(b)` in float64 sums: the reference for how the fast path uses transA/transB. */
function product(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
  scale: number,
): void {
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += (transA ? a[p * M + i] : a[i * K + p]) * (transB ? b[j * K + p] : b[p * N + j]);
      out[i * N + j] = scale * s;
    }
}

/** A plain-JavaScript engine counting its calls by form (`NT`, `batched NT`, …); `batched: false` omits the batched form. */
function jsEngine(scale = 1, batched = true): NativeMatmul & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
  const form = (transA: boolean, transB: boolean) => `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  const engine: NativeMatmul & { calls: Map<string, number> } = {
    name: 'js',
    minWork: 1, // every product, however small
    calls,
    matmul(a, b, out, M, K, N, transA, transB) {
      count(form(transA, transB));
      product(a, b, out, M, K, N, transA, transB, scale);
    },
  };
  if (batched) {
    engine.batchedMatmul = (a, b, out, batch, M, K, N, transA, transB) => {
      count(`batched ${form(transA, transB)}`);
      for (let p = 0; p < batch; p++) {
        product(
          a.subarray(p * M * K, (p + 1) * M * K),
          b.subarray(p * K * N, (p + 1) * K * N),
          out.subarray(p * M * N, (p + 1) * M * N),
          M,
          K,
          N,
          transA,
          transB,
          scale,
        );
      }
    };
    engine.attentionProbabilities = (q, k, p, batch, N, d, softmaxScale) => {
      count('attention probabilities');
      const s = new Float64Array(N);
      for (let i = 0; i < batch * N; i++) {
        const piece = Math.floor(i / N);
        let max = -Infinity;
        for (let j = 0; j < N; j++) {
          let dot = 0;
          for (let t = 0; t < d; t++) dot += q[i * d + t] * k[(piece * N + j) * d + t];
          s[j] = scale * dot * softmaxScale;
          max = Math.max(max, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < N; j++) sum += s[j] = Math.exp(s[j] - max);
        for (let j = 0; j < N; j++) p[i * N + j] = s[j] / sum;
      }
    };
    engine.attentionScoresGradient = (dc, v, p, mask, ds, batch, N, d, softmaxScale) => {
      count(`attention scores gradient${mask ? ' (dropout)' : ''}`);
      const g = new Float64Array(N);
      for (let i = 0; i < batch * N; i++) {
        const piece = Math.floor(i / N);
        let rowDot = 0;
        for (let j = 0; j < N; j++) {
          let dot = 0;
          for (let t = 0; t < d; t++) dot += dc[i * d + t] * v[(piece * N + j) * d + t];
          g[j] = scale * dot * (mask ? mask[i * N + j] : 1);
          rowDot += g[j] * p[i * N + j];
        }
        for (let j = 0; j < N; j++) ds[i * N + j] = softmaxScale * p[i * N + j] * (g[j] - rowDot);
      }
    };
  }
  return engine;
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
    // Every product form the fast path sends: forward (NN), weight gradients (TN), input gradients (NT); and the
    // attention products of all pieces at once: scores and dPD (NT), context and dQ (NN), dV and dK (TN).
    expect([...engine.calls.keys()].sort()).toEqual([
      'NN',
      'NT',
      'TN',
      'attention probabilities',
      'attention scores gradient (dropout)',
      'batched NN',
      'batched TN',
    ]);
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

  it('takes the attention products of all pieces in one batched call when the engine has one, else piece by piece', () => {
    const batched = trainRun(jsEngine());
    const single = jsEngine(1, false);
    const perPiece = trainRun(single);
    expect([...single.calls.keys()].sort()).toEqual(['NN', 'NT', 'TN']);
    for (let i = 0; i < 3; i++) expect(perPiece.losses[i]).toBeCloseTo(batched.losses[i], 5);
    // The batched results are the ones used: doubling only them (or the attention probabilities, or the scores'
    // gradient) changes the loss or the gradients.
    const reference = jsEngine();
    const doubled = (out: Float32Array) => {
      for (let i = 0; i < out.length; i++) out[i] *= 2;
    };
    const wrongBatched = trainRun({
      ...reference,
      batchedMatmul(a, b, out, ...rest) {
        reference.batchedMatmul?.(a, b, out, ...rest);
        doubled(out);
      },
    });
    expect(Math.abs(wrongBatched.grads.values.loss - batched.grads.values.loss)).toBeGreaterThan(1e-3);
    const wrongProbabilities = trainRun({
      ...reference,
      attentionProbabilities(q, k, p, ...rest) {
        reference.attentionProbabilities?.(q, k, p, ...rest);
        doubled(p);
      },
    });
    expect(Math.abs(wrongProbabilities.grads.values.loss - batched.grads.values.loss)).toBeGreaterThan(1e-3);
    const wrongGradient = trainRun({
      ...reference,
      attentionScoresGradient(dc, v, p, mask, ds, ...rest) {
        reference.attentionScoresGradient?.(dc, v, p, mask, ds, ...rest);
        doubled(ds);
      },
    });
    expect(wrongGradient.grads.values.loss).toBe(batched.grads.values.loss); // the forward pass is untouched
    let difference = 0;
    for (const [name, g] of batched.grads.gradients) {
      const w = wrongGradient.grads.gradients.get(name)?.values as Float32Array;
      for (let i = 0; i < g.values.length; i++) difference = Math.max(difference, Math.abs(w[i] - g.values[i]));
    }
    expect(difference).toBeGreaterThan(1e-6);
  });

  it('without the optional attention operations, keeps the softmax in JavaScript around batched products', () => {
    const full = trainRun(jsEngine());
    const productsOnly = jsEngine();
    delete productsOnly.attentionProbabilities;
    delete productsOnly.attentionScoresGradient;
    const run = trainRun(productsOnly);
    expect([...productsOnly.calls.keys()].sort()).toEqual(['NN', 'NT', 'TN', 'batched NN', 'batched NT', 'batched TN']);
    for (let i = 0; i < 3; i++) expect(run.losses[i]).toBeCloseTo(full.losses[i], 5);
  });

  it('is not used below its minWork threshold (then results equal XNNPACK bit for bit)', () => {
    const engine = { ...jsEngine(2), minWork: Number.MAX_SAFE_INTEGER };
    const skipped = trainRun(engine);
    const xnnpack = trainRun(null);
    expect(skipped.losses).toEqual(xnnpack.losses);
  });
});
