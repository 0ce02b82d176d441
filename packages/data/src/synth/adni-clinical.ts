/** The five synthetic clinical tables (MEDHIST, NEUROEXM, PTDEMOG, RECCMEDS, VITALS) and the clinical raw records. */
import {
  MEDHIST_COLUMNS,
  MEDS,
  NEUROEXM_COLUMNS,
  NX_CODES,
  NX_DES,
  OCCUPATIONS,
  PTDEMOG_COLUMNS,
  RECCMEDS_COLUMNS,
  VITALS_COLUMNS,
  CRF_PREFIX,
} from './adni-columns.js';
import { DAY_MS, clamp, fixed, type Draw } from './adni-draw.js';
import { AdniRawOutput, blankSome, crfRow, type CsvRow, type TableRows } from './adni-output.js';
import { visitsOf, type Patient, type Visit } from './adni-patients.js';

/** MEDHIST: screening (sometimes a corrected duplicate of the same visit). */
function medhistRows(p: Patient, visits: Visit[], d: Draw, o: AdniRawOutput): CsvRow[] {
  const z = p.zC;
  const adni1 = p.phase === 'ADNI1';
  const mh: CsvRow = { MHSOURCE: d.chance(0.9) ? 1 : 2 };
  for (const c of MEDHIST_COLUMNS.slice(1)) {
    if (/^MH\d+[A-Z]?(ALCH|DRUG|SMOK)$/.test(c) && /[ABC](ALCH|DRUG|SMOK)$/.test(c)) continue;
    mh[c] = d.chance(0.25) ? 1 : 0;
  }
  mh.MHPSYCH = d.chance(clamp(0.1 + 0.15 * z, 0.01, 0.9)) ? 1 : 0;
  mh.MH2NEURL = d.chance(clamp(0.08 + 0.22 * z, 0.01, 0.9)) ? 1 : 0;
  mh.MH14AALCH = mh.MH14ALCH === 1 ? d.int(1, 8) : '';
  mh.MH14BALCH = mh.MH14ALCH === 1 ? d.int(1, 30) : adni1 ? '' : -4;
  mh.MH14CALCH = mh.MH14ALCH === 1 ? d.int(0, 40) : adni1 ? '' : -4;
  mh.MH15ADRUG = mh.MH15DRUG === 1 ? d.int(1, 20) : -4;
  mh.MH15BDRUG = mh.MH15DRUG === 1 ? d.int(0, 40) : -4;
  mh.MH16ASMOK = mh.MH16SMOK === 1 ? fixed(d.pick([0.5, 1, 1.5, 2]), 1) : '-4.0';
  mh.MH16BSMOK = mh.MH16SMOK === 1 ? d.int(1, 50) : -4;
  mh.MH16CSMOK = mh.MH16SMOK === 1 ? d.int(0, 40) : -4;
  mh.MHCOMMEN = d.chance(0.9)
    ? -4
    : d.pick(['Hypertension controlled', 'History of knee surgery', 'Seasonal allergies']);
  const mhRows = [o.hide(p, crfRow(p, visits[0], o.ids.MEDHIST++, blankSome({ ...mh }, d, 0.02)))];
  if (d.chance(0.08)) {
    mh.MH4CARD = 1; // corrected entry, later update stamp
    mhRows.push(
      o.hide(p, crfRow(p, { ...visits[0], stamp: visits[0].stamp + 3 * DAY_MS }, o.ids.MEDHIST++, { ...mh })),
    );
  }
  return mhRows;
}

/** NEUROEXM: 1-2 visits. */
function neuroexmRows(p: Patient, visits: Visit[], d: Draw, o: AdniRawOutput): CsvRow[] {
  const z = p.zC;
  const adni1 = p.phase === 'ADNI1';
  const nxRows: CsvRow[] = [];
  for (const v of visits.slice(0, d.int(1, 2))) {
    const nx: CsvRow = {};
    NX_CODES.forEach((c, i) => {
      const abnormal = d.chance(clamp(c === 'NXGAIT' || c === 'NXTREMOR' ? 0.05 + 0.18 * z : 0.06, 0.01, 0.9));
      nx[c] = adni1 && d.chance(0.02) ? -1 : abnormal ? 2 : 1;
      nx[NX_DES[i]] = abnormal ? d.pick(['mild', 'slight asymmetry', 'reduced']) : -4;
    });
    nx.NXOTHER = d.chance(0.03) ? -4 : d.chance(0.05) ? 2 : 1;
    nx.NXOTHSPE = -4;
    nx.NXGENCOM = d.chance(0.87) ? -4 : 'No significant findings';
    nx.NXABNORM = d.chance(0.07) ? '' : d.chance(0.02) ? 2 : 1;
    nxRows.push(o.hide(p, crfRow(p, v, o.ids.NEUROEXM++, blankSome(nx, d, 0.01))));
  }
  return nxRows;
}

