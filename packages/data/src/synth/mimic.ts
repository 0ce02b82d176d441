/**
 * Seeded synthetic raw MIMIC-IV (v2.2 layout, schemas/mimic_schemas.md): `hosp/patients`,
 * `hosp/admissions`, `hosp/labevents`, `hosp/d_labitems`, `hosp/diagnoses_icd`, `icu/chartevents`,
 * `note/discharge` (all `.csv.gz`) and `records.jsonl` (raw records of a few patients that are not in
 * the CSVs, with different modalities missing).
 *
 * A latent risk z ~ N(0, 1) per patient drives one-year mortality (P = sigmoid(-3.0 + 1.4 z), ~9–10 % of the cohort)
 * and shifts lab values and vitals, raises the odds of severe ICD-9 codes and of words like
 * "metastatic"/"hospice" in notes, so the class signal is spread over the three modalities.
 * Realism knobs: ~20 % single-admission patients, in-hospital deaths on an extra admission, deaths
 * after more than a year, outpatient labs without hadm_id, `___` values without valuenum, ICD-10-coded
 * admissions, out-of-range vitals, °F temperatures, notes missing for ~45 % of admissions.
 * Sizes: `scale` 1 ≈ 1,000 patients, ~2,500 admissions, ~190 k labevents rows.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '../splits/make-splits.js';
import { CsvWriter } from '../io/csv-writer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { canonicalVital } from '../mimic/event-aggregates.js';

/** Options of {@link generateMimicRaw}. */
export interface GenerateMimicOptions {
  out: string;
  seed: number;
  /** 1 ≈ 1,000 patients (default 1). */
  scale?: number;
  /** Exact patient count (overrides scale). */
  patients?: number;
  /** gzip level of the CSVs (default 6). */
  gzipLevel?: number;
}

/** Counts of what was written. */
export interface GenerateMimicResult {
  patients: number;
  admissions: number;
  rows: { labevents: number; chartevents: number; diagnoses: number; notes: number };
  outsideRecords: number;
}

/** Lab items: itemid, label, fluid, category, unit, mean, sd, effect of risk (in sd units), frequency. */
export const SYNTH_LAB_ITEMS: readonly (readonly [
  number,
  string,
  string,
  string,
  string,
  number,
  number,
  number,
  number,
])[] = [
  [50912, 'Creatinine', 'Blood', 'Chemistry', 'mg/dL', 1.1, 0.4, 0.9, 0.95],
  [51006, 'Urea Nitrogen', 'Blood', 'Chemistry', 'mg/dL', 18, 7, 0.8, 0.95],
  [50983, 'Sodium', 'Blood', 'Chemistry', 'mEq/L', 139, 3.5, -0.2, 0.95],
  [50971, 'Potassium', 'Blood', 'Chemistry', 'mEq/L', 4.2, 0.5, 0.2, 0.95],
  [50902, 'Chloride', 'Blood', 'Chemistry', 'mEq/L', 102, 4, 0, 0.93],
  [50882, 'Bicarbonate', 'Blood', 'Chemistry', 'mEq/L', 25, 3.5, -0.5, 0.93],
  [50931, 'Glucose', 'Blood', 'Chemistry', 'mg/dL', 120, 35, 0.3, 0.93],
  [51301, 'White Blood Cells', 'Blood', 'Hematology', 'K/uL', 8, 3, 0.6, 0.92],
  [51222, 'Hemoglobin', 'Blood', 'Hematology', 'g/dL', 12, 2, -0.8, 0.92],
  [51221, 'Hematocrit', 'Blood', 'Hematology', '%', 36, 5.5, -0.7, 0.92],
  [51265, 'Platelet Count', 'Blood', 'Hematology', 'K/uL', 240, 80, -0.3, 0.92],
  [51277, 'RDW', 'Blood', 'Hematology', '%', 14, 1.6, 0.8, 0.9],
  [51279, 'Red Blood Cells', 'Blood', 'Hematology', 'm/uL', 4.1, 0.6, -0.6, 0.9],
  [51249, 'MCHC', 'Blood', 'Hematology', '%', 33, 1.2, -0.2, 0.9],
  [50893, 'Calcium, Total', 'Blood', 'Chemistry', 'mg/dL', 9, 0.6, -0.3, 0.8],
  [50960, 'Magnesium', 'Blood', 'Chemistry', 'mg/dL', 2, 0.3, 0, 0.8],
  [50970, 'Phosphate', 'Blood', 'Chemistry', 'mg/dL', 3.5, 0.9, 0.3, 0.75],
  [50862, 'Albumin', 'Blood', 'Chemistry', 'g/dL', 3.6, 0.6, -1.0, 0.5],
  [50885, 'Bilirubin, Total', 'Blood', 'Chemistry', 'mg/dL', 0.8, 0.5, 0.6, 0.45],
  [50861, 'Alanine Aminotransferase (ALT)', 'Blood', 'Chemistry', 'IU/L', 30, 15, 0.3, 0.45],
  [50878, 'Asparate Aminotransferase (AST)', 'Blood', 'Chemistry', 'IU/L', 32, 16, 0.4, 0.45],
  [50813, 'Lactate', 'Blood', 'Blood Gas', 'mmol/L', 1.6, 0.8, 0.9, 0.35],
  [51237, 'INR(PT)', 'Blood', 'Hematology', '', 1.2, 0.3, 0.6, 0.5],
  [51274, 'PT', 'Blood', 'Hematology', 'sec', 13, 2.5, 0.5, 0.5],
  [50910, 'Creatine Kinase (CK)', 'Blood', 'Chemistry', 'IU/L', 120, 80, 0.1, 0.2],
  [51491, 'pH', 'Urine', 'Hematology', 'units', 6, 0.7, 0, 0.3],
];

