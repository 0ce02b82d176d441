import {
  applyColumnTransforms,
  applyColumnTransformsToRecord,
  columnFeatureNames,
  fitColumnTransforms,
  parseDate,
  parseNumeric,
  type RawColumns,
} from './column-transform.js';

function table(ids: string[], columns: Record<string, (string | number | null)[]>): RawColumns {
  return { ids, columns: new Map(Object.entries(columns)) };
}

describe('parsing', () => {
  it('reads censored numbers and rejects text', () => {
    expect(parseNumeric('<8')).toBe(8);
    expect(parseNumeric('>1700')).toBe(1700);
    expect(parseNumeric('-4.0')).toBe(-4);
    expect(parseNumeric('1:03')).toBeNaN();
    expect(parseNumeric('abc')).toBeNaN();
  });
  it('reads ISO and US dates as UTC epoch seconds', () => {
    expect(parseDate('2012-05-01')).toBe(Date.UTC(2012, 4, 1) / 1000);
    expect(parseDate('2012-05-01 10:20:30.0')).toBe(Date.UTC(2012, 4, 1, 10, 20, 30) / 1000);
    expect(parseDate('9/7/2010')).toBe(Date.UTC(2010, 8, 7) / 1000);
    expect(parseDate('02/30/2010')).toBeNaN();
    expect(parseDate('05/--/2001')).toBeNaN();
    expect(parseDate('2012/05/01')).toBe(Date.UTC(2012, 4, 1) / 1000);
    expect(parseDate('2012-05/01')).toBeNaN();
    expect(parseDate('2012-05-01T10:20:30.000Z')).toBe(Date.UTC(2012, 4, 1, 10, 20, 30) / 1000);
    expect(parseDate('2012-05-01 10:20:30+02:00')).toBe(Date.UTC(2012, 4, 1, 8, 20, 30) / 1000);
    expect(parseDate('2012-05-01T10:20-0130')).toBe(Date.UTC(2012, 4, 1, 11, 50) / 1000);
  });
});

