import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanStd } from '../metrics/classification.js';
import type { RunAnalysis, SeedResult } from '../run/run-types.js';
import { toolForTests } from '@flexmoe/data/testing';
import { checkPageInChromium } from './browser-check.js';
import { renderReport, type ReportInput } from './render-report.js';

function seed(s: number): SeedResult {
  return {
    seed: s,
    bestEpoch: 2,
    validation: { accuracy: 0.6, macroF1: 0.5, auc: 0.7 },
    test: { accuracy: 0.55 + s / 100, macroF1: 0.5, auc: 0.7 },
    perCombination: { IGCB: { n: 4, accuracy: 0.5, macroF1: 0.4 } },
    history: [1, 2, 3].map((e) => ({
      epoch: e,
      trainLoss: 1.2 - e * 0.1 - s * 0.01,
      trainTaskLoss: 1.1,
      trainRouterLoss: 3,
      validation: { accuracy: 0.4 + e * 0.05, macroF1: 0.3 + e * 0.05, auc: 0.5 + e * 0.05 },
      trainSeconds: 1,
      trainSamples: 16,
      steps: 2,
    })),
    throughput: { trainSamplesPerSecond: 16, msPerStep: 500 },
  };
}

const analysis: RunAnalysis = {
  seed: 0,
  classes: ['CN', 'MCI', 'Dementia <&>'],
  modalityLetters: ['I', 'G'],
  test: {
    labels: [0, 1, 2],
    probabilities: [
      [0.8, 0.1, 0.1],
      [0.2, 0.5, 0.3],
      [0.3, 0.3, 0.4],
    ],
    combinations: ['IG', 'IG', 'IG'],
  },
  confusion: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  roc: [
    {
      className: 'CN',
      auc: 1,
      points: [
        { fpr: 0, tpr: 0 },
        { fpr: 0, tpr: 1 },
        { fpr: 1, tpr: 1 },
      ],
    },
  ],
  bankSimilarity: {
    combinations: {
      labels: ['I', 'G'],
      matrix: [
        [1, 0.25],
        [0.25, 1],
      ],
    },
    missingModalities: {
      labels: ['I', 'G'],
      matrix: [
        [1, -0.5],
        [-0.5, 1],
      ],
    },
  },
  expertActivation: {
    source: 'Training split',
    combinations: ['IG', 'I'],
    experts: ['IG', 'I', 'G'],
    ratio: [
      [0.5, 0.25, 0.25],
      [0.1, 0.8, 0.1],
    ],
  },
};

const input: ReportInput = {
  title: 'Test run',
  backend: 'cpu',
  config: { epochs: 3, modalities: ['I', 'G'] },
  test: { accuracy: meanStd([0.55, 0.56]), macroF1: meanStd([0.5, 0.5]), auc: meanStd([0.7, 0.7]) },
  validation: { accuracy: meanStd([0.6, 0.6]), macroF1: meanStd([0.5, 0.5]), auc: meanStd([0.7, 0.7]) },
  perCombination: { IG: { n: 3, accuracy: 1, macroF1: 1 } },
  seeds: [seed(0), seed(1)],
  analysis,
};

const itWithChromium = toolForTests('chromium', 'trainer report/render-report.test.ts (1 rendering test)')
  ? it
  : it.skip;

describe('renderReport', () => {
  it('is one self-contained page with every section, escaped text and the numbers', () => {
    const html = renderReport(input);
    for (const id of ['summary', 'curves', 'bank', 'experts', 'combinations', 'confusion', 'roc']) {
      expect(html).toContain(`<section id="${id}">`);
    }
    expect(html).toContain('Dementia &lt;&amp;&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('55.50 ± 0.50'); // test accuracy mean ± std in %
  });

  itWithChromium(
    'renders in headless Chromium without console errors or network requests',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flexmoe-report-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, renderReport(input));
      const check = await checkPageInChromium(file);
      expect(check.consoleErrors).toEqual([]);
      expect(check.externalRequests).toEqual([]);
      expect(check.visibleSections).toEqual([
        'summary',
        'baselines',
        'curves',
        'bank',
        'experts',
        'combinations',
        'confusion',
        'roc',
      ]);
      // 3 curves + 2 bank heatmaps + 1 expert heatmap + confusion heatmap + ROC
      expect(check.renderedSvgs).toBe(8);
    },
    60000,
  );
});
