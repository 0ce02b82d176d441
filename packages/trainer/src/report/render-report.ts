import type { AggregatedScores, CombinationScores, RunAnalysis, SeedResult } from '../run/run-types.js';
import { esc, fmt, heatmap, lineChart } from './svg.js';
import type { BaselinesReport } from '../baselines/run-baselines.js';
import { baselinesSection } from './baselines-section.js';
import type { EnsembleScores } from '../run/seed-ensemble.js';

/** Everything the report shows; read from `RUN/run.json` (see {@link loadReportInput}). */
export interface ReportInput {
  title: string;
  backend: string;
  config: Record<string, unknown>;
  test: AggregatedScores;
  validation: AggregatedScores;
  perCombination: Record<string, CombinationScores>;
  seeds: SeedResult[];
  analysis: RunAnalysis;
  /** Logistic baselines (`train --baselines`). */
  baselines?: BaselinesReport;
  /** The seed ensemble (runs with two or more seeds). */
  ensemble?: EnsembleScores;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.muted{color:#777}.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.chart .ct{font-size:13px;font-weight:600}.chart .tk{font-size:10px;fill:#444}.chart .lg{font-size:10px}.chart .cv{font-size:9px}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px}
`;

function scoreCell(s: { mean: number; std: number }): string {
  return `${fmt(s.mean * 100, 2)} ± ${fmt(s.std * 100, 2)}`;
}

function summarySection(input: ReportInput): string {
  const rows = (['accuracy', 'macroF1', 'auc'] as const)
    .map(
      (k) =>
        `<tr><td class="l">${k}</td><td>${scoreCell(input.test[k])}</td><td>${scoreCell(input.validation[k])}</td></tr>`,
    )
    .join('');
  const seeds = input.seeds
    .map(
      (s) =>
        `<tr><td>${s.seed}</td><td>${s.bestEpoch}</td><td>${fmt(s.test.accuracy * 100, 2)}</td>` +
        `<td>${fmt(s.test.macroF1 * 100, 2)}</td><td>${fmt(s.test.auc * 100, 2)}</td>` +
        `<td>${fmt(s.throughput.trainSamplesPerSecond, 1)}</td><td>${fmt(s.throughput.msPerStep, 1)}</td></tr>`,
    )
    .join('');
  const e = input.ensemble;
  const ensembleRow = e
    ? `<tr><td>ensemble of ${e.seeds.length}</td><td></td><td>${fmt(e.test.accuracy * 100, 2)}</td>` +
      `<td>${fmt(e.test.macroF1 * 100, 2)}</td><td>${fmt(e.test.auc * 100, 2)}</td><td></td><td></td></tr>`
    : '';
  const cfg = Object.entries(input.config)
    .map(([k, v]) => `<code>${esc(k)}=${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}</code>`)
    .join(' ');
  return (
    `<section id="summary"><h2>Summary</h2>
<p>Backend <b>${esc(input.backend)}</b>. ${cfg}</p>
<table><tr><th class="l">metric (%)</th><th>test mean ± std</th><th>validation mean ± std</th></tr>${rows}</table>
<table><tr><th>seed</th><th>best epoch</th><th>test acc</th><th>test macro-F1</th><th>test AUC</th>` +
    `<th>train samples/s</th><th>ms/step</th></tr>${seeds}${ensembleRow}</table>` +
    (e
      ? `<p class="muted">Ensemble: the mean of the seeds' predicted probabilities, one model ` +
        `(<code>flexmoe export --ensemble</code>).</p>`
      : '') +
    `</section>`
  );
}

function curvesSection(input: ReportInput): string {
  const loss = lineChart(
    'Training loss',
    input.seeds.map((s) => ({
      label: `seed ${s.seed}`,
      points: s.history.map((h) => ({ x: h.epoch, y: h.trainLoss })),
    })),
    { xLabel: 'epoch', yLabel: 'loss', integerX: true },
  );
  const acc = lineChart(
    'Validation accuracy',
    input.seeds.map((s) => ({
      label: `seed ${s.seed}`,
      points: s.history.map((h) => ({ x: h.epoch, y: h.validation.accuracy })),
    })),
    { xLabel: 'epoch', yLabel: 'accuracy', yMin: 0, yMax: 1, integerX: true },
  );
  const f1 = lineChart(
    'Validation macro-F1 / AUC',
    input.seeds.flatMap((s) => [
      { label: `F1 seed ${s.seed}`, points: s.history.map((h) => ({ x: h.epoch, y: h.validation.macroF1 })) },
      { label: `AUC seed ${s.seed}`, points: s.history.map((h) => ({ x: h.epoch, y: h.validation.auc })) },
    ]),
    { xLabel: 'epoch', yLabel: 'score', yMin: 0, yMax: 1, integerX: true },
  );
  return `<section id="curves"><h2>Training curves</h2><div class="row">${loss}${acc}${f1}</div></section>`;
}

