/**
 * The synthetic UCSF cross-sectional FreeSurfer 7 table (`image/UCSFFSX7_09May2024.csv`), one row per
 * processed scan, with the oddities of the real download: several scans per patient (and re-runs of one
 * scan with a later update_stamp), scans that failed QC (sometimes the latest one), empty regions, numbers
 * written with stray spaces or trailing zeros, and rows of participants who are not in DXSUM.
 * Regional values shrink with the patient's image view of the diagnosis (atrophy) in half of the regions.
 * Its draws come from their own seeded stream, so the other files do not change when it is written.
 */
import { isLaterScan } from '../adni/freesurfer.js';
import { Draw, DAY_MS, clamp, isoDate, stamp } from './adni-draw.js';
import type { AdniRawOutput, CsvRow, TableRows } from './adni-output.js';
import type { Patient } from './adni-patients.js';

interface Region {
  column: string;
  /** Typical value of a cognitively normal participant. */
  base: number;
  /** Relative atrophy per unit of the image view of the diagnosis (0 = no signal). */
  atrophy: number;
  digits: number;
}

const QC_COLUMNS = ['TEMPQC', 'FRONTQC', 'PARQC', 'INSULAQC', 'OCCQC', 'BGQC', 'CWMQC', 'VENTQC', 'HIPPOQC'];
const ID_COLUMNS = [
  'RID',
  'PTID',
  'COLPROT',
  'VISCODE',
  'VISCODE2',
  'EXAMDATE',
  'LONISID',
  'LONIUID',
  'IMAGEUID',
  'RUNDATE',
  'STATUS',
  'OVERALLQC',
  ...QC_COLUMNS,
];

/**
 * Regions `ST<n>`: every fifth (n ≡ 4 mod 5, plus 88) is a subcortical volume (SV; 29 and 88 play the
 * hippocampi, with the strongest atrophy); the others are cortical (CV, SA, TA, TS).
 */
function freeSurferRegions(d: Draw): Region[] {
  const out: Region[] = [];
  for (const n of [...Array.from({ length: 40 }, (_, i) => i + 1), 88]) {
    const atrophy = d.chance(0.5) ? 0.04 + 0.05 * d.next() : 0;
    if (n % 5 === 4 || n === 88) {
      const hippocampus = n === 29 || n === 88;
      out.push({ column: `ST${n}SV`, base: 1500 + 3500 * d.next(), atrophy: hippocampus ? 0.09 : atrophy, digits: 1 });
      continue;
    }
    out.push({ column: `ST${n}CV`, base: 2000 + 10000 * d.next(), atrophy, digits: 1 });
    out.push({ column: `ST${n}SA`, base: 800 + 3200 * d.next(), atrophy: atrophy / 3, digits: 1 });
    out.push({ column: `ST${n}TA`, base: 2.1 + 1.1 * d.next(), atrophy, digits: 3 });
    out.push({ column: `ST${n}TS`, base: 0.5 + 0.3 * d.next(), atrophy: 0, digits: 3 });
  }
  return out;
}

/** A cell as written: mostly plain, sometimes with stray spaces or trailing zeros (still a number). */
function numberText(x: number, digits: number, d: Draw): string {
  const text = x.toFixed(digits);
  const u = d.next();
  if (u < 0.02) return ` ${text} `;
  if (u < 0.04) return `${text}00`;
  return text;
}

interface Scan {
  row: CsvRow;
  exam: number;
  stamp: number;
  pass: boolean;
  /** Parsed feature values (null = empty), for the raw record. */
  values: Record<string, number | null>;
}

/** What a scanned participant needs (dataset patients, and participants who are not in DXSUM). */
type Scanned = Pick<Patient, 'ptid' | 'rid' | 'zI' | 'baseline'> & { phase: string };

