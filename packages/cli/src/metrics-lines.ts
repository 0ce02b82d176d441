import type { RunMetrics } from '@flexmoe/trainer';

const pct = (x: number): string => (x * 100).toFixed(2);

/** The test lines `train` and `tune` print: mean ± std over seeds, then the seed ensemble when there is one. */
export function testMetricsLines(metrics: RunMetrics): string {
  const { accuracy, macroF1, auc } = metrics.test;
  const spread = (m: { mean: number; std: number }): string => `${pct(m.mean)} ± ${pct(m.std)}`;
  let text = `test accuracy ${spread(accuracy)}  macro-F1 ${spread(macroF1)}  AUC ${spread(auc)}\n`;
  const e = metrics.ensemble?.test;
  if (e) text += `seed ensemble: test accuracy ${pct(e.accuracy)}  macro-F1 ${pct(e.macroF1)}  AUC ${pct(e.auc)}\n`;
  return text;
}
