import { shardLossScales, shardRanges } from './shards.js';

describe('data-parallel shards', () => {
  it('splits a batch into contiguous ranges that cover it once', () => {
    expect(shardRanges(8, 2)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(shardRanges(7, 3)).toEqual([
      [0, 2],
      [2, 4],
      [4, 7],
    ]);
    expect(shardRanges(1, 2)).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(() => shardRanges(8, 0)).toThrow(/workers must be an integer >= 1/);
  });

  it('weights shard losses so that they add up to the batch loss', () => {
    // Unweighted: shares of rows. Labels [0, 1, 1] in shards [0, 1) and [1, 3).
    expect(shardLossScales([0, 1, 1], [0, 1], undefined)).toEqual({ task: 1 / 3, router: 1 / 3 });
    expect(shardLossScales([0, 1, 1], [1, 3], undefined)).toEqual({ task: 2 / 3, router: 2 / 3 });
    // Class weights [0.25, 0.75]: batch weight 0.25 + 0.75 + 0.75 = 1.75; shard [0, 1) holds 0.25 of it.
    expect(shardLossScales([0, 1, 1], [0, 1], [0.25, 0.75]).task).toBeCloseTo(0.25 / 1.75, 15);
    expect(shardLossScales([0, 1, 1], [1, 3], [0.25, 0.75]).task).toBeCloseTo(1.5 / 1.75, 15);
    expect(shardLossScales([0, 1], [1, 1], undefined)).toEqual({ task: 0, router: 0 });
  });

  it('the weighted shard means equal the batch mean (hand example)', () => {
    const ce = [0.5, 1.5, 2.0, 0.25];
    const labels = [0, 1, 0, 1];
    const weights = [2, 1];
    const batch = ce.reduce((a, c, i) => a + c * weights[labels[i]], 0) / labels.reduce((a, y) => a + weights[y], 0);
    let sum = 0;
    for (const range of shardRanges(4, 3)) {
      const rows = ce.slice(range[0], range[1]).map((c, j) => [c, weights[labels[range[0] + j]]]);
      const w = rows.reduce((a, r) => a + r[1], 0);
      const mean = w > 0 ? rows.reduce((a, r) => a + r[0] * r[1], 0) / w : 0;
      sum += shardLossScales(labels, range, weights).task * mean;
    }
    expect(sum).toBeCloseTo(batch, 14);
  });
});