function drawScans(p: Scanned, regions: Region[], d: Draw, imageUid: { next: number }): Scan[] {
  const n = d.chance(0.35) ? 1 : d.chance(0.6) ? 2 : 3;
  const effect = clamp(p.zI, -1, 3.5);
  const scans: Scan[] = [];
  for (let k = 0; k < n; k++) {
    const rerun = k > 0 && d.chance(0.1); // same scan processed again: same EXAMDATE, later update_stamp
    const exam = rerun ? scans[k - 1].exam : p.baseline + k * 365 * DAY_MS + d.int(0, 40) * DAY_MS;
    const updated = exam + d.int(20, 400) * DAY_MS + d.int(0, 86_399) * 1000;
    const u = d.next();
    const qc = u < 0.1 ? 'Fail' : u < 0.16 ? 'Partial' : 'Pass';
    // Later scans show a little more atrophy (disease progression).
    const progression = effect - 0.3 * (n - 1 - k);
    const viscode = k === 0 ? 'bl' : `m${String(12 * k).padStart(2, '0')}`;
    const uid = imageUid.next++;
    const row: CsvRow = {
      RID: p.rid,
      PTID: p.ptid,
      COLPROT: p.phase,
      VISCODE: viscode,
      VISCODE2: viscode,
      EXAMDATE: isoDate(exam),
      LONISID: 10_000 + uid,
      LONIUID: 20_000 + uid,
      IMAGEUID: 30_000 + uid,
      RUNDATE: isoDate(updated - 5 * DAY_MS),
      STATUS: 'complete',
      OVERALLQC: qc,
      update_stamp: stamp(updated),
    };
    for (const c of QC_COLUMNS) row[c] = qc === 'Pass' || d.chance(0.7) ? 'Pass' : qc;
    const values: Record<string, number | null> = {};
    const failedBlock = qc === 'Fail' && d.chance(0.5); // a failed segmentation leaves whole regions empty
    for (const r of regions) {
      const empty = d.chance(0.015) || (failedBlock && r.column.endsWith('TA'));
      if (empty) {
        row[r.column] = '';
        values[r.column] = null;
        continue;
      }
      const x = Math.max(r.base * 0.2, r.base * (1 - r.atrophy * progression) * (1 + d.normal(0, 0.06)));
      row[r.column] = numberText(x, r.digits, d);
      values[r.column] = Number(x.toFixed(r.digits));
    }
    scans.push({ row, exam, stamp: updated, pass: qc === 'Pass', values });
  }
  if (!scans.some((s) => s.pass)) {
    scans[0].pass = true; // every imaged patient keeps at least one usable scan
    scans[0].row.OVERALLQC = 'Pass';
  }
  return scans;
}

/** The scan the pipeline keeps: latest passing scan by EXAMDATE, then update_stamp, then row order. */
function latestPassing(scans: readonly Scan[]): Scan {
  let best: Scan | undefined;
  for (const s of scans) {
    if (!s.pass) continue;
    if (!best || isLaterScan(s, best)) best = s;
  }
  return best as Scan;
}

/**
 * Writes the FreeSurfer table for every patient with the image modality; the kept scan's values go to the
 * raw record (`{ "ST1CV": 2345.6, …, "ST5TA": null }`), replacing any NIfTI voxels.
 * @param f the cohort scale factor (number of dataset patients / 2,380), for the rows of unknown participants
 * @returns the number of table rows of participants not in DXSUM
 */
export async function writeFreeSurferTable(
  patients: readonly Patient[],
  o: AdniRawOutput,
  seed: number,
  f: number,
): Promise<number> {
  const d = new Draw(seed * 104_729 + 31);
  const regions = freeSurferRegions(d);
  const table: TableRows = { header: [...ID_COLUMNS, ...regions.map((r) => r.column), 'update_stamp'], rows: [] };
  const hidden = new Set<CsvRow>();
  const imageUid = { next: 1 };
  for (const p of patients) {
    if (!p.I) continue;
    const scans = drawScans(p, regions, d, imageUid);
    if (p.kind === 'record') for (const s of scans) hidden.add(s.row);
    table.rows.push(...scans.map((s) => s.row));
    if (o.wantRecord(p)) o.recordOf(p).modalities.image = latestPassing(scans).values;
  }
  // Participants scanned but never diagnosed (not in DXSUM): the pipeline counts and drops them.
  const unknown = Math.max(1, Math.round(12 * f));
  let unknownRows = 0;
  for (let k = 0; k < unknown; k++) {
    const rid = 9_000 + k;
    const participant = {
      ptid: `999_S_${rid}`,
      rid,
      phase: 'ADNI3',
      zI: d.normal(1, 0.8),
      baseline: Date.UTC(2018, 0, 1),
    };
    const scans = drawScans(participant, regions, d, imageUid);
    table.rows.push(...scans.map((s) => s.row));
    unknownRows += scans.length;
  }
  table.rows.sort((a, b) => Number(a.RID) - Number(b.RID) || String(a.EXAMDATE).localeCompare(String(b.EXAMDATE)));
  await o.tableFile('image', 'UCSFFSX7_09May2024.csv', table, hidden);
  return unknownRows;
}
