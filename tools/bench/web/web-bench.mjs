#!/usr/bin/env node
// Budgets of the browser app (issue 12): bundle size without the onnxruntime wasm (gzip -9), time to open the
// ADNI-sized model, first prediction after the model is loaded and later ones, in this machine's headless
// Chromium. The timed spans are the page's own (performance.now() around PredictorCore.predictRecords): the
// prediction (one sample), then the acquisition values of the two missing modalities (1 + 2 × rows samples).
// "Open" includes fetching the 28 MB wasm and the model, creating the session and its first (warm-up) run.
// Prints Markdown and `uptime`.
// Usage: npm run build && node tools/bench/web/web-bench.mjs [--iters 30] [--rows 32]
import { execSync } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ADNI_SIZED_CONFIG, exportOnnx, mulberry32, randomNamedWeights } from '../../../packages/export/dist/index.js';
import { launchChromium } from '../../../packages/trainer/dist/report/browser-check.js';
import { buildWebApp, writeWebApp } from '../../../packages/web/dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const iters = Number(args.iters ?? 30);
const rows = Number(args.rows ?? 32);

// 1. bundle
const built = await buildWebApp();
const sizes = [];
for (const f of built.files) {
  const bytes = await readFile(path.join(built.dir, f.path));
  sizes.push({ path: f.path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
}
const appFiles = sizes.filter((s) => !s.path.startsWith('ort/'));
const sum = (xs, k) => xs.reduce((a, s) => a + s[k], 0);
console.log('| file | bytes | gzip -9 |');
console.log('|---|---|---|');
for (const s of sizes) console.log(`| ${s.path} | ${s.raw} | ${s.gzip} |`);
console.log(`| **app without ort/ (budget 300 KB gzip)** | ${sum(appFiles, 'raw')} | **${sum(appFiles, 'gzip')}** |`);

// 2. the ADNI-sized model with `rows` stored profiles per modality
const config = ADNI_SIZED_CONFIG;
const rand = mulberry32(3);
const counterfactualSamples = config.modalities.map((m) => ({
  modality: m.name,
  rows,
  width: m.width,
  values: Float32Array.from({ length: rows * m.width }, () => rand() * 2 - 1),
}));
const model = exportOnnx({
  config,
  namedWeights: randomNamedWeights(config, 7),
  metadata: { classes: ['CN', 'MCI', 'AD'], counterfactualSamples },
});
const root = await mkdtemp(path.join(tmpdir(), 'flexmoe-web-bench-'));
const modelFile = path.join(root, 'model.onnx');
await writeFile(modelFile, model);
const site = path.join(root, 'site');
await writeWebApp(site, modelFile);

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
};
const server = createServer((req, res) => {
  const rel = decodeURIComponent(req.url.split('?')[0]).replace(/^\/+/, '') || 'index.html';
  readFile(path.join(site, path.normalize(rel))).then(
    (b) => res.writeHead(200, { 'content-type': types[path.extname(rel)] ?? 'application/octet-stream' }).end(b),
    () => res.writeHead(404).end(),
  );
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

// 3. Chromium: open, then predict records lacking image and genomic (features form)
const record = () => ({
  features: Object.fromEntries(
    config.modalities
      .filter((m) => m.name === 'clinical' || m.name === 'biospecimen')
      .map((m) => [m.name, Array.from({ length: m.width }, () => rand() * 2 - 1)]),
  ),
});
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"]', { state: 'attached', timeout: 120000 });
  const openMs = Date.now() - t0;
  await page.click('#paste summary');
  const times = [];
  const acquisition = [];
  for (let i = 0; i <= iters; i++) {
    await page.evaluate(() => document.body.removeAttribute('data-state'));
    await page.fill('#record-text', JSON.stringify(record()));
    await page.click('#predict-text');
    await page.waitForSelector('body[data-state="predicted"], body[data-state="error"]', {
      state: 'attached',
      timeout: 120000,
    });
    const facts = await page.$('#run-facts');
    if (!facts) throw new Error(await page.$eval('#error', (e) => e.textContent));
    times.push(Number(await facts.getAttribute('data-elapsed-ms')));
    acquisition.push(Number(await facts.getAttribute('data-acquisition-ms')));
  }
  const quantile = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const later = times.slice(1);
  const q = (p) => quantile(later, p);
  const provider = await page.$eval('#provider', (e) => e.dataset.provider);
  console.log(
    `\nADNI-sized model (${(model.length / 1e6).toFixed(1)} MB, ` +
      `widths ${config.modalities.map((m) => m.width).join('/')}), ` +
      `${rows} profiles per modality, ${provider}:`,
  );
  console.log('| measure | ms |');
  console.log('|---|---|');
  console.log(`| open page + model (navigation → ready) | ${openMs} |`);
  console.log(`| first prediction after load (budget 2000) | ${times[0].toFixed(1)} |`);
  console.log(
    `| later predictions p50 / p90 over ${later.length} (budget 50) | ${q(0.5).toFixed(1)} / ${q(0.9).toFixed(1)} |`,
  );
  const acq = acquisition.slice(1);
  console.log(
    `| acquisition values, first / later p50 / p90 (${1 + 2 * rows} samples) | ` +
      `${acquisition[0].toFixed(1)} / ${quantile(acq, 0.5).toFixed(1)} / ${quantile(acq, 0.9).toFixed(1)} |`,
  );
} finally {
  await browser.close();
  server.close();
  await rm(root, { recursive: true, force: true });
}
console.log(`\nuptime: ${execSync('uptime').toString().trim()}`);
