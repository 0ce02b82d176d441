import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildAdniDataset } from '../adni/build-adni-dataset.js';
import { readDataset } from '../dataset/read-dataset.js';
import type { LoadedDataset, LoadedModality } from '../dataset/types.js';
import { writeDataset } from '../dataset/write-dataset.js';
import { generateAdniRaw } from './adni.js';

/** Softmax regression (L2, full-batch gradient descent) on standardised features; returns test accuracy. */
function accuracy(ds: LoadedDataset, mods: LoadedModality[], train: number[], test: number[]): number {
  const row = (i: number): number[] =>
    mods.flatMap((m) => Array.from(m.features.subarray(i * m.width, (i + 1) * m.width)));
  const X = train.map(row);
  const d = X[0].length;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const x of X) x.forEach((v, j) => (mu[j] += v / X.length));
  for (const x of X) x.forEach((v, j) => (sd[j] += (v - mu[j]) ** 2 / X.length));
  const z = (x: number[]): number[] => x.map((v, j) => (sd[j] > 1e-9 ? (v - mu[j]) / Math.sqrt(sd[j]) : 0));
  const Z = X.map(z);
  const C = ds.classes.length;
  const W = Array.from({ length: C }, () => new Float64Array(d + 1));
  const score = (x: number[]): number[] => W.map((w) => x.reduce((a, v, j) => a + w[j] * v, w[d]));
  for (let it = 0; it < 150; it++) {
    const G = Array.from({ length: C }, () => new Float64Array(d + 1));
    Z.forEach((x, k) => {
      const s = score(x);
      const mx = Math.max(...s);
      const e = s.map((v) => Math.exp(v - mx));
      const t = e.reduce((a, b) => a + b, 0);
      e.forEach((p, c) => {
        const g = p / t - (ds.labels[train[k]] === c ? 1 : 0);
        for (let j = 0; j < d; j++) G[c][j] += g * x[j];
        G[c][d] += g;
      });
    });
    W.forEach((w, c) => {
      for (let j = 0; j <= d; j++) w[j] -= 0.05 * (G[c][j] / Z.length + (j < d ? 0.05 * w[j] : 0));
    });
  }
  let ok = 0;
  for (const i of test) {
    const s = score(z(row(i)));
    if (s.indexOf(Math.max(...s)) === ds.labels[i]) ok++;
  }
  return ok / test.length;
}

describe('synthetic ADNI class signal', () => {
  it('gives each modality a partial view; all four together classify better than any one', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'flexmoe-signal-'));
    try {
      await generateAdniRaw({ outDir: path.join(root, 'raw'), seed: 2, scale: 0.3 });
      const { content } = await buildAdniDataset({ rawDir: path.join(root, 'raw'), seed: 0 });
      await writeDataset(path.join(root, 'ds'), content);
      const ds = await readDataset(path.join(root, 'ds'));
      const full = (i: number): boolean => ds.modalities.every((m) => m.observed[i] === 1);
      const train = Array.from(ds.splitIndices.training).filter(full);
      const test = [...ds.splitIndices.validation, ...ds.splitIndices.testing];
      const single = ds.modalities.map((m) => accuracy(ds, [m], train, test));
      const all = accuracy(ds, ds.modalities, train, test);
      const majority = Math.max(...[0, 1, 2].map((c) => test.filter((i) => ds.labels[i] === c).length)) / test.length;
      expect(Math.max(...single)).toBeGreaterThan(majority + 0.05); // some modality alone carries signal
      expect(all).toBeGreaterThan(Math.max(...single) + 0.02); // combining helps
      expect(all).toBeGreaterThan(single.reduce((a, b) => a + b, 0) / single.length + 0.05);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
