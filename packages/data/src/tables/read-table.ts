/**
 * Reading a raw table (CSV, CSV.gz or Arrow IPC) into columns of raw cells, with the checks every
 * builder needs: non-empty, ids present and unique, numbers where numbers are expected.
 */
import { readFile, stat } from 'node:fs/promises';
import { tableFromIPC, Type } from 'apache-arrow';
import { readCsvBatches } from '../io/csv-stream.js';
import { normalizeCell, parseNumeric, type RawCell } from '../transforms/column-transform.js';

/** A raw table: column names in file order and one array of cells per column. */
export interface LoadedTable {
  file: string;
  columns: string[];
  data: Map<string, RawCell[]>;
  rowCount: number;
}

/** True for Arrow IPC file names (`.arrow`, `.feather`, `.ipc`). */
export function isArrowPath(file: string): boolean {
  return /\.(arrow|feather|ipc)$/i.test(file);
}

/**
 * Reads a CSV / CSV.gz (every cell as text) or Arrow IPC table (numbers stay numbers).
 * Row numbers in later errors count data rows from 1 (the CSV header is row 0).
 * @throws naming the file when it is missing, unreadable, has no header or no data row
 */
export async function readTable(
  file: string,
  options: { upperCaseColumns?: boolean; allowEmpty?: boolean } = {},
): Promise<LoadedTable> {
  try {
    await stat(file);
  } catch {
    throw new Error(`${file}: file not found`);
  }
  let columns: string[];
  const data = new Map<string, RawCell[]>();
  let rowCount = 0;
  if (isArrowPath(file)) {
    let table;
    try {
      table = tableFromIPC(await readFile(file));
    } catch (e) {
      throw new Error(`${file}: not a readable Arrow IPC file (${(e as Error).message})`);
    }
    columns = table.schema.fields.map((f) => f.name);
    if (columns.length === 0) throw new Error(`${file}: not a readable Arrow IPC file (no columns)`);
    rowCount = table.numRows;
    for (const f of table.schema.fields) {
      const col = table.getChild(f.name);
      const id = f.type.typeId;
      const simple =
        id === Type.Int ||
        id === Type.Float ||
        id === Type.Utf8 ||
        id === Type.LargeUtf8 ||
        id === Type.Bool ||
        id === Type.Dictionary ||
        id === Type.Date ||
        id === Type.Timestamp ||
        id === Type.Decimal;
      if (!col || !simple)
        throw new Error(
          `${file}: column '${f.name}' has type ${String(f.type)}; expected numbers, text, booleans or dates`,
        );
      const cells: RawCell[] = [];
      for (let i = 0; i < rowCount; i++) {
        const v: unknown = col.get(i);
        if (v === null || v === undefined) cells.push(null);
        else if (typeof v === 'bigint')
          cells.push(String(v)); // exact: Int64 ids beyond 2^53 stay distinct
        else if (v instanceof Date) cells.push(v.toISOString());
        else if (id === Type.Date || id === Type.Timestamp) cells.push(new Date(Number(v)).toISOString());
        else cells.push(v as RawCell);
      }
      data.set(f.name, cells);
    }
  } else {
    let header: string[] | null = null;
    const cells: string[][] = [];
    for await (const batch of readCsvBatches(file)) {
      header = batch.header;
      for (const row of batch.rows) cells.push(row);
    }
    if (header === null) throw new Error(`${file}: empty table (no header or no data rows)`);
    const h: string[] = header;
    columns = h;
    rowCount = cells.length;
    h.forEach((name, c) =>
      data.set(
        name,
        cells.map((row) => row[c]),
      ),
    );
  }
  // Column names are trimmed (`age ` is `age`), and upper-cased when asked (ADNI).
  const renamed = columns.map((c) => (options.upperCaseColumns ? c.trim().toUpperCase() : c.trim()));
  if (renamed.some((c, i) => c !== columns[i])) {
    const cells = columns.map((c) => data.get(c) as RawCell[]);
    columns = renamed;
    data.clear();
    columns.forEach((c, i) => {
      if (!data.has(c)) data.set(c, cells[i]);
    });
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.trim() === '') throw new Error(`${file}: a column has an empty name`);
    if (seen.has(c)) throw new Error(`${file}: column '${c}' appears twice`);
    seen.add(c);
  }
  if (rowCount === 0 && !options.allowEmpty) throw new Error(`${file}: empty table (no data rows)`);
  return { file, columns, data, rowCount };
}

/** The cells of a column; throws naming the file when the column is missing. */
export function requireColumn(table: LoadedTable, column: string, why = ''): RawCell[] {
  const cells = table.data.get(column);
  if (!cells)
    throw new Error(
      `${table.file}: missing column '${column}'${why ? ` (${why})` : ''}; columns are ${table.columns.join(', ')}`,
    );
  return cells;
}

/**
 * Reads the id column: every row needs an id; ids must be unique when `unique`.
 * @throws naming file, row and column
 */
export function readIds(table: LoadedTable, column: string, unique: boolean): string[] {
  const cells = requireColumn(table, column, 'patient id');
  const first = new Map<string, number>();
  return cells.map((cell, r) => {
    const id = normalizeCell(cell, []);
    if (id === null) throw new Error(`${table.file}: row ${r + 1}, column ${column}: the patient id is empty`);
    if (unique) {
      const before = first.get(id);
      if (before !== undefined)
        throw new Error(
          `${table.file}: row ${r + 1}, column ${column}: duplicate id ${JSON.stringify(id)} (first at row ${before + 1})`,
        );
      first.set(id, r);
    }
    return id;
  });
}

/**
 * Checks that a column holds numbers (censored `<8`/`>1700` allowed) wherever it is not missing.
 * @throws naming file, row and column of the first value that is not a number
 */
export function checkNumericColumn(table: LoadedTable, column: string, missingCodes: readonly string[] = []): void {
  const cells = table.data.get(column);
  if (!cells) return;
  cells.forEach((cell, r) => {
    const v = normalizeCell(cell, missingCodes);
    if (v !== null && Number.isNaN(parseNumeric(v))) {
      throw new Error(`${table.file}: row ${r + 1}, column ${column}: expected a number, found ${JSON.stringify(v)}`);
    }
  });
}

/**
 * Flags columns that look numeric but hold a few non-numbers (a likely typo): at least 95 % of the
 * non-missing values are numbers with more than 2 distinct values, yet some are not.
 * @throws naming file, row and column of the first non-number
 */
export function checkMostlyNumericColumns(table: LoadedTable, skip: Iterable<string> = []): void {
  const skipped = new Set(skip);
  for (const column of table.columns) {
    if (skipped.has(column)) continue;
    const cells = table.data.get(column) as RawCell[];
    let numeric = 0;
    let other = 0;
    let firstOther = -1;
    const distinct = new Set<number>();
    cells.forEach((cell, r) => {
      const v = normalizeCell(cell, []);
      if (v === null) return;
      const x = parseNumeric(v);
      if (Number.isNaN(x)) {
        other++;
        if (firstOther < 0) firstOther = r;
      } else {
        numeric++;
        if (distinct.size < 3) distinct.add(x);
      }
    });
    if (other > 0 && distinct.size > 2 && numeric >= 0.95 * (numeric + other)) {
      const v = normalizeCell(cells[firstOther], []);
      throw new Error(
        `${table.file}: row ${firstOther + 1}, column ${column}: expected a number, found ${JSON.stringify(v)} ` +
          `(${numeric} of ${numeric + other} values in this column are numbers)`,
      );
    }
  }
}