function bankSection(a: RunAnalysis): string {
  if (!a.bankSimilarity) {
    return (
      `<section id="bank"><h2>Missing-modality bank similarity (Figure 4)</h2>` +
      `<p class="muted">This run has no bank (ablation no-bank or a single modality).</p></section>`
    );
  }
  const c = a.bankSimilarity.combinations;
  const m = a.bankSimilarity.missingModalities;
  return (
    `<section id="bank"><h2>Missing-modality bank similarity (Figure 4)</h2>
<p class="muted">Cosine similarity of the learned bank between its rows ` +
    `(observed combinations that occur in training, left: mean over the modalities both lack) ` +
    `and its columns (missing modalities, right: mean over the combinations lacking both). ` +
    `Only entries training uses (bank[c, m], m missing from c) enter; – means no common entry.</p>
<div class="row">${heatmap('Observed combination', c.labels, c.labels, c.matrix, { min: -1, max: 1 })}` +
    `${heatmap('Missing modality', m.labels, m.labels, m.matrix, { min: -1, max: 1, cell: 44 })}</div></section>`
  );
}

function expertSection(a: RunAnalysis): string {
  if (!a.expertActivation) {
    return (
      `<section id="experts"><h2>Expert activation per input combination (Figure 5)</h2>` +
      `<p class="muted">No routing statistics in this run.</p></section>`
    );
  }
  const e = a.expertActivation;
  return (
    `<section id="experts"><h2>Expert activation per input combination (Figure 5)</h2>
<p class="muted">${esc(e.source)}, best model, inference mode: for each input combination (row), ` +
    `the share of its (token, top-k slot) selections that went to each expert ` +
    `(column; experts 0..2^M-2 are named by their combination, the rest are buffer experts).</p>\n` +
    heatmap('Activation ratio', e.combinations, e.experts, e.ratio, {
      min: 0,
      digits: 2,
      cell: 32,
      rowTitle: 'input',
      colTitle: 'expert',
    }) +
    `</section>`
  );
}

function combinationSection(input: ReportInput): string {
  const rows = Object.entries(input.perCombination)
    .map(
      ([k, v]) =>
        `<tr><td class="l">${esc(k)}</td><td>${v.n}</td><td>${fmt(v.accuracy * 100, 2)}</td><td>${fmt(v.macroF1 * 100, 2)}</td></tr>`,
    )
    .join('');
  return `<section id="combinations"><h2>Test metrics per input combination</h2>
<p class="muted">Mean over seeds; n is the number of test samples with that combination.</p>
<table><tr><th class="l">combination</th><th>n</th><th>accuracy (%)</th><th>macro-F1 (%)</th></tr>${rows}</table></section>`;
}

function confusionSection(a: RunAnalysis): string {
  const head = a.classes.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = a.confusion
    .map((r, i) => `<tr><th class="l">${esc(a.classes[i])}</th>${r.map((v) => `<td>${v}</td>`).join('')}</tr>`)
    .join('');
  const matrix = heatmap('Confusion (rows true)', a.classes, a.classes, a.confusion, { digits: 0, cell: 48, min: 0 });
  return (
    `<section id="confusion"><h2>Confusion matrix</h2>` +
    `<p class="muted">Test set, seed ${a.seed} (best seed), best-validation weights.</p>
<div class="row">${matrix}<table><tr><th class="l">true \\ predicted</th>${head}</tr>${rows}</table></div></section>`
  );
}

function rocSection(a: RunAnalysis): string {
  const chart = lineChart(
    'ROC curves (one-vs-rest)',
    a.roc.map((r) => ({
      label: `${r.className} (AUC ${fmt(r.auc, 3)})`,
      points: r.points.map((p) => ({ x: p.fpr, y: p.tpr })),
    })),
    {
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
      yMin: 0,
      yMax: 1,
      diagonal: true,
      legendBottomRight: true,
      width: 380,
      height: 320,
    },
  );
  return `<section id="roc"><h2>ROC curves</h2><div class="row">${chart}</div></section>`;
}

/** Renders the whole report as one self-contained HTML page (inline CSS and SVG, no script, no network). */
export function renderReport(input: ReportInput): string {
  return (
    `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title><style>${CSS}</style></head>
<body><h1>${esc(input.title)}</h1>
<p class="muted">Flex-MoE run report. Classes: ${a(input.analysis.classes)}. ` +
    `Modalities: ${a(input.analysis.modalityLetters)}. Seeds: ${input.seeds.map((s) => s.seed).join(', ')}.</p>
${summarySection(input)}
${baselinesSection(input.test, input.validation, input.baselines, input.ensemble)}
${curvesSection(input)}
${bankSection(input.analysis)}
${expertSection(input.analysis)}
${combinationSection(input)}
${confusionSection(input.analysis)}
${rocSection(input.analysis)}
</body></html>
`
  );
}

function a(items: string[]): string {
  return items.map(esc).join(', ');
}