/** ICD-9 codes: code, base weight, risk weight. */
const ICD9: readonly (readonly [string, number, number])[] = [
  ['4019', 5, -0.2],
  ['2724', 4, -0.3],
  ['53081', 3, -0.3],
  ['25000', 3, 0.1],
  ['4280', 2.5, 0.8],
  ['42731', 2.5, 0.6],
  ['41401', 3, 0.2],
  ['5849', 2, 0.9],
  ['486', 1.5, 0.8],
  ['2762', 1, 0.8],
  ['5990', 2, 0.2],
  ['2859', 2, 0.4],
  ['V5861', 2, -0.4],
  ['3051', 2, -0.3],
  ['V1582', 1.5, -0.4],
  ['311', 2, -0.1],
  ['2449', 2, -0.1],
  ['496', 1.5, 0.6],
  ['5859', 1.2, 0.6],
  ['40390', 1.2, 0.6],
  ['1970', 0.3, 1.6],
  ['1985', 0.25, 1.6],
  ['V667', 0.2, 1.8],
  ['99591', 0.5, 1.2],
  ['0389', 0.6, 1.2],
  ['2720', 1.5, -0.2],
  ['V4581', 1, 0.1],
  ['412', 1, 0.2],
  ['27651', 1, 0.4],
  ['78039', 0.6, 0.2],
  ['E8497', 1, 0],
  ['V4986', 0.4, 1.4],
  ['1629', 0.3, 1.5],
  ['5723', 0.3, 1.3],
  ['2851', 1, 0.2],
];
const ICD10 = ['I10', 'E785', 'K219', 'I509', 'N179', 'J189', 'E119', 'F329', 'Z7901', 'C7951'];

const RISK_WORDS = [
  'metastatic',
  'hospice',
  'palliative',
  'dnr',
  'comfort',
  'cachexia',
  'declining',
  'sepsis',
  'intubated',
  'frail',
];
const SAFE_WORDS = [
  'ambulating',
  'stable',
  'tolerating',
  'independent',
  'improved',
  'resolved',
  'routine',
  'elective',
  'afebrile',
  'follow',
];
const FILLER = [
  'patient',
  'presented',
  'with',
  'history',
  'of',
  'was',
  'admitted',
  'for',
  'treated',
  'and',
  'the',
  'hospital',
  'course',
  'medications',
  'discharge',
  'home',
  'pain',
  'blood',
  'pressure',
  'chest',
  'shortness',
  'breath',
  'cough',
  'fever',
  'nausea',
  'renal',
  'cardiac',
  'labs',
  'imaging',
  'showed',
];

