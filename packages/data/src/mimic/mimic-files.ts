/** Locating MIMIC-IV files in a raw directory (`<module>/<table>.csv.gz` or `.csv`) and parsing its times. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** MIMIC-IV tables this package reads. */
export const MIMIC_TABLES = {
  patients: 'hosp/patients',
  admissions: 'hosp/admissions',
  labevents: 'hosp/labevents',
  labitems: 'hosp/d_labitems',
  diagnoses: 'hosp/diagnoses_icd',
  chartevents: 'icu/chartevents',
  discharge: 'note/discharge',
} as const;

/** Table key of {@link MIMIC_TABLES}. */
export type MimicTable = keyof typeof MIMIC_TABLES;

/** Path of a table (`.csv.gz` preferred, then `.csv`), or null when neither exists. */
export function findMimicFile(raw: string, table: MimicTable): string | null {
  for (const ext of ['.csv.gz', '.csv']) {
    const p = join(raw, MIMIC_TABLES[table] + ext);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Like {@link findMimicFile} but throws a clear error for a required table. */
export function requireMimicFile(raw: string, table: MimicTable): string {
  const p = findMimicFile(raw, table);
  if (!p) throw new Error(`${join(raw, MIMIC_TABLES[table])}.csv.gz: missing MIMIC-IV table (also looked for .csv)`);
  return p;
}

/** Milliseconds since the epoch of `YYYY-MM-DD[ HH:MM:SS]` read as UTC; NaN when malformed. */
export function parseMimicTime(s: string): number {
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  let h = 0;
  let mi = 0;
  let se = 0;
  if (s.length >= 19) {
    h = Number(s.slice(11, 13));
    mi = Number(s.slice(14, 16));
    se = Number(s.slice(17, 19));
  }
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isFinite(t) ? t : NaN;
}

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;
