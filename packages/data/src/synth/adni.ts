/**
 * Seeded synthetic raw ADNI data (the built-in demo and the tests): LONI-layout CSVs of every table the
 * ADNI pipeline reads (schemas/adni_schemas.md columns), a PLINK fileset per ADNI phase group, small
 * NIfTI grey-matter maps with an atlas and `image_index.csv`, and `records.jsonl` (raw records of a few
 * patients who are not in the tables). Scale 1.0 gives the paper's Figure 2 counts: 2,380 patients,
 * clinical all, image 1,744, biospecimen 1,758, genomic 1,596, all four 1,474.
 *
 * The class signal is spread over the modalities: each modality sees the diagnosis through its own
 * independent noise, so one modality alone is a partial view and combining them helps.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writePlinkFileset } from '../genomic/write-plink.js';
import { genotypeRawRecord } from '../genomic/genotype-modality.js';
import type { PlinkFileset } from '../genomic/plink-types.js';
import { writeNiftiVolume } from '../image/write-nifti.js';
import { writeCsvFile, type CsvCell } from '../io/csv-writer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { mulberry32 } from '../splits/make-splits.js';
import { generatePlinkFileset } from './plink.js';
import { ATLAS_LABELS, generateAtlas, generateScanVolume } from './nifti.js';
import { normalizeCell } from '../transforms/column-transform.js';
import { adniMissingCodes } from '../adni/missing-codes.js';
import type { RawPatientRecord } from '../transforms/transform-record.js';

/** Options of {@link generateAdniRaw}. */
export interface AdniSynthOptions {
  outDir: string;
  seed?: number;
  /** 1.0 = 2,380 dataset patients (default 1). */
  scale?: number;
  /** Patients written only to records.jsonl (default 6). */
  recordPatients?: number;
  /** SNPs per fileset (default 300). */
  snps?: number;
  /** Image volume size (default 12×14×12). */
  imageDims?: [number, number, number];
  /** Keep the raw record of every patient in memory (tests compare them with the dataset). */
  keepRecords?: boolean;
  /** Reports progress. */
  onStep?: (step: string) => void;
}

/** What was generated (counts only; no values). */
export interface AdniSynthSummary {
  outDir: string;
  patients: number;
  perModality: { I: number; G: number; C: number; B: number };
  full: number;
  excludedMissingDiagnosis: number;
  excludedChangingDiagnosis: number;
  labelOnly: number;
  unmappedRocheRows: number;
  recordPatients: number;
  files: string[];
  /** Raw records of every dataset patient (with `keepRecords`). */
  records?: Map<string, RawPatientRecord>;
  /** Diagnosis index of every generated dataset patient. */
  labels?: Map<string, number>;
}

type Kind = 'dataset' | 'missing-dx' | 'changing-dx' | 'label-only' | 'record';

interface Patient {
  ptid: string;
  rid: number;
  site: number;
  phase: 'ADNI1' | 'ADNIGO' | 'ADNI2' | 'ADNI3';
  y: number;
  kind: Kind;
  I: boolean;
  G: boolean;
  B: boolean;
  C: boolean;
  /** Per-modality noisy views of the diagnosis. */
  zC: number;
  zB: number;
  zG: number;
  zI: number;
  baseline: number; // epoch ms of the baseline visit
}

const PHASE_START: Record<Patient['phase'], [number, number]> = {
  ADNI1: [2005, 1435],
  ADNIGO: [2009, 2000],
  ADNI2: [2011, 4000],
  ADNI3: [2016, 6000],
};

const MEDHIST_COLUMNS = ['MHSOURCE', 'MHPSYCH', 'MH2NEURL', 'MH3HEAD', 'MH4CARD', 'MH5RESP', 'MH6HEPAT', 'MH7DERM', 'MH8MUSCL', 'MH9ENDO',
  'MH10GAST', 'MH11HEMA', 'MH12RENA', 'MH13ALLE', 'MH14ALCH', 'MH14AALCH', 'MH14BALCH', 'MH14CALCH', 'MH15DRUG', 'MH15ADRUG', 'MH15BDRUG',
  'MH16SMOK', 'MH16ASMOK', 'MH16BSMOK', 'MH16CSMOK', 'MH17MALI', 'MH18SURG', 'MH19OTHR', 'MHCOMMEN'];
