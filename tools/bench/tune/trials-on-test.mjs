#!/usr/bin/env node
// After a tune has finished: how well did its ranking predict test scores? Evaluates every kept model of every
// trial (each seed; with folds, each fold run) on the test split with `flexmoe evaluate`, and prints per trial its
// tune score next to the mean test metric, and the rank correlation (Spearman) of the two over the trials.
// An analysis of a finished tune only: `flexmoe tune` itself never scores trials on test.
// Usage: node tools/bench/tune/trials-on-test.mjs TUNE_DIR DATASET [metric, default: the tune's]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [tuneDir, dataset, metricArg] = process.argv.slice(2);
if (!tuneDir || !dataset) {
  console.error('usage: node tools/bench/tune/trials-on-test.mjs TUNE_DIR DATASET [metric]');
  process.exit(2);
}
const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/bin/flexmoe.js');
const tune = JSON.parse(readFileSync(join(tuneDir, 'tune.json'), 'utf8'));
const metric = metricArg ?? tune.selectMetric;

/** Run directories of a trial: its fold runs, or the trial itself. */
function runsOf(trialDir) {
  const folds = readdirSync(trialDir).filter((f) => /^fold-\d+$/.test(f));
  return folds.length > 0 ? folds.map((f) => join(trialDir, f)) : [trialDir];
}

function testScore(runDir) {
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  return run.options.seeds.map((seed) => {
    const out = execFileSync(
      process.execPath,
      [cli, 'evaluate', '--run', runDir, '--data', dataset, '--seed', String(seed), '--json'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return JSON.parse(out)[metric];
  });
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = [];
for (const t of tune.trials) {
  const dir = join(tuneDir, 'trials', t.name);
  if (t.validation === undefined || !existsSync(dir)) continue;
  const test = mean(runsOf(dir).flatMap(testScore));
  rows.push({ name: t.name, tune: t.validation, test });
  console.log(`${t.name}  tune ${metric} ${t.validation.toFixed(4)}  test ${metric} ${test.toFixed(4)}`);
}
const ranks = (xs) => {
  const order = xs.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
  const r = new Array(xs.length);
  order.forEach(([, i], k) => (r[i] = k));
  return r;
};
const a = ranks(rows.map((r) => r.tune));
const b = ranks(rows.map((r) => r.test));
const ma = mean(a);
const mb = mean(b);
const cov = mean(a.map((x, i) => (x - ma) * (b[i] - mb)));
const sd = (xs, m) => Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
console.log(
  `Spearman rank correlation (tune score vs test) over ${rows.length} trials: ${(cov / (sd(a, ma) * sd(b, mb))).toFixed(2)}`,
);
const chosen = rows.reduce((best, r) => (r.tune > best.tune ? r : best), rows[0]);
const sorted = [...rows].sort((x, y) => y.test - x.test);
console.log(
  `chosen ${chosen.name}: test ${chosen.test.toFixed(4)}, rank ${sorted.indexOf(chosen) + 1} of ${rows.length} on test ` +
    `(best on test: ${sorted[0].name}, ${sorted[0].test.toFixed(4)})`,
);
