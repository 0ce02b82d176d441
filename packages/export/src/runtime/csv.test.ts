import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  test('quoted fields with commas, doubled quotes and newlines; CRLF; empty cells; blank lines dropped', () => {
    const text = 'id,"a,b",c\r\n"x ""1""","multi\nline",\r\n\r\ny,2,3';
    expect(parseCsv(text, 'f.csv')).toEqual([
      ['id', 'a,b', 'c'],
      ['x "1"', 'multi\nline', ''],
      ['y', '2', '3'],
    ]);
  });

  test('an unterminated quote names the file and line', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3', 'in.csv')).toThrow(/in\.csv: record 2: unterminated quoted field/);
  });
});
