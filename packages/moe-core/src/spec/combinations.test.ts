import { CombinationTable, combinationIndices } from './combinations.js';
import { readGolden } from '../testing/golden.js';

interface GoldenCombos {
  tables: {
    order: string;
    M: number;
    count: number;
    combinations: { index: number; letters: string; size: number; mask: boolean[] }[];
  }[];
  inverse: { order: string; query: string; index: number; letters: string; mask: boolean[]; missing: string }[];
  invalid: { order: string; query: string; reason: string }[];
}
const golden = readGolden<GoldenCombos>('combinations.json');

describe('CombinationTable (golden combinations.json)', () => {
  it.each(golden.tables.map((t) => [t.order, t] as const))('table %s matches', (_order, t) => {
    const table = new CombinationTable(t.order);
    expect(table.M).toBe(t.M);
    expect(table.count).toBe(t.count);
    expect(table.all().map((c) => ({ index: c.index, letters: c.letters, size: c.size, mask: c.mask }))).toEqual(
      t.combinations,
    );
    for (const c of t.combinations) {
      expect(table.get(c.index).letters).toBe(c.letters);
      expect(table.indexOfMask(c.mask)).toBe(c.index);
    }
  });

  it('inverse lookups (any letter order) give index, canonical letters, mask and missing', () => {
    for (const q of golden.inverse) {
      const table = new CombinationTable(q.order);
      const i = table.indexOf(q.query);
      expect([q.query, i]).toEqual([q.query, q.index]);
      expect(table.get(i).letters).toBe(q.letters);
      expect(table.get(i).mask).toEqual(q.mask);
      expect(table.missing(i)).toBe(q.missing);
      expect(
        table
          .missingPositions(i)
          .map((p) => q.order[p])
          .join(''),
      ).toBe(q.missing);
    }
  });

  it('rejects the invalid queries with a message saying why', () => {
    const expected: Record<string, RegExp> = {
      'empty combination (no modality): rejected': /empty combination/,
      'letter not in the order': /not one of the modalities/,
      'repeated letter': /repeated/,
    };
    for (const q of golden.invalid) {
      const table = new CombinationTable(q.order);
      expect(() => table.indexOf(q.query)).toThrow(expected[q.reason]);
    }
  });

  it('rejects bad orders', () => {
    expect(() => new CombinationTable('')).toThrow(/non-empty/);
    expect(() => new CombinationTable('ABCDEFGHI')).toThrow(/at most 8/);
    expect(() => new CombinationTable('ABA')).toThrow(/duplicate letter "A"/);
    expect(new CombinationTable('ABCDEFGH').count).toBe(255);
  });

  it('docs/algorithm.md §1 examples: ADNI and MIMIC', () => {
    const adni = new CombinationTable('IGCB');
    expect(adni.all().map((c) => c.letters)).toEqual([
      'IGCB',
      'IGC',
      'IGB',
      'ICB',
      'GCB',
      'IG',
      'IC',
      'IB',
      'GC',
      'GB',
      'CB',
      'I',
      'G',
      'C',
      'B',
    ]);
    const mimic = new CombinationTable('LNC');
    expect(mimic.all().map((c) => c.letters)).toEqual(['LNC', 'LN', 'LC', 'NC', 'L', 'N', 'C']);
  });

  it('maps observed masks to indices and names the bad sample', () => {
    const t = new CombinationTable('LNC');
    expect(Array.from(combinationIndices(t, Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 0, 1])))).toEqual([0, 6, 2]);
    expect(
      Array.from(
        combinationIndices(t, [
          [true, true, false],
          [false, true, true],
        ]),
      ),
    ).toEqual([1, 3]);
    expect(() => combinationIndices(t, Uint8Array.from([1, 1, 1, 0, 0, 0]))).toThrow(/sample 1: .*empty combination/);
    expect(() => combinationIndices(t, Uint8Array.from([1, 1]))).toThrow(/multiple of M = 3/);
  });
});
