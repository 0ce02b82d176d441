// Experiment (the measurement behind the batched attention products the training step now uses): the attention
// blocks of all (sample, head) pieces of an ADNI-sized batch
// as ONE batched onnxruntime product per form (com.microsoft FusedMatMul over [pieces, N, d] operands), timed per
// call, to compare with the per-piece XNNPACK products the wasm fast path uses. Result in docs/benchmarks.md
// ("Native matrix products and the PyTorch reference"): faster than per-piece XNNPACK on a quiet machine; now used by
// the training step ("Batched attention on the native engine").
// Usage: npm run build && node tools/bench/train-step/attention-batched-mlas.mjs [--pieces 32] [--tokens 64] [--dim 32]
import { loadavg } from 'node:os';
import { gemmModel } from '../../../packages/trainer/dist/backend/onnxruntime-matmul.js';
import { numberOption, ortSession, ortTensor as tensor } from './ort-direct.mjs';

const P = numberOption('pieces', 32);
const N = numberOption('tokens', 64);
const d = numberOption('dim', 32);
// com.microsoft FusedMatMul over [pieces, ·, ·] operands: the graph the trainer's engine uses for batched products.
const session = (transA, transB) => ortSession(gemmModel(transA, transB, true));

const q = Float32Array.from({ length: P * N * d }, (_, i) => Math.sin(i));
const k = Float32Array.from({ length: P * N * d }, (_, i) => Math.cos(i));
const s = new Float32Array(P * N * N);
const out = new Float32Array(P * N * d);
const nt = session(false, true);
const nn = session(false, false);
const tn = session(true, false);

// Check the transposed form against a direct sum before timing it.
nt.run({ a: tensor(q, [P, N, d]), b: tensor(k, [P, N, d]) }, { c: tensor(s, [P, N, N]) }, {});
let err = 0;
for (const [p, i, j] of [
  [3 % P, 5 % N, 7 % N],
  [P - 1, N - 1, 0],
]) {
  let r = 0;
  for (let t = 0; t < d; t++) r += q[p * N * d + i * d + t] * k[p * N * d + j * d + t];
  err = Math.max(err, Math.abs(r - s[p * N * N + i * N + j]));
}
if (err > 1e-4) throw new Error(`FusedMatMul transB: error ${err}`);

const forms = {
  'scores S = Q·Kᵀ (NT)': () =>
    nt.run({ a: tensor(q, [P, N, d]), b: tensor(k, [P, N, d]) }, { c: tensor(s, [P, N, N]) }, {}),
  'context C = P·V (NN)': () =>
    nn.run({ a: tensor(s, [P, N, N]), b: tensor(q, [P, N, d]) }, { c: tensor(out, [P, N, d]) }, {}),
  'value gradient Pᵀ·dC (TN)': () =>
    tn.run({ a: tensor(s, [P, N, N]), b: tensor(q, [P, N, d]) }, { c: tensor(out, [P, N, d]) }, {}),
};
console.log(`${P} pieces of ${N}×${d}, load average ${loadavg()[0].toFixed(2)}`);
for (const [name, run] of Object.entries(forms)) {
  for (let i = 0; i < 50; i++) run();
  const n = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) run();
  const us = ((performance.now() - t0) / n) * 1000;
  console.log(`${name}: ${us.toFixed(0)} µs per batched call (${((2 * P * N * N * d) / us / 1e3).toFixed(1)} GFLOP/s)`);
}
