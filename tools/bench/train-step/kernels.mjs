// Micro-benchmark of the wasm kernels against their JavaScript loops (GELU, transpose), 524 288 values each.
// Usage: npm run build && node tools/bench/train-step/kernels.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { WasmHeap } from '@flexmoe/moe-core/testing';
import { geluForward, geluForwardHeap } from '../../../packages/moe-core/dist/ops/gelu.js';
import { transposeInto } from '../../../packages/moe-core/dist/ops/array-kernels.js';
await tf.setBackend('wasm');
await tf.ready();
const heap = WasmHeap.current();
const n = 128 * 256,
  W = 256;
const v = tf.tensor1d(Float32Array.from({ length: n * 16 }, () => (Math.random() - 0.5) * 0.3));
const b = tf.tensor1d(Float32Array.from({ length: W * 16 }, () => Math.random() * 0.01));
const o = heap.allocTensor([n * 16]),
  d = heap.allocTensor([n * 16]);
const vo = heap.offsetOf(v),
  bo = heap.offsetOf(b);
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  for (let i = 0; i < 20; i++)
    for (let e = 0; e < 16; e++)
      geluForwardHeap(heap, vo + e * n, bo + e * W, W, n, o.offset + e * n, d.offset + e * n);
  const a = (performance.now() - t0) / 20;
  const mem = heap.heap();
  t0 = performance.now();
  for (let i = 0; i < 20; i++)
    for (let e = 0; e < 16; e++)
      geluForward(
        mem.subarray(vo + e * n, vo + (e + 1) * n),
        mem.subarray(bo, bo + 16 * W),
        e * W,
        W,
        mem.subarray(o.offset + e * n, o.offset + (e + 1) * n),
        mem.subarray(d.offset + e * n, d.offset + (e + 1) * n),
      );
  const js = (performance.now() - t0) / 20;
  t0 = performance.now();
  for (let i = 0; i < 20; i++) for (let e = 0; e < 16; e++) heap.transpose(vo + e * n, 128, W, o.offset + e * n);
  const tw = (performance.now() - t0) / 20;
  t0 = performance.now();
  for (let i = 0; i < 20; i++)
    for (let e = 0; e < 16; e++) transposeInto(mem, vo + e * n, 128, W, mem, o.offset + e * n);
  const tj = (performance.now() - t0) / 20;
  console.log(
    '524K elts: gelu wasm',
    a.toFixed(2),
    'js',
    js.toFixed(2),
    '| transpose wasm',
    tw.toFixed(2),
    'js',
    tj.toFixed(2),
    'ms',
  );
}
