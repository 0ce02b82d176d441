/**
 * ADNI biospecimen modality: APOERES + UPENNBIOMK_ROCHE_ELECSYS. The Roche table has no PTID; rows are
 * mapped by `(last character of PHASE, RID)` to the PTID seen in APOERES (as the reference does).
 */
import { normalizeCell, type RawColumns } from '../transforms/column-transform.js';
import { readIds, type LoadedTable } from '../tables/read-table.js';
import { readAdniTable, ADNI_DROPPED } from './clinical.js';
import { latestRowPerPatient, outerJoinPatients } from './latest-row.js';
import { adniMissingCodes } from './missing-codes.js';

/** The `(last char of phase)_RID` key, e.g. ADNIGO2 + 4123 → `2_4123`. */
export function phaseRidKey(phase: string, rid: string): string {
  return `${phase.slice(-1).toUpperCase()}_${String(Number(rid))}`;
}

/** The Phase+RID → PTID map of APOERES (first PTID wins for a key). */
export function ptidMapFromApoe(apoe: LoadedTable): Map<string, string> {
  const ptids = readIds(apoe, 'PTID', false);
  const phases = apoe.data.get('PHASE');
  const rids = apoe.data.get('RID');
  if (!phases || !rids) throw new Error(`${apoe.file}: missing column 'PHASE' (or 'Phase') or 'RID'`);
  const map = new Map<string, string>();
  ptids.forEach((ptid, r) => {
    const phase = normalizeCell(phases[r], []);
    const rid = normalizeCell(rids[r], []);
    if (phase === null || rid === null) return;
    const key = phaseRidKey(phase, rid);
    if (!map.has(key)) map.set(key, ptid);
  });
  return map;
}

/** Raw biospecimen columns per PTID, and how many Roche rows could not be mapped to a PTID. */
export interface BiospecimenRaw {
  raw: RawColumns;
  unmappedRocheRows: number;
}

/** Reads APOERES and the Roche Elecsys table, maps Roche rows to PTIDs, collapses and joins them. */
export async function loadBiospecimenRaw(apoeFile: string, rocheFile: string): Promise<BiospecimenRaw> {
  const apoe = await readAdniTable(apoeFile, ['PTID', 'PHASE', 'RID', 'UPDATE_STAMP']);
  const roche = await readAdniTable(rocheFile, ['PHASE', 'RID', 'UPDATE_STAMP']);
  const map = ptidMapFromApoe(apoe);
  const phases = roche.data.get('PHASE') ?? [];
  const rids = roche.data.get('RID') ?? [];
  let unmapped = 0;
  const rocheIds = phases.map((p, r) => {
    const phase = normalizeCell(p, []);
    const rid = normalizeCell(rids[r], []);
    const ptid = phase === null || rid === null ? undefined : map.get(phaseRidKey(phase, rid));
    if (ptid === undefined) unmapped++;
    return ptid ?? null;
  });
  const apoeRows = latestRowPerPatient(apoe, {
    ids: readIds(apoe, 'PTID', false),
    missingCodes: adniMissingCodes,
    drop: ADNI_DROPPED,
  });
  const rocheRows = latestRowPerPatient(roche, { ids: rocheIds, missingCodes: adniMissingCodes, drop: ADNI_DROPPED });
  return { raw: outerJoinPatients([apoeRows, rocheRows]), unmappedRocheRows: unmapped };
}