const pad = (n: number) => String(n).padStart(2, '0');
/** `YYYY-MM-DD HH:MM:SS` (UTC) of a millisecond time. */
function ts(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}
const day = (ms: number) => ts(ms).slice(0, 10);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Rand = () => number;
function normal(rand: Rand): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** Generated events of one admission. */
interface AdmissionEvents {
  labs: { itemid: number; time: number; value: number | null; text: string; unit: string; hadm: boolean }[];
  vitals: { itemid: number; time: number; value: number | null; text: string; unit: string }[];
  codes: { version: 9 | 10; codes: string[] };
  notes: string[];
}

function admissionEvents(rand: Rand, z: number, admit: number, disch: number, noteRate: number): AdmissionEvents {
  const ev: AdmissionEvents = { labs: [], vitals: [], codes: { version: 9, codes: [] }, notes: [] };
  const los = disch - admit;
  const noEvents = rand() < 0.08;
  if (!noEvents) {
    for (const [itemid, , , , unit, mu, sd, effect, freq] of SYNTH_LAB_ITEMS) {
      if (rand() > freq) continue;
      const n = 1 + Math.floor(rand() * 8);
      const level = mu + sd * (0.7 * normal(rand) + 0.6 * effect * z);
      for (let k = 0; k < n; k++) {
        const time = admit + Math.floor(rand() * los);
        const deid = rand() < 0.02;
        const v = Math.max(0, round(level + 0.3 * sd * normal(rand), 2));
        ev.labs.push({ itemid, time, value: deid ? null : v, text: deid ? '___' : String(v), unit, hadm: true });
      }
    }
    // outpatient labs near the admission: no hadm_id, must not be used
    if (rand() < 0.3)
      ev.labs.push({ itemid: 50912, time: admit - 5 * DAY, value: 9.9, text: '9.9', unit: 'mg/dL', hadm: false });
    if (rand() < 0.5) {
      const n = 3 + Math.floor(rand() * 6);
      const hr = 80 + 12 * z + 8 * normal(rand);
      const sbp = 122 - 8 * z + 10 * normal(rand);
      const rr = 17 + 2.5 * z + 2 * normal(rand);
      const spo2 = 97 - 1.5 * Math.max(0, z) + normal(rand);
      const tempC = 37 + 0.3 * z + 0.3 * normal(rand);
      const fahrenheit = rand() < 0.5;
      for (let k = 0; k < n; k++) {
        const time = admit + Math.floor(((k + rand()) / n) * los);
        const j = () => normal(rand);
        const rows: [number, number, string][] = [
          [220045, round(hr + 4 * j(), 0), 'bpm'],
          [220179, round(sbp + 6 * j(), 0), 'mmHg'],
          [220180, round(0.55 * sbp + 4 * j(), 0), 'mmHg'],
          [220181, round(0.7 * sbp + 4 * j(), 0), 'mmHg'],
          [220210, round(rr + j(), 0), 'insp/min'],
          [220277, round(Math.min(100, spo2 + 0.5 * j()), 0), '%'],
          fahrenheit
            ? [223761, round((tempC + 0.2 * j()) * 1.8 + 32, 1), '°F']
            : [223762, round(tempC + 0.2 * j(), 1), '°C'],
          [220621, round(115 + 20 * z + 15 * j(), 0), 'mg/dL'],
        ];
        for (const [itemid, v, unit] of rows) ev.vitals.push({ itemid, time, value: v, text: String(v), unit });
        if (rand() < 0.03) ev.vitals.push({ itemid: 220045, time, value: 999, text: '999', unit: 'bpm' }); // out of range
        if (rand() < 0.3) ev.vitals.push({ itemid: 223835, time, value: 21, text: '21', unit: '%' }); // not a vital (FiO2)
      }
    }
  }
  if (rand() < 0.2) {
    ev.codes = { version: 10, codes: Array.from({ length: 3 + Math.floor(rand() * 5) }, () => pick(rand, ICD10)) };
  } else {
    const n = 3 + Math.floor(rand() * 8);
    const weights = ICD9.map(([, base, w]) => base * Math.exp(1.2 * w * z));
    const total = weights.reduce((a, b) => a + b, 0);
    const chosen = new Set<string>();
    for (let k = 0; k < n * 3 && chosen.size < n; k++) {
      let r = rand() * total;
      let i = 0;
      while (r > weights[i] && i < weights.length - 1) r -= weights[i++];
      chosen.add(ICD9[i][0]);
    }
    ev.codes = { version: 9, codes: [...chosen] };
  }
  if (rand() < noteRate) {
    ev.notes.push(noteText(rand, z, admit, disch));
    if (rand() < 0.1) ev.notes.push(`Addendum: ${sentence(rand, z, 8)}`);
  }
  return ev;
}

