import * as tf from '@tensorflow/tfjs-core';
import type { WasmHeap } from './wasm-heap.js';
import { geluKernel } from './wasm-simd.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

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

/** erf(x) in float64 to ~1e-15: Taylor series for |x| < 3, continued fraction of erfc beyond. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/*
 * Φ and φ tabulated on [-10, 10] with step 1/2048 (float64), linearly interpolated. The interpolation error
 * (h²/8·max|Φ''| ≈ 7e-9, and ≈ 1.2e-8 for φ) is below float32 resolution, so this is the exact (erf) GELU
 * at float32 precision, but ~10× cheaper than the wasm Erf kernel and it yields the derivative for free.
 */
const TABLE_RANGE = 10;
const TABLE_STEPS = 2048;
const TABLE_SIZE = 2 * TABLE_RANGE * TABLE_STEPS + 2;
let cdfTable: Float64Array | null = null;
let pdfTable: Float64Array | null = null;

function tables(): [Float64Array, Float64Array] {
  if (!cdfTable || !pdfTable) {
    cdfTable = new Float64Array(TABLE_SIZE);
    pdfTable = new Float64Array(TABLE_SIZE);
    for (let i = 0; i < TABLE_SIZE; i++) {
      const x = -TABLE_RANGE + i / TABLE_STEPS;
      cdfTable[i] = 0.5 * (1 + erf64(x * Math.SQRT1_2));
      pdfTable[i] = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }
  }
  return [cdfTable, pdfTable];
}

/**
 * `out[i] = gelu(values[i] + bias[biasOffset + i mod width])` for i < out.length, and `gelu'` of the same
 * argument into `derivative`. Plain JS on typed arrays (used inside the sparse expert op); `out` may be `values`.
 */
export function geluForward(values: Float32Array, bias: Float32Array, biasOffset: number, width: number, out: Float32Array, derivative: Float32Array): void {
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
export function geluForwardHeap(heap: WasmHeap, values: number, bias: number, width: number, n: number, out: number, derivative: number): boolean {
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

/** Φ(z) from the table (float64, error ≈ 1e-8; exact 0/1 beyond ±10). */
export function normalCdfValue(z: number): number {
  if (z <= -TABLE_RANGE) return 0;
  if (z >= TABLE_RANGE) return 1;
  const [cdf] = tables();
  const pos = (z + TABLE_RANGE) * TABLE_STEPS;
  const j = pos | 0;
  return cdf[j] + (pos - j) * (cdf[j + 1] - cdf[j]);
}

/** φ(z) = exp(−z²/2)/√(2π). */
export function normalPdfValue(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}
