import { selectTopK } from '../router/noisy-top-k.js';
import {
  accumulateRouting,
  activationRatios,
  bankCosineSimilarity,
  emptyRoutingStats,
  expertSelectionCounts,
  mergeRoutingStats,
} from './routing-stats.js';

describe('routing statistics', () => {
  it('counts selections per combination and expert', () => {
    // 3 tokens, 4 experts, k = 2: token 0 → {2, 0}, token 1 → {1, 3}, token 2 → {2, 1}.
    const noisy = Float32Array.from([0.5, 0.1, 0.9, 0.0, 0.0, 0.8, 0.1, 0.7, 0.2, 0.6, 0.9, 0.1]);
    const choice = selectTopK(noisy, 3, 4, 2);
    expect(Array.from(choice.topkIndices)).toEqual([2, 0, 1, 3, 2, 1]);
    const stats = accumulateRouting(emptyRoutingStats(3, 4, 2), choice, Int32Array.from([0, 2, 2]));
    expect(Array.from(stats.tokens)).toEqual([1, 0, 2]);
    expect(Array.from(stats.counts)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 2, 1, 1]);
    expect(Array.from(expertSelectionCounts(stats))).toEqual([1, 2, 2, 1]);
    expect(activationRatios(stats)).toEqual([
      [0.5, 0, 0.5, 0],
      [0, 0, 0, 0],
      [0, 0.5, 0.25, 0.25],
    ]);
    const twice = mergeRoutingStats(stats, stats);
    expect(Array.from(twice.counts)).toEqual(Array.from(stats.counts, (v) => 2 * v));
  });

  it('bank cosine similarity over the entries that are used', () => {
    // bank [3 combos, M=2, P=1, H=2]; modality 1 is lacked by combos 1 and 2.
    const values = Float32Array.from([9, 9, 9, 9, 0, 0, 1, 0, 0, 0, 1, 1]);
    const r = bankCosineSimilarity({ values, shape: [3, 2, 1, 2] }, 1, (c) => c > 0);
    expect(r.combinations).toEqual([1, 2]);
    expect(r.matrix[0][0]).toBeCloseTo(1, 12);
    expect(r.matrix[0][1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r.matrix[1][0]).toBeCloseTo(Math.SQRT1_2, 12);
  });
});
