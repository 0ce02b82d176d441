import { CsvParser } from '@flexmoe/data/browser';

/**
 * Parses a whole CSV text with @flexmoe/data's RFC 4180 parser (quoted fields, doubled quotes, quoted
 * newlines, CRLF/LF). Returns rows of cells; blank lines are dropped.
 * @throws naming the file and the record (header = record 1) of an unterminated quoted field
 */
export function parseCsv(text: string, file: string): string[][] {
  const parser = new CsvParser();
  const rows: string[][] = [];
  try {
    parser.push(text, rows);
    parser.end(rows);
  } catch (e) {
    throw new Error(`${file}: record ${rows.length + 1}: ${(e as Error).message}`);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}
