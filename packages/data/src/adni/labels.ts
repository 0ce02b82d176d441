/**
 * ADNI labels from DXSUM (docs/algorithm.md §8): DIAGNOSIS 1/2/3 → CN/MCI/Dementia. By default a patient with a
 * missing diagnosis at any visit, or more than one distinct diagnosis, is excluded; the `last` rule
 * keeps the diagnosis of the latest visit (by update_stamp) instead.
 */
import { normalizeCell, parseDate, parseNumeric } from '../transforms/column-transform.js';
import { readIds } from '../tables/read-table.js';
import { readAdniTable } from './clinical.js';

/** ADNI class names, index = label. */
export const ADNI_CLASSES = ['CN', 'MCI', 'Dementia'] as const;

/** `stable`: exclude missing/changing diagnoses (default, like the reference); `last`: latest diagnosis. */
export type AdniLabelRule = 'stable' | 'last';

/** Labels per PTID and the number of excluded patients by reason. */
export interface AdniLabels {
  labels: Map<string, number>;
  excludedMissing: number;
  excludedChanging: number;
  /** Every PTID of DXSUM, labelled or excluded (other tables' rows of unknown patients are counted). */
  knownIds: Set<string>;
  /** DXSUM's PTID of each RID (for tables that carry only RID). */
  ptidByRid: Map<string, string>;
}

/**
 * Reads DXSUM and derives one label per patient.
 * @throws naming file, row and column for a DIAGNOSIS that is not 1, 2, 3 or blank
 */
export async function loadAdniLabels(file: string, rule: AdniLabelRule = 'stable'): Promise<AdniLabels> {
  const t = await readAdniTable(file, ['PTID', 'DIAGNOSIS']);
  const ids = readIds(t, 'PTID', false);
  const dx = t.data.get('DIAGNOSIS') ?? [];
  const stamps = t.data.get('UPDATE_STAMP');
  const visits = new Map<string, { dx: number | null; time: number; row: number }[]>();
  ids.forEach((id, r) => {
    const v = normalizeCell(dx[r], ['-4']);
    let d: number | null = null;
    if (v !== null) {
      const x = parseNumeric(v);
      if (!(x === 1 || x === 2 || x === 3)) {
        throw new Error(
          `${file}: row ${r + 1}, column DIAGNOSIS: expected 1 (CN), 2 (MCI), 3 (Dementia) or blank, found ${JSON.stringify(v)}`,
        );
      }
      d = x - 1;
    }
    const s = stamps ? normalizeCell(stamps[r], []) : null;
    const time = s === null ? -Infinity : parseDate(s);
    const list = visits.get(id) ?? [];
    list.push({ dx: d, time: Number.isNaN(time) ? -Infinity : time, row: r });
    visits.set(id, list);
  });
  const labels = new Map<string, number>();
  let excludedMissing = 0;
  let excludedChanging = 0;
  for (const [id, list] of visits) {
    if (rule === 'stable') {
      if (list.some((v) => v.dx === null)) {
        excludedMissing++;
        continue;
      }
      if (new Set(list.map((v) => v.dx)).size > 1) {
        excludedChanging++;
        continue;
      }
      labels.set(id, list[0].dx as number);
    } else {
      const known = list.filter((v) => v.dx !== null).sort((a, b) => a.time - b.time || a.row - b.row);
      if (known.length === 0) {
        excludedMissing++;
        continue;
      }
      labels.set(id, known[known.length - 1].dx as number);
    }
  }
  const ptidByRid = new Map<string, string>();
  const rids = t.data.get('RID');
  if (rids)
    ids.forEach((id, r) => {
      const rid = normalizeCell(rids[r], []);
      if (rid !== null) ptidByRid.set(String(parseNumeric(rid)), id);
    });
  return { labels, excludedMissing, excludedChanging, knownIds: new Set(visits.keys()), ptidByRid };
}
