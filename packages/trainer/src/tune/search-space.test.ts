import { configArgs, DEFAULT_SEARCH_SPACE, sampleConfigs } from './search-space.js';

describe('sampleConfigs', () => {
  it('is seeded, stays inside the space and varies every setting', () => {
    const a = sampleConfigs(40, 7, 16);
    expect(sampleConfigs(40, 7, 16)).toEqual(a);
    expect(sampleConfigs(40, 8, 16)).not.toEqual(a);
    for (const c of a) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(3e-3);
      expect(DEFAULT_SEARCH_SPACE.hidden).toContain(c.hidden);
      expect(DEFAULT_SEARCH_SPACE.patches).toContain(c.patches);
      expect([16, 32]).toContain(c.experts);
      expect(c.topK).toBeLessThanOrEqual(c.experts);
      expect(DEFAULT_SEARCH_SPACE.epochs).toContain(c.epochs);
    }
    for (const k of ['lr', 'hidden', 'patches', 'experts', 'topK', 'dropout', 'weightDecay', 'epochs'] as const) {
      expect(new Set(a.map((c) => c[k])).size).toBeGreaterThan(1);
    }
    // Prefix-stable: a bigger budget extends the same list (a resumed tune with more trials keeps the old ones).
    expect(sampleConfigs(10, 7, 16)).toEqual(a.slice(0, 10));
    expect(configArgs(a[0])).toEqual(
      expect.arrayContaining(['--lr', String(a[0].lr), '--weight-decay', String(a[0].weightDecay), '--patches']),
    );
  });
});
