import { latestRowPerPatient, outerJoinPatients } from './latest-row.js';
import type { LoadedTable } from '../tables/read-table.js';

function loaded(rows: Record<string, string>[]): LoadedTable {
  const columns = Object.keys(rows[0]);
  return {
    file: 'T.csv',
    columns,
    rowCount: rows.length,
    data: new Map(columns.map((c) => [c, rows.map((r) => r[c])])),
  };
}

describe('latestRowPerPatient (order by UPDATE_STAMP, fill forward then backward, keep last)', () => {
  const t = loaded([
    { PTID: 'b', UPDATE_STAMP: '2011-01-01 00:00:00.0', X: '5', Y: '', Z: '-4' },
    { PTID: 'a', UPDATE_STAMP: '2012-03-01 00:00:00.0', X: '', Y: 'q', Z: '' },
    { PTID: 'a', UPDATE_STAMP: '2010-01-01 00:00:00.0', X: '1', Y: '', Z: '7' },
    { PTID: 'a', UPDATE_STAMP: '2013-01-01 00:00:00.0', X: '', Y: 'p', Z: '-4' },
    { PTID: 'a', UPDATE_STAMP: '2013-01-01 00:00:00.0', X: '3', Y: '', Z: '' }, // same stamp: file order decides
  ]);
  const out = latestRowPerPatient(t, {
    ids: t.data.get('PTID') as string[],
    missingCodes: () => ['-4'],
    drop: new Set(['PTID']),
  });

  it('keeps the latest non-missing value of each column, codes never fill a gap', () => {
    expect(out.ids).toEqual(['a', 'b']);
    expect(out.columns.get('X')).toEqual(['3', '5']);
    expect(out.columns.get('Y')).toEqual(['p', null]);
    expect(out.columns.get('Z')).toEqual(['7', null]); // -4 is missing, so the 2010 value stays
    expect([...out.columns.keys()]).toEqual(['X', 'Y', 'Z']);
  });

  it('skips rows without an id and rejects a bad time stamp', () => {
    const skip = latestRowPerPatient(t, {
      ids: ['b', null, null, null, null],
      missingCodes: () => [],
      drop: new Set(['PTID']),
    });
    expect(skip.ids).toEqual(['b']);
    const bad = loaded([{ PTID: 'a', UPDATE_STAMP: 'yesterday', X: '1' }]);
    expect(() => latestRowPerPatient(bad, { ids: ['a'], missingCodes: () => [], drop: new Set() })).toThrow(
      /T\.csv: row 1, column UPDATE_STAMP: expected a date-time/,
    );
  });

  it('outer-joins patients', () => {
    const j = outerJoinPatients([out, { ids: ['c', 'a'], columns: new Map([['W', ['w1', 'w2']]]) }]);
    expect(j.ids).toEqual(['a', 'b', 'c']);
    expect(j.columns.get('W')).toEqual(['w2', null, 'w1']);
    expect(j.columns.get('X')).toEqual(['3', '5', null]);
  });
});
