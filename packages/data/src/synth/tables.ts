/**
 * Synthetic users' tables (`flexmoe-data tables` input): any number of modalities with any names, CSV,
 * CSV.gz or Arrow tables, a labels table with any classes, and the raw record of every patient. Used by
 * the tests of the tables path and of the export, so that they do not depend on one fixed layout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DateMillisecond, Float64, Int64, Table, Utf8, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { csvField } from '../io/csv-writer.js';
import { mulberry32 } from '../splits/make-splits.js';
import type { RawPatientRecord } from '../transforms/transform-record.js';

/** One synthetic modality table. */
export interface SynthModalitySpec {
  name: string;
  /** Table format (default `csv`). */
  format?: 'csv' | 'csv.gz' | 'arrow';
  /**
   * `mixed` (default): a numerical column with negatives and blanks, a 0/1 column, a text column, a date
   * column (ISO and M/D/YYYY in CSV) and a numerical column whose name has a comma and non-ASCII letters;
   * `single`: one numerical column.
   */
  columns?: 'mixed' | 'single';
}

/** Options of {@link generateTablesRaw}. */
export interface TablesSynthOptions {
  outDir: string;
  modalities: SynthModalitySpec[];
  /** Class names, written as they are (numbers → numeric labels). */
  classes: (string | number)[];
  patients?: number;
  seed?: number;
  /** Share of patients with every modality (default 0.5); the others get a random non-empty subset. */
  fullShare?: number;
  /** Labels table format (default `csv`). */
  labelsFormat?: 'csv' | 'arrow';
  /** Ids that look like numbers (`100037`; Int64 in Arrow tables) instead of `P-0001` text ids. */
  numericIds?: boolean;
}

/** What {@link generateTablesRaw} wrote. */
export interface TablesSynthResult {
  modalityFiles: { name: string; file: string }[];
  labelsFile: string;
  /** Patient ids in labels-file order. */
  ids: string[];
  /** Label of each patient, as written. */
  labels: (string | number)[];
  /** `observed[i][m]`: patient i has modality m. */
  observed: boolean[][];
  /** Raw column names per modality, in table order (after the id column). */
  columns: string[][];
  /** The raw record of every patient (JSON values: numbers, text or null), in `ids` order. */
  records: RawPatientRecord[];
}

type Cell = string | number | null;

const MIXED_COLUMNS = ['score', 'flag', 'colour', 'visit_date', 'weight, kg (Höhe)'];

function isoDate(days: number): string {
  return new Date(Date.UTC(2020, 0, 1) + days * 86400000).toISOString().slice(0, 10);
}

