import * as tf from '@tensorflow/tfjs-core';
import type { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { geluKernel } from '../backends/wasm/wasm-simd.js';
import {
  INV_SQRT_2PI,
  normalTables as tables,
  TABLE_RANGE,
  TABLE_SIZE,
  TABLE_STEPS,
} from '../router/normal-distribution.js';

/** Exact GELU `0.5·x·(1 + erf(x/√2))` (differentiable through tf ops; the dense reference path). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** d gelu(x)/dx = Φ(x) + x·φ(x). */
export function geluDerivative(x: tf.Tensor): tf.Tensor {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
  return tf.add(cdf, tf.mul(x, pdf));
}

/**
 * `out[i] = gelu(values[i] + bias[biasOffset + i mod width])` for i < out.length, and `gelu'` of the same
 * argument into `derivative`. Plain JS on typed arrays (used inside the sparse expert op); `out` may be `values`.
 */
export function geluForward(
  values: Float32Array,
  bias: Float32Array,
  biasOffset: number,
  width: number,
  out: Float32Array,
  derivative: Float32Array,
): void {
  const [cdf, pdf] = tables();
  const n = out.length;
  for (let i = 0, c = 0; i < n; i++) {
    const x = values[i] + bias[biasOffset + c];
    if (++c === width) c = 0;
    let phi: number;
    let dens: number;
    if (x <= -TABLE_RANGE) {
      phi = 0;
      dens = 0;
    } else if (x >= TABLE_RANGE) {
      phi = 1;
      dens = 0;
    } else {
      const pos = (x + TABLE_RANGE) * TABLE_STEPS;
      const j = pos | 0;
      const f = pos - j;
      phi = cdf[j] + f * (cdf[j + 1] - cdf[j]);
      dens = pdf[j] + f * (pdf[j + 1] - pdf[j]);
    }
    out[i] = x * phi;
    derivative[i] = phi + x * dens;
  }
}

const heapTables = new WeakMap<object, { cdf: number; pdf: number }>();

/**
 * {@link geluForward} on the wasm heap (float indexes: `values`, `bias` at its offset, `out`, `derivative`, `n`
 * values of rows of `width`), by the wasm kernel of ops/wasm-simd.ts (bit-identical, tables copied to the heap
 * once per module). Returns false when the kernel is unavailable (the caller then uses {@link geluForward}).
 */
export function geluForwardHeap(
  heap: WasmHeap,
  values: number,
  bias: number,
  width: number,
  n: number,
  out: number,
  derivative: number,
): boolean {
  const kernel = geluKernel(heap, TABLE_RANGE, TABLE_STEPS);
  if (!kernel) return false;
  let t = heapTables.get(heap.module);
  if (!t) {
    const [cdf, pdf] = tables();
    const cdfPtr = heap.module._malloc(TABLE_SIZE * 8);
    const pdfPtr = heap.module._malloc(TABLE_SIZE * 8);
    if (!cdfPtr || !pdfPtr || cdfPtr % 8 !== 0 || pdfPtr % 8 !== 0) return false;
    const buffer = heap.heap().buffer;
    new Float64Array(buffer, cdfPtr, TABLE_SIZE).set(cdf);
    new Float64Array(buffer, pdfPtr, TABLE_SIZE).set(pdf);
    t = { cdf: cdfPtr, pdf: pdfPtr };
    heapTables.set(heap.module, t);
  }
  kernel(values * 4, bias * 4, out * 4, derivative * 4, n, width, t.cdf, t.pdf);
  return true;
}
