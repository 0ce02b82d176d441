/** The synthetic diagnosis table (DXSUM_PDXCONV): the labels, with blank and changing diagnoses for excluded patients. */
import type { CsvCell } from '../io/csv-writer.js';
import { DXSUM_HEADER } from './adni-columns.js';
import { isoDate, stamp, type Draw } from './adni-draw.js';
import type { AdniRawOutput, TableRows } from './adni-output.js';
import { visitsOf, type Patient } from './adni-patients.js';

/** Writes 2–4 diagnosis visits per patient (not for records.jsonl patients). */
export async function writeDiagnosisTable(patients: readonly Patient[], d: Draw, o: AdniRawOutput): Promise<void> {
  const dx: TableRows = { header: DXSUM_HEADER, rows: [] };
  for (const p of patients) {
    if (p.kind === 'record') continue;
    const visits = visitsOf(p, d.int(2, 4), d);
    visits.forEach((v, k) => {
      let diagnosis: CsvCell = p.y + 1;
      if (p.kind === 'missing-dx' && k === visits.length - 1) diagnosis = '';
      if (p.kind === 'changing-dx' && k === visits.length - 1) diagnosis = p.y === 2 ? 2 : p.y + 2;
      const diagnosisNumber = typeof diagnosis === 'number' ? diagnosis : 0;
      dx.rows.push({
        PHASE: p.phase,
        PTID: p.ptid,
        RID: p.rid,
        VISCODE: v.viscode,
        VISCODE2: v.viscode2,
        EXAMDATE: isoDate(v.date),
        DIAGNOSIS: diagnosis,
        DXNORM: diagnosisNumber === 1 ? 1 : '',
        DXMCI: diagnosisNumber === 2 ? 1 : '',
        DXAD: diagnosisNumber === 3 ? 1 : '',
        DXCONFID: d.int(2, 4),
        ID: o.ids.DXSUM++,
        SITEID: p.site,
        USERDATE: isoDate(v.date),
        USERDATE2: '',
        DD_CRF_VERSION_LABEL: 'v1',
        LANGUAGE_CODE: 'e',
        HAS_QC_ERROR: 0,
        update_stamp: stamp(v.stamp),
      });
    });
  }
  await o.tableFile('diagnosis', 'DXSUM_PDXCONV_22Apr2024.csv', dx, new Set());
}
