#!/usr/bin/env node
// TF.js inference latency of the same ADNI-sized model (FlexMoEModel.predict, inference mode) for the
// ONNX-vs-TF.js table in docs/benchmarks.md. Bounded: --iters per batch size (batch 64 runs iters/10, min 3).
// Usage: npm run build && node tools/bench/serve/tfjs-latency.mjs [--backend wasm|cpu] [--iters 50]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FlexMoEModel, buildBatch, disposeBatch } from '../../../packages/moe-core/dist/index.js';
import { mulberry32 } from '../../../packages/export/dist/index.js';
import { ADNI_SIZED_CONFIG, randomNamedWeights } from '../../../packages/export/dist/testing/random-model.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const backend = args.backend ?? 'wasm';
const iters = Number(args.iters ?? 50);
const batches = (args.batches ?? '1,64').split(',').map(Number);
const warn = console.warn;
console.warn = (...a) => (String(a[0]).includes('tfjs-node') ? undefined : warn(...a));
await tf.setBackend(backend);
await tf.ready();
const config = { ...ADNI_SIZED_CONFIG, dropout: 0.5, routerLossWeight: 0.01, ablation: 'none' };
const model = new FlexMoEModel(config, { seed: 1 });
model.setNamedWeights(randomNamedWeights(config, 7));
const pct = (xs, q) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
console.log(`| TF.js ${backend} | batch | p50 ms | p90 ms |`);
console.log('|---|---|---|---|');
for (const batch of batches) {
  const rand = mulberry32(batch);
  const M = config.modalities.length;
  const observed = Array.from({ length: batch }, (_, b) => {
    const mask = Array.from({ length: M }, () => b === 0 || rand() < 0.7);
    if (!mask.some(Boolean)) mask[0] = true;
    return mask;
  });
  const dense = config.modalities.map((m) => Float32Array.from({ length: batch * m.width }, () => rand() * 2 - 1));
  const n = batch >= 32 ? Math.max(3, Math.floor(iters / 10)) : iters;
  const times = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = process.hrtime.bigint();
    const b = buildBatch(
      model.table,
      config.modalities.map((m) => m.width),
      dense,
      observed,
    );
    model.predict(b);
    disposeBatch(b);
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(
    `| FlexMoEModel.predict (${config.dispatch ?? 'auto'} dispatch) | ${batch} | ` +
      `${pct(times, 0.5).toFixed(2)} | ${pct(times, 0.9).toFixed(2)} |`,
  );
}
model.dispose();
