/**
 * The ADNI image modality from the UCSF cross-sectional FreeSurfer 7 table (`UCSFFSX7_<date>.csv`, one row
 * per processed scan): docs/data.md §5 "Image from the FreeSurfer table".
 * - one row per patient: the latest scan by EXAMDATE, then update_stamp, then file order;
 * - with `qc: 'pass'` (the default) only scans whose OVERALLQC is `Pass`;
 * - features: the `ST<n><suffix>` columns with the chosen suffixes (default CV, TA, SV);
 * - numbers that arrive as text are parsed; empty cells (and `-4`) stay missing for the column transform;
 * - rows of patients unknown to DXSUM are counted and dropped.
 * Scaling and imputation are the columns transform's (fitted on the training split by the ADNI builder).
 */
import path from 'node:path';
import { readTable, type LoadedTable } from '../tables/read-table.js';
import {
  normalizeCell,
  parseDate,
  parseNumeric,
  type RawCell,
  type RawColumns,
} from '../transforms/column-transform.js';
import { adniMissingCodes } from './missing-codes.js';

/** The FreeSurfer measure suffixes: cortical volume, surface area, thickness mean and std, subcortical volume. */
export const FREESURFER_SUFFIXES = ['CV', 'SA', 'TA', 'TS', 'SV'] as const;
export type FreeSurferSuffix = (typeof FREESURFER_SUFFIXES)[number];
/** The suffixes used unless asked otherwise (those the official code keeps). */
export const DEFAULT_FREESURFER_SUFFIXES: readonly FreeSurferSuffix[] = ['CV', 'TA', 'SV'];

const FEATURE_RE = /^ST\d+(CV|SA|TA|TS|SV)$/;

/** True for a FreeSurfer table file name: `UCSFFSX7[_date].csv[.gz]`. */
export function isFreeSurferTable(file: string): boolean {
  return /^UCSFFSX7(_[^.]*)?\.csv(\.gz)?$/i.test(path.basename(file));
}

/** Options of {@link loadFreeSurferTable}. */
export interface FreeSurferOptions {
  /** `pass` (default): only scans whose OVERALLQC is Pass; `any`: every scan. */
  qc?: 'pass' | 'any';
  /** Feature suffixes to keep (default {@link DEFAULT_FREESURFER_SUFFIXES}). */
  suffixes?: readonly FreeSurferSuffix[];
  /** Every PTID of the labels table; rows of other patients are dropped and counted. */
  knownIds: ReadonlySet<string>;
  /** PTID per RID, used when the table has no PTID column. */
  ptidByRid?: ReadonlyMap<string, string>;
}

/** What the reader did (counts only, no patient values). */
export interface FreeSurferReport {
  file: string;
  rows: number;
  qc: 'pass' | 'any';
  /** Rows left out because OVERALLQC was not Pass. */
  failedQcRows: number;
  /** Patients (distinct ids) whose rows were dropped because DXSUM does not know them. */
  unknownPatients: number;
  unknownRows: number;
  /** Patients kept (one scan each). */
  patients: number;
  suffixes: FreeSurferSuffix[];
  featureColumns: number;
}

/** Parses the `--image-features` list, e.g. `CV,TA,SV`. */
export function parseFreeSurferSuffixes(text: string, flag = '--image-features'): FreeSurferSuffix[] {
  const parts = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const bad = parts.filter((s) => !(FREESURFER_SUFFIXES as readonly string[]).includes(s));
  if (parts.length === 0 || bad.length > 0) {
    const allowed = FREESURFER_SUFFIXES.join(', ');
    throw new Error(`${flag}: expected a comma-separated list of ${allowed}, got ${JSON.stringify(text)}`);
  }
  return [...new Set(parts)] as FreeSurferSuffix[];
}

/** PTID of each row: the PTID cell, else DXSUM's PTID of the RID (`RID <n>` when DXSUM has none); null if neither. */
function patientIds(t: LoadedTable, options: FreeSurferOptions): (string | null)[] {
  const ptid = t.data.get('PTID');
  const rid = t.data.get('RID');
  if (!ptid && !rid) {
    throw new Error(
      `${t.file}: no PTID or RID column (needed to match scans to patients); columns are ${shortList(t.columns)}`,
    );
  }
  return Array.from({ length: t.rowCount }, (_, r) => {
    const id = ptid ? normalizeCell(ptid[r], []) : null;
    if (id !== null) return id;
    const v = rid ? normalizeCell(rid[r], []) : null;
    return v === null ? null : (options.ptidByRid?.get(String(parseNumeric(v))) ?? `RID ${v}`);
  });
}

function shortList(columns: readonly string[]): string {
  if (columns.length <= 20) return columns.join(', ');
  return `${columns.slice(0, 20).join(', ')}, … (${columns.length} in all)`;
}

/**
 * The scan rule: `a` replaces `b` when its exam is later, or on the same exam date when its update_stamp is
 * not earlier (so among equal stamps the later row wins). Times are epoch seconds, -Infinity when missing.
 */
