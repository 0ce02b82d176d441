import * as tf from '@tensorflow/tfjs-core';
import { FixedNoiseSource, SeededRandom } from '../random/random-source.js';
import { TypedAdam } from '../optim/typed-adam.js';
import { BACKENDS, expectClose, useBackend } from '../testing/golden.js';
import { buildBatch, disposeBatch, type FlexMoEBatch } from './batch.js';
import { defaultConfig, validateConfig, type FlexMoEConfig } from '../spec/config.js';
import { FlexMoEModel, type NamedWeight } from './flex-moe-model.js';

const MODALITIES = [
  { name: 'labs', letter: 'L', width: 7 },
  { name: 'notes', letter: 'N', width: 5 },
  { name: 'codes', letter: 'C', width: 3 },
];

function tinyConfig(overrides: Partial<FlexMoEConfig> = {}): FlexMoEConfig {
  return defaultConfig(MODALITIES, {
    patches: 3,
    hidden: 8,
    heads: 2,
    experts: 8,
    topK: 3,
    classes: 3,
    dropout: 0,
    ...overrides,
  });
}

/** A batch whose samples observe the given masks (rows of `observed`), random features. */
function randomBatch(model: FlexMoEModel, observed: number[][], seed = 3): { batch: FlexMoEBatch; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  const B = observed.length;
  const dense = MODALITIES.map((m) => rng.normalArray(B * m.width));
  const batch = buildBatch(
    model.table,
    MODALITIES.map((m) => m.width),
    dense,
    observed.map((r) => r.map((v) => v === 1)),
  );
  return { batch, labels: Int32Array.from(observed, (_, b) => b % 3) };
}

const MIXED = [
  [1, 1, 1],
  [1, 1, 0],
  [0, 0, 1],
  [1, 1, 1],
  [0, 1, 1],
  [1, 0, 0],
];

/** Fixed router noise for `calls` SMoE calls of `tokens` tokens. */
function fixedNoise(calls: number, tokens: number, experts: number, seed = 17): number[][][] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: calls }, () =>
    Array.from({ length: tokens }, () => Array.from(rng.normalArray(experts))),
  );
}

