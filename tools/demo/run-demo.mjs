#!/usr/bin/env node
// The README's main command: the whole Flex-MoE chain on built-in synthetic ADNI-layout data.
// raw tables → Arrow dataset → training → HTML report → ONNX → predictions for patients with missing modalities.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.resolve(process.env.FLEXMOE_DEMO_OUT ?? path.join(root, 'demo-output'));
const flexmoe = path.join(root, 'packages/cli/dist/main.js');
if (!existsSync(flexmoe)) {
  console.error(`missing ${path.relative(root, flexmoe)}: run \`npm run build\` first`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const paths = {
  raw: path.join(out, 'raw'),
  dataset: path.join(out, 'dataset'),
  run: path.join(out, 'run'),
  report: path.join(out, 'report.html'),
  metrics: path.join(out, 'metrics.json'),
  onnx: path.join(out, 'model.onnx'),
  predictions: path.join(out, 'predictions.jsonl'),
};
const epochs = process.env.FLEXMOE_DEMO_EPOCHS ?? '8';
const steps = [
  ['synthetic raw ADNI-layout tables', ['data', 'synth', 'adni', '--out', paths.raw, '--seed', '0', '--scale', '0.3']],
  ['Arrow dataset', ['data', 'adni', '--raw', paths.raw, '--out', paths.dataset]],
  [
    'training',
    [
      'train',
      '--data',
      paths.dataset,
      '--out',
      paths.run,
      '--epochs',
      epochs,
      '--warmup',
      '2',
      '--seeds',
      '0',
      '--json',
      paths.metrics,
    ],
  ],
  ['report', ['report', '--run', paths.run, '--out', paths.report]],
  ['ONNX export', ['export', '--run', paths.run, '--out', paths.onnx, '--calibrate']],
  [
    'predictions',
    [
      'predict',
      '--model',
      paths.onnx,
      '--data',
      paths.dataset,
      '--input',
      path.join(paths.raw, 'records.jsonl'),
      '--out',
      paths.predictions,
      '--counterfactuals',
    ],
  ],
  // What is made to be shared must hold no training patient's id or raw text value (docs/privacy.md).
  ['privacy audit of the model', ['audit', paths.onnx, '--data', paths.dataset, '--raw', paths.raw]],
  ['privacy audit of the run directory', ['audit', paths.run, '--data', paths.dataset, '--raw', paths.raw]],
  ['privacy audit of the report', ['audit', paths.report, '--data', paths.dataset, '--raw', paths.raw]],
];
for (const [title, args] of steps) {
  console.log(`\n=== ${title}: flexmoe ${args.join(' ')}`);
  const res = spawnSync(process.execPath, [flexmoe, ...args], { stdio: 'inherit', cwd: root });
  if (res.status !== 0) {
    console.error(`\ndemo step "${title}" failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
}
console.log('\n=== predictions for patients with different missing modalities');
for (const line of readFileSync(paths.predictions, 'utf8').split('\n').filter(Boolean)) {
  const p = JSON.parse(line);
  if (p.error) {
    console.log(`  record ${p.line}: error: ${p.error}`);
    continue;
  }
  const probs = Object.entries(p.probabilities)
    .map(([k, v]) => `${k} ${Number(v).toFixed(2)}`)
    .join(', ');
  let advice = '';
  const effects = [...(p.missingModalityEffects ?? [])].sort((a, b) => b.maxAbsShift - a.maxAbsShift);
  if (effects.length > 0) {
    const e = effects[0];
    advice =
      `; most informative missing test: ${e.modality} (expected shift up to ${(100 * e.maxAbsShift).toFixed(1)} points, ` +
      `changes the prediction in ${(100 * e.predictedClassChangeProbability).toFixed(0)} % of draws)`;
  }
  console.log(`  record ${p.line}: has ${p.combination.letters.padEnd(4)} → ${p.predictedClass} (${probs})${advice}`);
}
console.log('\nOutputs:');
for (const [name, p] of Object.entries(paths))
  console.log(`  ${name.padEnd(12)} ${path.relative(process.cwd(), p) || '.'}`);
