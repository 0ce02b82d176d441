// Demo: a few Flex-MoE training steps on random data with missing modalities, on the wasm backend.
// Run from the repository root after `npm run build`: `node packages/moe-core/examples/train-random.js`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  FlexMoEModel,
  SeededRandom,
  TypedAdam,
  activationRatios,
  buildBatch,
  defaultConfig,
  disposeBatch,
} from '@flexmoe/moe-core';

await tf.setBackend('wasm');
await tf.ready();

const modalities = [
  { name: 'image', letter: 'I', width: 64 },
  { name: 'genomic', letter: 'G', width: 200 },
  { name: 'clinical', letter: 'C', width: 30 },
  { name: 'biospecimen', letter: 'B', width: 20 },
];
const config = defaultConfig(modalities, { classes: 3, hidden: 32, patches: 8, heads: 4, experts: 16, topK: 4 });
const model = await FlexMoEModel.create(config, { seed: 0 });
console.log(`backend ${tf.getBackend()}, ${model.parameterCount()} parameters, ${model.table.count} combinations`);

const rng = new SeededRandom(1);
const B = 8;
const M = modalities.length;
const optimizer = new TypedAdam({ learningRate: 1e-3 });
for (let step = 1; step <= 5; step++) {
  // Random observed masks (every sample keeps at least one modality) and random features.
  const observed = new Uint8Array(B * M);
  for (let b = 0; b < B; b++) {
    for (let m = 0; m < M; m++) observed[b * M + m] = rng.nextFloat() < 0.7 ? 1 : 0;
    if (!observed.subarray(b * M, b * M + M).some((v) => v)) observed[b * M + (b % M)] = 1;
  }
  const dense = modalities.map((m) => rng.normalArray(B * m.width));
  const labels = Int32Array.from({ length: B }, () => Math.floor(rng.nextFloat() * 3));
  const batch = buildBatch(
    model.table,
    modalities.map((m) => m.width),
    dense,
    observed,
  );
  const t0 = performance.now();
  const { loss, taskLoss, routerLoss } = model.trainStep(batch, labels, optimizer);
  const combos = Array.from(batch.combination, (c) => model.table.get(c).letters).join(' ');
  console.log(
    `step ${step}: loss ${loss.toFixed(4)} (task ${taskLoss.toFixed(4)}, router ${routerLoss.toFixed(4)}) ` +
      `${(performance.now() - t0).toFixed(0)} ms  combinations: ${combos}`,
  );
  if (step === 5) {
    const pred = model.predict(batch);
    const full = activationRatios(pred.routing)[0]
      .map((r) => r.toFixed(2))
      .join(' ');
    console.log(`expert activation ratios of full-modality tokens: ${full}`);
    console.log(
      `sample 0 class probabilities: ${Array.from(pred.probabilities.subarray(0, 3), (p) => p.toFixed(3)).join(' ')}`,
    );
  }
  disposeBatch(batch);
}
model.dispose();
