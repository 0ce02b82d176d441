// Probe (not used by the library): runs tfjs-backend-wasm's multi-threaded SIMD binary in Node 20. tfjs 4.22 turns
// threads off in Node and would not work as is: its pthread worker and main script are Blob URLs, which Node's
// worker_threads cannot load, and the C++ side caps the pool at (logical cores / 2) = 1 on a 2-vCPU machine.
// Workarounds here: WASM_HAS_MULTITHREAD_SUPPORT forced on, worker_threads.Worker patched to load the worker
// source from a temp file (and its importScripts to eval the factory file), os.cpus() doubled during init.
// Usage: node tools/bench/train-step/wasm-threads-probe.mjs [threads]   (prints the thread count and a matmul time)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wt = require('worker_threads');
const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const { wasmWorkerContents } = require(path.join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'));
const factoryFile = path.join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'));
const workerFile = path.join(dir, 'worker.cjs');
fs.writeFileSync(
  workerFile,
  wasmWorkerContents.replace(/\n/g, '\\n') +
    `
;(function(){ const orig = global.importScripts; const fs = require('fs');
  global.importScripts = function(f) { if (String(f).startsWith('blob:')) { ` +
    `(0, eval)(fs.readFileSync(${JSON.stringify(factoryFile)}, 'utf8')); } else orig(f); };
  const origCreate = URL.createObjectURL; ` +
    `URL.createObjectURL = function(b) { try { return origCreate(b); } catch (e) { return 'blob:unreadable'; } };
})();`,
);
const RealWorker = wt.Worker;
class PatchedWorker extends RealWorker {
  constructor(filename, options) {
    super(String(filename).startsWith('blob:') ? workerFile : filename, options);
  }
}
wt.Worker = PatchedWorker;
const tf = await import('@tensorflow/tfjs-core');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setThreadsCount(Number(process.argv[2] ?? 2));
const origCpus = os.cpus;
os.cpus = () => {
  const c = origCpus();
  return [...c, ...c];
};
await tf.setBackend('wasm');
await tf.ready();
os.cpus = origCpus;
console.log(
  'backend',
  tf.getBackend(),
  'threads',
  wasm.getThreadsCount(),
  'PThread' in tf.backend().wasm,
  await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  tf.backend().wasm.tfjs.getThreadsCount(),
);
const a = tf.randomNormal([512, 128]),
  b = tf.randomNormal([128, 384]);
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) tf.matMul(a, b).dispose();
  console.log('512x128x384', ((performance.now() - t0) / 50).toFixed(3), 'ms');
}
process.exit(0);