function sentence(rand: Rand, z: number, n: number): string {
  const pRisk = (1 / (1 + Math.exp(-(z - 1.2) * 1.5))) * 0.5;
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    words.push(
      r < pRisk
        ? pick(rand, RISK_WORDS)
        : r < pRisk + 0.12 * (z < 0.5 ? 1 : 0.2)
          ? pick(rand, SAFE_WORDS)
          : pick(rand, FILLER),
    );
  }
  return words.join(' ') + '.';
}

function noteText(rand: Rand, z: number, admit: number, disch: number): string {
  return [
    'Name:  ___                     Unit No:   ___',
    `Admission Date:  ${day(admit)}              Discharge Date:   ${day(disch)}`,
    'Chief Complaint:',
    sentence(rand, z, 6),
    'History of Present Illness:',
    `${sentence(rand, z, 20)} ${sentence(rand, z, 15)}`,
    'Discharge Diagnosis:',
    sentence(rand, z, 5),
    'Discharge Instructions:',
    `Dear Mr./Ms. ___, ${sentence(rand, z, 12)} "Follow up" with Dr. ___, in 2 weeks.`,
  ].join('\n');
}

/** Raw record of one (outside) admission, exactly as the dataset builder would extract it. */
function rawRecord(
  id: string,
  ev: AdmissionEvents,
  keep: { labs: boolean; notes: boolean; codes: boolean },
): Record<string, unknown> {
  const modalities: Record<string, unknown> = {};
  if (keep.labs) {
    const events: { key: string; t: number; v: number; k: number }[] = [];
    let k = 0;
    for (const l of ev.labs)
      if (l.hadm && l.value !== null) events.push({ key: `lab:${l.itemid}`, t: l.time, v: l.value, k: k++ });
    for (const v of ev.vitals) {
      const c = v.value === null ? null : canonicalVital(String(v.itemid), v.value);
      if (c) events.push({ key: `vital:${c.name}`, t: v.time, v: c.value, k: k++ });
    }
    events.sort((a, b) => a.t - b.t || a.k - b.k);
    const labs: Record<string, number[]> = {};
    for (const e of events) (labs[e.key] ??= []).push(e.v);
    if (Object.keys(labs).length > 0) modalities.labs = labs;
  }
  if (keep.notes && ev.notes.length > 0) modalities.notes = { text: ev.notes.join('\n\n') };
  if (keep.codes && ev.codes.version === 9 && ev.codes.codes.length > 0)
    modalities.codes = { codes: ev.codes.codes.slice() };
  return { id, modalities };
}

