/**
 * Where the synthetic ADNI generator writes: the raw folder, the list of written files, the raw records
 * (records.jsonl patients, and every dataset patient with `keepRecords`), rows kept out of the CSVs (the
 * records.jsonl patients'), and the running `ID` numbers of the CRF tables.
 */
import path from 'node:path';
import { adniMissingCodes } from '../adni/missing-codes.js';
import { writeCsvFile, type CsvCell } from '../io/csv-writer.js';
import { normalizeCell } from '../transforms/column-transform.js';
import type { RawPatientRecord } from '../transforms/transform-record.js';
import { isoDate, stamp, type Draw } from './adni-draw.js';
import type { Patient, Visit } from './adni-patients.js';

/** One CSV row by column name. */
export type CsvRow = Record<string, CsvCell>;

/** Rows of one table, with the update stamp used for ordering. */
export interface TableRows {
  header: string[];
  rows: Record<string, CsvCell>[];
}

export function crfRow(
  p: Patient,
  v: Visit,
  id: number,
  values: Record<string, CsvCell>,
  phaseColumn = 'Phase',
): Record<string, CsvCell> {
  return {
    [phaseColumn]: p.phase,
    PTID: p.ptid,
    ID: id,
    RID: p.rid,
    SITEID: p.site,
    VISCODE: v.viscode,
    VISCODE2: v.viscode2,
    USERDATE: isoDate(v.date),
    USERDATE2: '',
    EXAMDATE: isoDate(v.date),
    ...values,
    update_stamp: stamp(v.stamp),
  };
}

/** Blank a few cells (not collected), never the keys. */
export function blankSome(values: Record<string, CsvCell>, d: Draw, rate: number): Record<string, CsvCell> {
  for (const k of Object.keys(values)) if (d.chance(rate)) values[k] = '';
  return values;
}

/** The output side of one generator run (see the file comment). */
export class AdniRawOutput {
  readonly files: string[] = [];
  readonly records = new Map<string, RawPatientRecord>();
  /** Rows of records.jsonl patients: kept out of the CSVs. */
  readonly hidden = new Set<CsvRow>();
  readonly ids = { MEDHIST: 1, NEUROEXM: 1, PTDEMOG: 1, RECCMEDS: 1, VITALS: 1, DXSUM: 1, APOERES: 1 };

  constructor(
    readonly out: string,
    private readonly keepRecords: boolean,
  ) {}

  /** Whether the patient's raw record is kept (records.jsonl patients; dataset patients with `keepRecords`). */
  wantRecord(p: Patient): boolean {
    return p.kind === 'record' || (this.keepRecords && p.kind === 'dataset');
  }

  recordOf(p: Patient): RawPatientRecord {
    let r = this.records.get(p.ptid);
    if (!r) {
      r = { id: p.ptid, modalities: {} };
      this.records.set(p.ptid, r);
    }
    return r;
  }

  /** Marks a row of a records.jsonl patient as hidden from the CSVs; returns the row. */
  hide(p: Patient, row: CsvRow): CsvRow {
    if (p.kind === 'record') this.hidden.add(row);
    return row;
  }

  /** Adds the collapsed raw state of a patient's rows of one table to its clinical/biospecimen record. */
  addToRecord(p: Patient, modality: string, rows: CsvRow[]): void {
    if (!this.wantRecord(p) || rows.length === 0) return;
    const sorted = rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) =>
        String(a.r.update_stamp) < String(b.r.update_stamp)
          ? -1
          : String(a.r.update_stamp) > String(b.r.update_stamp)
            ? 1
            : a.i - b.i,
      );
    const part = (this.recordOf(p).modalities[modality] ?? {}) as CsvRow;
    for (const key of Object.keys(sorted[0].r)) {
      const upper = key.toUpperCase();
      let value: CsvCell = null;
      for (const { r } of sorted) if (normalizeCell(r[key], adniMissingCodes(upper)) !== null) value = r[key];
      part[upper] = value;
    }
    this.recordOf(p).modalities[modality] = part;
  }

  /** Writes one table (without hidden rows) as `<sub>/<name>`. */
  async tableFile(sub: string, name: string, t: TableRows, hidden: ReadonlySet<CsvRow> = this.hidden): Promise<void> {
    const file = path.join(this.out, sub, name);
    await writeCsvFile(
      file,
      t.header,
      t.rows.filter((r) => !hidden.has(r)).map((r) => t.header.map((h) => r[h] ?? '')),
    );
    this.files.push(path.relative(this.out, file));
  }
}
