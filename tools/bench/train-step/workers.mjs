// End-to-end training throughput of `flexmoe train` against the number of data-parallel workers, interleaved
// (round r runs every N once, in alternating order) so that every N sees the same machine load. Usage:
//   npm run build && node tools/bench/train-step/workers.mjs --data DATASET [--workers 1,2] [--rounds 2] [--epochs 3] [--profile]
// Prints, per N: train samples/s of each round (metrics JSON, validation and checkpoints excluded), the child's
// peak RSS (VmHWM) and its RSS after each epoch (growth over epochs), and the load average around the runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const data = opt('data');
if (!data)
  throw new Error('--data DATASET is required (e.g. flexmoe data synth adni --scale 1.0, then flexmoe data adni)');
const counts = opt('workers', '1,2').split(',').map(Number);
const rounds = Number(opt('rounds', '2'));
const epochs = Number(opt('epochs', '3'));
const cli = fileURLToPath(new URL('../../../packages/cli/bin/flexmoe.js', import.meta.url));
const extra = (opt('args', '') || '').split(' ').filter(Boolean);
const profile = args.includes('--profile'); // workers print where their step time goes (last epoch shown)

/** KiB value of a /proc/PID/status field (0 when the process is gone). */
function statusKiB(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function runOnce(workers) {
  const dir = mkdtempSync(join(tmpdir(), 'flexmoe-workers-bench-'));
  const json = join(dir, 'metrics.json');
  const argv = [
    cli,
    'train',
    '--data',
    data,
    '--out',
    join(dir, 'run'),
    '--epochs',
    String(epochs),
    '--warmup',
    '1',
    '--seeds',
    '0',
    '--no-progress',
    '--json',
    json,
    '--workers',
    String(workers),
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FLEXMOE_BACKEND: 'wasm', ...(profile ? { FLEXMOE_WORKER_PROFILE: '1' } : {}) },
    });
    let stderr = '';
    let peak = 0;
    const epochRss = [];
    const poll = setInterval(() => {
      peak = Math.max(peak, statusKiB(child.pid, 'VmHWM'));
    }, 200);
    child.stderr.on('data', (chunk) => {
      const text = chunk.toString();
      stderr += text;
      for (const _ of text.matchAll(/epoch \d+\/\d+:/g)) epochRss.push(statusKiB(child.pid, 'VmRSS'));
      peak = Math.max(peak, statusKiB(child.pid, 'VmHWM'));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`flexmoe train --workers ${workers} failed (${code}):\n${stderr}`));
      const metrics = JSON.parse(readFileSync(json, 'utf8'));
      const epochRates = [...stderr.matchAll(/, ([\d.]+) samples\/s/g)].map((m) => Number(m[1]));
      rmSync(dir, { recursive: true, force: true });
      const steps = [...stderr.matchAll(/\[flexmoe\] (worker \d+ epoch \d+: per step .*)/g)].map((m) => m[1]);
      resolve({
        steps: steps.slice(-workers),
        samplesPerSecond: metrics.throughput.trainSamplesPerSecond,
        msPerStep: metrics.throughput.msPerStep,
        epochRates,
        peakMiB: peak / 1024,
        epochRssMiB: epochRss.map((k) => k / 1024),
      });
    });
  });
}

const results = new Map(counts.map((n) => [n, []]));
const loads = [loadavg()[0]];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? counts : [...counts].reverse();
  for (const n of order) {
    const res = await runOnce(n);
    results.get(n).push(res);
    loads.push(loadavg()[0]);
    console.log(
      `round ${r + 1} workers ${n}: ${res.samplesPerSecond.toFixed(1)} samples/s (epochs ${res.epochRates.join(', ')}), ` +
        `peak RSS ${res.peakMiB.toFixed(0)} MiB, ` +
        `RSS after each epoch ${res.epochRssMiB.map((x) => x.toFixed(0)).join(' → ')} MiB, ` +
        `load ${loadavg()[0].toFixed(1)}`,
    );
    for (const line of res.steps) console.log(`  ${line}`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(results.get(counts[0]).map((x) => x.samplesPerSecond));
console.log(`\nload average (1 min) over the runs: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
console.log('| workers | train samples/s (median) | per round | speed-up | peak RSS (process, MiB) |');
console.log('|---|---|---|---|---|');
for (const n of counts) {
  const rs = results.get(n);
  const m = median(rs.map((x) => x.samplesPerSecond));
  console.log(
    `| ${n} | ${m.toFixed(1)} | ${rs.map((x) => x.samplesPerSecond.toFixed(1)).join(' / ')} | ` +
      `${(m / base).toFixed(2)}× | ${median(rs.map((x) => x.peakMiB)).toFixed(0)} |`,
  );
}
