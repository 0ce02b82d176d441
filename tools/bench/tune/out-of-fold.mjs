#!/usr/bin/env node
// Flex-MoE against logistic regression on out-of-fold predictions: every training + validation patient is predicted
// once, by the model of the fold that held it out, so the comparison rests on all of them (on the MIMIC-like data
// ~2,000 patients and ~160 deaths) instead of one test split (359 and 28). The test split is never read.
//
// First train the fold runs of one configuration (any flags; several seeds give the seed ensemble):
//   for k in 1 2 3; do npx flexmoe train --data DS --out RUNS/fold-$k --cv-fold $k/3 --seeds 0,1,2 [flags]; done
// then: node tools/bench/tune/out-of-fold.mjs DS RUNS/fold- [folds, default 3]
// Prints the out-of-fold metric (the runs' --select-metric) of each seed, of the seed ensemble, and of L2 logistic
// regression (mean-imputed, missing indicators, the runs' class weights) fitted on each fold's training part at every
// C of the baseline grid; the best C is chosen in hindsight, which favours the baseline.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '@flexmoe/data';
import {
  chooseBackend,
  classWeights,
  crossValidationSplits,
  designRows,
  ensemblePredictions,
  fitDesignMatrix,
  fitLogistic,
  predictLogistic,
  prepareData,
  rocAuc,
  DEFAULT_C_GRID,
} from '@flexmoe/trainer';

const [dataset, prefix, foldsArg] = process.argv.slice(2);
if (!dataset || !prefix) {
  console.error('usage: node tools/bench/tune/out-of-fold.mjs DATASET RUN_PREFIX [folds]');
  process.exit(2);
}
const folds = Number(foldsArg ?? 3);
const runDirs = Array.from({ length: folds }, (_, k) => `${prefix}${k + 1}`);
const runs = runDirs.map((dir) => {
  const file = join(dir, 'run.json');
  if (!existsSync(file)) throw new Error(`${file} not found: train the fold runs first (see the header of this file)`);
  return JSON.parse(readFileSync(file, 'utf8'));
});
const { seeds, selectMetric, classWeights: weightSpec, cvFold } = runs[0].options;
runs.forEach((r, k) => {
  if (r.options.cvFold?.fold !== k + 1 || r.options.cvFold?.folds !== folds)
    throw new Error(`${runDirs[k]}: not a --cv-fold ${k + 1}/${folds} run`);
});
await chooseBackend();
const data = prepareData(await readDataset(dataset), {});
const C = data.classes.length;
const splits = runDirs.map((_, k) => crossValidationSplits(data, { fold: k + 1, folds, seed: cvFold.seed }));

function metric(labels, probabilities) {
  if (selectMetric === 'auc') return rocAuc(labels, probabilities, C);
  const predictions = probabilities.map((q) => q.indexOf(Math.max(...q)));
  const hits = predictions.filter((p, i) => p === labels[i]).length;
  if (selectMetric === 'accuracy') return hits / labels.length;
  let f1 = 0;
  for (let c = 0; c < C; c++) {
    const tp = predictions.filter((p, i) => p === c && labels[i] === c).length;
    const fp = predictions.filter((p, i) => p === c && labels[i] !== c).length;
    const fn = predictions.filter((p, i) => p !== c && labels[i] === c).length;
    f1 += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return f1 / C;
}

/** Out-of-fold metric of per-fold predictions (each: held-out rows and their probabilities). */
function outOfFold(perFold) {
  const labels = [];
  const probabilities = [];
  for (const { rows, probs } of perFold) {
    rows.forEach((r, i) => {
      labels.push(data.labels[r]);
      probabilities.push(probs[i]);
    });
  }
  return { value: metric(labels, probabilities), n: labels.length };
}

const pct = (x) => (x * 100).toFixed(2);
const flex = (dirsOf) =>
  outOfFold(
    splits.map((s, k) => ({
      rows: Array.from(s.validation),
      probs: ensemblePredictions(dirsOf(k), data, s.validation, 64).probabilities,
    })),
  );
const singles = seeds.map((seed) => flex((k) => [join(runDirs[k], `seed-${seed}`, 'best')]));
singles.forEach((r, i) =>
  console.log(`Flex-MoE seed ${seeds[i]}: out-of-fold ${selectMetric} ${pct(r.value)} (n ${r.n})`),
);
const meanSingle = singles.reduce((a, r) => a + r.value, 0) / singles.length;
console.log(`Flex-MoE, mean over seeds: ${pct(meanSingle)}`);
if (seeds.length > 1) {
  const e = flex((k) => seeds.map((seed) => join(runDirs[k], `seed-${seed}`, 'best')));
  console.log(`Flex-MoE seed ensemble (${seeds.length} seeds): ${pct(e.value)}`);
}
let best = -Infinity;
for (const c of DEFAULT_C_GRID) {
  const r = outOfFold(
    splits.map((s) => {
      const train = Array.from(s.training);
      const held = Array.from(s.validation);
      const foldData = { ...data, splits: { ...data.splits, training: s.training } };
      const w = classWeights(weightSpec, foldData);
      const y = Int32Array.from(train, (row) => data.labels[row]);
      const spec = fitDesignMatrix(
        data,
        data.modalities.map((_, j) => j),
        data.modalities.length > 1,
        train,
      );
      const model = fitLogistic(designRows(data, spec, train), train.length, spec.width, y, C, {
        c,
        sampleWeights: w ? Float64Array.from(y, (v) => w[v]) : undefined,
        gradientTolerance: 1e-7,
      });
      const p = predictLogistic(model, designRows(data, spec, held), held.length);
      return { rows: held, probs: held.map((_, i) => Array.from(p.subarray(i * C, (i + 1) * C))) };
    }),
  );
  best = Math.max(best, r.value);
  console.log(`logistic C=${c}: ${pct(r.value)}`);
}
console.log(`logistic, best C in hindsight: ${pct(best)}`);