describe('FlexMoEConfig validation', () => {
  const cases: [Partial<FlexMoEConfig>, RegExp][] = [
    [{ experts: 6 }, /experts: E = 6 is smaller than the 7 combinations/],
    [{ topK: 9 }, /topK: k = 9 exceeds the number of experts E = 8/],
    [{ topK: 0 }, /topK: expected an integer >= 1/],
    [{ heads: 3 }, /hidden \(8\) must be divisible by heads \(3\)/],
    [{ classes: 1 }, /classes: expected an integer >= 2/],
    [{ hidden: 0 }, /hidden: expected an integer >= 1/],
    [{ patches: 0 }, /patches: expected an integer >= 1/],
    [{ dropout: 1 }, /dropout: expected a rate in \[0, 1\)/],
    [{ dropout: -0.1 }, /dropout/],
    [{ ablation: 'nope' as FlexMoEConfig['ablation'] }, /ablation/],
    [{ modalities: [] }, /modalities: expected 1..8 modalities, got 0/],
    [
      {
        modalities: Array.from({ length: 9 }, (_, i) => ({
          name: `m${i}`,
          letter: String.fromCharCode(65 + i),
          width: 2,
        })),
        experts: 511,
      },
      /got 9/,
    ],
    [{ modalities: [{ name: 'a', letter: 'A', width: 0 }] }, /modalities\[0\]\.width: expected an integer >= 1/],
    [
      {
        modalities: [
          { name: 'a', letter: 'A', width: 2 },
          { name: 'b', letter: 'A', width: 2 },
        ],
      },
      /duplicate letter "A"/,
    ],
    [{ classWeights: [1, 2] }, /classWeights: expected 3 numbers/],
    [
      { modalities: [{ name: 'mri', letter: 'I', width: 64, kind: 'volume', volumeShape: [4, 4, 5] }] },
      /modalities\[0\]\.volumeShape: volume 4×4×5 = 80 voxels does not match width 64 of modality mri/,
    ],
    [
      { modalities: [{ name: 'mri', letter: 'I', width: 64, kind: 'volume' }] },
      /modalities\[0\]\.volumeShape: volume modality mri needs volumeShape \[D, H, W\]/,
    ],
    [
      {
        modalities: [
          { name: 'mri', letter: 'I', width: 64, kind: 'volume', volumeShape: [4, 16, 0] as [number, number, number] },
        ],
      },
      /volumeShape: expected three integers >= 1/,
    ],
    [
      {
        modalities: [
          {
            name: 'mri',
            letter: 'I',
            width: 64,
            kind: 'volume',
            volumeShape: [4, 4, 4],
            channels: [2, 2] as unknown as [number, number, number],
          },
        ],
      },
      /modalities\[0\]\.channels: expected three integers >= 1/,
    ],
    [
      { modalities: [{ name: 'mri', letter: 'I', width: 64, volumeShape: [4, 4, 4] }] },
      /modalities\[0\]\.volumeShape: only volume modalities have a volumeShape/,
    ],
    [
      { modalities: [{ name: 'mri', letter: 'I', width: 64, kind: 'image' as 'volume' }] },
      /modalities\[0\]\.kind: expected tabular \| volume/,
    ],
    [{ patchProjection: 'per-modality' as 'shared' }, /FlexMoEConfig\.patchProjection: expected shared \| per-patch/],
  ];
  it.each(cases.map(([o, r], i) => [i, o, r] as const))(
    'case %i is rejected with a clear message',
    (_i, overrides, message) => {
      expect(() => new FlexMoEModel(tinyConfig(overrides))).toThrow(message);
    },
  );
  it('a volume modality whose volumeShape matches its width is accepted', () => {
    const volume = {
      name: 'mri',
      letter: 'I',
      width: 60,
      kind: 'volume' as const,
      volumeShape: [3, 4, 5] as [number, number, number],
      channels: [2, 2, 2] as [number, number, number],
    };
    expect(() =>
      validateConfig(tinyConfig({ modalities: [volume, { name: 'labs', letter: 'L', width: 7, kind: 'tabular' }] })),
    ).not.toThrow();
  });
});

/** Loss and gradients of `model` (then disposed) on the MIXED batch with fixed router noise. */
function gradientsOnMixedBatch(model: FlexMoEModel): ReturnType<FlexMoEModel['computeGradients']> {
  model.noise = new FixedNoiseSource(fixedNoise(3, 6 * 3, 8));
  const { batch, labels } = randomBatch(model, MIXED);
  const r = model.computeGradients(batch, labels);
  disposeBatch(batch);
  model.dispose();
  return r;
}

