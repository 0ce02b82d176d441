import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineResult, BaselinesReport } from '../baselines/run-baselines.js';
import { meanStd } from '../metrics/classification.js';
import type { AggregatedScores } from '../run/run-types.js';
import { checkPageInChromium } from './browser-check.js';
import { baselinesSection } from './baselines-section.js';
import { toolForTests } from '@flexmoe/data/testing';

const itWithChromium = toolForTests('chromium', 'trainer report/baselines-section.test.ts (1 rendering test)')
  ? it
  : it.skip;

const agg = (acc: number, f1: number, auc: number, spread = 0): AggregatedScores => ({
  accuracy: meanStd([acc - spread, acc + spread]),
  macroF1: meanStd([f1, f1]),
  auc: meanStd([auc - spread, auc + spread]),
});
const result = (auc: number, valAuc: number, n: number): BaselineResult => ({
  test: agg(0.8, 0.6, auc),
  validation: agg(0.8, 0.6, valAuc),
  perCombination: {},
  c: 0.1,
  features: 12,
  n: { training: 100, validation: 30, testing: n },
});
const baselines: BaselinesReport = {
  logistic: result(0.864, 0.85, 40),
  perModality: { 'vitals <b>': result(0.8, 0.79, 35), codes: result(0.7, 0.72, 38) },
  best: 'logistic',
  selectMetric: 'auc',
  classWeights: 'balanced',
};

function page(html: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flexmoe-baselines-'));
  const file = join(dir, 'page.html');
  writeFileSync(
    file,
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>${html}</body></html>`,
  );
  return file;
}

describe('baselinesSection', () => {
  it('shows Flex-MoE next to every baseline with a verdict, escaped names, and the best baseline in bold', () => {
    const html = baselinesSection(agg(0.85, 0.6, 0.835, 0.005), agg(0.85, 0.6, 0.83), baselines);
    expect(html).toContain('<section id="baselines">');
    expect(html).toMatch(
      /Flex-MoE test auc 83\.50 ± 0\.50 is behind the best baseline \(logistic, 86\.40; difference -2\.90 points\)/,
    );
    expect(html).toContain('verdict-behind');
    expect(html).toContain('logistic, vitals &lt;b&gt; only');
    expect(html).toMatch(/<tr style="font-weight:600"><td class="l">logistic, all modalities/);
    expect(baselinesSection(agg(0.85, 0.6, 0.866, 0.005), agg(0.85, 0.6, 0.83), baselines)).toContain(
      'within the seed spread',
    );
    expect(baselinesSection(agg(0.85, 0.6, 0.9, 0.005), agg(0.85, 0.6, 0.83), baselines)).toContain('is ahead of');
  });

  it('says how to get baselines when the run has none', () => {
    expect(baselinesSection(agg(0.8, 0.6, 0.8), agg(0.8, 0.6, 0.8), undefined)).toMatch(
      /train with <code>--baselines<\/code>/,
    );
  });

  itWithChromium(
    'renders visibly in headless Chromium',
    async () => {
      const file = page(baselinesSection(agg(0.85, 0.6, 0.835, 0.005), agg(0.85, 0.6, 0.83), baselines));
      const check = await checkPageInChromium(file);
      expect(check.consoleErrors).toEqual([]);
      expect(check.externalRequests).toEqual([]);
      expect(check.visibleSections).toEqual(['baselines']);
    },
    60000,
  );
});
