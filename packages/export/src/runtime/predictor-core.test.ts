import type { FlexMoEModelMetadata } from '../metadata.js';
import { PredictorCore, type GraphFeeds, type GraphRunner } from './predictor-core.js';

/**
 * The prediction rules without onnxruntime: a fake graph whose P(yes) = 0.5 + 0.4·x_a + 0.05·x_b (terms of
 * absent modalities dropped), so the counterfactual numbers can be computed by hand.
 */
const metadata = {
  formatVersion: 1,
  producer: { name: 'test', version: '0' },
  config: { patches: 1, topK: 1, layers: 1 },
  modalities: [
    { name: 'a', letter: 'A', width: 1, input: 'x_a', featureNames: ['a0'] },
    { name: 'b', letter: 'B', width: 1, input: 'x_b', featureNames: ['b0'] },
  ],
  classes: ['no', 'yes'],
  temperature: 1,
  counterfactualSamples: [{ modality: 'a', rows: 2, width: 1, values: Float32Array.of(-1, 0.5) }],
  graphVariant: { moe: 'sparse', linear: 'gemm', attention: 'standard' },
} as unknown as FlexMoEModelMetadata;

function fakeGraph(batches: number[]): GraphRunner {
  return async ({ batch, observed, inputs }: GraphFeeds) => {
    batches.push(batch);
    const probabilities = new Float32Array(batch * 2);
    const combination: number[] = [];
    for (let b = 0; b < batch; b++) {
      const yes = 0.5 + (observed[b * 2] ? 0.4 * inputs[0][b] : 0) + (observed[b * 2 + 1] ? 0.05 * inputs[1][b] : 0);
      probabilities.set([1 - yes, yes], b * 2);
      // docs/algorithm.md §1 order for M = 2: AB = 0, A = 1, B = 2
      combination.push(observed[b * 2] && observed[b * 2 + 1] ? 0 : observed[b * 2] ? 1 : 2);
    }
    return {
      batch,
      probabilities,
      logits: probabilities.map(Math.log),
      combination,
      topkExperts: new Array<number>(batch * 2).fill(0),
      topkGates: new Float32Array(batch * 2).fill(1),
    };
  };
}

describe('PredictorCore (the rules shared by flexmoe predict, the service and the browser app)', () => {
  test('acquisition values of a missing modality: mean over the stored rows, shift, class-change share', async () => {
    const batches: number[] = [];
    const core = new PredictorCore(fakeGraph(batches), metadata, undefined, 2);
    const [outcome] = await core.predictRecords([{ features: { b: [1] } }], { counterfactuals: true });
    if (!outcome.ok) throw new Error(outcome.error);
    const p = outcome.prediction;
    expect(p.combination).toEqual({ index: 2, letters: 'B' });
    expect(p.predictedClass).toBe('yes');
    expect(p.probabilities.yes).toBeCloseTo(0.55, 6);
    // a = −1 → 0.15 (class no), a = 0.5 → 0.75 (class yes): mean 0.45, shift −0.10, changes in 1 of 2
    const [effect] = p.missingModalityEffects ?? [];
    expect(effect.modality).toBe('a');
    expect(effect.samples).toBe(2);
    expect(effect.expectedProbabilities.yes).toBeCloseTo(0.45, 6);
    expect(effect.probabilityShift.yes).toBeCloseTo(-0.1, 6);
    expect(effect.probabilityShift.no).toBeCloseTo(0.1, 6);
    expect(effect.maxAbsShift).toBeCloseTo(0.1, 6);
    expect(effect.predictedClassChangeProbability).toBe(0.5);
    expect(effect.expectedPredictedClass).toBe('no');
    // one run for the record, one for the two filled-in copies (maxBatch 2)
    expect(batches).toEqual([1, 2]);
  });

  test('batches larger than maxBatch are split; bad records get their own error; maxBatch is checked', async () => {
    const batches: number[] = [];
    const core = new PredictorCore(fakeGraph(batches), metadata, undefined, 2);
    const outcomes = await core.predictRecords([
      { features: { a: [0] } },
      { features: { a: [1] } },
      { features: { c: [1] } },
      { features: { b: [0] } },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect(outcomes[2]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/records\[2\]\.features\.c: unknown modality/),
    });
    expect(batches).toEqual([2, 1]);
    const [raw] = await core.predictRecords([{ modalities: { a: {} } }]);
    expect(raw).toMatchObject({ ok: false, error: expect.stringMatching(/raw records need the dataset's transforms/) });
    expect(() => new PredictorCore(fakeGraph([]), metadata, undefined, 0)).toThrow(
      'maxBatch must be a positive integer, got 0',
    );
  });
});
