import { createRequire } from 'node:module';
import { onnxruntimeMatmul, SUPPORTED_ONNXRUNTIME_NODE_VERSIONS, type OrtLoader } from './onnxruntime-matmul.js';

/** Plain float64 product of row-major operands (the reference). */
function reference(a: Float32Array, b: Float32Array, M: number, K: number, N: number, tA: boolean, tB: boolean) {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += (tA ? a[p * M + i] : a[i * K + p]) * (tB ? b[j * K + p] : b[p * N + j]);
      out[i * N + j] = s;
    }
  return out;
}

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x / 2 ** 32 - 0.5;
  }
  return out;
}

describe('onnxruntime-node matrix products (backend/onnxruntime-matmul.ts)', () => {
  it('computes op(A)·op(B) for every transposition, in place in a view of a larger buffer', () => {
    const { engine, reason } = onnxruntimeMatmul();
    expect(reason).toBeUndefined();
    if (!engine) throw new Error(reason);
    expect(engine.name).toMatch(/^onnxruntime-node 1\.30\.0 \(MLAS, 1 thread\)$/);
    let seed = 1;
    for (const [M, K, N] of [
      [37, 19, 23],
      [128, 125, 128],
      [1, 64, 3],
      [131, 256, 128],
    ]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          // One "heap" holding both operands and the output at unaligned offsets, as the wasm heap does.
          const heap = pseudoRandom(3 + M * K + 5 + K * N + 7 + M * N + 11, seed++);
          const aOff = 3;
          const bOff = aOff + M * K + 5;
          const oOff = bOff + K * N + 7;
          const before = heap.slice();
          engine.matmul(
            heap.subarray(aOff, aOff + M * K),
            heap.subarray(bOff, bOff + K * N),
            heap.subarray(oOff, oOff + M * N),
            M,
            K,
            N,
            tA,
            tB,
          );
          const ref = reference(before.subarray(aOff), before.subarray(bOff), M, K, N, tA, tB);
          for (let i = 0; i < M * N; i++) expect(Math.abs(heap[oOff + i] - ref[i])).toBeLessThan(1e-5 * (1 + K));
          // Nothing outside the output region changed.
          expect(Array.from(heap.subarray(0, oOff))).toEqual(Array.from(before.subarray(0, oOff)));
          expect(Array.from(heap.subarray(oOff + M * N))).toEqual(Array.from(before.subarray(oOff + M * N)));
        }
      }
    }
  });

  it('computes a batch of products op(A[p])·op(B[p]) for every transposition, in place in a view', () => {
    const { engine } = onnxruntimeMatmul();
    if (!engine?.batchedMatmul) throw new Error('no batched products');
    let seed = 100;
    for (const [P, M, K, N] of [
      [32, 64, 32, 64], // the attention pieces of batch 8, 4 heads, 64 tokens
      [3, 7, 5, 11],
      [1, 64, 64, 32],
    ]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const heap = pseudoRandom(3 + P * M * K + 5 + P * K * N + 7 + P * M * N + 11, seed++);
          const aOff = 3;
          const bOff = aOff + P * M * K + 5;
          const oOff = bOff + P * K * N + 7;
          const before = heap.slice();
          engine.batchedMatmul(
            heap.subarray(aOff, aOff + P * M * K),
            heap.subarray(bOff, bOff + P * K * N),
            heap.subarray(oOff, oOff + P * M * N),
            P,
            M,
            K,
            N,
            tA,
            tB,
          );
          let worst = 0; // one expect per case: 131k per-element expects would take half a minute
          for (let p = 0; p < P; p++) {
            const ref = reference(
              before.subarray(aOff + p * M * K),
              before.subarray(bOff + p * K * N),
              M,
              K,
              N,
              tA,
              tB,
            );
            for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(heap[oOff + p * M * N + i] - ref[i]));
          }
          expect(worst).toBeLessThan(1e-5 * (1 + K));
          expect(Array.from(heap.subarray(0, oOff))).toEqual(Array.from(before.subarray(0, oOff)));
          expect(Array.from(heap.subarray(oOff + P * M * N))).toEqual(Array.from(before.subarray(oOff + P * M * N)));
        }
      }
    }
  });

  it('computes the attention probabilities and the scores gradient of all pieces, with and without a mask', () => {
    const { engine } = onnxruntimeMatmul();
    if (!engine?.attentionProbabilities || !engine.attentionScoresGradient) throw new Error('no attention operations');
    for (const [P, N, d, scale] of [
      [32, 64, 32, 1 / Math.sqrt(32)],
      [3, 5, 4, 0.5],
      [2, 7, 3, 2], // a second scale: its own session
    ]) {
      const q = pseudoRandom(P * N * d, P + 1).map((x) => 4 * x);
      const k = pseudoRandom(P * N * d, P + 2).map((x) => 4 * x);
      const dc = pseudoRandom(P * N * d, P + 3);
      const v = pseudoRandom(P * N * d, P + 4);
      const mask = pseudoRandom(P * N * N, P + 5).map((x) => (x > 0 ? 1 / 0.7 : 0));
      // The probabilities are written into a view of a larger buffer, neighbours untouched.
      const buffer = pseudoRandom(P * N * N + 9, P + 6);
      const before = buffer.slice();
      const prob = buffer.subarray(4, 4 + P * N * N);
      engine.attentionProbabilities(q, k, prob, P, N, d, scale);
      expect([...buffer.subarray(0, 4), ...buffer.subarray(4 + P * N * N)]).toEqual([
        ...before.subarray(0, 4),
        ...before.subarray(4 + P * N * N),
      ]);
      let worstP = 0;
      let worstDs = 0;
      const dsMasked = new Float32Array(P * N * N);
      const dsPlain = new Float32Array(P * N * N);
      engine.attentionScoresGradient(dc, v, prob, mask, dsMasked, P, N, d, scale);
      engine.attentionScoresGradient(dc, v, prob, null, dsPlain, P, N, d, scale);
      for (let piece = 0; piece < P; piece++) {
        const o = piece * N * d;
        const scores = reference(q.subarray(o), k.subarray(o), N, d, N, false, true);
        const dpd = reference(dc.subarray(o), v.subarray(o), N, d, N, false, true);
        for (let i = 0; i < N; i++) {
          const row = Array.from(scores.subarray(i * N, (i + 1) * N), (x) => x * scale);
          const max = Math.max(...row);
          const sum = row.reduce((acc, x) => acc + Math.exp(x - max), 0);
          for (let j = 0; j < N; j++) {
            const at = piece * N * N + i * N + j;
            worstP = Math.max(worstP, Math.abs(prob[at] - Math.exp(row[j] - max) / sum));
          }
          for (const [ds, withMask] of [
            [dsMasked, true],
            [dsPlain, false],
          ] as const) {
            const g = (j: number) => dpd[i * N + j] * (withMask ? mask[piece * N * N + i * N + j] : 1);
            let dot = 0;
            for (let j = 0; j < N; j++) dot += g(j) * prob[piece * N * N + i * N + j];
            for (let j = 0; j < N; j++) {
              const at = piece * N * N + i * N + j;
              worstDs = Math.max(worstDs, Math.abs(ds[at] - scale * prob[at] * (g(j) - dot)));
            }
          }
        }
      }
      expect(worstP).toBeLessThan(1e-6);
      const largest = [...dsMasked, ...dsPlain].reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(largest).toBeGreaterThan(1e-3);
      expect(worstDs).toBeLessThan(1e-5 * largest);
      // The mask matters: dropping entries changes the gradient.
      expect(dsMasked).not.toEqual(dsPlain);
    }
  });

  it('is deterministic: the same product twice gives the same bits', () => {
    const { engine } = onnxruntimeMatmul();
    if (!engine) throw new Error('no engine');
    const [M, K, N] = [96, 200, 64];
    const a = pseudoRandom(M * K, 5);
    const b = pseudoRandom(K * N, 6);
    const x = new Float32Array(M * N);
    const y = new Float32Array(M * N);
    engine.matmul(a, b, x, M, K, N, false, false);
    engine.matmul(a, b, y, M, K, N, false, false);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('leaves out the batched and attention operations where onnxruntime lacks the contrib operators', () => {
    // The real binding, except that models using com.microsoft operators fail to load (as in a minimal build).
    const real = onnxruntimeMatmul(); // loads onnxruntime-node once
    if (!real.engine) throw new Error(real.reason);
    const require = createRequire(import.meta.url);
    interface Session {
      loadModel(buffer: ArrayBuffer, offset: number, length: number, options: object): void;
      run(feeds: object, fetches: object, options: object): unknown;
    }
    const { binding } = require('onnxruntime-node/dist/binding.js') as {
      binding: { InferenceSession: new () => Session };
    };
    const contribFree: OrtLoader = () => ({
      version: '1.30.0',
      newSession: () => {
        const session = new binding.InferenceSession();
        const wrapped: Session = {
          loadModel(buffer, offset, length, options) {
            if (Buffer.from(buffer, offset, length).includes('com.microsoft')) throw new Error('no contrib operators');
            session.loadModel(buffer, offset, length, options);
          },
          run: (feeds, fetches, options) => session.run(feeds, fetches, options),
        };
        return wrapped as never;
      },
    });
    const { engine, reason } = onnxruntimeMatmul(contribFree);
    if (!engine) throw new Error(reason);
    expect(engine.batchedMatmul).toBeUndefined();
    expect(engine.attentionProbabilities).toBeUndefined();
    expect(engine.attentionScoresGradient).toBeUndefined();
    // The plain products still work.
    const out = new Float32Array(4);
    engine.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), out, 2, 2, 2, false, false);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
  });

  it('declines another onnxruntime-node release, and a package that fails to load, with the reason', () => {
    const other: OrtLoader = () => ({ version: '1.31.0', newSession: () => undefined as never });
    expect(onnxruntimeMatmul(other)).toEqual({
      engine: null,
      reason: `onnxruntime-node 1.31.0 is not a release the native matrix products support (${SUPPORTED_ONNXRUNTIME_NODE_VERSIONS.join(', ')})`,
    });
    const missing: OrtLoader = () => {
      throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack: ...");
    };
    expect(onnxruntimeMatmul(missing)).toEqual({
      engine: null,
      reason: "onnxruntime-node unavailable (Cannot find module 'onnxruntime-node')",
    });
  });
});
