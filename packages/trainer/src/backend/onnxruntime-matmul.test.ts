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
