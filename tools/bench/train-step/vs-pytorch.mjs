// Training-step throughput side by side, interleaved: moe-core on wasm (native matrix products and XNNPACK only)
// and the PyTorch reference (tools/bench/pytorch-reference, default and tuned malloc), ADNI-sized model, batch 8,
// one thread each. Each round runs every variant once, in an order that alternates between rounds, so every
// variant sees the same machine load; the load average is printed with every figure.
// Usage: npm run build && node tools/bench/train-step/vs-pytorch.mjs [--rounds 3] [--steps 40] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const rounds = Number(opt('rounds', '3'));
const steps = opt('steps', '40');
const python = opt('python', '/usr/bin/python3');
const reference = join(here, '../pytorch-reference/flexmoe_reference.py');
const ours = (matmul) => [
  process.execPath,
  [
    join(here, 'run.mjs'),
    '--backends',
    'wasm',
    '--batches',
    '8',
    '--dispatch',
    'sparse',
    '--optimizer',
    'typed',
    '--steps',
    steps,
    '--warmup',
    '5',
    '--matmul',
    matmul,
  ],
];
const torch = (extra) => [
  python,
  [reference, '--batch', '8', '--steps', steps, '--warmup', '5', '--threads', '1', ...extra],
];
const variants = {
  'flexmoe wasm + native matmul': ours('native'),
  'flexmoe wasm, XNNPACK only': ours('xnnpack'),
  'pytorch (default malloc)': torch([]),
  'pytorch (--tune-malloc)': torch(['--tune-malloc']),
};
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  const names = r % 2 ? Object.keys(variants).reverse() : Object.keys(variants);
  for (const name of names) {
    const [cmd, argv] = variants[name];
    const load = loadavg()[0];
    const p = spawnSync(cmd, argv, {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    if (p.status !== 0) throw new Error(`${name} failed:\n${p.stderr}`);
    const line = p.stdout.split('\n').find((l) => l.startsWith('{') && l.includes('ms'));
    const row = JSON.parse(line);
    const ms = row.msPerStep ?? row.ms_per_step_median;
    const minMs = row.minMs ?? row.ms_per_step_min;
    results[name].push({ ms, minMs, load });
    console.log(
      `round ${r + 1} ${name}: median ${ms} ms/step, min ${minMs}, ${(8000 / ms).toFixed(1)} samples/s (load ${load.toFixed(2)})`,
    );
  }
}
console.log(
  '\n| variant | ms/step per round (median) | median of rounds | samples/s | min ms/step |\n|---|---|---|---|---|',
);
for (const [name, rows] of Object.entries(results)) {
  const ms = rows.map((x) => x.ms).sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)];
  console.log(
    `| ${name} | ${rows.map((x) => x.ms).join(' / ')} | ${med} | ${(8000 / med).toFixed(1)} | ${Math.min(...rows.map((x) => x.minMs))} |`,
  );
}
