import { fitColumnTransforms } from './column-transform.js';
import { droppedColumnWarning, freeTextReason } from './free-text-columns.js';

describe('free-text columns', () => {
  const ids = Array.from({ length: 30 }, (_, i) => `p${i}`);
  const notes = ids.map((id, i) => `SSN 123-45-60${String(i).padStart(2, '0')} patient ${id}`);
  const sex = ids.map((_, i) => (i % 2 ? 'F' : 'M'));
  const raw = {
    ids,
    columns: new Map<string, string[]>([
      ['NOTES', notes],
      ['SEX', sex],
    ]),
  };

  it('detects mostly unique values and long strings, and not ordinary categories', () => {
    expect(freeTextReason(notes)).toMatch(/30 distinct values among 30 training values/);
    expect(freeTextReason(Array(5).fill('x'.repeat(45)))).toMatch(/45 characters long on average/);
    expect(freeTextReason(sex)).toBeUndefined();
    expect(freeTextReason(['a', 'b', 'c'])).toBeUndefined(); // too few values to judge uniqueness
  });
  it('drops a free-text column with a named reason that holds no value', () => {
    const f = fitColumnTransforms(raw, ids);
    expect(f.columns.map((c) => c.column)).toEqual(['SEX']);
    expect(f.dropped).toHaveLength(1);
    const warning = droppedColumnWarning('clinical.csv', f.dropped[0]);
    expect(warning).toMatch(
      /^warning: clinical\.csv: column NOTES dropped \(looks like free text.*--categorical NOTES/,
    );
    expect(warning).not.toMatch(/SSN|patient p/);
  });
  it('keeps a declared categorical column, with its unique values folded into "other"', () => {
    const f = fitColumnTransforms(raw, ids, { categoricalColumns: ['NOTES'] });
    const notesColumn = f.columns.find((c) => c.column === 'NOTES');
    expect(notesColumn).toMatchObject({ type: 'categorical', categories: ['(other)'] });
    expect(JSON.stringify(f.columns)).not.toContain('SSN');
  });
});
