import { exportOnnx } from '../export-onnx.js';
import { loadGoldenModel } from '../testing/golden.js';
import { Predictor } from './predictor.js';
import type { SampleInputs } from './prediction-types.js';

const golden = loadGoldenModel();
const classes = ['CN', 'MCI', 'AD'];
const { modalities } = golden.config;
const B = golden.observed.length;

/** Golden batch row b as a features-form record. */
function goldenRecord(b: number): { id: string; features: Record<string, number[]> } {
  const features: Record<string, number[]> = {};
  modalities.forEach((m, i) => {
    if (golden.observed[b][i]) features[m.name] = Array.from(golden.inputs[i].subarray(b * m.width, (b + 1) * m.width));
  });
  return { id: `row${b}`, features };
}

const softmax = (row: number[]): number[] => {
  const z = row.reduce((s, v) => s + Math.exp(v), 0);
  return row.map((v) => Math.exp(v) / z);
};

describe('Predictor', () => {
  let predictor: Predictor;
  beforeAll(async () => {
    const bytes = exportOnnx({ config: golden.config, namedWeights: golden.namedWeights, metadata: { classes } });
    predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  });
  afterAll(async () => predictor.close());

  test('features-form records give the golden probabilities, combination letters and routed experts', async () => {
    const outcomes = await predictor.predictRecords(Array.from({ length: B }, (_, b) => goldenRecord(b)));
    outcomes.forEach((o, b) => {
      if (!o.ok) throw new Error(o.error);
      const expected = softmax(golden.inferenceLogits[b]);
      classes.forEach((c, i) => expect(Math.abs(o.prediction.probabilities[c] - expected[i])).toBeLessThan(1e-5));
      expect(o.prediction.predictedClass).toBe(classes[expected.indexOf(Math.max(...expected))]);
      expect(o.prediction.id).toBe(`row${b}`);
      expect(o.prediction.combination.index).toBe(golden.combinationIndex[b]);
      expect(o.prediction.combination.letters).toBe(['LNC', 'LN', 'C', 'LNC', 'NC', 'L'][b]);
      const block0 = o.prediction.routedExperts[0];
      expect(block0.perPatch[2]).toEqual(golden.inferenceTopk[0][b * 4 + 2]);
      // block weights are mean gates over P tokens: they sum to 1
      expect(block0.experts.reduce((s, e) => s + e.weight, 0)).toBeCloseTo(1, 5);
    });
  });

  test('a bad record fails alone, naming the field; the others are predicted', async () => {
    const good = goldenRecord(0);
    const wrongLength = { features: { modL: [1, 2, 3] } };
    const unknown = { features: { modX: [1] } };
    const empty = { features: {} };
    const nanString = { features: { modC: [0, 'NaN', 1] } };
    const outcomes = await predictor.predictRecords([good, wrongLength, unknown, empty, nanString, { modalities: {} }]);
    expect(outcomes[0].ok).toBe(true);
    const errors = outcomes.map((o) => (o.ok ? '' : o.error));
    expect(errors[1]).toMatch(/records\[1\]\.features\.modL: has 3 features, expected 7/);
    expect(errors[2]).toMatch(/records\[2\]\.features\.modX: unknown modality/);
    expect(errors[3]).toMatch(/records\[3\]: the record has no modality/);
    expect(errors[4]).toMatch(/records\[4\]\.features\.modC\[1\]: must be a finite number/);
    expect(errors[5]).toMatch(/raw records need the dataset's transforms/);
  });

  test('run() rejects a sample without modality and a wrong width', async () => {
    await expect(predictor.run([[null, null, null]])).rejects.toThrow(/sample 0: no modality/);
    await expect(predictor.run([[new Float32Array(2), null, null]])).rejects.toThrow(
      /sample 0, modality modL: 2 features, expected 7/,
    );
  });

  test('cuda falls back to cpu with a warning when the CUDA provider is absent', async () => {
    const warnings: string[] = [];
    const bytes = exportOnnx({ config: golden.config, namedWeights: golden.namedWeights });
    const p = await Predictor.load(bytes, { device: 'cuda', warn: (m) => warnings.push(m) });
    if (p.device === 'cpu') expect(warnings.join('\n')).toMatch(/CUDA execution provider unavailable.*running on CPU/);
    else expect(warnings).toEqual([]);
    const out = await p.run([[golden.inputs[0].subarray(0, 7), null, null]]);
    expect(out.probabilities.length).toBe(3);
    await p.close();
  });
});

describe('missing-modality counterfactuals', () => {
  test('expected probabilities are the mean over the stored rows (checked against direct runs)', async () => {
    const rows = 3;
    const widthN = modalities[1].width;
    const stored = new Float32Array(rows * widthN).map((_, i) => Math.sin(i + 1));
    const bytes = exportOnnx({
      config: golden.config,
      namedWeights: golden.namedWeights,
      metadata: { classes, counterfactualSamples: [{ modality: 'modN', rows, width: widthN, values: stored }] },
    });
    const predictor = await Predictor.load(bytes);
    // golden row 5 observes L only: N has stored rows, C has none (so only N is reported)
    const sample: SampleInputs = [golden.inputs[0].slice(5 * 7, 6 * 7), null, null];
    const [outcome] = await predictor.predictInputs([sample], { counterfactuals: true });
    if (!outcome.ok) throw new Error(outcome.error);
    const effects = outcome.prediction.missingModalityEffects ?? [];
    expect(effects.map((e) => e.modality)).toEqual(['modN']);
    const filled = Array.from({ length: rows }, (_, r) => [
      sample[0],
      stored.slice(r * widthN, (r + 1) * widthN),
      null,
    ]);
    const direct = await predictor.run(filled);
    const current = outcome.prediction.probabilities;
    const nowClass = outcome.prediction.predictedIndex;
    let changed = 0;
    classes.forEach((c, i) => {
      let mean = 0;
      for (let r = 0; r < rows; r++) mean += direct.probabilities[r * 3 + i] / rows;
      expect(effects[0].expectedProbabilities[c]).toBeCloseTo(mean, 6);
      expect(effects[0].probabilityShift[c]).toBeCloseTo(mean - current[c], 6);
    });
    for (let r = 0; r < rows; r++) {
      const row = Array.from(direct.probabilities.subarray(r * 3, r * 3 + 3));
      if (row.indexOf(Math.max(...row)) !== nowClass) changed++;
    }
    expect(effects[0].predictedClassChangeProbability).toBeCloseTo(changed / rows, 10);
    // the filled-in rows have combination LN (index 1)
    expect(direct.combination).toEqual([1, 1, 1]);
    await predictor.close();
  });
});