/** Writes a synthetic raw MIMIC-IV directory (see the file comment). Same options → same files. */
export async function generateMimicRaw(options: GenerateMimicOptions): Promise<GenerateMimicResult> {
  const rand = mulberry32(options.seed);
  const nPatients = options.patients ?? Math.max(30, Math.round(1000 * (options.scale ?? 1)));
  const out = options.out;
  for (const d of ['hosp', 'icu', 'note']) await mkdir(join(out, d), { recursive: true });
  const level = options.gzipLevel ?? 6;
  const patients = CsvWriter.open(
    join(out, 'hosp/patients.csv.gz'),
    ['subject_id', 'gender', 'anchor_age', 'anchor_year', 'anchor_year_group', 'dod'],
    level,
  );
  const admissions = CsvWriter.open(
    join(out, 'hosp/admissions.csv.gz'),
    [
      'subject_id',
      'hadm_id',
      'admittime',
      'dischtime',
      'deathtime',
      'admission_type',
      'admit_provider_id',
      'admission_location',
      'discharge_location',
      'insurance',
      'language',
      'marital_status',
      'race',
      'edregtime',
      'edouttime',
      'hospital_expire_flag',
    ],
    level,
  );
  const labevents = CsvWriter.open(
    join(out, 'hosp/labevents.csv.gz'),
    [
      'labevent_id',
      'subject_id',
      'hadm_id',
      'specimen_id',
      'itemid',
      'order_provider_id',
      'charttime',
      'storetime',
      'value',
      'valuenum',
      'valueuom',
      'ref_range_lower',
      'ref_range_upper',
      'flag',
      'priority',
      'comments',
    ],
    level,
  );
  const diagnoses = CsvWriter.open(
    join(out, 'hosp/diagnoses_icd.csv.gz'),
    ['subject_id', 'hadm_id', 'seq_num', 'icd_code', 'icd_version'],
    level,
  );
  const chartevents = CsvWriter.open(
    join(out, 'icu/chartevents.csv.gz'),
    [
      'subject_id',
      'hadm_id',
      'stay_id',
      'caregiver_id',
      'charttime',
      'storetime',
      'itemid',
      'value',
      'valuenum',
      'valueuom',
      'warning',
    ],
    level,
  );
  const discharge = CsvWriter.open(
    join(out, 'note/discharge.csv.gz'),
    ['note_id', 'subject_id', 'hadm_id', 'note_type', 'note_seq', 'charttime', 'storetime', 'text'],
    level,
  );

  let hadmCounter = 0;
  let labId = 0;
  let specimen = 0;
  let stay = 0;
  let admissionsCount = 0;
  const item = new Map(SYNTH_LAB_ITEMS.map((x) => [x[0], x]));
  const groups = ['2008 - 2010', '2011 - 2013', '2014 - 2016', '2017 - 2019'];
  for (let p = 0; p < nPatients; p++) {
    const subject = 10000001 + p;
    const z = normal(rand);
    const dies = rand() < 1 / (1 + Math.exp(-(-3.0 + 1.4 * z)));
    const anchorYear = 2110 + Math.floor(rand() * 80);
    const nAdm = rand() < 0.2 ? 1 : 2 + Math.floor(rand() * 3);
    let t = Date.UTC(anchorYear, 0, 1) + Math.floor(rand() * 300) * DAY + Math.floor(rand() * 24) * HOUR;
    const adms: { hadm: number; admit: number; disch: number; death: boolean }[] = [];
    for (let a = 0; a < nAdm; a++) {
      const admit = t;
      const disch = admit + (1 + Math.floor(rand() * 10)) * DAY + Math.floor(rand() * 20) * HOUR;
      adms.push({ hadm: 20000001 + hadmCounter++, admit, disch, death: false });
      t = disch + (20 + Math.floor(rand() * 380)) * DAY;
    }
    const lastDisch = adms[adms.length - 1].disch;
    let dod: string | null = null;
    if (dies) {
      const after = 3 + Math.floor(rand() * 355);
      const deathMs = lastDisch + after * DAY;
      dod = day(deathMs);
      if (rand() < 0.3 && after > 5) {
        // dies in hospital on a later admission (this visit is dropped by the cohort rules)
        const admit = deathMs - (1 + Math.floor(rand() * 4)) * DAY;
        adms.push({ hadm: 20000001 + hadmCounter++, admit, disch: deathMs, death: true });
      }
    } else if (rand() < 0.06) {
      dod = day(lastDisch + (400 + Math.floor(rand() * 1000)) * DAY);
    }
    await patients.writeRow([
      subject,
      rand() < 0.5 ? 'F' : 'M',
      18 + Math.floor(rand() * 74),
      anchorYear,
      pick(rand, groups),
      dod,
    ]);
    for (const a of adms) {
      admissionsCount++;
      const death = a.death ? ts(a.disch) : null;
      await admissions.writeRow([
        subject,
        a.hadm,
        ts(a.admit),
        ts(a.disch),
        death,
        pick(rand, ['EW EMER.', 'URGENT', 'ELECTIVE', 'OBSERVATION ADMIT']),
        `P${(1000 + Math.floor(rand() * 9000)).toString(36).toUpperCase()}`,
        pick(rand, ['EMERGENCY ROOM', 'PHYSICIAN REFERRAL', 'TRANSFER FROM HOSPITAL']),
        a.death ? 'DIED' : pick(rand, ['HOME', 'HOME HEALTH CARE', 'SKILLED NURSING FACILITY']),
        pick(rand, ['Medicare', 'Medicaid', 'Other']),
        rand() < 0.9 ? 'ENGLISH' : '?',
        pick(rand, ['MARRIED', 'SINGLE', 'WIDOWED', 'DIVORCED', null]),
        pick(rand, ['WHITE', 'BLACK/AFRICAN AMERICAN', 'HISPANIC/LATINO - PUERTO RICAN', 'ASIAN', 'UNKNOWN']),
        null,
        null,
        a.death ? 1 : 0,
      ]);
      const ev = admissionEvents(rand, z, a.admit, a.disch, 0.55);
      for (const l of ev.labs) {
        const def = item.get(l.itemid);
        const lo = def ? round(def[5] - def[6], 1) : null;
        const hi = def ? round(def[5] + def[6], 1) : null;
        const flag =
          l.value !== null && lo !== null && hi !== null && (l.value < lo || l.value > hi) ? 'abnormal' : null;
        await labevents.writeRow([
          ++labId,
          subject,
          l.hadm ? a.hadm : null,
          ++specimen,
          l.itemid,
          null,
          ts(l.time),
          ts(l.time + HOUR),
          l.text,
          l.value,
          l.unit,
          lo,
          hi,
          flag,
          rand() < 0.7 ? 'ROUTINE' : 'STAT',
          l.value === null ? '___' : null,
        ]);
      }
      if (ev.vitals.length > 0) {
        stay++;
        for (const v of ev.vitals) {
          await chartevents.writeRow([
            subject,
            a.hadm,
            30000000 + stay,
            1000 + (stay % 50),
            ts(v.time),
            ts(v.time + 600_000),
            v.itemid,
            v.text,
            v.value,
            v.unit,
            0,
          ]);
        }
      }
      for (const [i, code] of ev.codes.codes.entries())
        await diagnoses.writeRow([subject, a.hadm, i + 1, code, ev.codes.version]);
      let seq = 0;
      for (const text of ev.notes) {
        seq++;
        await discharge.writeRow([
          `${subject}-${seq === 1 ? 'DS' : 'AE'}-${seq}`,
          subject,
          a.hadm,
          seq === 1 ? 'DS' : 'AE',
          seq,
          ts(a.disch),
          ts(a.disch + HOUR),
          text,
        ]);
      }
    }
  }

  const counts = {
    labevents: labevents.rowCount,
    chartevents: chartevents.rowCount,
    diagnoses: diagnoses.rowCount,
    notes: discharge.rowCount,
  };
  for (const w of [patients, admissions, labevents, diagnoses, chartevents, discharge]) await w.close();
  await writeCsvSmall(join(out, 'hosp/d_labitems.csv.gz'));

  // raw records of patients outside the dataset, with different modalities missing
  const patterns = [
    { labs: true, notes: true, codes: true },
    { labs: true, notes: false, codes: true },
    { labs: false, notes: false, codes: true },
    { labs: true, notes: false, codes: false },
    { labs: false, notes: true, codes: true },
  ];
  const lines: string[] = [];
  patterns.forEach((keep, i) => {
    const z = normal(rand);
    const admit = Date.UTC(2150, 0, 1) + i * 30 * DAY;
    let ev = admissionEvents(rand, z, admit, admit + 4 * DAY, 1);
    let tries = 0;
    // re-draw until every kept modality is really present (the generator may leave some out)
    while (
      tries++ < 50 &&
      ((keep.labs && ev.labs.every((l) => !l.hadm || l.value === null)) || (keep.codes && ev.codes.version !== 9))
    ) {
      ev = admissionEvents(rand, z, admit, admit + 4 * DAY, 1);
    }
    lines.push(JSON.stringify(rawRecord(`outside-${i + 1}`, ev, keep)));
  });
  await writeFileAtomic(join(out, 'records.jsonl'), lines.join('\n') + '\n');
  return { patients: nPatients, admissions: admissionsCount, rows: counts, outsideRecords: lines.length };
}

async function writeCsvSmall(path: string): Promise<void> {
  const w = CsvWriter.open(path, ['itemid', 'label', 'fluid', 'category']);
  for (const [itemid, label, fluid, category] of SYNTH_LAB_ITEMS) await w.writeRow([itemid, label, fluid, category]);
  await w.close();
}