describe.each(BACKENDS)('FlexMoEModel on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('sparse and dense dispatch give the same loss and gradients', () => {
    const grads = (['sparse', 'dense'] as const).map((dispatch) =>
      gradientsOnMixedBatch(new FlexMoEModel(tinyConfig({ dispatch }), { seed: 5 })),
    );
    expect(Math.abs(grads[0].values.loss - grads[1].values.loss)).toBeLessThan(1e-5);
    for (const [name, g] of grads[0].gradients) {
      expectClose(
        g.values,
        Array.from((grads[1].gradients.get(name) as NamedWeight).values),
        `gradient of ${name}`,
        1e-5,
        1e-3,
      );
    }
  });

  it('per-patch projections holding copies of the shared kernel give the shared loss, and kernel gradients summing to it', () => {
    const shared = new FlexMoEModel(tinyConfig(), { seed: 5 });
    const perPatch = new FlexMoEModel(tinyConfig({ patchProjection: 'per-patch' }), { seed: 5 });
    const P = 3;
    const weights = new Map<string, NamedWeight>();
    for (const [name, w] of shared.getNamedWeights()) {
      const tiled = /patch_(kernel|bias)$/.test(name);
      weights.set(name, {
        values: tiled
          ? Float32Array.from({ length: P * w.values.length }, (_, i) => w.values[i % w.values.length])
          : w.values,
        shape: tiled ? [P, ...w.shape] : w.shape,
      });
    }
    perPatch.setNamedWeights(weights);
    const results = [shared, perPatch].map(gradientsOnMixedBatch);
    expect(Math.abs(results[0].values.loss - results[1].values.loss)).toBeLessThan(1e-5);
    for (const [name, g] of results[0].gradients) {
      const other = (results[1].gradients.get(name) as NamedWeight).values;
      const summed = /patch_(kernel|bias)$/.test(name)
        ? Array.from(g.values, (_, i) => other[i] + other[i + g.values.length] + other[i + 2 * g.values.length])
        : Array.from(other);
      expectClose(g.values, summed, `gradient of ${name}`, 1e-5, 1e-3);
    }
  });

  it('is deterministic per seed, and resumes identically from saved weights and random state', () => {
    const run = (
      steps: number,
      resumeAt?: { weights: Map<string, NamedWeight>; random: number[]; opt: ReturnType<TypedAdam['getState']> },
    ) => {
      const random = new SeededRandom(77);
      const model = new FlexMoEModel(tinyConfig({ dropout: 0.5 }), { random });
      const opt = new TypedAdam({ learningRate: 1e-2 });
      if (resumeAt) {
        model.setNamedWeights(resumeAt.weights);
        random.setState(resumeAt.random);
        opt.setState(resumeAt.opt, model.variables());
      }
      const { batch, labels } = randomBatch(model, MIXED);
      const losses: number[] = [];
      let snapshot:
        { weights: Map<string, NamedWeight>; random: number[]; opt: ReturnType<TypedAdam['getState']> } | undefined;
      for (let i = 0; i < steps; i++) {
        if (i === 2 && !resumeAt)
          snapshot = {
            weights: model.getNamedWeights(),
            random: random.getState(),
            opt: opt.getState(model.variables()),
          };
        losses.push(model.trainStep(batch, labels, opt).loss);
      }
      const final = model.getNamedWeights();
      disposeBatch(batch);
      model.dispose();
      return { losses, final, snapshot };
    };
    const a = run(4);
    const b = run(4);
    expect(b.losses).toEqual(a.losses);
    const resumed = run(2, a.snapshot);
    expect(resumed.losses).toEqual(a.losses.slice(2));
    for (const [name, w] of a.final)
      expect([name, Array.from(w.values)]).toEqual([name, Array.from((resumed.final.get(name) as NamedWeight).values)]);
  });

  it('reused work buffers carry no state between steps (gradients equal a fresh model on the same batch)', () => {
    const config = tinyConfig({ dropout: 0.3 });
    const noise = fixedNoise(3, 6 * 3, 8, 5);
    const used = new FlexMoEModel(config, { seed: 6 });
    const other = randomBatch(
      used,
      [
        [1, 1, 1],
        [0, 1, 0],
        [1, 0, 1],
        [1, 1, 1],
        [1, 1, 1],
        [0, 0, 1],
      ],
      9,
    );
    used.noise = new FixedNoiseSource(fixedNoise(3, 6 * 3, 8, 99));
    used.computeGradients(other.batch, other.labels); // fills the buffers with another batch's data
    disposeBatch(other.batch);
    const fresh = new FlexMoEModel(config, { seed: 6 });
    fresh.setNamedWeights(used.getNamedWeights());
    fresh.random.setState(used.random.getState());
    const { batch, labels } = randomBatch(used, MIXED);
    used.noise = new FixedNoiseSource(noise);
    fresh.noise = new FixedNoiseSource(noise);
    const a = used.computeGradients(batch, labels);
    const b = fresh.computeGradients(batch, labels);
    expect(a.values).toEqual(b.values);
    for (const [name, g] of a.gradients)
      expect([name, Array.from(g.values)]).toEqual([name, Array.from((b.gradients.get(name) as NamedWeight).values)]);
    disposeBatch(batch);
    used.dispose();
    fresh.dispose();
  });

  it('batches of only full samples and of no full sample give finite losses and gradients', () => {
    const model = new FlexMoEModel(tinyConfig({ dropout: 0.5 }), { seed: 2 });
    for (const observed of [
      [
        [1, 1, 1],
        [1, 1, 1],
        [1, 1, 1],
      ],
      [
        [1, 0, 0],
        [0, 1, 1],
        [0, 0, 1],
      ],
      [[0, 1, 0]],
    ]) {
      const { batch, labels } = randomBatch(model, observed);
      const { values, gradients } = model.computeGradients(batch, labels);
      expect([values.loss, values.taskLoss, values.routerLoss].every(Number.isFinite)).toBe(true);
      for (const g of gradients.values()) expect(g.values.every(Number.isFinite)).toBe(true);
      const ev = model.evaluate(batch, labels);
      expect(Number.isFinite(ev.loss)).toBe(true);
      disposeBatch(batch);
    }
    model.dispose();
  });

  it('bank rows of observed modalities (and row 0) never receive gradient', () => {
    const model = new FlexMoEModel(tinyConfig(), { seed: 4 });
    const { batch, labels } = randomBatch(model, MIXED);
    const bank = model.computeGradients(batch, labels).gradients.get('bank') as NamedWeight;
    disposeBatch(batch);
    const [rows, M, P, H] = bank.shape;
    const used = new Set<string>();
    for (const c of batch.combination) for (const m of model.table.missingPositions(c)) used.add(`${c},${m}`);
    for (let c = 0; c < rows; c++) {
      for (let m = 0; m < M; m++) {
        const block = bank.values.subarray((c * M + m) * P * H, (c * M + m + 1) * P * H);
        expect([c, m, block.some((v) => v !== 0)]).toEqual([c, m, used.has(`${c},${m}`)]);
      }
    }
    model.dispose();
  });

  it('tensor count is stable across training steps', () => {
    const model = new FlexMoEModel(tinyConfig({ dropout: 0.3 }), { seed: 1 });
    const { batch, labels } = randomBatch(model, MIXED);
    const opt = tf.train.adam(1e-3);
    model.trainStep(batch, labels, opt);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) model.trainStep(batch, labels, opt);
    model.predict(batch);
    model.evaluate(batch, labels);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    disposeBatch(batch);
    model.dispose();
  });
});