describe('fitColumnTransforms (docs/algorithm.md §8)', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'v'];
  const raw = table(ids, {
    weight: ['50', '70', null, '90', '-4', '1000'], // v is not training: its 1000 must not move max
    sex: [1, 2, 2, null, 2, 1],
    text: ['x', 'y', 'y', '', 'z', 'q'],
    abeta: ['<200', '>1700', '950', '200', '1700', '500'],
    EXAMDATE: ['2010-01-01', '2010-01-01', '2015-01-01', null, '2012-06-01', '2010-01-01'],
  });
  const training = ['a', 'b', 'c', 'd', 'e'];
  const fitted = fitColumnTransforms(raw, training, { missingCodes: () => ['-4'], minCategoryCount: 1 });
  const byName = new Map(fitted.columns.map((c) => [c.column, c]));

  it('types columns: numeric, ≤2 distinct → categorical, text, censored → numeric, DATE name → date', () => {
    expect(byName.get('weight')?.type).toBe('numerical');
    expect(byName.get('sex')?.type).toBe('categorical');
    expect(byName.get('text')?.type).toBe('categorical');
    expect(byName.get('abeta')?.type).toBe('numerical');
    expect(byName.get('EXAMDATE')?.type).toBe('date');
  });

  it('fits MinMax on training rows only and imputes the mean of the scaled training values', () => {
    const w = byName.get('weight');
    if (w?.type !== 'numerical') throw new Error('weight');
    expect([w.min, w.max]).toEqual([50, 90]);
    // training values 50, 70, 90 → -1, 0, 1; -4 is a missing code, null is missing
    expect(w.mean).toBeCloseTo(0, 12);
    const out = applyColumnTransforms(fitted.columns, raw);
    const width = out.featureNames.length;
    const col = out.featureNames.indexOf('weight');
    const values = ids.map((_, i) => out.features[i * width + col]);
    expect(values.slice(0, 5)).toEqual([-1, 0, 0, 1, 0]); // c and e imputed with the mean 0
    expect(values[5]).toBeCloseTo((2 * (1000 - 50)) / 40 - 1, 4); // validation value not clipped
  });

  it("imputes the mean of each column separately (not the first column's mean)", () => {
    const a = byName.get('abeta');
    if (a?.type !== 'numerical') throw new Error('abeta');
    // training 200, 1700, 950, 200, 1700 → -1, 1, 0, -1, 1 → mean 0
    expect([a.min, a.max]).toEqual([200, 1700]);
    expect(a.mean).toBeCloseTo(0, 12);
    const t2 = table(['p', 'q', 'r', 's'], { v: ['0', '1', '4', '2'], u: ['0', '10', '4', null] });
    const f2 = fitColumnTransforms(t2, ['p', 'q', 'r', 's']);
    const out = applyColumnTransforms(f2.columns, t2);
    // v (first column): -1, -0.5, 1, 0 → mean -0.125; u: -1, 1, -0.2 → mean -0.2/3. s's u gets u's mean.
    expect(out.featureNames).toEqual(['v', 'u']);
    expect(out.features[3 * 2 + 1]).toBeCloseTo(-0.2 / 3, 6);
  });

  it('one-hot encodes categoricals as ±1 with mode imputation', () => {
    const out = applyColumnTransforms(fitted.columns, raw);
    const width = out.featureNames.length;
    const s1 = out.featureNames.indexOf('sex=1');
    const s2 = out.featureNames.indexOf('sex=2');
    expect(s2).toBe(s1 + 1);
    const row = (i: number): number[] => [out.features[i * width + s1], out.features[i * width + s2]];
    expect(row(0)).toEqual([1, -1]);
    expect(row(1)).toEqual([-1, 1]);
    expect(row(3)).toEqual([-1, 1]); // missing → mode 2
    const t = out.featureNames.filter((n) => n.startsWith('text='));
    expect(t).toEqual(['text=x', 'text=y', 'text=z']); // 'q' only in validation
    const q = out.featureNames.indexOf('text=x');
    expect(Array.from(out.features.subarray(5 * width + q, 5 * width + q + 3))).toEqual([-1, -1, -1]); // unseen → all -1
    expect(Array.from(out.features.subarray(3 * width + q, 3 * width + q + 3))).toEqual([-1, 1, -1]); // blank → mode y
  });

  it('bins dates into 5 equal-width bins with mode imputation', () => {
    const dcol = byName.get('EXAMDATE');
    if (dcol?.type !== 'date') throw new Error('date');
    const t0 = Date.UTC(2010, 0, 1) / 1000;
    const t1 = Date.UTC(2015, 0, 1) / 1000;
    expect(dcol.edges[0]).toBe(t0);
    expect(dcol.edges[5]).toBe(t1);
    expect(dcol.mode).toBe(t0);
    const out = applyColumnTransforms(fitted.columns, raw);
    const width = out.featureNames.length;
    const b = out.featureNames.indexOf('EXAMDATE:bin0');
    const bins = (i: number): number[] => Array.from(out.features.subarray(i * width + b, i * width + b + 5));
    expect(bins(0)).toEqual([1, -1, -1, -1, -1]);
    expect(bins(2)).toEqual([-1, -1, -1, -1, 1]); // the max falls in the last bin
    // 2012-06-01 is 2.42 years after the start of a 5-year range → bin 2
    expect(bins(4)).toEqual([-1, -1, 1, -1, -1]);
    expect(bins(3)).toEqual([1, -1, -1, -1, -1]); // missing → mode
  });

  it('drops text columns with ≥ maxCategories categories and columns without training values', () => {
    const many = table(['a', 'b', 'c', 'd'], {
      t: ['p', 'q', 'r', 's'],
      empty: [null, '-4', '', null],
      n: ['1', '2', '3', '4'],
    });
    const f = fitColumnTransforms(many, ['a', 'b', 'c', 'd'], {
      maxCategories: 4,
      missingCodes: () => ['-4'],
      minCategoryCount: 1,
    });
    expect(f.columns.map((c) => c.column)).toEqual(['n']);
    expect(f.dropped.map((d) => d.column).sort()).toEqual(['empty', 't']);
  });

  it('transforms a raw record exactly like the table row', () => {
    const out = applyColumnTransforms(fitted.columns, raw);
    const width = out.featureNames.length;
    ids.forEach((id, i) => {
      const rec: Record<string, string | number | null> = {};
      for (const [c, cells] of raw.columns) rec[c.toUpperCase()] = cells[i] as string | number | null; // case-insensitive keys
      const v = applyColumnTransformsToRecord(fitted.columns, rec, `record ${id}`);
      expect(Array.from(v)).toEqual(Array.from(out.features.subarray(i * width, (i + 1) * width)));
    });
    expect(columnFeatureNames(fitted.columns)).toEqual(out.featureNames);
  });

  it('rejects text in a numerical column of a record, naming the record and column', () => {
    expect(() => applyColumnTransformsToRecord(fitted.columns, { weight: 'heavy' }, 'records.jsonl line 2')).toThrow(
      /records\.jsonl line 2, column weight: expected a number, found "heavy"/,
    );
    expect(() => applyColumnTransformsToRecord(fitted.columns, [1, 2], 'r')).toThrow(/expected an object/);
  });
});
