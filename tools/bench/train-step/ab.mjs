// A/B comparison of one switch within one process (the machine is shared: alternating blocks of steps
// exposes both variants to the same load). Usage:
//   npm run build && node tools/bench/train-step/ab.mjs [--toggle heap|batched-attention|native-softmax|none] [--blocks 10] [--per-block 4] [--batch 8]
// Variant A = switch on, B = switch off. Reports median and minimum ms/step of each.
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
const model = new FlexMoEModel(config, { seed: 0 });
const { batch, labels } = randomBatch(model, B, new SeededRandom(123));
const optimizer = new TypedAdam({ learningRate: 1e-4 });
for (const on of [true, false, true, false]) {
  switches[toggle](on);
  model.trainStep(batch, labels, optimizer);
}
const times = { on: [], off: [] };
for (let blk = 0; blk < blocks; blk++) {
  for (const on of blk % 2 === 0 ? [true, false] : [false, true]) {
    switches[toggle](on);
    model.trainStep(batch, labels, optimizer); // first step after a switch not counted
    for (let i = 0; i < perBlock; i++) {
      const t0 = performance.now();
      model.trainStep(batch, labels, optimizer);
      times[on ? 'on' : 'off'].push(performance.now() - t0);
    }
  }
}
const stat = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return { median: +s[Math.floor(s.length / 2)].toFixed(1), min: +s[0].toFixed(1), n: s.length };
};
console.log(JSON.stringify({ toggle, batch: B, on: stat(times.on), off: stat(times.off) }));
