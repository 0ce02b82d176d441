/**
 * Tabular column transforms (docs/algorithm.md §8): typing, MinMax to [-1, 1] then per-column mean imputation for
 * numerical columns, mode imputation + one-hot ±1 for categorical columns, and for dates: mode
 * imputation, epoch seconds, 5 equal-width bins, one-hot ±1. Everything is fitted on training rows only.
 */

import { categoryOf, categoryVocabulary, DEFAULT_MIN_CATEGORY_COUNT } from './category-vocabulary.js';
import { freeTextReason } from './free-text-columns.js';
import { checkFloat32Cell, fitsFloat32 } from './float32-range.js';

/** A raw table cell as read from CSV/Arrow/JSON. `null`/`undefined`/blank = missing. */
export type RawCell = string | number | boolean | null | undefined;

/** A raw table as plain columns: `columns[c][i]` is the cell of patient `ids[i]`. */
export interface RawColumns {
  ids: string[];
  /** Column name → cells, in table column order. */
  columns: Map<string, RawCell[]>;
}

interface ColumnTransformBase {
  /** Raw column name (ADNI: upper-cased). */
  column: string;
  /** Raw values that mean "missing" in this column (compared numerically when both sides are numbers). */
  missingCodes: string[];
}

/** A numerical column: MinMax to [-1, 1] with training min/max, missing → training mean of scaled values. */
export interface NumericalColumnTransform extends ColumnTransformBase {
  type: 'numerical';
  min: number;
  max: number;
  /** Mean of the scaled training values (the imputed value). */
  mean: number;
}

/** A categorical column: one-hot +1/-1 over the training categories, missing → training mode. */
export interface CategoricalColumnTransform extends ColumnTransformBase {
  type: 'categorical';
  /** True when the categories are numbers (compared numerically: `1.0` is `1`). */
  numericCategories: boolean;
  /** Sorted training categories; one output feature each. */
  categories: string[];
  mode: string;
  /** The category that rare training values and unseen values map to (category-vocabulary.ts). */
  other?: string;
}

/** A date column: epoch seconds, equal-width bins between the training min and max, one-hot ±1. */
export interface DateColumnTransform extends ColumnTransformBase {
  type: 'date';
  /** Bin edges in epoch seconds (bins + 1 values, ascending). */
  edges: number[];
  /** Most frequent training date (epoch seconds), used for missing values. */
  mode: number;
}

/** The fitted transform of one raw column. */
export type ColumnTransform = NumericalColumnTransform | CategoricalColumnTransform | DateColumnTransform;

/** A raw column that was not kept, and why. */
export interface DroppedColumn {
  column: string;
  reason: string;
}

/** Options of {@link fitColumnTransforms}. */
export interface ColumnTransformOptions {
  /** Missing-value codes per column (e.g. ADNI `-4`, and `-1` where the schema says so). */
  missingCodes?: (column: string) => string[];
  /** Text columns with at least this many training categories are dropped (docs/algorithm.md §8: 1000). */
  maxCategories?: number;
  /** Number of equal-width date bins (docs/algorithm.md §8: 5). */
  dateBins?: number;
  /** Columns to leave out (e.g. the id column, shared or leaking columns). */
  exclude?: Iterable<string>;
  /** Id column name when `table` is an arquero table. */
  idColumn?: string;
  /** Text categories held by fewer training patients become "other" (default 5, docs/privacy.md). */
  minCategoryCount?: number;
  /** Text columns kept as categorical even when they look like free text (free-text-columns.ts). */
  categoricalColumns?: Iterable<string>;
  /** Table description used in errors (e.g. the source file name). */
  file?: string;
}

/** The result of {@link fitColumnTransforms}. */
export interface FittedColumns {
  columns: ColumnTransform[];
  dropped: DroppedColumn[];
}

/** Minimal view of an arquero table (so this module needs no arquero import). */
interface ArqueroLike {
  columnNames(): string[];
  array(name: string): ArrayLike<unknown>;
}

