#!/usr/bin/env node
// ONNX graph variants (dense/sparse experts, Gemm vs MatMul+Add, standard vs fused attention) on the
// ADNI-sized model: p50/p90 latency at batch 1 and 64, one intra-op thread. Bounded: --iters per case.
// Usage: npm run build && node tools/bench/serve/onnx-latency.mjs [--iters 200] [--batches 1,64] [--members 1,3]
// --members: seed ensembles of that many random models (export --ensemble's graph; 1 = a single model).
import * as ort from 'onnxruntime-node';
import { exportOnnx, modalityInputName, mulberry32 } from '../../../packages/export/dist/index.js';
import { ADNI_SIZED_CONFIG, randomNamedWeights } from '../../../packages/export/dist/testing/random-model.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const iters = Number(args.iters ?? 200);
const batches = (args.batches ?? '1,64').split(',').map(Number);
const threads = Number(args.threads ?? 1);
const only = args.variants ? args.variants.split(';') : null;
const config = ADNI_SIZED_CONFIG;
const membersList = (args.members ?? '1').split(',').map(Number);
const weightsOf = (members) => Array.from({ length: members }, (_, i) => randomNamedWeights(config, 7 + i));
const variants = [];
for (const moe of ['dense', 'sparse'])
  for (const linear of ['gemm', 'matmul'])
    for (const attention of ['standard', 'fused']) variants.push({ moe, linear, attention });

function feeds(batch, seed) {
  const rand = mulberry32(seed);
  const M = config.modalities.length;
  const observed = new Uint8Array(batch * M);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < M; m++) observed[b * M + m] = b === 0 || rand() < 0.7 ? 1 : 0;
    if (!observed.subarray(b * M, b * M + M).some(Boolean)) observed[b * M] = 1;
  }
  const f = { observed: new ort.Tensor('bool', observed, [batch, M]) };
  for (const m of config.modalities) {
    const x = new Float32Array(batch * m.width).map(() => rand() * 2 - 1);
    f[modalityInputName(m.name)] = new ort.Tensor('float32', x, [batch, m.width]);
  }
  return f;
}

const pct = (xs, q) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
console.log(`| variant | batch | p50 ms | p90 ms |`);
console.log(`|---|---|---|---|`);
for (const variant of variants) {
  const name = `${variant.moe} / ${variant.linear} / ${variant.attention}`;
  if (only && !only.includes(name)) continue;
  for (const members of membersList) {
    const label = members === 1 ? name : `${name}, ensemble of ${members}`;
    const namedWeights = members === 1 ? weightsOf(1)[0] : weightsOf(members);
    const session = await ort.InferenceSession.create(exportOnnx({ config, namedWeights }, { variant }), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    for (const batch of batches) {
      const f = feeds(batch, batch);
      const n = batch >= 32 ? Math.max(10, Math.floor(iters / 10)) : iters;
      for (let i = 0; i < Math.min(20, n); i++) await session.run(f);
      const times = [];
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(f);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      console.log(`| ${label} | ${batch} | ${pct(times, 0.5).toFixed(3)} | ${pct(times, 0.9).toFixed(3)} |`);
    }
    await session.release();
  }
}
