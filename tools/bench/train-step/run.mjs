// Training-step benchmark of @flexmoe/moe-core (forward + backward + Adam) on the ADNI-sized model.
// Usage: npm run build && node tools/bench/train-step/run.mjs [--backends wasm,cpu] [--batches 8,64]
//        [--dispatch sparse,dense] [--optimizer adam,typed] [--steps 5] [--warmup 2] [--profile] [--no-heap]
//        [--matmul native|xnnpack]   (native: onnxruntime-node's MLAS for the larger products, as `flexmoe train` does
//                                     by default; xnnpack: every product inside wasm, as FLEXMOE_NATIVE_MATMUL=0)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ADNI_MODALITIES, randomBatch } from './adni-sized.mjs';
import {
  FlexMoEModel,
  SeededRandom,
  TypedAdam,
  disposeBatch,
  defaultConfig,
  registerAllGradients,
  setFastPath,
  setNativeMatmul,
} from '@flexmoe/moe-core';
import { onnxruntimeMatmul } from '../../../packages/trainer/dist/backend/onnxruntime-matmul.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const backends = opt('backends', 'wasm,cpu').split(',');
const batches = opt('batches', '8,64').split(',').map(Number);
const dispatches = opt('dispatch', 'sparse,dense').split(',');
const steps = Number(opt('steps', '5'));
const warmup = Number(opt('warmup', '2'));
const profile = args.includes('--profile');
const optimizers = opt('optimizer', 'adam').split(','); // adam = tf.train.adam, typed = TypedAdam
// --no-heap: disable the direct wasm-heap paths of the custom ops (ops/wasm-heap.ts), for A/B comparisons.
if (args.includes('--no-heap')) setFastPath(false);
const matmul = opt('matmul', 'native');
if (matmul === 'native') {
  const { engine, reason } = onnxruntimeMatmul();
  if (!engine) throw new Error(`--matmul native: ${reason}`);
  setNativeMatmul(engine);
} else if (matmul !== 'xnnpack') throw new Error(`--matmul: expected native or xnnpack, got ${matmul}`);

await registerAllGradients();
const results = [];
for (const backend of backends) {
  try {
    if (!(await tf.setBackend(backend))) throw new Error('setBackend returned false');
    await tf.ready();
  } catch (e) {
    console.log(`${backend}: unavailable (${e.message})`);
    continue;
  }
  for (const B of batches) {
    for (const dispatch of dispatches)
      for (const optName of optimizers) {
        const config = defaultConfig(ADNI_MODALITIES, { classes: 3, experts: 16, topK: 4, dispatch });
        const model = new FlexMoEModel(config, { seed: 0 });
        const rng = new SeededRandom(123);
        const optimizer = optName === 'typed' ? new TypedAdam({ learningRate: 1e-4 }) : tf.train.adam(1e-4);
        const { batch, labels } = randomBatch(model, B, rng);
        const n = backend === 'cpu' ? Math.max(1, Math.min(steps, 2)) : steps;
        for (let i = 0; i < (backend === 'cpu' ? 1 : warmup); i++) model.trainStep(batch, labels, optimizer);
        const before = tf.memory().numTensors;
        let prof = null;
        const times = [];
        const cpu = [];
        if (profile) {
          const t0 = performance.now();
          prof = await tf.profile(() => {
            model.trainStep(batch, labels, optimizer);
          });
          times.push(performance.now() - t0);
        } else {
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            const c0 = process.cpuUsage();
            model.trainStep(batch, labels, optimizer);
            times.push(performance.now() - t0);
            const c = process.cpuUsage(c0);
            cpu.push((c.user + c.system) / 1000);
          }
        }
        times.sort((a, b) => a - b);
        cpu.sort((a, b) => a - b);
        const cpuMs = cpu.length ? cpu[Math.floor(cpu.length / 2)] : NaN;
        // The machine is shared: the median is the figure, the minimum shows the cost without interference.
        const ms = times[Math.floor(times.length / 2)];
        const leaked = tf.memory().numTensors - before;
        const row = {
          backend,
          matmul: backend === 'wasm' ? matmul : 'tfjs',
          batch: B,
          dispatch,
          optimizer: optName,
          msPerStep: +ms.toFixed(1),
          minMs: +times[0].toFixed(1),
          cpuMs: +cpuMs.toFixed(1),
          samplesPerSec: +((1000 * B) / ms).toFixed(1),
          steps: times.length,
          leakedTensors: leaked,
        };
        results.push(row);
        console.log(JSON.stringify(row));
        if (prof) {
          const byKernel = new Map();
          for (const k of prof.kernels)
            byKernel.set(
              k.name,
              (byKernel.get(k.name) ?? [0, 0]).map((v, i) => v + (i === 0 ? k.kernelTimeMs : 1)),
            );
          const top = [...byKernel].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25);
          for (const [name, [time, count]] of top)
            console.log(`  ${name.padEnd(24)} ${time.toFixed(1).padStart(8)} ms  ${count} calls`);
        }
        disposeBatch(batch);
        optimizer.dispose();
        model.dispose();
      }
  }
}
console.log(
  '\n| backend | batch | dispatch | optimizer | wall ms/step (median) | wall min | ' +
    'CPU ms/step (median) | samples/s (wall median) | steps |\n|---|---|---|---|---|---|---|---|---|',
);
for (const r of results)
  console.log(
    `| ${r.backend} | ${r.batch} | ${r.dispatch} | ${r.optimizer} | ${r.msPerStep} | ` +
      `${r.minMs} | ${r.cpuMs} | ${r.samplesPerSec} | ${r.steps} |`,
  );
