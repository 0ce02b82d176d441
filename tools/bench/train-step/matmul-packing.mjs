// XNNPACK cost of packing the B operand, through tfjs-backend-wasm's own BatchMatMul export: the same product
// with a fresh B tensor id each call (operator created and B packed every time, as every tf.matMul on a new
// tensor does) versus one reused id (operator cached by BatchMatMul). Usage: node tools/bench/train-step/matmul-packing.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
await tf.ready();
const backend = tf.backend();
const w = backend.wasm;
const shapePtr = w._malloc(24);
function setShapes(M, K, N) {
  const s = w.HEAP32;
  const p = shapePtr >> 2;
  s[p] = 1;
  s[p + 1] = M;
  s[p + 2] = K;
  s[p + 3] = 1;
  s[p + 4] = K;
  s[p + 5] = N;
}
function bench(M, K, N, reps) {
  const aOff = w._malloc(M * K * 4),
    bOff = w._malloc(K * N * 4),
    oOff = w._malloc(M * N * 4);
  for (let i = 0; i < M * K; i++) w.HEAPF32[(aOff >> 2) + i] = Math.random();
  for (let i = 0; i < K * N; i++) w.HEAPF32[(bOff >> 2) + i] = Math.random();
  const aId = backend.dataIdNextNumber++,
    oId = backend.dataIdNextNumber++,
    bFixed = backend.dataIdNextNumber++;
  w.tfjs.registerTensor(aId, M * K, aOff);
  w.tfjs.registerTensor(oId, M * N, oOff);
  w.tfjs.registerTensor(bFixed, K * N, bOff);
  setShapes(M, K, N);
  let fresh, cached;
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const bId = backend.dataIdNextNumber++;
      w.tfjs.registerTensor(bId, K * N, bOff);
      w._BatchMatMul(aId, shapePtr, 3, bId, shapePtr + 12, 3, 0, 0, oId);
      w.tfjs.disposeData(bId);
    }
    fresh = ((performance.now() - t0) / reps) * 1000;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      w._BatchMatMul(aId, shapePtr, 3, bFixed, shapePtr + 12, 3, 0, 0, oId);
    }
    cached = ((performance.now() - t0) / reps) * 1000;
  }
  console.log(
    `${M}x${K}x${N} fresh ${fresh.toFixed(1)} us cached ${cached.toFixed(1)} us  ` +
      `packing ${(fresh - cached).toFixed(1)} us (${((100 * (fresh - cached)) / fresh).toFixed(0)}%)  ` +
      `gemm ${((2 * M * K * N) / cached / 1e3).toFixed(1)} GFLOP/s`,
  );
}
bench(64, 32, 64, 3000);
bench(64, 64, 32, 3000);
bench(128, 128, 256, 400);
bench(128, 256, 128, 400);
bench(256, 128, 128, 400);
bench(128, 128, 128, 400);
bench(256, 128, 256, 300);
bench(512, 128, 384, 100);
bench(128, 512, 384, 100);
bench(384, 512, 128, 100);
