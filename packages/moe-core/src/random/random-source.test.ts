import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FixedNoiseSource, RandomNoiseSource, SeededRandom, uniformThreshold } from './random-source.js';

describe('SeededRandom', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(Array.from(new SeededRandom(7).uniformArray(5))).toEqual(Array.from(new SeededRandom(7).uniformArray(5)));
    expect(Array.from(new SeededRandom(7).uniformArray(5))).not.toEqual(
      Array.from(new SeededRandom(8).uniformArray(5)),
    );
  });

  it('the inlined uniformArray matches the scalar generator', () => {
    const a = new SeededRandom(3);
    const b = new SeededRandom(3);
    const bulk = a.uniformArray(1000);
    for (let i = 0; i < 1000; i++) expect(bulk[i]).toBe(Math.fround(b.nextFloat()));
    expect(a.getState()).toEqual(b.getState());
  });

  it('dropoutMaskArray equals thresholding uniformArray (same draws, same state after)', () => {
    for (const rate of [0.5, 0.1, 0.3, 1e-9, 0.999999]) {
      const a = new SeededRandom(5);
      const b = new SeededRandom(5);
      const keep = 1 / (1 - rate);
      const mask = a.dropoutMaskArray(20000, rate, keep);
      const ref = Float32Array.from(b.uniformArray(20000), (u) => (u >= rate ? keep : 0));
      expect(Array.from(mask)).toEqual(Array.from(ref));
      expect(a.getState()).toEqual(b.getState());
    }
    // Threshold exactness at float32 rounding boundaries.
    for (const rate of [0.5, 0.1, 0.3, 0.7, 1e-9]) {
      const t = uniformThreshold(rate);
      expect(Math.fround(t / 4294967296) >= rate).toBe(true);
      expect(t === 0 || Math.fround((t - 1) / 4294967296) < rate).toBe(true);
    }
  });

  it('getState/setState resumes the exact stream (including a cached Box-Muller value)', () => {
    const r = new SeededRandom(11);
    r.normalArray(3); // odd count: a spare normal is cached
    const state = r.getState();
    const next = Array.from(r.normalArray(6)).concat(Array.from(r.uniformArray(4)));
    const r2 = new SeededRandom(999);
    r2.setState(state);
    expect(Array.from(r2.normalArray(6)).concat(Array.from(r2.uniformArray(4)))).toEqual(next);
    expect(() => r2.setState([1, 2, 3])).toThrow(/7 unsigned 32-bit integers/);
  });

  it('has the moments of U(0,1) and N(0,1)', () => {
    const r = new SeededRandom(5);
    const u = r.uniformArray(20000);
    const n = r.normalArray(20000);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const variance = (a: Float32Array) => {
      const mu = mean(a);
      return a.reduce((s, v) => s + (v - mu) ** 2, 0) / a.length;
    };
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.003);
    expect(Math.abs(mean(n))).toBeLessThan(0.03);
    expect(Math.abs(variance(n) - 1)).toBeLessThan(0.04);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('noise sources give tensors of the requested shape and replay fixed matrices in order', async () => {
    await tf.setBackend('cpu');
    const noise = new RandomNoiseSource(new SeededRandom(1));
    const t = noise.next([3, 4]);
    expect(t.shape).toEqual([3, 4]);
    t.dispose();
    const fixed = new FixedNoiseSource([[[1, 2]], [[3, 4]]]);
    const a = fixed.next([1, 2]);
    const b = fixed.next([1, 2]);
    expect([...a.dataSync(), ...b.dataSync()]).toEqual([1, 2, 3, 4]);
    a.dispose();
    b.dispose();
    expect(() => fixed.next([1, 2])).toThrow(/only 2 noise matrices/);
    expect(() => new FixedNoiseSource([[[1, 2]]]).next([2, 2])).toThrow(/expected \[2, 2\]/);
  });
});
