// Experiment (the measurement behind moving the attention softmax into the native engine): the row softmax of the
// attention scores of all (sample, head) pieces of an ADNI-sized batch, in JavaScript (moe-core's softmaxRows, what
// the fast path runs without the engine's attention operations) and in onnxruntime (MLAS's vectorised exponentials),
// alone and fused behind the score product. Best of 15 rounds of 50 calls each. Result in docs/benchmarks.md
// ("Native matrix products and the PyTorch reference").
// Usage: npm run build && node tools/bench/train-step/attention-softmax-mlas.mjs [--pieces 32] [--tokens 64] [--dim 32]
import { loadavg } from 'node:os';
import { attentionModel, gemmModel } from '../../../packages/trainer/dist/backend/onnxruntime-matmul.js';
import { softmaxRows } from '../../../packages/moe-core/dist/ops/array-kernels.js';
import { numberOption, ortSession as session, ortTensor as tensor } from './ort-direct.mjs';

const P = numberOption('pieces', 32);
const N = numberOption('tokens', 64);
const d = numberOption('dim', 32);
const scale = 1 / Math.sqrt(d);

const q = Float32Array.from({ length: P * N * d }, (_, i) => Math.sin(i));
const k = Float32Array.from({ length: P * N * d }, (_, i) => Math.cos(1.3 * i));
const scores = new Float32Array(P * N * N);
const js = new Float32Array(P * N * N);
const ort = new Float32Array(P * N * N);
const product = session(gemmModel(false, true, true));
const fused = session(attentionModel('probabilities', scale));

const forms = {
  'score product Q·Kᵀ alone (MLAS)': () =>
    product.run({ a: tensor(q, [P, N, d]), b: tensor(k, [P, N, d]) }, { c: tensor(scores, [P, N, N]) }, {}),
  'softmax in JavaScript (softmaxRows)': () => softmaxRows(scores, P * N, N, scale, js),
  'score product + softmax, one graph (MLAS)': () =>
    fused.run({ q: tensor(q, [P, N, d]), k: tensor(k, [P, N, d]) }, { out: tensor(ort, [P, N, N]) }, {}),
};
for (const run of Object.values(forms)) run();
let difference = 0;
for (let i = 0; i < js.length; i++) difference = Math.max(difference, Math.abs(js[i] - ort[i]));
if (difference > 1e-6) throw new Error(`onnxruntime and JavaScript probabilities differ by ${difference}`);

const best = {};
for (let round = 0; round < 15; round++) {
  for (const [name, run] of Object.entries(forms)) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) run();
    best[name] = Math.min(best[name] ?? Infinity, ((performance.now() - t0) / 50) * 1000);
  }
}
console.log(
  `${P} pieces of ${N}×${N} scores (d = ${d}), load average ${loadavg()[0].toFixed(2)}; largest difference ${difference.toExponential(1)}`,
);
for (const [name, us] of Object.entries(best)) console.log(`${name}: ${us.toFixed(0)} µs`);