const NX_CODES = ['NXVISUAL', 'NXAUDITO', 'NXTREMOR', 'NXCONSCI', 'NXNERVE', 'NXMOTOR', 'NXFINGER', 'NXHEEL', 'NXSENSOR', 'NXTENDON', 'NXPLANTA', 'NXGAIT'];
const NX_DES = ['NXVISDES', 'NXAUDDES', 'NXTREDES', 'NXCONDES', 'NXNERDES', 'NXMOTDES', 'NXFINDES', 'NXHEEDES', 'NXSENDES', 'NXTENDES', 'NXPLADES', 'NXGAIDES'];
const NEUROEXM_COLUMNS = [...NX_CODES.flatMap((c, i) => [c, NX_DES[i]]), 'NXOTHER', 'NXOTHSPE', 'NXGENCOM', 'NXABNORM'];
const PTDEMOG_COLUMNS = ['PTSOURCE', 'PTGENDER', 'PTDOBMM', 'PTDOBYY', 'PTHAND', 'PTMARRY', 'PTEDUCAT', 'PTWORKHS', 'PTWORK', 'PTWRECNT', 'PTNOTRT',
  'PTRTYR', 'PTHOME', 'PTOTHOME', 'PTTLANG', 'PTPLANG', 'PTPSPEC', 'PTCOGBEG', 'PTMCIBEG', 'PTADBEG', 'PTADDX', 'PTETHCAT', 'PTRACCAT'];
const RECCMEDS_COLUMNS = ['RECNO', 'CMMEDID', 'CMMED', 'CMMEDO', 'CMDOSE', 'CMUNITS', 'CMUNITO', 'CMFREQNC', 'CMFREQNCO', 'CMROUTE', 'CMROUTEO',
  'CMREASON', 'CMEVNUM', 'CMBGN', 'CMCONT', 'CMEND', 'CMCOMM'];
const VITALS_COLUMNS = ['VSWEIGHT', 'VSWTUNIT', 'VSHEIGHT', 'VSHTUNIT', 'VSBPSYS', 'VSBPDIA', 'VSPULSE', 'VSRESP', 'VSTEMP', 'VSTMPSRC', 'VSTMPUNT', 'VSCOMM'];
const APOERES_COLUMNS = ['APTESTDT', 'APGEN1', 'APGEN2', 'APVOLUME', 'APRECEIVE', 'APAMBTEMP', 'APRESAMP', 'APUSABLE'];
const ROCHE_HEADER = ['PHASE', 'RID', 'VISCODE2', 'EXAMDATE', 'BATCH', 'RUNDATE', 'ABETA40', 'ABETA42', 'TAU', 'PTAU', 'COMMENT', 'update_stamp'];
const DXSUM_HEADER = ['PHASE', 'PTID', 'RID', 'VISCODE', 'VISCODE2', 'EXAMDATE', 'DIAGNOSIS', 'DXNORM', 'DXNODEP', 'DXMCI', 'DXMDES', 'DXMPTR1',
  'DXMPTR2', 'DXMPTR3', 'DXMPTR4', 'DXMPTR5', 'DXMPTR6', 'DXMDUE', 'DXMOTHET', 'DXDSEV', 'DXDDUE', 'DXAD', 'DXAPP', 'DXAPROB', 'DXAPOSS',
  'DXPARK', 'DXPDES', 'DXPCOG', 'DXPATYP', 'DXDEP', 'DXOTHDEM', 'DXODES', 'DXCONFID', 'ID', 'SITEID', 'USERDATE', 'USERDATE2',
  'DD_CRF_VERSION_LABEL', 'LANGUAGE_CODE', 'HAS_QC_ERROR', 'update_stamp'];
const CRF_PREFIX = ['Phase', 'PTID', 'ID', 'RID', 'SITEID', 'VISCODE', 'VISCODE2', 'USERDATE', 'USERDATE2'];
const MEDS = [
  { id: 12, name: 'Aspirin', dose: '81', unit: 5 },
  { id: 250, name: 'Lipitor', dose: '20', unit: 5 },
  { id: 1390, name: 'Vitamin D', dose: '1000', unit: 3 },
  { id: 633, name: 'Lisinopril', dose: '10', unit: 5 },
  { id: 1200, name: 'Synthroid', dose: '0.05', unit: 5 },
  { id: 702, name: 'Metformin', dose: '500', unit: 5 },
  { id: 88, name: 'Aricept', dose: '10', unit: 5 },
  { id: 840, name: 'Namenda', dose: '10', unit: 5 },
];
const OCCUPATIONS = ['Teacher', 'Engineer', 'Nurse', 'Accountant', 'Homemaker', 'Sales', 'Farmer', 'Lawyer', 'Physician', 'Clerk', 'Mechanic', 'Artist'];
const DAY_MS = 86_400_000;