function usDate(days: number): string {
  const d = new Date(Date.UTC(2020, 0, 1) + days * 86400000);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

/**
 * Writes synthetic modality tables, a labels table and returns every patient's raw record.
 * The same options always give the same files.
 */
export async function generateTablesRaw(options: TablesSynthOptions): Promise<TablesSynthResult> {
  const n = options.patients ?? 40;
  const rand = mulberry32(options.seed ?? 0);
  const M = options.modalities.length;
  const ids = Array.from({ length: n }, (_, i) =>
    options.numericIds ? String(100000 + i * 37) : `P-${String(i).padStart(4, '0')}`,
  );
  const labels = ids.map((_, i) => options.classes[i % options.classes.length]);
  const fullShare = options.fullShare ?? 0.5;
  const observed = ids.map(() => {
    if (rand() < fullShare) return options.modalities.map(() => true);
    for (;;) {
      const mask = options.modalities.map(() => rand() < 0.5);
      if (M === 1 || (mask.some(Boolean) && !mask.every(Boolean))) return M === 1 ? [true] : mask;
    }
  });
  await mkdir(options.outDir, { recursive: true });
  const records: RawPatientRecord[] = ids.map((id) => ({ id, modalities: {} }));
  const modalityFiles: { name: string; file: string }[] = [];
  const columns: string[][] = [];
  for (const [m, spec] of options.modalities.entries()) {
    const single = spec.columns === 'single';
    const names = single ? ['value'] : MIXED_COLUMNS;
    columns.push(names);
    const rows: { id: string; cells: Cell[]; record: Record<string, Cell> }[] = [];
    ids.forEach((id, i) => {
      if (!observed[i][m]) return;
      const y = options.classes.indexOf(labels[i]);
      const blank = (): boolean => rand() < 0.1;
      const days = Math.floor(rand() * 700);
      const cells: Cell[] = single
        ? [Math.round((y + rand() * 3 - 1.5) * 1000) / 100]
        : [
            blank() ? null : Math.round((y - 1 + rand() * 4 - 2) * 100) / 100,
            blank() ? null : rand() < 0.5 ? 0 : 1,
            blank() ? null : ['red', 'light blue', 'green'][Math.floor(rand() * 3)],
            blank() ? null : days,
            Math.round((60 + 10 * y + rand() * 20) * 10) / 10,
          ];
      // The record carries what a caller would send: numbers as JSON numbers, dates as text, blanks absent or null.
      const record: Record<string, Cell> = {};
      names.forEach((c, k) => {
        const v = cells[k];
        if (v === null) {
          if (rand() < 0.5) record[c] = null;
        } else record[c] = !single && k === 3 ? isoDate(v as number) : v;
      });
      records[i].modalities[spec.name] = record;
      rows.push({ id, cells, record });
    });
    const format = spec.format ?? 'csv';
    const file = path.join(options.outDir, `modality-${m}.${format}`);
    if (format === 'arrow') {
      const idVector: Vector = options.numericIds
        ? vectorFromArray(
            rows.map((r) => BigInt(r.id)),
            new Int64(),
          )
        : vectorFromArray(
            rows.map((r) => r.id),
            new Utf8(),
          );
      const vectors: Record<string, Vector> = { id: idVector };
      names.forEach((c, k) => {
        const values = rows.map((r) => r.cells[k]);
        if (!single && k === 2) vectors[c] = vectorFromArray(values as (string | null)[], new Utf8());
        else if (!single && k === 3) {
          vectors[c] = vectorFromArray(
            values.map((v) => (v === null ? null : new Date(Date.UTC(2020, 0, 1) + (v as number) * 86400000))),
            new DateMillisecond(),
          );
        } else vectors[c] = vectorFromArray(values as (number | null)[], new Float64());
      });
      await writeFile(file, tableToIPC(new Table(vectors), 'file'));
    } else {
      const lines = [['id', ...names].map(csvField).join(',')];
      for (const r of rows) {
        const text = r.cells.map((v, k) => {
          if (v === null) return rand() < 0.5 ? '' : 'NA';
          if (!single && k === 3) return rand() < 0.5 ? isoDate(v as number) : usDate(v as number);
          if (!single && k === 1 && v === 1 && rand() < 0.5) return '1.0';
          return String(v);
        });
        lines.push([r.id, ...text].map(csvField).join(','));
      }
      const body = `${lines.join('\r\n')}\r\n`;
      await writeFile(file, format === 'csv.gz' ? gzipSync(body) : body);
    }
    modalityFiles.push({ name: spec.name, file });
  }
  let labelsFile: string;
  if (options.labelsFormat === 'arrow') {
    labelsFile = path.join(options.outDir, 'labels.arrow');
    const numeric = labels.every((l) => typeof l === 'number');
    const table = new Table({
      id: options.numericIds
        ? vectorFromArray(
            ids.map((id) => BigInt(id)),
            new Int64(),
          )
        : vectorFromArray(ids, new Utf8()),
      label: numeric
        ? vectorFromArray(labels as number[], new Float64())
        : vectorFromArray(labels.map(String), new Utf8()),
    });
    await writeFile(labelsFile, tableToIPC(table, 'file'));
  } else {
    labelsFile = path.join(options.outDir, 'labels.csv');
    await writeFile(
      labelsFile,
      `patient id,outcome\n${ids.map((id, i) => `${id},${csvField(String(labels[i]))}`).join('\n')}\n`,
    );
  }
  return { modalityFiles, labelsFile, ids, labels, observed, columns, records };
}
