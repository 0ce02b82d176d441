import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { gelu, geluDerivative, geluForward, geluForwardHeap } from './gelu.js';
import { erf64 } from '../router/normal-distribution.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { SeededRandom } from '../random/random-source.js';
import { useBackend } from '../testing/golden.js';

describe('GELU', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('erf64 matches known values', () => {
    // Reference values of erf (Abramowitz & Stegun table 7.1 / high-precision tables).
    const known: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [-1, -0.8427007929497149],
    ];
    for (const [x, v] of known) expect(Math.abs(erf64(x) - v)).toBeLessThan(1e-14);
  });

  it('the tabulated JS GELU and its derivative agree with the erf formula to float32 precision', () => {
    const xs = Float32Array.from({ length: 4001 }, (_, i) => -12 + (24 * i) / 4000);
    const bias = Float32Array.from([0.25, -0.5]);
    const values = Float32Array.from(xs);
    const deriv = new Float32Array(xs.length);
    geluForward(values, bias, 0, 2, values, deriv);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] + bias[i % 2];
      const phi = 0.5 * (1 + erf64(x / Math.SQRT2));
      const dens = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      expect(Math.abs(values[i] - x * phi)).toBeLessThan(2e-7 * Math.max(1, Math.abs(x)));
      expect(Math.abs(deriv[i] - (phi + x * dens))).toBeLessThan(2e-7 * Math.max(1, Math.abs(x)));
    }
  });

  it('tf gelu / geluDerivative agree with finite differences', () => {
    const xs = [-3, -1, -0.2, 0, 0.7, 2.5];
    const g = tf.tidy(() => Array.from(gelu(tf.tensor1d(xs)).dataSync()));
    const d = tf.tidy(() => Array.from(geluDerivative(tf.tensor1d(xs)).dataSync()));
    const f = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));
    xs.forEach((x, i) => {
      expect(Math.abs(g[i] - f(x))).toBeLessThan(1e-6);
      expect(Math.abs(d[i] - (f(x + 1e-5) - f(x - 1e-5)) / 2e-5)).toBeLessThan(1e-4);
    });
  });
});

describe('geluForwardHeap (wasm kernel)', () => {
  it('is bit-identical to geluForward, edge cases included', async () => {
    await useBackend('wasm');
    const heap = WasmHeap.current() as WasmHeap;
    expect(heap).not.toBeNull();
    const rows = 37;
    const width = 24;
    const n = rows * width;
    const random = new SeededRandom(9);
    const values = random.normalArray(n).map((v, i) => (i % 7 === 0 ? v * 8 : v));
    const edges = [
      -10,
      10,
      -10.000001,
      9.9999995,
      -9.9999995,
      10.5,
      -30,
      30,
      0,
      -0,
      NaN,
      1e-30,
      3.0517578125e-5,
      Infinity,
      -Infinity,
    ];
    edges.forEach((v, i) => (values[i * 3] = v));
    const bias = random.normalArray(3 * width).map((v) => v * 0.1);
    bias[width + 1] = 0;
    const out = new Float32Array(n);
    const der = new Float32Array(n);
    geluForward(values, bias, width, width, out, der);
    const vOff = heap.offsetOf(tf.tensor1d(values)); // kept alive by the engine until the end of the test
    const bOff = heap.offsetOf(tf.tensor1d(bias));
    const o = heap.allocTensor([n]);
    const d = heap.allocTensor([n]);
    expect(geluForwardHeap(heap, vOff, bOff + width, width, n, o.offset, d.offset)).toBe(true);
    const mem = heap.heap();
    expect(Array.from(mem.subarray(o.offset, o.offset + n))).toEqual(Array.from(out));
    expect(Array.from(mem.subarray(d.offset, d.offset + n))).toEqual(Array.from(der));
  });
});
