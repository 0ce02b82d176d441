/** ADNI clinical modality: MEDHIST, NEUROEXM, PTDEMOG, RECCMEDS, VITALS → one raw row per patient. */
import type { RawColumns } from '../transforms/column-transform.js';
import { checkNumericColumn, readIds, readTable, type LoadedTable } from '../tables/read-table.js';
import { latestRowPerPatient, outerJoinPatients } from './latest-row.js';
import { ADNI_LEAKING_COLUMNS, ADNI_NUMERIC_COLUMNS, ADNI_SHARED_COLUMNS, adniMissingCodes } from './missing-codes.js';

/** Reads an ADNI table with upper-cased column names and checks its numeric columns. */
export async function readAdniTable(file: string, required: string[]): Promise<LoadedTable> {
  const t = await readTable(file, { upperCaseColumns: true });
  for (const c of required) {
    if (!t.data.has(c)) throw new Error(`${file}: missing column '${c}'; columns are ${t.columns.join(', ')}`);
  }
  for (const c of t.columns) if (ADNI_NUMERIC_COLUMNS.has(c)) checkNumericColumn(t, c, adniMissingCodes(c));
  return t;
}

/** Columns dropped from the ADNI feature tables: shared bookkeeping columns and leaking ones. */
export const ADNI_DROPPED: ReadonlySet<string> = new Set([...ADNI_SHARED_COLUMNS, ...ADNI_LEAKING_COLUMNS]);

/**
 * Reads the five clinical tables, collapses each to the latest filled row per PTID and outer-joins them.
 * @returns raw clinical columns (upper-cased names) per PTID, ids sorted
 */
export async function loadClinicalRaw(files: string[]): Promise<RawColumns> {
  const parts: RawColumns[] = [];
  for (const file of files) {
    const t = await readAdniTable(file, ['PTID', 'UPDATE_STAMP']);
    const ids = readIds(t, 'PTID', false);
    parts.push(latestRowPerPatient(t, { ids, missingCodes: adniMissingCodes, drop: ADNI_DROPPED }));
  }
  return outerJoinPatients(parts);
}