describe('FlexMoEModel (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('bank gradient agrees with central finite differences of the total loss', () => {
    const model = new FlexMoEModel(tinyConfig({ routerLossWeight: 1 }), { seed: 8 });
    const noise = fixedNoise(3, 6 * 3, 8, 23);
    const { batch, labels } = randomBatch(model, MIXED, 11);
    model.noise = new FixedNoiseSource(noise);
    const analytic = model.computeGradients(batch, labels).gradients.get('bank') as NamedWeight;
    const base = model.getNamedWeights();
    const bank = base.get('bank') as NamedWeight;
    const lossWith = (values: Float32Array) => {
      const w = new Map(base);
      w.set('bank', { values, shape: bank.shape });
      model.setNamedWeights(w);
      model.noise = new FixedNoiseSource(noise);
      return tf.tidy(() => model.loss(batch, labels, true).loss.dataSync()[0]);
    };
    const [, M, P, H] = bank.shape;
    // Entries actually used by the batch: combination 1 (LN) lacks C (m=2), combination 6 (C) lacks L and N.
    const entries = [
      [1, 2, 0, 0],
      [1, 2, 2, 7],
      [6, 0, 1, 3],
      [6, 1, 0, 5],
      [3, 0, 2, 1],
      [4, 2, 1, 6],
    ];
    const eps = 1e-2;
    for (const [c, m, p, h] of entries) {
      const i = ((c * M + m) * P + p) * H + h;
      const plus = Float32Array.from(bank.values);
      const minus = Float32Array.from(bank.values);
      plus[i] += eps;
      minus[i] -= eps;
      const fd = (lossWith(plus) - lossWith(minus)) / (2 * eps);
      const a = analytic.values[i];
      expect([c, m, p, h, Math.abs(fd - a) <= 1e-3 + 2e-2 * Math.abs(a)]).toEqual([c, m, p, h, true]);
    }
    expect(entries.some(([c, m, p, h]) => Math.abs(analytic.values[((c * M + m) * P + p) * H + h]) > 1e-3)).toBe(true);
    disposeBatch(batch);
    model.dispose();
  });

  it('predict returns probabilities and per-combination routing counts', () => {
    const model = new FlexMoEModel(tinyConfig({ layers: 2 }), { seed: 3 });
    const { batch } = randomBatch(model, MIXED);
    const pred = model.predict(batch);
    disposeBatch(batch);
    expect(pred.probabilities.length).toBe(6 * 3);
    for (let b = 0; b < 6; b++)
      expect(Math.abs(pred.probabilities.subarray(b * 3, b * 3 + 3).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
    // 2 layers × 3 calls × P=3 tokens per sample, k = 3 selections each.
    const perSample = 2 * 3 * 3;
    expect(pred.routing.tokens[0]).toBe(2 * perSample);
    expect(pred.routing.tokens[1]).toBe(perSample);
    const total = pred.routing.counts.reduce((s, v) => s + v, 0);
    expect(total).toBe(6 * perSample * 3);
    model.dispose();
  });

  it('named weights: architecture names and shapes, validation, no-bank shape', () => {
    const model = new FlexMoEModel(tinyConfig(), { seed: 1 });
    const w = model.getNamedWeights();
    expect([...w.keys()]).toEqual([
      'encoder0/patch_kernel',
      'encoder0/patch_bias',
      'encoder1/patch_kernel',
      'encoder1/patch_bias',
      'encoder2/patch_kernel',
      'encoder2/patch_bias',
      'bank',
      'pos_embed',
      'layer0/ln1_gamma',
      'layer0/ln1_beta',
      'layer0/attn_q_kernel',
      'layer0/attn_kv_kernel',
      'layer0/attn_out_kernel',
      'layer0/attn_out_bias',
      'layer0/ln2_gamma',
      'layer0/ln2_beta',
      'layer0/router_Wg',
      'layer0/router_Wn',
      'layer0/expert_W1',
      'layer0/expert_b1',
      'layer0/expert_W2',
      'layer0/expert_b2',
      'head_kernel',
      'head_bias',
    ]);
    expect(w.get('encoder0/patch_kernel')?.shape).toEqual([3, 8]);
    expect(w.get('bank')?.shape).toEqual([7, 3, 3, 8]);
    expect(w.get('layer0/expert_W1')?.shape).toEqual([8, 8, 16]);
    expect(w.get('head_kernel')?.shape).toEqual([24, 3]);
    expect(Array.from(w.get('pos_embed')?.values ?? [1]).every((v) => v === 0)).toBe(true);
    const bad = new Map(w);
    bad.set('bank', { values: new Float32Array(3), shape: [3] });
    expect(() => model.setNamedWeights(bad)).toThrow(/weight "bank" has shape \[3\]/);
    const unknown = new Map(w);
    unknown.set('extra', { values: new Float32Array(1), shape: [1] });
    expect(() => model.setNamedWeights(unknown)).toThrow(/unknown weight "extra"/);
    const missing = new Map(w);
    missing.delete('head_bias');
    expect(() => model.setNamedWeights(missing)).toThrow(/"head_bias" is missing/);
    // Initialisation bounds (docs/algorithm.md §5): router ±1/√E, experts ±1/√(H·2H), expert biases 0.
    expect(Math.max(...Array.from(w.get('layer0/router_Wg')?.values ?? []).map(Math.abs))).toBeLessThanOrEqual(
      1 / Math.sqrt(8),
    );
    expect(Math.max(...Array.from(w.get('layer0/expert_W1')?.values ?? []).map(Math.abs))).toBeLessThanOrEqual(
      1 / Math.sqrt(8 * 16),
    );
    expect(Array.from(w.get('layer0/expert_b1')?.values ?? [1]).every((v) => v === 0)).toBe(true);
    model.dispose();
    const noBank = new FlexMoEModel(tinyConfig({ ablation: 'no-bank' }), { seed: 1 });
    expect(noBank.getNamedWeights().get('bank')?.shape).toEqual([1, 3, 3, 8]);
    const { batch, labels } = randomBatch(noBank, MIXED);
    expect(Number.isFinite(noBank.computeGradients(batch, labels).values.loss)).toBe(true);
    disposeBatch(batch);
    noBank.dispose();
  });

  it('works with a single modality (bank never used) and with two layers', () => {
    const model = new FlexMoEModel(
      defaultConfig([{ name: 'clinical', letter: 'C', width: 4 }], {
        patches: 2,
        hidden: 4,
        heads: 2,
        experts: 2,
        topK: 2,
        classes: 2,
        layers: 2,
        dropout: 0.2,
      }),
      { seed: 1 },
    );
    expect(model.getNamedWeights().get('bank')?.shape).toEqual([1, 1, 2, 4]);
    const batch = buildBatch(model.table, [4], [new SeededRandom(2).normalArray(12)], [[true], [true], [true]]);
    const { values, gradients } = model.computeGradients(batch, Int32Array.from([0, 1, 1]));
    expect(Number.isFinite(values.loss)).toBe(true);
    expect(Array.from((gradients.get('bank') as NamedWeight).values).every((v) => v === 0)).toBe(true);
    expect(Array.from((gradients.get('layer1/expert_W1') as NamedWeight).values).some((v) => v !== 0)).toBe(true);
    disposeBatch(batch);
    model.dispose();
  });

  it('class weights follow torch CrossEntropyLoss(weight): Σ w_y·CE / Σ w_y', () => {
    const model = new FlexMoEModel(tinyConfig({ classWeights: [0.25, 0.75, 1] }), { seed: 1 });
    const logits = tf.tensor2d([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
    const labels = Int32Array.from([0, 1, 1]);
    const got = tf.tidy(() => model.taskLoss(logits, labels).dataSync()[0]);
    const ce = (row: number[], y: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[y];
    const expected =
      (0.25 * ce([1, 0, 0], 0) + 0.75 * ce([0, 2, 0], 1) + 0.75 * ce([0, 0, 3], 1)) / (0.25 + 0.75 + 0.75);
    expect(Math.abs(got - expected)).toBeLessThan(1e-5);
    expect(() => model.taskLoss(logits, Int32Array.from([0, 5, 1]))).toThrow(/labels\[1\]: 5 is not a class index/);
    logits.dispose();
    model.dispose();
  });

  it('rejects inconsistent batches with a message naming the modality', () => {
    const model = new FlexMoEModel(tinyConfig(), { seed: 1 });
    const { batch } = randomBatch(model, MIXED);
    const wrong: FlexMoEBatch = {
      inputs: [batch.inputs[1], batch.inputs[1], batch.inputs[2]],
      combination: batch.combination,
    };
    expect(() => model.predict({ ...wrong, inputs: [null, batch.inputs[1], batch.inputs[2]] })).toThrow(
      /inputs\[0\] \(labs\): 0 rows, but 4 samples observe/,
    );
    expect(() => model.predict({ inputs: batch.inputs, combination: Int32Array.from([0, 9, 0, 0, 0, 0]) })).toThrow(
      /combination\[1\]: 9 is not a combination index/,
    );
    expect(() => buildBatch(model.table, [7, 5, 3], [new Float32Array(7), null, null], [[true, true, false]])).toThrow(
      /modality 1 \(N\) is observed by 1 samples but no array/,
    );
    expect(() =>
      buildBatch(model.table, [7, 5, 3], [new Float32Array(7), null, null], [[false, false, false]]),
    ).toThrow(/sample 0: .*empty combination/);
    disposeBatch(batch);
    model.dispose();
  });
});