/** A seeded random source with the draws the generator needs. */
class Draw {
  private readonly u: () => number;
  constructor(seed: number) {
    this.u = mulberry32(seed);
  }
  next(): number {
    return this.u();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.u() < p;
  }
  normal(mean = 0, sd = 1): number {
    const a = Math.max(this.u(), 1e-12);
    return mean + sd * Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * this.u());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.u() * xs.length)];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.u() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.0`;
}

function usDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function fixed(x: number, digits: number): string {
  return x.toFixed(digits);
}

/** A visit: codes, dates and the update stamp. */
interface Visit {
  viscode: string;
  viscode2: string;
  date: number;
  stamp: number;
}

function visitsOf(p: Patient, n: number, d: Draw): Visit[] {
  const codes = p.phase === 'ADNI2' ? ['v03', 'v06', 'v11', 'v21', 'v31'] : p.phase === 'ADNI3' ? ['bl', 'y1', 'y2', 'y3', 'y4'] : ['bl', 'm06', 'm12', 'm24', 'm36'];
  const months = [0, 6, 12, 24, 36];
  const out: Visit[] = [];
  for (let k = 0; k < n; k++) {
    const date = p.baseline + months[k] * 30.4 * DAY_MS + d.int(0, 20) * DAY_MS;
    out.push({ viscode: codes[k], viscode2: k === 0 ? 'bl' : `m${String(months[k]).padStart(2, '0')}`, date, stamp: date + d.int(1, 60) * DAY_MS + d.int(0, 86_399) * 1000 });
  }
  return out;
}

/** Rows of one table, with the update stamp used for ordering. */
interface TableRows {
  header: string[];
  rows: Record<string, CsvCell>[];
}

function crfRow(p: Patient, v: Visit, id: number, values: Record<string, CsvCell>, phaseColumn = 'Phase'): Record<string, CsvCell> {
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
function blankSome(values: Record<string, CsvCell>, d: Draw, rate: number): Record<string, CsvCell> {
  for (const k of Object.keys(values)) if (d.chance(rate)) values[k] = '';
  return values;
}

/** Generates raw ADNI data into `outDir` (see the module comment). */
export async function generateAdniRaw(options: AdniSynthOptions): Promise<AdniSynthSummary> {
  const seed = options.seed ?? 0;
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new Error(`--scale must be > 0, got ${scale}`);
  const step = options.onStep ?? (() => undefined);
  const d = new Draw(seed * 7919 + 17);
  const n = Math.max(12, Math.round(2380 * scale));
  const f = n / 2380;
  const nFull = Math.max(4, Math.round(1474 * f));
  const extraI = Math.round(270 * f);
  const extraB = Math.round(284 * f);
  const extraG = Math.round(122 * f);
  const nMissingDx = Math.max(2, Math.round(40 * f));
  const nChangingDx = Math.max(2, Math.round(60 * f));
  const nLabelOnly = Math.max(1, Math.round(20 * f));
  const nRecords = options.recordPatients ?? 6;

  // Patients: ids, phases, labels and modality availability.
  const usedRids = new Set<number>();
  const patients: Patient[] = [];
  const phases: Patient['phase'][] = ['ADNI1', 'ADNIGO', 'ADNI2', 'ADNI3'];
  const makePatient = (kind: Kind): Patient => {
    const phase = d.pick(phases);
    let rid: number;
    do rid = PHASE_START[phase][1] + d.int(0, 1999) + (phase === 'ADNI1' ? -1433 : 0);
    while (usedRids.has(rid) || rid < 2);
    usedRids.add(rid);
    const site = d.int(2, 141);
    const u = d.next();
    const y = u < 0.36 ? 0 : u < 0.78 ? 1 : 2;
    const baseline = Date.UTC(PHASE_START[phase][0] + d.int(0, 2), d.int(0, 11), d.int(1, 28));
    return {
      ptid: `${String(site).padStart(3, '0')}_S_${String(rid).padStart(4, '0')}`,
      rid, site, phase, y, kind, I: false, G: false, B: false, C: true,
      zC: y + d.normal(0, 0.8), zB: y + d.normal(0, 0.8), zG: y + d.normal(0, 0.8), zI: y + d.normal(0, 0.8), baseline,
    };
  };
  for (let i = 0; i < n; i++) patients.push(makePatient('dataset'));
  const order = d.shuffle(patients.map((_, i) => i));
  order.slice(0, nFull).forEach((i) => Object.assign(patients[i], { I: true, G: true, B: true }));
  const rest = order.slice(nFull);
  // Extras never make a full patient: I and B overlap a little, G overlaps B only.
  const overlapIB = Math.min(Math.round(70 * f), extraI, extraB);
  rest.slice(0, extraI).forEach((i) => (patients[i].I = true));
  const bStart = Math.max(0, extraI - overlapIB);
  rest.slice(bStart, bStart + extraB).forEach((i) => (patients[i].B = true));
  const gStart = bStart + extraB - Math.round(extraG / 2);
  rest.slice(gStart, gStart + extraG).forEach((i) => (patients[i].G = true));
  for (let i = 0; i < nMissingDx; i++) patients.push(Object.assign(makePatient('missing-dx'), { B: d.chance(0.5) }));
  for (let i = 0; i < nChangingDx; i++) patients.push(Object.assign(makePatient('changing-dx'), { I: d.chance(0.5) }));
  for (let i = 0; i < nLabelOnly; i++) patients.push(Object.assign(makePatient('label-only'), { C: false }));
  const recordPatterns = [
    { I: true, G: true, B: true, C: true },
    { I: false, G: true, B: true, C: true },
    { I: true, G: false, B: true, C: true },
    { I: false, G: false, B: false, C: true },
    { I: true, G: false, B: false, C: true },
    { I: false, G: false, B: true, C: true },
  ];
  for (let i = 0; i < nRecords; i++) patients.push(Object.assign(makePatient('record'), recordPatterns[i % recordPatterns.length]));

  const out = options.outDir;
  for (const sub of ['clinical', 'biospecimen', 'diagnosis', 'genomic', 'image/scans']) await mkdir(path.join(out, sub), { recursive: true });
  const files: string[] = [];
  const records = new Map<string, RawPatientRecord>();
  const wantRecord = (p: Patient): boolean => p.kind === 'record' || (options.keepRecords === true && p.kind === 'dataset');
  const recordOf = (p: Patient): RawPatientRecord => {
    let r = records.get(p.ptid);
    if (!r) {
      r = { id: p.ptid, modalities: {} };
      records.set(p.ptid, r);
    }
    return r;
  };

  /** Adds the collapsed raw state of a patient's rows of one table to its clinical/biospecimen record. */
  const addToRecord = (p: Patient, modality: string, rows: Record<string, CsvCell>[]): void => {
    if (!wantRecord(p) || rows.length === 0) return;
    const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => (String(a.r.update_stamp) < String(b.r.update_stamp) ? -1 : String(a.r.update_stamp) > String(b.r.update_stamp) ? 1 : a.i - b.i));
    const part = (recordOf(p).modalities[modality] ?? {}) as Record<string, CsvCell>;
    for (const key of Object.keys(sorted[0].r)) {
      const upper = key.toUpperCase();
      let value: CsvCell = null;
      for (const { r } of sorted) if (normalizeCell(r[key], adniMissingCodes(upper)) !== null) value = r[key];
      part[upper] = value;
    }
    recordOf(p).modalities[modality] = part;
  };

  const tableFile = async (sub: string, name: string, t: TableRows, hidden: Set<Record<string, CsvCell>>): Promise<void> => {
    const file = path.join(out, sub, name);
    await writeCsvFile(file, t.header, t.rows.filter((r) => !hidden.has(r)).map((r) => t.header.map((h) => r[h] ?? '')));
    files.push(path.relative(out, file));
  };
  const hidden = new Set<Record<string, CsvCell>>(); // rows of record patients: kept out of the CSVs

  // ---- clinical tables ----
  step('clinical tables');
  const ids = { MEDHIST: 1, NEUROEXM: 1, PTDEMOG: 1, RECCMEDS: 1, VITALS: 1, DXSUM: 1, APOERES: 1 };
  const medhist: TableRows = { header: [...CRF_PREFIX, 'EXAMDATE', ...MEDHIST_COLUMNS, 'update_stamp'], rows: [] };
  const neuro: TableRows = { header: [...CRF_PREFIX, 'EXAMDATE', ...NEUROEXM_COLUMNS, 'update_stamp'], rows: [] };
  const demog: TableRows = { header: [...CRF_PREFIX, ...PTDEMOG_COLUMNS, 'update_stamp'], rows: [] };
  const meds: TableRows = { header: [...CRF_PREFIX, ...RECCMEDS_COLUMNS, 'update_stamp'], rows: [] };
  const vitals: TableRows = { header: [...CRF_PREFIX, 'EXAMDATE', ...VITALS_COLUMNS, 'update_stamp'], rows: [] };
  for (const p of patients) {
    if (!p.C) continue;
    const z = p.zC;
    const visits = visitsOf(p, d.int(1, 4), d);
    const adni1 = p.phase === 'ADNI1';
    const hide = (row: Record<string, CsvCell>): Record<string, CsvCell> => {
      if (p.kind === 'record') hidden.add(row);
      return row;
    };
    // MEDHIST: screening (sometimes a corrected duplicate of the same visit).
    const mh: Record<string, CsvCell> = { MHSOURCE: d.chance(0.9) ? 1 : 2 };
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
    mh.MHCOMMEN = d.chance(0.9) ? -4 : d.pick(['Hypertension controlled', 'History of knee surgery', 'Seasonal allergies']);
    const mhRows = [hide(crfRow(p, visits[0], ids.MEDHIST++, blankSome({ ...mh }, d, 0.02)))];
    if (d.chance(0.08)) {
      mh.MH4CARD = 1; // corrected entry, later update stamp
      mhRows.push(hide(crfRow(p, { ...visits[0], stamp: visits[0].stamp + 3 * DAY_MS }, ids.MEDHIST++, { ...mh })));
    }
    medhist.rows.push(...mhRows);
    addToRecord(p, 'clinical', mhRows);

    // NEUROEXM: 1-2 visits.
    const nxRows: Record<string, CsvCell>[] = [];
    for (const v of visits.slice(0, d.int(1, 2))) {
      const nx: Record<string, CsvCell> = {};
      NX_CODES.forEach((c, i) => {
        const abnormal = d.chance(clamp((c === 'NXGAIT' || c === 'NXTREMOR' ? 0.05 + 0.18 * z : 0.06), 0.01, 0.9));
        nx[c] = adni1 && d.chance(0.02) ? -1 : abnormal ? 2 : 1;
        nx[NX_DES[i]] = abnormal ? d.pick(['mild', 'slight asymmetry', 'reduced']) : -4;
      });
      nx.NXOTHER = d.chance(0.03) ? -4 : d.chance(0.05) ? 2 : 1;
      nx.NXOTHSPE = -4;
      nx.NXGENCOM = d.chance(0.87) ? -4 : 'No significant findings';
      nx.NXABNORM = d.chance(0.07) ? '' : d.chance(0.02) ? 2 : 1;
      nxRows.push(hide(crfRow(p, v, ids.NEUROEXM++, blankSome(nx, d, 0.01))));
    }
    neuro.rows.push(...nxRows);
    addToRecord(p, 'clinical', nxRows);

    // PTDEMOG: 1-2 rows (re-administered at a later phase).
    const birthYear = Math.round(clamp(1942 - 4 * z + d.normal(0, 5), 1915, 1965));
    const demo: Record<string, CsvCell> = {
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
    const demoRows = [hide(crfRow(p, visits[0], ids.PTDEMOG++, blankSome({ ...demo }, d, 0.02)))];
    if (visits.length > 1 && d.chance(0.25)) {
      const later = { ...demo, PTMARRY: d.pick([1, 2]), PTNOTRT: 1, PTWORK: '' };
      demoRows.push(hide(crfRow(p, visits[visits.length - 1], ids.PTDEMOG++, later)));
    }
    for (const r of demoRows) delete r.EXAMDATE;
    demog.rows.push(...demoRows);
    addToRecord(p, 'clinical', demoRows);

    // RECCMEDS: 0-4 medications at the latest visit.
    const medRows: Record<string, CsvCell>[] = [];
    const nMeds = d.int(0, 4);
    const v = visits[visits.length - 1];
    for (let k = 0; k < nMeds; k++) {
      const dementiaDrug = d.chance(clamp(0.04 + 0.3 * z, 0.01, 0.9));
      const med = dementiaDrug ? d.pick(MEDS.slice(6)) : d.pick(MEDS.slice(0, 6));
      medRows.push(hide(crfRow(p, v, ids.RECCMEDS++, {
        RECNO: k + 1, CMMEDID: med.id, CMMED: med.name, CMMEDO: -4, CMDOSE: d.chance(0.03) ? -1 : med.dose, CMUNITS: med.unit, CMUNITO: -4,
        CMFREQNC: d.pick([1, 10, 10, 7, 8]), CMFREQNCO: -4, CMROUTE: 6, CMROUTEO: -4, CMREASON: 2, CMEVNUM: -4,
        CMBGN: d.chance(0.2) ? '--/--/2001' : `${String(d.int(1, 12)).padStart(2, '0')}/--/${d.int(1990, 2015)}`, CMCONT: 1, CMEND: -4, CMCOMM: -4,
      })));
    }
    for (const r of medRows) delete r.EXAMDATE;
    meds.rows.push(...medRows);
    addToRecord(p, 'clinical', medRows);

    // VITALS: one row per visit; per-site units (lb/kg, °F/°C); -4 height after screening; ADNI1 -1 codes.
    const metric = p.site % 5 === 0;
    const weightKg = clamp(82 - 6 * z + d.normal(0, 11), 40, 150);
    const heightCm = clamp(170 + d.normal(0, 9), 145, 200);
    const vsRows: Record<string, CsvCell>[] = [];
    visits.forEach((vv, k) => {
      const w = weightKg - 0.8 * k + d.normal(0, 0.8);
      const tempC = 36.7 + d.normal(0, 0.3);
      const vs: Record<string, CsvCell> = {
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
      vsRows.push(hide(crfRow(p, vv, ids.VITALS++, blankSome(vs, d, 0.02))));
    });
    vitals.rows.push(...vsRows);
    addToRecord(p, 'clinical', vsRows);
  }
  await tableFile('clinical', 'MEDHIST_09May2024.csv', medhist, hidden);
  await tableFile('clinical', 'NEUROEXM_09May2024.csv', neuro, hidden);
  await tableFile('clinical', 'PTDEMOG_09May2024.csv', demog, hidden);
  await tableFile('clinical', 'RECCMEDS_09May2024.csv', meds, hidden);
  await tableFile('clinical', 'VITALS_09May2024.csv', vitals, hidden);

  // ---- biospecimen ----
  step('biospecimen tables');
  const apoe: TableRows = { header: ['Phase', 'PTID', 'ID', 'RID', 'SITEID', 'VISCODE', 'USERDATE', 'USERDATE2', ...APOERES_COLUMNS, 'update_stamp'], rows: [] };
  const roche: TableRows = { header: ROCHE_HEADER, rows: [] };
  let unmapped = 0;
  for (const p of patients) {
    if (!p.B) continue;
    const z = p.zB;
    const hide = (row: Record<string, CsvCell>): Record<string, CsvCell> => {
      if (p.kind === 'record') hidden.add(row);
      return row;
    };
    const apoePhase = p.phase === 'ADNIGO' || p.phase === 'ADNI2' ? 'ADNIGO2' : p.phase;
    const e4 = clamp(0.1 + 0.14 * z, 0.02, 0.7);
    const alleles = [d.chance(e4) ? 4 : d.chance(0.1) ? 2 : 3, d.chance(e4) ? 4 : d.chance(0.1) ? 2 : 3].sort();
    const v0 = visitsOf(p, 1, d)[0];
    const apoeRow = hide({
      Phase: apoePhase, PTID: p.ptid, ID: ids.APOERES++, RID: p.rid, SITEID: p.site, VISCODE: 'sc', USERDATE: isoDate(v0.date), USERDATE2: '',
      APTESTDT: usDate(v0.date + 30 * DAY_MS), APGEN1: alleles[0], APGEN2: alleles[1], APVOLUME: fixed(d.pick([5, 7.5, 10]), 1),
      APRECEIVE: d.chance(0.95) ? 1 : 0, APAMBTEMP: d.chance(0.9) ? 1 : 0, APRESAMP: 0, APUSABLE: 1, update_stamp: stamp(v0.stamp),
    });
    apoe.rows.push(apoeRow);
    addToRecord(p, 'biospecimen', [apoeRow]);
    // Roche rows: most biospecimen patients have 1-3 CSF visits; the phase letter matches APOERES.
    const rocheRows: Record<string, CsvCell>[] = [];
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
        rocheRows.push(hide({
          PHASE: rochePhase, RID: p.rid, VISCODE2: v.viscode2, EXAMDATE: isoDate(v.date), BATCH: adni3 ? d.pick(['UPENNBIOMK11', 'UPENNBIOMK12']) : 'UPENNBIOMK9',
          RUNDATE: isoDate(v.date + d.int(100, 900) * DAY_MS), ABETA40: adni3 ? fixed(clamp(16000 + d.normal(0, 4000), 841, 37480), 1) : '',
          ABETA42: cens(abeta, 200, 1700, 'Abeta42'), TAU: cens(tau, 80, 1300, 'Tau'), PTAU: cens(ptau, 8, 120, 'PTau'),
          COMMENT: comment.join(', '), update_stamp: stamp(v.stamp),
        }));
      }
    }
    roche.rows.push(...rocheRows);
    addToRecord(p, 'biospecimen', rocheRows);
  }
  // Roche rows whose (phase, RID) is not in APOERES: dropped by the pipeline (as in the reference).
  for (let k = 0; k < Math.max(1, Math.round(15 * f)); k++) {
    let rid: number;
    do rid = 8000 + d.int(0, 1999);
    while (usedRids.has(rid));
    usedRids.add(rid);
    roche.rows.push({ PHASE: 'ADNI3', RID: rid, VISCODE2: 'bl', EXAMDATE: '2017-03-01', BATCH: 'UPENNBIOMK11', RUNDATE: '2018-01-10', ABETA40: '15000.0',
      ABETA42: '900.0', TAU: '250.0', PTAU: '22.0', COMMENT: '', update_stamp: '2018-02-01 10:00:00.0' });
    unmapped++;
  }
  await tableFile('biospecimen', 'APOERES_09May2024.csv', apoe, hidden);
  await tableFile('biospecimen', 'UPENNBIOMK_ROCHE_ELECSYS_09May2024.csv', roche, hidden);

  // ---- diagnosis ----
  step('diagnosis table');
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
        PHASE: p.phase, PTID: p.ptid, RID: p.rid, VISCODE: v.viscode, VISCODE2: v.viscode2, EXAMDATE: isoDate(v.date), DIAGNOSIS: diagnosis,
        DXNORM: diagnosisNumber === 1 ? 1 : '', DXMCI: diagnosisNumber === 2 ? 1 : '', DXAD: diagnosisNumber === 3 ? 1 : '',
        DXCONFID: d.int(2, 4), ID: ids.DXSUM++, SITEID: p.site, USERDATE: isoDate(v.date), USERDATE2: '', DD_CRF_VERSION_LABEL: 'v1',
        LANGUAGE_CODE: 'e', HAS_QC_ERROR: 0, update_stamp: stamp(v.stamp),
      });
    });
  }
  await tableFile('diagnosis', 'DXSUM_PDXCONV_22Apr2024.csv', dx, new Set());

  // ---- genomic: one fileset for ADNI1, one for GO/2/3 (merged by the pipeline) ----
  step('genomic filesets');
  const snps = options.snps ?? 300;
  const genomicMembers = patients.filter((p) => p.G);
  const fileset: PlinkFileset = generatePlinkFileset({
    iids: genomicMembers.map((p) => p.ptid),
    snps,
    seed: seed * 31 + 7,
    classes: genomicMembers.map((p) => clamp(p.zG, 0, 2.5)),
    signalSnps: Math.round(snps / 6),
    signalStrength: 0.25,
  });
  for (const p of genomicMembers) if (wantRecord(p)) recordOf(p).modalities.genomic = genotypeRawRecord(fileset, p.ptid);
  const groups = [
    { name: 'ADNI_1_synthetic', keep: (p: Patient) => p.kind !== 'record' && p.phase === 'ADNI1' },
    { name: 'ADNI_GO_2_3_synthetic', keep: (p: Patient) => p.kind !== 'record' && p.phase !== 'ADNI1' },
  ];
  for (const group of groups) {
    const idx = genomicMembers.map((p, i) => (group.keep(p) ? i : -1)).filter((i) => i >= 0);
    const nS = genomicMembers.length;
    const genotypes = new Int8Array(fileset.variants.length * idx.length);
    for (let v = 0; v < fileset.variants.length; v++) for (let j = 0; j < idx.length; j++) genotypes[v * idx.length + j] = fileset.genotypes[v * nS + idx[j]];
    const prefix = path.join(out, 'genomic', group.name);
    await writePlinkFileset(prefix, { samples: idx.map((i) => fileset.samples[i]), variants: fileset.variants, genotypes });
    files.push(...['bed', 'bim', 'fam'].map((e) => path.relative(out, `${prefix}.${e}`)));
  }

  // ---- image: atlas + one or two scans per patient + image_index.csv ----
  step('image volumes');
  const dims = options.imageDims ?? [12, 14, 12];
  const atlas = generateAtlas(dims, seed + 5);
  await writeNiftiVolume(path.join(out, 'image', 'atlas_muse_seg.nii.gz'), dims, atlas, { datatype: 'uint8' });
  files.push('image/atlas_muse_seg.nii.gz');
  const gm: number[] = [];
  atlas.forEach((label, i) => {
    if (label === ATLAS_LABELS.greyMatter) gm.push(i);
  });
  const index: CsvCell[][] = [];
  let scanSeed = seed * 100_003 + 1;
  for (const p of patients) {
    if (!p.I) continue;
    const scans = d.chance(0.2) ? 2 : 1;
    for (let k = 0; k < scans; k++) {
      const date = isoDate(p.baseline + k * 365 * DAY_MS + d.int(0, 30) * DAY_MS);
      const volume = generateScanVolume(atlas, dims, scanSeed++, clamp(p.zI, -1, 3.5) - 0.5 * (scans - 1 - k));
      const latest = k === scans - 1;
      if (p.kind === 'record') {
        if (latest) recordOf(p).modalities.image = { voxels: gm.map((i) => Math.fround(volume[i])) };
        continue;
      }
      const rel = `scans/${p.ptid}_${date}.nii.gz`;
      await writeNiftiVolume(path.join(out, 'image', rel), dims, volume);
      index.push([p.ptid, date, rel]);
      if (latest && wantRecord(p)) recordOf(p).modalities.image = { voxels: gm.map((i) => Math.fround(volume[i])) };
    }
  }
  await writeCsvFile(path.join(out, 'image', 'image_index.csv'), ['PTID', 'SCANDATE', 'FILE'], index);
  files.push('image/image_index.csv', `image/scans/ (${index.length} volumes)`);

  // ---- records.jsonl: patients outside the dataset ----
  const outside = patients.filter((p) => p.kind === 'record').map((p) => {
    const r = recordOf(p);
    return JSON.stringify({ id: r.id, modalities: r.modalities });
  });
  await writeFileAtomic(path.join(out, 'records.jsonl'), `${outside.join('\n')}\n`);
  files.push('records.jsonl');

  const inData = patients.filter((p) => p.kind === 'dataset');
  const summary: AdniSynthSummary = {
    outDir: out,
    patients: inData.length,
    perModality: { I: inData.filter((p) => p.I).length, G: inData.filter((p) => p.G).length, C: inData.length, B: inData.filter((p) => p.B).length },
    full: inData.filter((p) => p.I && p.G && p.B).length,
    excludedMissingDiagnosis: nMissingDx,
    excludedChangingDiagnosis: nChangingDx,
    labelOnly: nLabelOnly,
    unmappedRocheRows: unmapped,
    recordPatients: nRecords,
    files,
  };
  if (options.keepRecords) {
    summary.records = new Map(inData.map((p) => [p.ptid, recordOf(p)]));
    summary.labels = new Map(inData.map((p) => [p.ptid, p.y]));
  }
  return summary;
}
