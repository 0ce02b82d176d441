/** The synthetic biospecimen tables (APOERES and Roche Elecsys CSF) and the biospecimen raw records. */
import { APOERES_COLUMNS, ROCHE_HEADER } from './adni-columns.js';
import { DAY_MS, clamp, fixed, isoDate, stamp, usDate, type Draw } from './adni-draw.js';
import type { AdniRawOutput, CsvRow, TableRows } from './adni-output.js';
import { visitsOf, type Patient } from './adni-patients.js';

/**
 * Writes APOERES and Roche rows of every patient with the biospecimen modality, plus Roche rows whose
 * (PHASE, RID) is in no APOERES row (the pipeline drops them).
 * @param f the cohort scale factor (number of dataset patients / 2,380)
 * @param usedRids RIDs already taken (the unmapped rows get new ones)
 * @returns the number of unmapped Roche rows
 */
export async function writeBiospecimenTables(
  patients: readonly Patient[],
  d: Draw,
  o: AdniRawOutput,
  f: number,
  usedRids: Set<number>,
): Promise<number> {
  const apoe: TableRows = {
    header: [
      'Phase',
      'PTID',
      'ID',
      'RID',
      'SITEID',
      'VISCODE',
      'USERDATE',
      'USERDATE2',
      ...APOERES_COLUMNS,
      'update_stamp',
    ],
    rows: [],
  };
  const roche: TableRows = { header: ROCHE_HEADER, rows: [] };
  let unmapped = 0;
  for (const p of patients) {
    if (!p.B) continue;
    const z = p.zB;
    const apoePhase = p.phase === 'ADNIGO' || p.phase === 'ADNI2' ? 'ADNIGO2' : p.phase;
    const e4 = clamp(0.1 + 0.14 * z, 0.02, 0.7);
    const alleles = [d.chance(e4) ? 4 : d.chance(0.1) ? 2 : 3, d.chance(e4) ? 4 : d.chance(0.1) ? 2 : 3].sort();
    const v0 = visitsOf(p, 1, d)[0];
    const apoeRow = o.hide(p, {
      Phase: apoePhase,
      PTID: p.ptid,
      ID: o.ids.APOERES++,
      RID: p.rid,
      SITEID: p.site,
      VISCODE: 'sc',
      USERDATE: isoDate(v0.date),
      USERDATE2: '',
      APTESTDT: usDate(v0.date + 30 * DAY_MS),
      APGEN1: alleles[0],
      APGEN2: alleles[1],
      APVOLUME: fixed(d.pick([5, 7.5, 10]), 1),
      APRECEIVE: d.chance(0.95) ? 1 : 0,
      APAMBTEMP: d.chance(0.9) ? 1 : 0,
      APRESAMP: 0,
      APUSABLE: 1,
      update_stamp: stamp(v0.stamp),
    });
    apoe.rows.push(apoeRow);
    o.addToRecord(p, 'biospecimen', [apoeRow]);
    // Roche rows: most biospecimen patients have 1-3 CSF visits; the phase letter matches APOERES.
    const rocheRows: CsvRow[] = [];
    if (d.chance(0.85)) {
      const rochePhase = apoePhase === 'ADNIGO2' ? 'ADNI2' : apoePhase;
      for (const v of visitsOf(p, d.int(1, 3), d)) {
        const abeta = 1150 - 260 * z + d.normal(0, 230);
        const tau = 230 + 65 * z + d.normal(0, 60);
        const ptau = 21 + 7 * z + d.normal(0, 6);
        const comment: string[] = [];
        const cens = (x: number, lo: number, hi: number, label: string): string => {
          if (x > hi) {
            comment.push(`${label}>${hi}`);
            return `>${hi}`;
          }
          if (x < lo) {
            comment.push(`${label}<${lo}`);
            return `<${lo}`;
          }
          return fixed(x, 1);
        };
        const adni3 = p.phase === 'ADNI3';
        rocheRows.push(
          o.hide(p, {
            PHASE: rochePhase,
            RID: p.rid,
            VISCODE2: v.viscode2,
            EXAMDATE: isoDate(v.date),
            BATCH: adni3 ? d.pick(['UPENNBIOMK11', 'UPENNBIOMK12']) : 'UPENNBIOMK9',
            RUNDATE: isoDate(v.date + d.int(100, 900) * DAY_MS),
            ABETA40: adni3 ? fixed(clamp(16000 + d.normal(0, 4000), 841, 37480), 1) : '',
            ABETA42: cens(abeta, 200, 1700, 'Abeta42'),
            TAU: cens(tau, 80, 1300, 'Tau'),
            PTAU: cens(ptau, 8, 120, 'PTau'),
            COMMENT: comment.join(', '),
            update_stamp: stamp(v.stamp),
          }),
        );
      }
    }
    roche.rows.push(...rocheRows);
    o.addToRecord(p, 'biospecimen', rocheRows);
  }
  // Roche rows whose (phase, RID) is not in APOERES: dropped by the pipeline (as in the reference).
  for (let k = 0; k < Math.max(1, Math.round(15 * f)); k++) {
    let rid: number;
    do rid = 8000 + d.int(0, 1999);
    while (usedRids.has(rid));
    usedRids.add(rid);
    roche.rows.push({
      PHASE: 'ADNI3',
      RID: rid,
      VISCODE2: 'bl',
      EXAMDATE: '2017-03-01',
      BATCH: 'UPENNBIOMK11',
      RUNDATE: '2018-01-10',
      ABETA40: '15000.0',
      ABETA42: '900.0',
      TAU: '250.0',
      PTAU: '22.0',
      COMMENT: '',
      update_stamp: '2018-02-01 10:00:00.0',
    });
    unmapped++;
  }
  await o.tableFile('biospecimen', 'APOERES_09May2024.csv', apoe);
  await o.tableFile('biospecimen', 'UPENNBIOMK_ROCHE_ELECSYS_09May2024.csv', roche);
  return unmapped;
}
