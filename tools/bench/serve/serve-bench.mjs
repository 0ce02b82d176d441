#!/usr/bin/env node
// Prediction-service benchmark: exports the ADNI-sized model (random weights), starts `serve` in a child
// process on 127.0.0.1, runs autocannon for --duration seconds at batch 1 and batch 32, and checks zero
// errors and a clean SIGTERM exit. Usage: npm run build && node tools/bench/serve/serve-bench.mjs
//   [--duration 10] [--connections 4] [--port 18080] [--threads 1] [--rate-limit 0] [--auth 1]
// All load comes from one client address, so the per-client rate limit is off by default (--rate-limit N
// sets it); --auth 1 serves with a bearer token and sends it. Server RSS is read from /proc before and after.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx, mulberry32 } from '../../../packages/export/dist/index.js';
import { ADNI_SIZED_CONFIG, randomNamedWeights } from '../../../packages/export/dist/testing/random-model.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 4);
const port = Number(args.port ?? 18080);
const threads = Number(args.threads ?? 1);
const rateLimit = Number(args['rate-limit'] ?? 0);
const token = args.auth === '1' ? 'bench-token-0123456789abcdef' : undefined;
const authHeader = token ? { authorization: `Bearer ${token}` } : {};
const rssMiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'flexmoe-serve-bench-'));
const model = path.join(dir, 'model.onnx');
const config = ADNI_SIZED_CONFIG;
writeFileSync(
  model,
  exportOnnx({ config, namedWeights: randomNamedWeights(config, 7), metadata: { classes: ['CN', 'MCI', 'AD'] } }),
);

const rand = mulberry32(3);
const record = (i) => {
  const features = {};
  config.modalities.forEach((m, j) => {
    if (j === 0 || (i + j) % 3 !== 0)
      features[m.name] = Array.from({ length: m.width }, () => Math.round((rand() * 2 - 1) * 1000) / 1000);
  });
  return { features };
};

const server = spawn(
  process.execPath,
  [
    path.join(root, 'packages/export/dist/cli/main.js'),
    'serve',
    '--model',
    model,
    '--port',
    String(port),
    '--threads',
    String(threads),
    '--body-limit',
    String(8 * 1024 * 1024),
    '--log-level',
    'warn',
    '--rate-limit',
    String(rateLimit),
  ],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...(token ? { FLEXMOE_SERVE_TOKEN: token } : {}) },
  },
);
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/readyz`)).ok) break;
  } catch {
    if (i > 100) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rows = [];
let failed = false;
const rssBefore = rssMiB(server.pid);
for (const batch of [1, 32]) {
  const body = JSON.stringify(
    batch === 1 ? record(0) : { records: Array.from({ length: batch }, (_, i) => record(i)) },
  );
  const headers = { 'content-type': 'application/json', ...authHeader };
  const check = await fetch(`${url}/v1/predict`, { method: 'POST', headers, body });
  if (!check.ok) throw new Error(`warm-up request failed: ${check.status} ${await check.text()}`);
  const result = await autocannon({ url: `${url}/v1/predict`, method: 'POST', headers, body, connections, duration });
  const errors = result.errors + result.timeouts + result.non2xx;
  if (errors > 0) failed = true;
  rows.push(
    `| ${batch} | ${(body.length / 1024).toFixed(0)} KiB | ${connections} | ` +
      `${result.latency.p50} | ${result.latency.p99} | ` +
      `${result.requests.average.toFixed(1)} | ${(result.requests.average * batch).toFixed(0)} | ${errors} |`,
  );
}
const rssAfter = rssMiB(server.pid);
server.kill('SIGTERM');
const { code, signal } = await exited;
rmSync(dir, { recursive: true, force: true });
console.log('| batch | body | connections | p50 ms | p99 ms | requests/s | records/s | errors |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(
  `server RSS ${rssBefore} MiB before, ${rssAfter} MiB after; rate limit ${rateLimit || 'off'}, auth ${token ? 'bearer token' : 'off'}`,
);
console.log(`server exit after SIGTERM: code ${code}${signal ? `, signal ${signal}` : ''}`);
if (failed || code !== 0) process.exit(1);
