import { baselineVerdict, type BaselineResult, type BaselinesReport } from '../baselines/run-baselines.js';
import type { AggregatedScores } from '../run/run-types.js';
import { singleModelScores, type EnsembleScores } from '../run/seed-ensemble.js';
import { esc, fmt } from './svg.js';

function cell(s: { mean: number; std: number }, withStd: boolean): string {
  return withStd ? `${fmt(s.mean * 100, 2)} ± ${fmt(s.std * 100, 2)}` : fmt(s.mean * 100, 2);
}

/** The "Baselines" section: Flex-MoE next to the logistic baselines, with a one-line verdict. */
export function baselinesSection(
  test: AggregatedScores,
  validation: AggregatedScores,
  baselines: BaselinesReport | undefined,
  ensemble?: EnsembleScores,
): string {
  if (!baselines) {
    return (
      `<section id="baselines"><h2>Baselines</h2><p class="muted">No baselines in this run: ` +
      `train with <code>--baselines</code> (or run <code>flexmoe baseline</code>) ` +
      `to compare with logistic regression.</p></section>`
    );
  }
  const metric = baselines.selectMetric;
  const row = (
    name: string,
    t: AggregatedScores,
    v: AggregatedScores,
    n: string,
    c: string,
    withStd: boolean,
    best: boolean,
  ): string =>
    `<tr${best ? ' style="font-weight:600"' : ''}><td class="l">${esc(name)}</td><td>${n}</td><td>${c}</td>` +
    `<td>${cell(v[metric], withStd)}</td>` +
    `<td>${cell(t.accuracy, withStd)}</td><td>${cell(t.macroF1, withStd)}</td><td>${cell(t.auc, withStd)}</td></tr>`;
  const base = (name: string, key: string, r: BaselineResult): string =>
    row(name, r.test, r.validation, String(r.n.testing), String(r.c), false, baselines.best === key);
  const rows = [
    row('Flex-MoE (mean ± std over seeds)', test, validation, '', '', true, false),
    ...(ensemble
      ? [
          row(
            `Flex-MoE seed ensemble (mean probability of ${ensemble.seeds.length} seeds)`,
            singleModelScores(ensemble.test),
            singleModelScores(ensemble.validation),
            '',
            '',
            false,
            false,
          ),
        ]
      : []),
    base('logistic, all modalities (mean-imputed + missing indicators)', 'logistic', baselines.logistic),
    ...Object.entries(baselines.perModality).map(([name, r]) => base(`logistic, ${name} only`, name, r)),
  ].join('');
  const { verdict, line } = baselineVerdict(baselines, test);
  const ensembleLine = ensemble
    ? `<p class="verdict-ensemble">${esc(baselineVerdict(baselines, singleModelScores(ensemble.test), 'Flex-MoE seed ensemble').line)}</p>`
    : '';
  return (
    `<section id="baselines"><h2>Baselines</h2>
<p class="verdict verdict-${verdict}"><b>${esc(line)}</b></p>${ensembleLine}
<p class="muted">L2 logistic regression fitted on the training split, C chosen on validation ${esc(metric)}, ` +
    `class weights ${esc(baselines.classWeights)}; ` +
    `single-modality rows use only the patients that have the modality ` +
    `(n = their test patients). Bold: the best baseline on validation.</p>
<table><tr><th class="l">model</th><th>test n</th><th>C</th><th>validation ${esc(metric)} (%)</th>` +
    `<th>test accuracy (%)</th><th>test macro-F1 (%)</th><th>test AUC (%)</th></tr>${rows}</table></section>`
  );
}
