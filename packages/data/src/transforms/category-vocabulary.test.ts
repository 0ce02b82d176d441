import { applyColumnTransforms, applyColumnTransformsToRecord, fitColumnTransforms } from './column-transform.js';
import { categoryOf, categoryVocabulary, OTHER_CATEGORY } from './category-vocabulary.js';

describe('categoryVocabulary', () => {
  it('keeps values held by at least k patients and maps rarer ones to "other"', () => {
    const values = [...Array(5).fill('CN'), ...Array(6).fill('AD'), 'John Smith', 'p17', 'p17'];
    const v = categoryVocabulary(values, 5);
    expect(v.categories).toEqual(['AD', 'CN', OTHER_CATEGORY]);
    expect(v.other).toBe(OTHER_CATEGORY);
    expect(categoryOf('p17', v)).toBe(OTHER_CATEGORY);
    expect(categoryOf('CN', v)).toBe('CN');
  });
  it('has no "other" category when every value is frequent enough, and never reuses a real category name', () => {
    expect(categoryVocabulary(['a', 'a', 'b', 'b'], 2)).toEqual({ categories: ['a', 'b'] });
    const v = categoryVocabulary([...Array(5).fill('(other)'), 'rare'], 5);
    expect(v.categories).toEqual(['(other)', '((other))']);
    expect(v.other).toBe('((other))');
  });
  it('rejects a minimum below 1', () => {
    expect(() => categoryVocabulary(['a'], 0)).toThrow(/minimum category count must be an integer ≥ 1, got 0/);
  });
});

describe('fitColumnTransforms with the minimum category count', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
  const site = [...Array(6).fill('north'), ...Array(5).fill('south'), 'Ward of Dr Rare'];
  const raw = { ids, columns: new Map([['site', site]]) };
  const fitted = fitColumnTransforms(raw, ids);

  it('writes no rare value into the transform or the feature names', () => {
    const text = JSON.stringify(fitted.columns);
    expect(text).not.toContain('Dr Rare');
    const out = applyColumnTransforms(fitted.columns, raw);
    expect(out.featureNames).toEqual(['site=north', 'site=south', `site=${OTHER_CATEGORY}`]);
    expect(Array.from(out.features.subarray(11 * 3, 12 * 3))).toEqual([-1, -1, 1]); // the rare row → other
  });
  it('maps values unseen in training to "other" at inference', () => {
    expect(Array.from(applyColumnTransformsToRecord(fitted.columns, { site: 'east' }, 'record 1'))).toEqual([
      -1, -1, 1,
    ]);
    expect(Array.from(applyColumnTransformsToRecord(fitted.columns, { site: 'south' }, 'record 1'))).toEqual([
      -1, 1, -1,
    ]);
  });
  it('follows the minimum given (k = 6 keeps only north)', () => {
    const f = fitColumnTransforms(raw, ids, { minCategoryCount: 6 });
    expect(f.columns[0]).toMatchObject({ categories: ['north', OTHER_CATEGORY], mode: 'north' });
  });
});