const MISSING_TOKENS = new Set(['', 'na', 'nan', 'null', 'none', 'n/a']);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_DATE_RE =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const US_DATE_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** Converts an arquero table (or passes through a {@link RawColumns}) to plain columns. */
export function toRawColumns(table: RawColumns | ArqueroLike, idColumn = 'id'): RawColumns {
  if (!('columnNames' in table) || typeof (table as ArqueroLike).columnNames !== 'function') return table as RawColumns;
  const t = table as ArqueroLike;
  if (!t.columnNames().includes(idColumn)) throw new Error(`table has no id column '${idColumn}'`);
  const ids = Array.from(t.array(idColumn), (v) => String(v));
  const columns = new Map<string, RawCell[]>();
  for (const name of t.columnNames()) {
    if (name === idColumn) continue;
    columns.set(
      name,
      Array.from(t.array(name), (v) => (v instanceof Date ? v.toISOString() : (v as RawCell))),
    );
  }
  return { ids, columns };
}

/** Parses a number, accepting censored text such as `<8` or `>1700` (docs/algorithm.md §8). NaN when not a number. */
export function parseNumeric(text: string): number {
  const s = text.replace(/^[<>]=?\s*/, '');
  return NUMBER_RE.test(s) ? Number(s) : Number.NaN;
}

/**
 * Parses `YYYY-MM-DD[ HH:MM[:SS[.f]]][Z|±HH:MM]` (also with `/`: `YYYY/MM/DD`) or `M/D/YYYY` to epoch
 * seconds; UTC unless an offset is given. NaN when not a date.
 */
export function parseDate(text: string): number {
  let m = ISO_DATE_RE.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = [m[1], m[3], m[4], m[5] ?? '0', m[6] ?? '0', m[7] ?? '0'].map(Number);
    const zone = m[8] && m[8] !== 'Z' ? /^([+-])(\d{2}):?(\d{2})$/.exec(m[8]) : null;
    const offset = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 3600 + Number(zone[3]) * 60) : 0;
    return validDate(y, mo, d) ? Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offset : Number.NaN;
  }
  m = US_DATE_RE.exec(text);
  if (m) {
    const [mo, d, y] = [m[1], m[2], m[3]].map(Number);
    return validDate(y, mo, d) ? Date.UTC(y, mo - 1, d) / 1000 : Number.NaN;
  }
  return Number.NaN;
}

function validDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Canonical text of a number category: `1.0` and `1` are the same category `1`. */
function canonicalNumber(x: number): string {
  return String(x);
}

/**
 * Normalises a raw cell: trims text, maps blanks, `NA`-like tokens and the column's missing codes to null.
 * Returns the cell as text otherwise.
 */
export function normalizeCell(cell: RawCell, missingCodes: readonly string[]): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number' && !Number.isFinite(cell)) return null;
  const s = typeof cell === 'string' ? cell.trim() : String(cell);
  if (MISSING_TOKENS.has(s.toLowerCase())) return null;
  if (missingCodes.length > 0) {
    const x = NUMBER_RE.test(s) ? Number(s) : Number.NaN;
    for (const code of missingCodes) {
      if (s === code) return null;
      if (!Number.isNaN(x) && NUMBER_RE.test(code) && Number(code) === x) return null;
    }
  }
  return s;
}

