// A/B comparison of one switch within one process (the machine is shared: alternating blocks of steps
// exposes both variants to the same load). Usage:
//   npm run build && node tools/bench/train-step/ab.mjs [--toggle heap|batched-attention|native-softmax|patch-projection|none] [--blocks 10] [--per-block 4] [--batch 8]
// Variant A = switch on, B = switch off. Reports median and minimum ms/step of each. `patch-projection` compares two
// models, per-patch (on) and shared (off) projections, both with the native matrix products (as `flexmoe train`).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  FlexMoEModel,
  SeededRandom,
  TypedAdam,
  defaultConfig,
  registerAllGradients,
  setFastPath,
  setNativeMatmul,
} from '@flexmoe/moe-core';
import { onnxruntimeMatmul } from '../../../packages/trainer/dist/backend/onnxruntime-matmul.js';
import { ADNI_MODALITIES, randomBatch } from './adni-sized.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const toggle = opt('toggle', 'heap');
const blocks = Number(opt('blocks', '10'));
const perBlock = Number(opt('per-block', '4'));
const B = Number(opt('batch', '8'));
const switches = {
  heap: (on) => {
    setFastPath(on);
  },
  // With the native matrix products installed: attention products of all pieces batched, softmax and its
  // gradient in the engine too (on), or attention products per piece on XNNPACK and the softmax in JavaScript
  // (off); every other product goes to the native engine in both.
  'batched-attention': (on) => setNativeMatmul(on ? engine() : productsOnly(engine(), false)),
  // Both with batched attention products; the softmax and its gradient in the engine (on) or in JavaScript (off).
  'native-softmax': (on) => setNativeMatmul(on ? engine() : productsOnly(engine(), true)),
  'patch-projection': () => {}, // two models, chosen below
  none: () => {}, // A/A: both variants identical (shows the harness's own spread)
};
let nativeEngine;
function engine() {
  nativeEngine ??= onnxruntimeMatmul().engine;
  if (!nativeEngine?.attentionProbabilities) throw new Error('no native engine with the attention operations');
  return nativeEngine;
}
function productsOnly(e, batched) {
  return {
    ...e,
    batchedMatmul: batched ? e.batchedMatmul : undefined,
    attentionProbabilities: undefined,
    attentionScoresGradient: undefined,
  };
}
if (!switches[toggle]) throw new Error(`unknown toggle ${toggle}; known: ${Object.keys(switches).join(', ')}`);

await registerAllGradients();
await tf.setBackend('wasm');
await tf.ready();
const config = defaultConfig(ADNI_MODALITIES, { classes: 3, experts: 16, topK: 4, dispatch: 'sparse' });
const twoModels = toggle === 'patch-projection';
if (twoModels) setNativeMatmul(engine());
const variants = Object.fromEntries(
  [true, false].map((on) => {
    const m =
      twoModels || on
        ? new FlexMoEModel(twoModels ? { ...config, patchProjection: on ? 'per-patch' : 'shared' } : config, {
            seed: 0,
          })
        : null;
    return [on, { model: m, optimizer: new TypedAdam({ learningRate: 1e-4 }) }];
  }),
);
if (!twoModels) variants.false = variants.true;
const { batch, labels } = randomBatch(variants.true.model, B, new SeededRandom(123));
const step = (on) => variants[on].model.trainStep(batch, labels, variants[on].optimizer);
for (const on of [true, false, true, false]) {
  switches[toggle](on);
  step(on);
}
const times = { on: [], off: [] };
for (let blk = 0; blk < blocks; blk++) {
  for (const on of blk % 2 === 0 ? [true, false] : [false, true]) {
    switches[toggle](on);
    step(on); // first step after a switch not counted
    for (let i = 0; i < perBlock; i++) {
      const t0 = performance.now();
      step(on);
      times[on ? 'on' : 'off'].push(performance.now() - t0);
    }
  }
}
const stat = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return { median: +s[Math.floor(s.length / 2)].toFixed(1), min: +s[0].toFixed(1), n: s.length };
};
console.log(JSON.stringify({ toggle, batch: B, on: stat(times.on), off: stat(times.off) }));
