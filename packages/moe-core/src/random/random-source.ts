import * as tf from '@tensorflow/tfjs-core';

/**
 * A source of randomness with serialisable state. Everything random in the model (initialisation,
 * router noise, dropout masks) is drawn from one of these, so a checkpointed run resumes bit-identically.
 */
export interface RandomSource {
  /** Standard normal samples as a float32 tensor of `shape`. */
  normal(shape: number[]): tf.Tensor;
  /** Uniform samples in [0, 1) as a float32 tensor of `shape`. */
  uniform(shape: number[]): tf.Tensor;
  /** Standard normal samples as a plain array (no tensor). */
  normalArray(size: number): Float32Array;
  /** Uniform [0, 1) samples as a plain array (no tensor). */
  uniformArray(size: number): Float32Array;
  /**
   * Optional fast path: an inverted-dropout mask drawn from the same stream as `uniformArray(size)`, i.e. exactly
   * `uniformArray(size).map((u) => (u >= rate ? keep : 0))` (same draws, same state afterwards).
   */
  dropoutMaskArray?(size: number, rate: number, keep: number, out?: Float32Array): Float32Array;
  /** The generator state, enough to continue the exact same stream after `setState`. */
  getState(): number[];
  setState(state: number[]): void;
}

/** Router noise: one `[tokens, experts]` matrix of standard normals per SMoE call. */
export interface NoiseSource {
  next(shape: [number, number]): tf.Tensor2D;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * xoshiro128** with Box-Muller normals. State: the four 32-bit words plus the cached second
 * Box-Muller value (a flag and its float bits), so `getState`/`setState` round-trips exactly.
 */
export class SeededRandom implements RandomSource {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private hasSpare = false;
  private spare = 0;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRandom: seed must be a finite number, got ${seed}`);
    const sm = splitmix32(Math.floor(seed) >>> 0);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** One standard normal (Box-Muller, the second value is cached). */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * v;
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  normalArray(size: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.nextNormal();
    return out;
  }

  uniformArray(size: number): Float32Array {
    // The xoshiro128** step inlined on local state: this runs for every dropout mask, so it must be cheap.
    const out = new Float32Array(size);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < size; i++) {
      const m5 = Math.imul(s1, 5);
      const r7 = (m5 << 7) | (m5 >>> 25);
      const result = Math.imul(r7, 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = result / 4294967296;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    return out;
  }

  dropoutMaskArray(size: number, rate: number, keep: number, into?: Float32Array): Float32Array {
    // uniformArray stores result/2^32 as float32 and the mask compares that with `rate`; float32 rounding is
    // monotonic, so the comparison is `result >= threshold` for the smallest such 32-bit integer (exact).
    const threshold = uniformThreshold(rate);
    if (into && into.length < size)
      throw new Error(`SeededRandom.dropoutMaskArray: output has ${into.length} < ${size} entries`);
    const out = into ?? new Float32Array(size);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < size; i++) {
      const m5 = Math.imul(s1, 5);
      const r7 = (m5 << 7) | (m5 >>> 25);
      const result = Math.imul(r7, 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = result >= threshold ? keep : 0;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    return out;
  }

  normal(shape: number[]): tf.Tensor {
    return tf.tensor(this.normalArray(sizeOf(shape)), shape, 'float32');
  }

  uniform(shape: number[]): tf.Tensor {
    return tf.tensor(this.uniformArray(sizeOf(shape)), shape, 'float32');
  }

  getState(): number[] {
    const spareBits = new Uint32Array(new Float64Array([this.spare]).buffer);
    return [this.s0, this.s1, this.s2, this.s3, this.hasSpare ? 1 : 0, spareBits[0], spareBits[1]];
  }

  setState(state: number[]): void {
    if (
      !Array.isArray(state) ||
      state.length !== 7 ||
      state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new Error('SeededRandom.setState: expected 7 unsigned 32-bit integers (as returned by getState)');
    }
    [this.s0, this.s1, this.s2, this.s3] = state;
    this.hasSpare = state[4] === 1;
    this.spare = new Float64Array(new Uint32Array([state[5], state[6]]).buffer)[0];
  }
}

/** Smallest integer r in [0, 2^32] with `Math.fround(r / 2^32) >= rate` (2^32 when there is none). */
export function uniformThreshold(rate: number): number {
  let lo = 0;
  let hi = 4294967296;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (Math.fround(mid / 4294967296) >= rate) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Router noise drawn from a {@link RandomSource}. */
export class RandomNoiseSource implements NoiseSource {
  constructor(private readonly random: RandomSource) {}
  next(shape: [number, number]): tf.Tensor2D {
    return this.random.normal(shape) as tf.Tensor2D;
  }
}

/** Router noise replayed from fixed matrices, in call order (tests, golden vectors). */
export class FixedNoiseSource implements NoiseSource {
  private position = 0;
  constructor(private readonly matrices: number[][][]) {}
  next(shape: [number, number]): tf.Tensor2D {
    const m = this.matrices[this.position];
    if (m === undefined)
      throw new Error(
        `FixedNoiseSource: only ${this.matrices.length} noise matrices, call ${this.position + 1} requested`,
      );
    if (m.length !== shape[0] || m[0].length !== shape[1]) {
      throw new Error(
        `FixedNoiseSource: matrix ${this.position} is [${m.length}, ${m[0].length}], expected [${shape[0]}, ${shape[1]}]`,
      );
    }
    this.position++;
    return tf.tensor2d(m);
  }
}