/** Most frequent value; ties go to the first in `order`. */
function modeOf<T>(values: T[], order: T[]): T {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = order[0];
  let bestCount = -1;
  for (const v of order) {
    const c = counts.get(v) ?? 0;
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * Types and fits every column of `table` on the rows of `trainingIds` (docs/algorithm.md §8).
 * @param table raw columns (or an arquero table with `options.idColumn`)
 * @param trainingIds ids of the training patients (other rows are ignored while fitting)
 * @param options missing codes, category limit, excluded columns
 * @returns the fitted columns in table order, and the columns that were dropped with the reason
 */
export function fitColumnTransforms(
  table: RawColumns | ArqueroLike,
  trainingIds: Iterable<string>,
  options: ColumnTransformOptions = {},
): FittedColumns {
  const raw = toRawColumns(table, options.idColumn);
  const training = new Set(trainingIds);
  const rows: number[] = [];
  raw.ids.forEach((id, i) => {
    if (training.has(id)) rows.push(i);
  });
  const exclude = new Set(options.exclude ?? []);
  const maxCategories = options.maxCategories ?? 1000;
  const bins = options.dateBins ?? 5;
  const declared = new Set(options.categoricalColumns ?? []);
  const columns: ColumnTransform[] = [];
  const dropped: DroppedColumn[] = [];
  for (const [column, cells] of raw.columns) {
    if (exclude.has(column)) continue;
    const missingCodes = options.missingCodes?.(column) ?? [];
    const values: string[] = [];
    for (const i of rows) {
      const v = normalizeCell(cells[i], missingCodes);
      if (v !== null)
        checkFloat32Cell(
          parseNumeric(v),
          v,
          () => `${options.file ?? 'table'}: row ${i + 1} (patient ${raw.ids[i]}), column ${column}`,
        );
      if (v !== null) values.push(v);
    }
    if (values.length === 0) {
      dropped.push({ column, reason: 'no value in the training rows' });
      continue;
    }
    const freeText = declared.has(column) ? undefined : freeTextReason(values);
    const textOptions = { minCount: options.minCategoryCount ?? DEFAULT_MIN_CATEGORY_COUNT, freeText };
    const fitted = fitOneColumn(column, values, missingCodes, maxCategories, bins, textOptions);
    if ('reason' in fitted) dropped.push(fitted);
    else columns.push(fitted);
  }
  return { columns, dropped };
}

function fitOneColumn(
  column: string,
  values: string[],
  missingCodes: string[],
  maxCategories: number,
  bins: number,
  text: { minCount: number; freeText?: string },
): ColumnTransform | DroppedColumn {
  const numbers = values.map(parseNumeric);
  const allNumeric = numbers.every((x) => !Number.isNaN(x));
  const named = column.toUpperCase().includes('DATE');
  if (!allNumeric || named) {
    const dates = values.map(parseDate);
    const parsed = dates.filter((t) => !Number.isNaN(t));
    // A name containing DATE makes a date column when anything parses; otherwise every value must.
    if ((named && parsed.length > 0) || (!named && !allNumeric && parsed.length === values.length)) {
      return fitDate(column, parsed, missingCodes, bins);
    }
  }
  if (allNumeric) {
    const distinct = [...new Set(numbers)].sort((a, b) => a - b);
    if (distinct.length <= 2) {
      const categories = distinct.map(canonicalNumber);
      return {
        column,
        type: 'categorical',
        missingCodes,
        numericCategories: true,
        categories,
        mode: modeOf(numbers.map(canonicalNumber), categories),
      };
    }
    const min = distinct[0];
    const max = distinct[distinct.length - 1];
    let sum = 0;
    for (const x of numbers) sum += scale(x, min, max);
    return { column, type: 'numerical', missingCodes, min, max, mean: sum / numbers.length };
  }
  if (text.freeText) return { column, reason: text.freeText };
  const distinct = new Set(values).size;
  if (distinct >= maxCategories) {
    return { column, reason: `${distinct} categories (limit ${maxCategories - 1})` };
  }
  const vocabulary = categoryVocabulary(values, text.minCount);
  const { categories, other } = vocabulary;
  const mode = modeOf(
    values.map((v) => categoryOf(v, vocabulary)),
    categories,
  );
  return {
    column,
    type: 'categorical',
    missingCodes,
    numericCategories: false,
    categories,
    mode,
    ...(other ? { other } : {}),
  };
}

function fitDate(column: string, times: number[], missingCodes: string[], bins: number): DateColumnTransform {
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const n = max > min ? bins : 1;
  const edges = Array.from({ length: n + 1 }, (_, k) => (k === n ? max : min + ((max - min) * k) / n));
  const order = [...new Set(times)].sort((a, b) => a - b);
  return { column, type: 'date', missingCodes, edges, mode: modeOf(times, order) };
}

/** MinMax to [-1, 1]; a constant column maps to 0. */
function scale(x: number, min: number, max: number): number {
  return max > min ? (2 * (x - min)) / (max - min) - 1 : 0;
}

/** Output feature names of fitted columns: `COL`, `COL=category`, `COL:bin<k>`. */
export function columnFeatureNames(columns: readonly ColumnTransform[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    if (c.type === 'numerical') names.push(c.column);
    else if (c.type === 'categorical') for (const cat of c.categories) names.push(`${c.column}=${cat}`);
    else for (let k = 0; k < c.edges.length - 1; k++) names.push(`${c.column}:bin${k}`);
  }
  return names;
}

/** Number of output features of fitted columns. */
export function columnsWidth(columns: readonly ColumnTransform[]): number {
  let n = 0;
  for (const c of columns)
    n += c.type === 'numerical' ? 1 : c.type === 'categorical' ? c.categories.length : c.edges.length - 1;
  return n;
}

/**
 * Writes the features of one cell into `out` at `offset`; returns the number of features written.
 * @throws when a numerical column holds text that is not a number
 */
function writeCell(c: ColumnTransform, cell: RawCell, out: Float32Array, offset: number, where: () => string): number {
  const v = normalizeCell(cell, c.missingCodes);
  if (c.type === 'numerical') {
    if (v === null) {
      out[offset] = c.mean;
    } else {
      const x = parseNumeric(v);
      if (Number.isNaN(x))
        throw new Error(`${where()}, column ${c.column}: expected a number, found ${JSON.stringify(v)}`);
      out[offset] = scale(x, c.min, c.max);
      if (!fitsFloat32(out[offset]))
        checkFloat32Cell(out[offset], v, () => `${where()}, column ${c.column} (after scaling)`);
    }
    return 1;
  }
  if (c.type === 'categorical') {
    let key = v ?? c.mode;
    if (c.numericCategories && v !== null) {
      const x = parseNumeric(v);
      key = Number.isNaN(x) ? v : canonicalNumber(x);
    }
    let hit = c.categories.indexOf(key); // unseen category: every indicator -1 (or "other" when the column has one)
    if (hit < 0 && c.other !== undefined) hit = c.categories.indexOf(c.other);
    for (let k = 0; k < c.categories.length; k++) out[offset + k] = k === hit ? 1 : -1;
    return c.categories.length;
  }
  let t = v === null ? Number.NaN : parseDate(v);
  if (Number.isNaN(t)) t = c.mode; // unparseable text in a date column is treated as missing
  const n = c.edges.length - 1;
  const width = c.edges[n] - c.edges[0];
  let bin = width > 0 ? Math.floor(((t - c.edges[0]) / width) * n) : 0;
  bin = Math.min(n - 1, Math.max(0, bin));
  for (let k = 0; k < n; k++) out[offset + k] = k === bin ? 1 : -1;
  return n;
}

/**
 * Applies fitted columns to every row of a raw table.
 * @param file table description used in errors (e.g. the source file name)
 * @returns features `ids.length × width` (row-major) and their names
 */
export function applyColumnTransforms(
  columns: readonly ColumnTransform[],
  table: RawColumns | ArqueroLike,
  file = 'table',
  idColumn?: string,
): { ids: string[]; featureNames: string[]; features: Float32Array } {
  const raw = toRawColumns(table, idColumn);
  const width = columnsWidth(columns);
  const features = new Float32Array(raw.ids.length * width);
  const cellsByColumn = columns.map((c) => raw.columns.get(c.column));
  for (let i = 0; i < raw.ids.length; i++) {
    let offset = i * width;
    columns.forEach((c, j) => {
      const cells = cellsByColumn[j];
      offset += writeCell(
        c,
        cells ? cells[i] : null,
        features,
        offset,
        () => `${file}: patient row ${i + 1} (id ${raw.ids[i]})`,
      );
    });
  }
  return { ids: raw.ids, featureNames: columnFeatureNames(columns), features };
}

/**
 * Applies fitted columns to one raw record part `{ "<raw column>": value, ... }`. Column names are
 * matched case-insensitively and without surrounding spaces; absent columns are missing (imputed);
 * unknown keys are ignored.
 */
export function applyColumnTransformsToRecord(
  columns: readonly ColumnTransform[],
  raw: unknown,
  where: string,
): Float32Array {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `${where}: expected an object of raw column values, found ${Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const byUpper = new Map<string, RawCell>();
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') throw new Error(`${where}, column ${k}: expected a number, text or null`);
    byUpper.set(k.trim().toUpperCase(), v as RawCell);
  }
  const out = new Float32Array(columnsWidth(columns));
  let offset = 0;
  for (const c of columns) {
    const own = (raw as Record<string, RawCell>)[c.column];
    const cell = own !== undefined ? own : byUpper.get(c.column.toUpperCase());
    offset += writeCell(c, cell, out, offset, () => where);
  }
  return out;
}
