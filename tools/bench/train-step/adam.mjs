// TypedAdam update of the ADNI-sized model's variables (1 280 899 values) with random gradients.
// Usage: npm run build && node tools/bench/train-step/adam.mjs   (--no-heap: the JavaScript loop)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FlexMoEModel, TypedAdam, defaultConfig, registerAllGradients, setFastPath } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend('wasm');
await tf.ready();
if (process.argv.includes('--no-heap')) setFastPath(false);
const modalities = [500, 2000, 300, 20].map((w, i) => ({ name: 'm' + i, letter: 'IGCB'[i], width: w }));
const model = new FlexMoEModel(defaultConfig(modalities, { classes: 3, experts: 16, topK: 4, dispatch: 'sparse' }), {
  seed: 0,
});
const vars = [...model.variables().values()];
const list = vars.map((v) => ({ name: v.name, tensor: tf.mul(tf.randomNormal(v.shape), 1e-3) }));
const opt = new TypedAdam({ learningRate: 1e-4 });
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) opt.applyGradients(list);
  console.log('model vars', ((performance.now() - t0) / 20).toFixed(2), 'ms');
}
// per variable
const per = vars.map((v, i) => {
  const t0 = performance.now();
  for (let k = 0; k < 10; k++) opt.applyGradients([list[i]]);
  return [v.shape.join('x'), (performance.now() - t0) / 10];
});
per.sort((a, b) => b[1] - a[1]);
console.log(
  per
    .slice(0, 8)
    .map(([s, t]) => `${s}: ${t.toFixed(2)}`)
    .join('\n'),
);
