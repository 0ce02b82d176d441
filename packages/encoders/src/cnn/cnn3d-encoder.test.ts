import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  defaultConfig,
  PatchEmbedding,
  registerAllGradients,
  SeededRandom,
  validateConfig,
  type ModalityEncoder,
} from '@flexmoe/moe-core';
import { Cnn3dEncoder } from './cnn3d-encoder.js';
import { encoderFor } from '../encoder-for.js';

const tiny = {
  position: 1,
  volumeShape: [4, 4, 4] as [number, number, number],
  patches: 4,
  hidden: 8,
  channels: [2, 3, 2] as [number, number, number],
};

function volumes(n: number, seed: number): tf.Tensor2D {
  const r = new SeededRandom(seed);
  return tf.tensor2d(r.normalArray(n * 64), [n, 64]);
}

describe('Cnn3dEncoder', () => {
  beforeAll(async () => {
    await registerAllGradients();
    await tf.setBackend('cpu');
  });

  it('maps [n, D·H·W] to [n, P, H] and names its weights per docs/architecture.md', () => {
    const enc = new Cnn3dEncoder(tiny, new SeededRandom(1));
    const y = enc.encode(volumes(3, 2), true);
    expect(y.shape).toEqual([3, 4, 8]);
    const shapes = [...enc.namedWeights()].map(([name, v]) => [name, v.shape]);
    expect(shapes).toEqual([
      ['encoder1/conv0_kernel', [3, 3, 3, 1, 2]],
      ['encoder1/conv0_bias', [2]],
      ['encoder1/conv1_kernel', [3, 3, 3, 2, 2]],
      ['encoder1/conv1_bias', [2]],
      ['encoder1/conv2_kernel', [3, 3, 3, 2, 3]],
      ['encoder1/conv2_bias', [3]],
      ['encoder1/conv3_kernel', [3, 3, 3, 3, 3]],
      ['encoder1/conv3_bias', [3]],
      ['encoder1/conv4_kernel', [3, 3, 3, 3, 2]],
      ['encoder1/conv4_bias', [2]],
      ['encoder1/conv5_kernel', [3, 3, 3, 2, 2]],
      ['encoder1/conv5_bias', [2]],
      ['encoder1/cnn_dense_kernel', [2, 8]],
      ['encoder1/cnn_dense_bias', [8]],
      ['encoder1/patch_kernel', [2, 8]],
      ['encoder1/patch_bias', [8]],
    ]);
    expect(() => enc.encode(tf.zeros([2, 63]), false)).toThrow(
      /expected flattened volumes \[n, 64\] \(4×4×4\), got \[2, 63\]/,
    );
    enc.dispose();
  });

  it('named weights round trip: copying them into another encoder reproduces its output', () => {
    const a = new Cnn3dEncoder(tiny, new SeededRandom(1));
    const b = new Cnn3dEncoder(tiny, new SeededRandom(99));
    const x = volumes(2, 5);
    const ya = a.encode(x, false).arraySync();
    expect(b.encode(x, false).arraySync()).not.toEqual(ya);
    const bw = b.namedWeights();
    for (const [name, v] of a.namedWeights()) bw.get(name)!.assign(v);
    expect(b.encode(x, false).arraySync()).toEqual(ya);
    a.dispose();
    b.dispose();
  });

  it('encodes each row independently, so only the observing rows need to be passed', () => {
    const enc = new Cnn3dEncoder(tiny, new SeededRandom(3));
    const x = volumes(4, 6);
    const all = enc.encode(x, false);
    const some = enc.encode(tf.gather(x, [1, 3]), false);
    const expected = tf.gather(all, [1, 3]);
    expect(tf.max(tf.abs(tf.sub(some, expected))).dataSync()[0]).toBeLessThan(1e-6);
    enc.dispose();
  });

  it('gradients flow to every weight and match central finite differences (cpu)', () => {
    const enc = new Cnn3dEncoder(tiny, new SeededRandom(4));
    const x = volumes(2, 7);
    const projection = tf.tensor(new SeededRandom(8).normalArray(2 * 4 * 8), [2, 4, 8]);
    const weights = enc.namedWeights();
    const names = [...weights.keys()];
    const loss = (): tf.Scalar => tf.sum(tf.mul(enc.encode(x, true), projection));
    const { grads } = tf.variableGrads(
      loss,
      names.map((n) => weights.get(n)!),
    );
    for (const name of names) {
      const g = grads[weights.get(name)!.name].dataSync();
      expect({ name, flows: g.some((v) => v !== 0) }).toEqual({ name, flows: true });
    }
    // Central differences on a few entries of the first conv, the last conv, the dense and the patch kernel.
    const eps = 1e-2;
    for (const name of [
      'encoder1/conv0_kernel',
      'encoder1/conv5_kernel',
      'encoder1/conv2_bias',
      'encoder1/cnn_dense_kernel',
      'encoder1/patch_kernel',
    ]) {
      const v = weights.get(name)!;
      const analytic = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      // The entry with the largest gradient, so the check is not lost in float32 noise.
      let idx = 0;
      for (let i = 1; i < analytic.length; i++) if (Math.abs(analytic[i]) > Math.abs(analytic[idx])) idx = i;
      const at = (delta: number): number => {
        const w = base.slice();
        w[idx] += delta;
        v.assign(tf.tensor(w, v.shape));
        return loss().dataSync()[0];
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      expect({ name, diff: Math.abs(numeric - analytic[idx]) <= 2e-2 * Math.abs(analytic[idx]) + 2e-3 }).toEqual({
        name,
        diff: true,
      });
    }
    enc.dispose();
  });

  it('runs forward and backward on wasm with the same numbers as cpu', async () => {
    const forward = (): { y: number[]; g: number[] } => {
      const enc = new Cnn3dEncoder(tiny, new SeededRandom(11));
      const x = volumes(2, 12);
      const w = enc.namedWeights().get('encoder1/conv0_kernel')!;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(enc.encode(x, true))), [w]);
      const out = { y: [value.dataSync()[0]], g: Array.from(grads[w.name].dataSync()) };
      enc.dispose();
      return out;
    };
    const cpu = forward();
    await tf.setBackend('wasm');
    try {
      const wasm = forward();
      expect(Math.abs(wasm.y[0] - cpu.y[0])).toBeLessThan(1e-4 * Math.abs(cpu.y[0]) + 1e-4);
      const maxDiff = Math.max(...wasm.g.map((g, i) => Math.abs(g - cpu.g[i])));
      const scale = Math.max(...cpu.g.map(Math.abs));
      expect(maxDiff).toBeLessThan(1e-4 * scale + 1e-5);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('encoderFor', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('chooses the patch embedding for vectors and the CNN for volumes', () => {
    const r = new SeededRandom(1);
    const tab = encoderFor({ name: 'clinical', letter: 'C', width: 20 }, 2, { patches: 4, hidden: 8 }, r);
    expect(tab).toBeInstanceOf(PatchEmbedding);
    expect([...tab.namedWeights().keys()]).toEqual(['encoder2/patch_kernel', 'encoder2/patch_bias']);
    const vol = encoderFor(
      { name: 'image', letter: 'I', width: 64, kind: 'volume', volumeShape: [4, 4, 4], channels: [2, 2, 2] },
      0,
      { patches: 4, hidden: 8 },
      r,
    );
    expect(vol).toBeInstanceOf(Cnn3dEncoder);
    expect(vol.encode(tf.zeros([1, 64]), false).shape).toEqual([1, 4, 8]);
    expect(() =>
      encoderFor(
        { name: 'image', letter: 'I', width: 60, kind: 'volume', volumeShape: [4, 4, 4] },
        0,
        { patches: 4, hidden: 8 },
        r,
      ),
    ).toThrow(/width 60 != volume 4×4×4 = 64 voxels/);
    expect(() =>
      encoderFor({ name: 'image', letter: 'I', width: 64, kind: 'volume' }, 0, { patches: 4, hidden: 8 }, r),
    ).toThrow(/needs volumeShape/);
  });

  it("reads a model config's ModalitySpec (kind, volumeShape, channels) directly", () => {
    const config = defaultConfig(
      [
        { name: 'image', letter: 'I', width: 60, kind: 'volume', volumeShape: [3, 4, 5], channels: [2, 3, 4] },
        { name: 'clinical', letter: 'C', width: 6, kind: 'tabular' },
      ],
      { patches: 4, hidden: 8, heads: 2, experts: 3, topK: 1 },
    );
    validateConfig(config);
    const r = new SeededRandom(2);
    const encoders: ModalityEncoder[] = config.modalities.map((m, i) => encoderFor(m, i, config, r));
    expect(encoders[0]).toBeInstanceOf(Cnn3dEncoder);
    expect((encoders[0] as Cnn3dEncoder).shape).toEqual({ volumeShape: [3, 4, 5], channels: [2, 3, 4], hidden: 8 });
    expect(encoders[0].namedWeights().get('encoder0/conv5_kernel')!.shape).toEqual([3, 3, 3, 4, 4]);
    expect(encoders[1]).toBeInstanceOf(PatchEmbedding);
    for (const e of encoders) e.dispose();
  });
});
