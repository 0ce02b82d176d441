/**
 * The synthetic ADNI cohort: patients with their phase, diagnosis, modality availability and per-modality
 * noisy views of the diagnosis, plus their visits. Counts follow the paper's Figure 2 at scale 1.
 */
import { DAY_MS, type Draw } from './adni-draw.js';

/** Why a patient exists: in the dataset, excluded by the label rule, labelled without modality, or records.jsonl only. */
export type Kind = 'dataset' | 'missing-dx' | 'changing-dx' | 'label-only' | 'record';

/** One synthetic patient. */
export interface Patient {
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

/** A visit: codes, dates and the update stamp. */
export interface Visit {
  viscode: string;
  viscode2: string;
  date: number;
  stamp: number;
}

export function visitsOf(p: Patient, n: number, d: Draw): Visit[] {
  const codes =
    p.phase === 'ADNI2'
      ? ['v03', 'v06', 'v11', 'v21', 'v31']
      : p.phase === 'ADNI3'
        ? ['bl', 'y1', 'y2', 'y3', 'y4']
        : ['bl', 'm06', 'm12', 'm24', 'm36'];
  const months = [0, 6, 12, 24, 36];
  const out: Visit[] = [];
  for (let k = 0; k < n; k++) {
    const date = p.baseline + months[k] * 30.4 * DAY_MS + d.int(0, 20) * DAY_MS;
    out.push({
      viscode: codes[k],
      viscode2: k === 0 ? 'bl' : `m${String(months[k]).padStart(2, '0')}`,
      date,
      stamp: date + d.int(1, 60) * DAY_MS + d.int(0, 86_399) * 1000,
    });
  }
  return out;
}

/** Patient counts of a run (scaled from the paper's Figure 2). */
export interface AdniCohortCounts {
  n: number;
  f: number;
  nFull: number;
  extraI: number;
  extraB: number;
  extraG: number;
  nMissingDx: number;
  nChangingDx: number;
  nLabelOnly: number;
  nRecords: number;
}

/** The counts at a scale (scale 1 = 2,380 dataset patients). */
export function adniCohortCounts(scale: number, recordPatients: number): AdniCohortCounts {
  const n = Math.max(12, Math.round(2380 * scale));
  const f = n / 2380;
  const nFull = Math.max(4, Math.round(1474 * f));
  const extraI = Math.round(270 * f);
  const extraB = Math.round(284 * f);
  const extraG = Math.round(122 * f);
  const nMissingDx = Math.max(2, Math.round(40 * f));
  const nChangingDx = Math.max(2, Math.round(60 * f));
  const nLabelOnly = Math.max(1, Math.round(20 * f));
  return { n, f, nFull, extraI, extraB, extraG, nMissingDx, nChangingDx, nLabelOnly, nRecords: recordPatients };
}

/** Draws every patient; `usedRids` collects their RIDs (later draws of unmapped rows avoid them). */
export function drawAdniPatients(d: Draw, c: AdniCohortCounts, usedRids: Set<number>): Patient[] {
  const { n, f, nFull, extraI, extraB, extraG, nMissingDx, nChangingDx, nLabelOnly, nRecords } = c;
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
      rid,
      site,
      phase,
      y,
      kind,
      I: false,
      G: false,
      B: false,
      C: true,
      zC: y + d.normal(0, 0.8),
      zB: y + d.normal(0, 0.8),
      zG: y + d.normal(0, 0.8),
      zI: y + d.normal(0, 0.8),
      baseline,
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
  for (let i = 0; i < nRecords; i++)
    patients.push(Object.assign(makePatient('record'), recordPatterns[i % recordPatterns.length]));
  return patients;
}
