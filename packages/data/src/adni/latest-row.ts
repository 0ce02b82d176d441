/**
 * ADNI tables carry one row per visit (docs/algorithm.md §8). Per patient: order rows by UPDATE_STAMP, fill gaps
 * forward then backward within the patient, keep the last row (done with arquero window functions).
 */
import * as aq from 'arquero';
import { normalizeCell, parseDate, type RawCell, type RawColumns } from '../transforms/column-transform.js';
import type { LoadedTable } from '../tables/read-table.js';

/** Options of {@link latestRowPerPatient}. */
export interface LatestRowOptions {
  /** Patient id of each row (already mapped, e.g. Roche rows through APOERES). `null` rows are skipped. */
  ids: (string | null)[];
  /** Missing-value codes per column, applied before filling (so a code never fills a gap). */
  missingCodes: (column: string) => string[];
  /** Columns to leave out of the result. */
  drop: ReadonlySet<string>;
  /** Time-stamp column (default `UPDATE_STAMP`). */
  stampColumn?: string;
}

/**
 * Collapses a visit-level ADNI table to one row per patient (ids sorted).
 * @throws naming file, row and column for a time stamp that is not a date-time
 */
export function latestRowPerPatient(table: LoadedTable, options: LatestRowOptions): RawColumns {
  const stampColumn = options.stampColumn ?? 'UPDATE_STAMP';
  const stamps = table.data.get(stampColumn);
  if (!stamps)
    throw new Error(
      `${table.file}: missing column '${stampColumn}' (needed to order visits); columns are ${table.columns.join(', ')}`,
    );
  const keep: number[] = [];
  options.ids.forEach((id, r) => {
    if (id !== null) keep.push(r);
  });
  const time = keep.map((r) => {
    const s = normalizeCell(stamps[r], []);
    if (s === null) return -Infinity; // unstamped rows count as the oldest
    const t = parseDate(s);
    if (Number.isNaN(t))
      throw new Error(
        `${table.file}: row ${r + 1}, column ${stampColumn}: expected a date-time like 2012-05-01 10:20:30.0, found ${JSON.stringify(s)}`,
      );
    return t;
  });
  const columns = table.columns.filter((c) => !options.drop.has(c) && c !== stampColumn);
  const data: Record<string, unknown[]> = {
    __id: keep.map((r) => options.ids[r] as string),
    __time: time,
    __row: keep,
  };
  const names = columns.map((_, i) => `c${i}`); // safe names for the expressions
  columns.forEach((c, i) => {
    const cells = table.data.get(c) as RawCell[];
    const codes = options.missingCodes(c);
    data[names[i]] = keep.map((r) => normalizeCell(cells[r], codes));
  });
  const down: Record<string, string> = {};
  const up: Record<string, string> = {};
  for (const n of names) {
    down[n] = `d => op.fill_down(d.${n})`;
    up[n] = `d => op.fill_up(d.${n})`;
  }
  let t = aq.table(data).groupby('__id').orderby('__time', '__row');
  if (names.length > 0) t = t.derive(down).derive(up);
  t = t.filter('() => op.row_number() === op.count()').ungroup().orderby('__id');
  const ids = Array.from(t.array('__id') as ArrayLike<string>);
  const out = new Map<string, RawCell[]>();
  columns.forEach((c, i) =>
    out.set(
      c,
      Array.from(t.array(names[i]) as ArrayLike<RawCell>, (v) => v ?? null),
    ),
  );
  return { ids, columns: out };
}

/**
 * Outer-joins per-patient tables on the patient id (arquero `join_full`); column names must not clash.
 * @returns ids sorted, columns in table order
 */
export function outerJoinPatients(parts: RawColumns[]): RawColumns {
  const seen = new Set<string>();
  let joined: aq.ColumnTable | null = null;
  for (const part of parts) {
    const obj: Record<string, unknown[]> = { __id: part.ids };
    for (const [c, cells] of part.columns) {
      if (seen.has(c)) throw new Error(`column ${c} appears in two joined tables`);
      seen.add(c);
      obj[c] = cells;
    }
    const t = aq.table(obj);
    joined = joined === null ? t : joined.join_full(t, '__id');
  }
  if (joined === null) return { ids: [], columns: new Map() };
  const sorted = joined.orderby('__id');
  const ids = Array.from(sorted.array('__id') as ArrayLike<string>);
  const columns = new Map<string, RawCell[]>();
  for (const c of sorted.columnNames()) {
    if (c !== '__id')
      columns.set(
        c,
        Array.from(sorted.array(c) as ArrayLike<RawCell>, (v) => v ?? null),
      );
  }
  return { ids, columns };
}