/** PTDEMOG: 1-2 rows (re-administered at a later phase). */
function ptdemogRows(p: Patient, visits: Visit[], d: Draw, o: AdniRawOutput): CsvRow[] {
  const z = p.zC;
  const adni1 = p.phase === 'ADNI1';
  const birthYear = Math.round(clamp(1942 - 4 * z + d.normal(0, 5), 1915, 1965));
  const demo: CsvRow = {
    PTSOURCE: 1,
    PTGENDER: d.chance(0.52) ? 1 : 2,
    PTDOBMM: d.int(1, 12),
    PTDOBYY: birthYear,
    PTHAND: d.chance(0.9) ? 1 : 2,
    PTMARRY: d.pick([1, 1, 1, 2, 3, 4, 5]),
    PTEDUCAT: Math.round(clamp(17 - 2 * z + d.normal(0, 2), 6, 20)),
    PTWORKHS: d.chance(0.95) ? 1 : -4,
    PTWORK: d.pick(OCCUPATIONS),
    PTWRECNT: d.chance(0.5) ? d.pick(OCCUPATIONS) : -4,
    PTNOTRT: d.pick([0, 1, 1, 2]),
    PTRTYR: d.chance(0.3) ? -4 : `${String(d.int(1, 12)).padStart(2, '0')}/--/${d.int(1985, 2015)}`,
    PTHOME: d.pick([1, 1, 2, 3, 5]),
    PTOTHOME: -4,
    PTTLANG: d.chance(0.95) ? 1 : 2,
    PTPLANG: d.chance(0.93) ? 1 : d.pick([2, 3]),
    PTPSPEC: -4,
    PTCOGBEG: p.y === 0 ? 9999 : d.int(1995, 2012),
    PTMCIBEG: p.y >= 1 && p.phase !== 'ADNI3' ? d.int(1995, 2010) : '',
    PTADBEG: p.y === 2 ? d.int(1995, 2010) : -4,
    PTADDX: p.y === 2 ? d.int(1998, 2012) : 9999,
    PTETHCAT: d.chance(0.95) ? 2 : d.pick([1, 3]),
    PTRACCAT: d.pick([5, 5, 5, 5, 5, 4, 2, 6]),
  };
  if (adni1 && d.chance(0.03)) demo.PTEDUCAT = -1;
  const demoRows = [o.hide(p, crfRow(p, visits[0], o.ids.PTDEMOG++, blankSome({ ...demo }, d, 0.02)))];
  if (visits.length > 1 && d.chance(0.25)) {
    const later = { ...demo, PTMARRY: d.pick([1, 2]), PTNOTRT: 1, PTWORK: '' };
    demoRows.push(o.hide(p, crfRow(p, visits[visits.length - 1], o.ids.PTDEMOG++, later)));
  }
  for (const r of demoRows) delete r.EXAMDATE;
  return demoRows;
}

/** RECCMEDS: 0-4 medications at the latest visit. */
function reccmedsRows(p: Patient, visits: Visit[], d: Draw, o: AdniRawOutput): CsvRow[] {
  const z = p.zC;
  const medRows: CsvRow[] = [];
  const nMeds = d.int(0, 4);
  const v = visits[visits.length - 1];
  for (let k = 0; k < nMeds; k++) {
    const dementiaDrug = d.chance(clamp(0.04 + 0.3 * z, 0.01, 0.9));
    const med = dementiaDrug ? d.pick(MEDS.slice(6)) : d.pick(MEDS.slice(0, 6));
    medRows.push(
      o.hide(
        p,
        crfRow(p, v, o.ids.RECCMEDS++, {
          RECNO: k + 1,
          CMMEDID: med.id,
          CMMED: med.name,
          CMMEDO: -4,
          CMDOSE: d.chance(0.03) ? -1 : med.dose,
          CMUNITS: med.unit,
          CMUNITO: -4,
          CMFREQNC: d.pick([1, 10, 10, 7, 8]),
          CMFREQNCO: -4,
          CMROUTE: 6,
          CMROUTEO: -4,
          CMREASON: 2,
          CMEVNUM: -4,
          CMBGN: d.chance(0.2) ? '--/--/2001' : `${String(d.int(1, 12)).padStart(2, '0')}/--/${d.int(1990, 2015)}`,
          CMCONT: 1,
          CMEND: -4,
          CMCOMM: -4,
        }),
      ),
    );
  }
  for (const r of medRows) delete r.EXAMDATE;
  return medRows;
}

