import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCsvFile } from '../io/csv-writer.js';
import { selectMimicCohort } from './cohort.js';
import { aggregateLabEvents, aggregateVitalEvents, timeKey, type AdmissionAggregates } from './event-aggregates.js';
import { fitAggregatesTransform, aggregateFeatures, scaleAggregateFeatures } from '../transforms/kinds/aggregates.js';
import { selectAggregateItems } from './select-aggregate-items.js';
import { fitCodesTransform, encodeCodes } from '../transforms/kinds/codes.js';
import { readAdmissionCodes } from '../io/read-admission-codes.js';
import { readDischargeNotes } from './discharge-notes.js';
import { fitTextTransform, vectorizeText, tokenize, fnv1a } from '../transforms/kinds/text.js';

const ADM = ['subject_id', 'hadm_id', 'admittime', 'dischtime', 'deathtime', 'hospital_expire_flag'];

describe('MIMIC cohort and modality rules (hand-made raw tables)', () => {
  let raw: string;
  beforeAll(async () => {
    raw = await mkdtemp(join(tmpdir(), 'mimic-cohort-'));
    for (const d of ['hosp', 'icu', 'note']) await mkdir(join(raw, d));
    await writeCsvFile(
      join(raw, 'hosp/patients.csv.gz'),
      ['subject_id', 'gender', 'dod'],
      [
        [1, 'F', null], // two admissions, alive → label 0
        [2, 'M', null], // one admission → excluded
        [3, 'F', '2150-06-01'], // dies in hospital on the 3rd admission → dropped; dod within 1 y of the 2nd → 1
        [4, 'M', '2151-03-10'], // dod 400 days after the last discharge → 0
        [5, 'F', '2150-01-20'], // 2 admissions, died on the discharge date of the 2nd (no deathtime) → only 1 left → excluded
      ],
    );
    await writeCsvFile(join(raw, 'hosp/admissions.csv.gz'), ADM, [
      [1, 11, '2150-01-01 10:00:00', '2150-01-05 10:00:00', null, 0],
      [1, 12, '2150-03-01 10:00:00', '2150-03-04 12:00:00', null, 0],
      [2, 21, '2150-01-01 10:00:00', '2150-01-03 10:00:00', null, 0],
      [3, 31, '2149-01-01 10:00:00', '2149-01-03 10:00:00', null, 0],
      [3, 32, '2149-09-01 10:00:00', '2149-09-10 08:00:00', null, 0],
      [3, 33, '2150-05-25 10:00:00', '2150-06-01 09:00:00', '2150-06-01 09:00:00', 1],
      [4, 41, '2149-12-01 10:00:00', '2149-12-03 10:00:00', null, 0],
      [4, 42, '2150-02-01 10:00:00', '2150-02-03 10:00:00', null, 0],
      [5, 51, '2149-11-01 10:00:00', '2149-11-03 10:00:00', null, 0],
      [5, 52, '2150-01-10 10:00:00', '2150-01-20 16:00:00', null, 0],
    ]);
  });
  afterAll(async () => {
    await rm(raw, { recursive: true, force: true });
  });

  it('keeps >1 admission, the last non-death admission and labels death within one year', async () => {
    const { members, report } = await selectMimicCohort(raw);
    const bySubject = Object.fromEntries(members.map((m) => [m.subjectId, m]));
    expect(Object.keys(bySubject).sort()).toEqual(['1', '3', '4']);
    expect(bySubject['1']).toMatchObject({ hadmId: '12', label: 0 });
    expect(bySubject['3']).toMatchObject({ hadmId: '32', label: 1 });
    expect(bySubject['4']).toMatchObject({ hadmId: '42', label: 0 });
    expect(report.droppedDeathAdmissions).toBe(2); // 33 (deathtime) and 52 (dod on discharge date)
    expect(report.selected).toBe(3);
    expect(report.positives).toBe(1);
  });

  it('aggregates only the selected admissions, last by charttime, vitals in canonical units and ranges', async () => {
    const lab = join(raw, 'hosp/labevents.csv');
    await writeCsvFile(
      lab,
      ['labevent_id', 'subject_id', 'hadm_id', 'itemid', 'charttime', 'value', 'valuenum'],
      [
        [1, 1, 12, 50912, '2150-03-02 10:00:00', '1.5', 1.5],
        [2, 1, 12, 50912, '2150-03-01 11:00:00', '2.5', 2.5], // earlier time, later row: not the last
        [3, 1, 11, 50912, '2150-01-02 10:00:00', '9', 9], // other admission: ignored
        [4, 1, null, 50912, '2150-03-02 12:00:00', '8', 8], // outpatient: ignored
        [5, 1, 12, 50912, '2150-03-03 10:00:00', '___', null], // no valuenum: ignored
        [6, 1, 12, 51006, '2150-03-03 10:00:00', '20', 20],
      ],
    );
    const chart = join(raw, 'icu/chartevents.csv.gz');
    await writeCsvFile(
      chart,
      ['subject_id', 'hadm_id', 'stay_id', 'charttime', 'itemid', 'valuenum'],
      [
        [1, 12, 9, '2150-03-02 10:00:00', 223761, 98.6], // °F → 37 °C
        [1, 12, 9, '2150-03-02 11:00:00', 223762, 38],
        [1, 12, 9, '2150-03-02 11:00:00', 220045, 999], // out of range
        [1, 12, 9, '2150-03-02 11:00:00', 220045, 80],
        [1, 12, 9, '2150-03-02 11:00:00', 223835, 21], // not a vital
      ],
    );
    const agg: AdmissionAggregates = new Map();
    expect(await aggregateLabEvents(lab, new Set(['12', '32']), agg)).toBe(6);
    await aggregateVitalEvents(chart, new Set(['12']), agg);
    const a = agg.get('12');
    expect(a?.get('lab:50912')).toEqual({
      count: 2,
      sum: 4,
      min: 1.5,
      max: 2.5,
      last: 1.5,
      lastTime: timeKey('2150-03-02 10:00:00'),
    });
    expect(a?.get('vital:temperature')?.min).toBeCloseTo(37, 10);
    expect(a?.get('vital:temperature')?.last).toBe(38);
    expect(a?.get('vital:heart_rate')?.count).toBe(1);
    expect([...(a?.keys() ?? [])].sort()).toEqual(['lab:50912', 'lab:51006', 'vital:heart_rate', 'vital:temperature']);
  });

  it('orders timestamps by timeKey like the text', () => {
    const ts = [
      '2150-03-02 10:00:00',
      '2150-03-02 09:59:59',
      '2150-12-31 23:59:59',
      '2151-01-01 00:00:00',
      '2150-03-02',
      '2149-01-01 00:00:01',
    ];
    const byText = [...ts].sort();
    const byKey = [...ts].sort((a, b) => timeKey(a) - timeKey(b));
    expect(byKey).toEqual(byText);
    expect(timeKey('')).toBe(-1);
  });

  it('scales aggregate features by training MinMax to [-1, 1] and imputes the training mean', () => {
    const mk = (v: number[]) => {
      const m = new Map();
      m.set('lab:1', {
        count: v.length,
        sum: v.reduce((s, x) => s + x, 0),
        min: Math.min(...v),
        max: Math.max(...v),
        last: v[v.length - 1],
        lastTime: 0,
      });
      return m;
    };
    const train = [mk([1, 3]), mk([5]), new Map()];
    const items = selectAggregateItems(train, 10);
    expect(items[0]).toBe('lab:1');
    const rows = train.map((t) => aggregateFeatures(items, t));
    const t = fitAggregatesTransform(
      items,
      items.map(() => ''),
      rows,
    );
    // lab:1 last: 3, 5 → min 3 max 5 ; mean: 2, 5 ; min: 1, 5 ; max: 3, 5
    expect(t.min.slice(0, 4)).toEqual([3, 2, 1, 3]);
    expect(t.max.slice(0, 4)).toEqual([5, 5, 5, 5]);
    const s = scaleAggregateFeatures(t, rows[0]);
    expect(Array.from(s.slice(0, 4))).toEqual([-1, -1, -1, -1]);
    expect(t.fill.slice(0, 4)).toEqual([0, 0, 0, 0]); // mean of -1 and +1
    const third = scaleAggregateFeatures(t, rows[2]);
    expect(third[0]).toBe(0); // imputed
    // a vital never measured in training: constant → 0 and fill 0
    expect(third[4]).toBe(0);
  });

  it('reads ICD-9 codes only, in seq_num order, and builds the vocabulary from training with min count', async () => {
    const path = join(raw, 'hosp/diagnoses_icd.csv.gz');
    await writeCsvFile(
      path,
      ['subject_id', 'hadm_id', 'seq_num', 'icd_code', 'icd_version'],
      [
        [1, 12, 2, '4019', 9],
        [1, 12, 1, '41401', 9],
        [1, 12, 3, 'I10', 10],
        [3, 32, 1, '4019', 9],
        [3, 31, 1, '5849', 9],
        [4, 42, 1, 'I509', 10],
      ],
    );
    const codes = await readAdmissionCodes(path, new Set(['12', '32', '42']));
    expect(codes.get('12')).toEqual(['41401', '4019']);
    expect(codes.get('32')).toEqual(['4019']);
    expect(codes.has('42')).toBe(false); // ICD-10 only → modality absent
    const t = fitCodesTransform([codes.get('12') as string[], codes.get('32') as string[]], 2);
    expect(t.vocabulary).toEqual(['4019']);
    expect(Array.from(encodeCodes(t, ['41401']))).toEqual([-1]);
    expect(Array.from(encodeCodes(fitCodesTransform([['b', 'a'], ['a']], 1), ['a']))).toEqual([1, -1]);
  });

  it('joins notes of an admission by note_seq and vectorises with hashed TF-IDF fitted on training', async () => {
    const path = join(raw, 'note/discharge.csv.gz');
    await writeCsvFile(
      path,
      ['note_id', 'subject_id', 'hadm_id', 'note_type', 'note_seq', 'charttime', 'storetime', 'text'],
      [
        ['1-AE-2', 1, 12, 'AE', 2, '2150-03-04 12:00:00', null, 'addendum text'],
        ['1-DS-1', 1, 12, 'DS', 1, '2150-03-04 12:00:00', null, 'Name: ___\nPatient "stable", home.'],
        ['3-DS-1', 3, 31, 'DS', 1, '2149-01-03 10:00:00', null, 'not selected'],
      ],
    );
    const notes = await readDischargeNotes(path, new Set(['12', '32']));
    expect(notes.get('12')).toBe('Name: ___\nPatient "stable", home.\n\naddendum text');
    expect(notes.has('32')).toBe(false);
    expect(tokenize('Name: ___ BP 120/80, x2 Patient')).toEqual(['name', 'bp', 'x2', 'patient']);
    // dimensions large enough that the 3 tokens fall in distinct buckets (checked)
    const D = 1024;
    const docs = ['alpha beta', 'alpha gamma gamma'];
    const bucket = (w: string) => fnv1a(w) % D;
    expect(new Set(['alpha', 'beta', 'gamma'].map(bucket)).size).toBe(3);
    const t = fitTextTransform(docs, D);
    const idfAlpha = Math.log(3 / 3) + 1;
    const idfGamma = Math.log(3 / 2) + 1;
    expect(t.idf[bucket('alpha')]).toBeCloseTo(idfAlpha, 12);
    expect(t.idf[bucket('gamma')]).toBeCloseTo(idfGamma, 12);
    const v = vectorizeText(t, docs[1]);
    const a = idfAlpha;
    const g = (1 + Math.log(2)) * idfGamma;
    const n = Math.hypot(a, g);
    expect(v[bucket('alpha')]).toBeCloseTo(a / n, 6);
    expect(v[bucket('gamma')]).toBeCloseTo(g / n, 6);
    expect(v[bucket('beta')]).toBe(0);
  });
});