export function isLaterScan(a: { exam: number; stamp: number }, b: { exam: number; stamp: number }): boolean {
  return a.exam > b.exam || (a.exam === b.exam && a.stamp >= b.stamp);
}

function timeOf(t: LoadedTable, column: string, r: number): number {
  const cells = t.data.get(column);
  const s = cells ? normalizeCell(cells[r], []) : null;
  if (s === null) return -Infinity;
  const time = parseDate(s);
  if (Number.isNaN(time)) {
    throw new Error(`${t.file}: row ${r + 1}, column ${column}: expected a date, found ${JSON.stringify(s)}`);
  }
  return time;
}

/**
 * Reads the FreeSurfer table and keeps one scan per patient (see the file comment).
 * @returns the feature columns (values as numbers, null when missing) per PTID, ids sorted
 * @throws naming the file (and row, column) for a table with no PTID/RID, no `ST*` feature column, a
 * duplicate column name, a feature value that is not a number, or no scan passing QC
 */
export async function loadFreeSurferTable(
  file: string,
  options: FreeSurferOptions,
): Promise<{ raw: RawColumns; report: FreeSurferReport }> {
  const t = await readTable(file, { upperCaseColumns: true });
  const ids = patientIds(t, options);
  const all = t.columns.filter((c) => FEATURE_RE.test(c));
  if (all.length === 0) {
    const allowed = FREESURFER_SUFFIXES.join(', ');
    throw new Error(
      `${file}: no FreeSurfer feature column (ST<n> followed by ${allowed}, e.g. ST29SV); ` +
        `columns are ${shortList(t.columns)}`,
    );
  }
  const suffixes = [...(options.suffixes ?? DEFAULT_FREESURFER_SUFFIXES)];
  const features = all.filter((c) => suffixes.some((s) => c.endsWith(s)));
  if (features.length === 0) {
    const present = [...new Set(all.map((c) => c.slice(-2)))].join(', ');
    throw new Error(
      `${file}: no ST* column ends in ${suffixes.join(', ')} ` +
        `(the table has ${all.length} ST* columns ending in ${present}); choose others with --image-features`,
    );
  }
  const qc = options.qc ?? 'pass';
  const overall = t.data.get('OVERALLQC');
  if (qc === 'pass' && !overall) {
    throw new Error(`${file}: no OVERALLQC column to filter scans by QC; give --image-qc any to use every scan`);
  }

  let failedQcRows = 0;
  let unknownRows = 0;
  const unknown = new Set<string>();
  const latest = new Map<string, { row: number; exam: number; stamp: number }>();
  for (let r = 0; r < t.rowCount; r++) {
    const id = ids[r];
    if (id === null) {
      throw new Error(
        `${file}: row ${r + 1}, column ${t.data.has('PTID') ? 'PTID' : 'RID'}: the patient id is empty` +
          (t.data.has('PTID') && t.data.has('RID') ? ' (and so is RID)' : ''),
      );
    }
    if (qc === 'pass' && normalizeCell((overall as RawCell[])[r], [])?.toLowerCase() !== 'pass') {
      failedQcRows++;
      continue;
    }
    if (!options.knownIds.has(id)) {
      unknownRows++;
      unknown.add(id);
      continue;
    }
    const scan = { row: r, exam: timeOf(t, 'EXAMDATE', r), stamp: timeOf(t, 'UPDATE_STAMP', r) };
    const before = latest.get(id);
    if (!before || isLaterScan(scan, before)) latest.set(id, scan);
  }
  if (qc === 'pass' && failedQcRows === t.rowCount) {
    const seen = [...new Set((overall as RawCell[]).map((c) => normalizeCell(c, []) ?? '(blank)'))].slice(0, 5);
    throw new Error(
      `${file}: column OVERALLQC: no scan passed QC (${t.rowCount} rows, values ${seen.join(', ')}); ` +
        'give --image-qc any to use them anyway',
    );
  }

  const kept = [...latest.keys()].sort();
  const columns = new Map<string, RawCell[]>();
  for (const c of features) {
    const cells = t.data.get(c) as RawCell[];
    const codes = adniMissingCodes(c);
    columns.set(
      c,
      kept.map((id) => {
        const r = (latest.get(id) as { row: number }).row;
        const v = normalizeCell(cells[r], codes);
        if (v === null) return null;
        const x = parseNumeric(v);
        if (Number.isNaN(x)) {
          throw new Error(`${file}: row ${r + 1}, column ${c}: expected a number, found ${JSON.stringify(v)}`);
        }
        return x;
      }),
    );
  }
  return {
    raw: { ids: kept, columns },
    report: {
      file,
      rows: t.rowCount,
      qc,
      failedQcRows,
      unknownPatients: unknown.size,
      unknownRows,
      patients: kept.length,
      suffixes,
      featureColumns: features.length,
    },
  };
}