/** VITALS: one row per visit; per-site units (lb/kg, °F/°C); -4 height after screening; ADNI1 -1 codes. */
function vitalsRows(p: Patient, visits: Visit[], d: Draw, o: AdniRawOutput): CsvRow[] {
  const z = p.zC;
  const adni1 = p.phase === 'ADNI1';
  const metric = p.site % 5 === 0;
  const weightKg = clamp(82 - 6 * z + d.normal(0, 11), 40, 150);
  const heightCm = clamp(170 + d.normal(0, 9), 145, 200);
  const vsRows: CsvRow[] = [];
  visits.forEach((vv, k) => {
    const w = weightKg - 0.8 * k + d.normal(0, 0.8);
    const tempC = 36.7 + d.normal(0, 0.3);
    const vs: CsvRow = {
      VSWEIGHT: metric ? fixed(w, 1) : fixed(w * 2.20462, 1),
      VSWTUNIT: metric ? 2 : 1,
      VSHEIGHT: k === 0 ? (metric ? fixed(heightCm, 1) : fixed(heightCm / 2.54, 1)) : -4,
      VSHTUNIT: k === 0 ? (metric ? 2 : 1) : -4,
      VSBPSYS: Math.round(clamp(124 + 9 * z + d.normal(0, 12), 85, 220)),
      VSBPDIA: Math.round(clamp(75 + d.normal(0, 9), 45, 120)),
      VSPULSE: Math.round(clamp(66 + d.normal(0, 9), 42, 120)),
      VSRESP: Math.round(clamp(16 + d.normal(0, 2), 8, 30)),
      VSTEMP: metric ? fixed(tempC, 1) : fixed(tempC * 1.8 + 32, 1),
      VSTMPSRC: d.pick([1, 1, 1, 2, 3]),
      VSTMPUNT: metric ? 2 : 1,
      VSCOMM: d.chance(0.92) ? -4 : 'Patient anxious',
    };
    if (adni1 && d.chance(0.04)) Object.assign(vs, { VSWEIGHT: -1, VSBPSYS: -1, VSTEMP: -1 });
    vsRows.push(o.hide(p, crfRow(p, vv, o.ids.VITALS++, blankSome(vs, d, 0.02))));
  });
  return vsRows;
}

/**
 * Writes the clinical tables of every patient with the clinical modality (rows of records.jsonl patients go
 * to their raw records instead). Each patient's draws happen in table order, so a seed gives the same data.
 */
export async function writeClinicalTables(patients: readonly Patient[], d: Draw, o: AdniRawOutput): Promise<void> {
  const tables: { file: string; rows: TableRows; draw: typeof medhistRows }[] = [
    {
      file: 'MEDHIST_09May2024.csv',
      rows: { header: [...CRF_PREFIX, 'EXAMDATE', ...MEDHIST_COLUMNS, 'update_stamp'], rows: [] },
      draw: medhistRows,
    },
    {
      file: 'NEUROEXM_09May2024.csv',
      rows: { header: [...CRF_PREFIX, 'EXAMDATE', ...NEUROEXM_COLUMNS, 'update_stamp'], rows: [] },
      draw: neuroexmRows,
    },
    {
      file: 'PTDEMOG_09May2024.csv',
      rows: { header: [...CRF_PREFIX, ...PTDEMOG_COLUMNS, 'update_stamp'], rows: [] },
      draw: ptdemogRows,
    },
    {
      file: 'RECCMEDS_09May2024.csv',
      rows: { header: [...CRF_PREFIX, ...RECCMEDS_COLUMNS, 'update_stamp'], rows: [] },
      draw: reccmedsRows,
    },
    {
      file: 'VITALS_09May2024.csv',
      rows: { header: [...CRF_PREFIX, 'EXAMDATE', ...VITALS_COLUMNS, 'update_stamp'], rows: [] },
      draw: vitalsRows,
    },
  ];
  for (const p of patients) {
    if (!p.C) continue;
    const visits = visitsOf(p, d.int(1, 4), d);
    for (const t of tables) {
      const rows = t.draw(p, visits, d, o);
      t.rows.rows.push(...rows);
      o.addToRecord(p, 'clinical', rows);
    }
  }
  for (const t of tables) await o.tableFile('clinical', t.file, t.rows);
}
