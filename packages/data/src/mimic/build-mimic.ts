/**
 * MIMIC-IV → Flex-MoE dataset (modalities in order L labs+vitals, N notes, C ICD-9 codes).
 * Cohort rules: cohort.ts. Modality presence: L = at least one numeric lab or valid vital event in
 * the admission; N = a discharge note; C = at least one ICD-9 code. Patients with no modality are
 * dropped (counted). Splits: `makeSplits` (docs/algorithm.md §7). Transforms are fitted on the training split.
 */
import { readCsvObjects } from '../io/csv-stream.js';
import { describeSourceFile } from '../dataset/source-file.js';
import type { DatasetContent, DatasetManifest, ModalityTable } from '../dataset/types.js';
import { writeDataset } from '../dataset/write-dataset.js';
import { makeSplits } from '../splits/make-splits.js';
import type { DatasetTransforms } from '../transforms/modality-transform.js';
import { selectMimicCohort, type CohortReport } from './cohort.js';
import {
  aggregateLabEvents,
  aggregateVitalEvents,
  canonicalVital,
  type AdmissionAggregates,
  type RowProgress,
} from './event-aggregates.js';
import {
  aggregateFeatureNames,
  aggregateFeatures,
  fitAggregatesTransform,
  scaleAggregateFeatures,
} from '../transforms/kinds/aggregates.js';
import { readDischargeNotes } from './discharge-notes.js';
import { encodeCodes, fitCodesTransform } from '../transforms/kinds/codes.js';
import { readAdmissionCodes } from '../io/read-admission-codes.js';
import { selectAggregateItems } from './select-aggregate-items.js';
import { fitTextTransform, vectorizeText } from '../transforms/kinds/text.js';
import { findMimicFile, requireMimicFile } from './mimic-files.js';
import { columnIndices, readCsvBatches } from '../io/csv-stream.js';

/** Modality names and letters of the MIMIC dataset, in order. */
export const MIMIC_MODALITIES = [
  { name: 'labs', letter: 'L' },
  { name: 'notes', letter: 'N' },
  { name: 'codes', letter: 'C' },
] as const;

/** Class names: index 1 = death within one year after discharge. */
export const MIMIC_CLASSES = ['survived', 'died-within-1y'];

/** Options of {@link buildMimicDataset}. */
export interface BuildMimicOptions {
  /** Raw MIMIC-IV directory (`hosp/`, `icu/`, `note/`). */
  raw: string;
  /** Output dataset directory. */
  out: string;
  /** Split seed. */
  seed: number;
  /** Number of lab items (most frequent in training), default 50. */
  topLabs?: number;
  /** Note vector dimensions, default 256. */
  textDimensions?: number;
  /** Minimum training admissions per ICD-9 code, default 5. */
  minCodeCount?: number;
  /** Subject ids whose raw records (records.jsonl shape) should be returned too. */
  rawRecordsFor?: readonly string[];
  /** Called with progress lines (counts only, never patient values). */
  log?: (line: string) => void;
}

/** A raw patient record (the prediction input; see docs/data-sources.md). */
export interface MimicRawRecord {
  id: string;
  modalities: { labs?: Record<string, number[]>; notes?: { text: string }; codes?: { codes: string[] } };
}

/** What {@link buildMimicDataset} returns. */
export interface BuildMimicResult {
  manifest: DatasetManifest;
  cohort: CohortReport;
  droppedNoModality: number;
  rows: { labevents: number; chartevents: number };
  rawRecords: MimicRawRecord[];
}

/** Builds and writes the dataset. */
export async function buildMimicDataset(options: BuildMimicOptions): Promise<BuildMimicResult> {
  const log = options.log ?? (() => undefined);
  const raw = options.raw;
  const { members, report, files } = await selectMimicCohort(raw);
  log(`cohort: ${report.selected} patients selected (${report.positives} positive) of ${report.patients}`);
  const keep = new Set(members.map((m) => m.hadmId));
  const sources = [...files];

  const aggregates: AdmissionAggregates = new Map();
  const labPath = requireMimicFile(raw, 'labevents');
  sources.push(labPath);
  const progress: RowProgress = (n) => {
    if (n % 1_000_000 < 4096) log(`  ${n} rows`);
  };
  const labRows = await aggregateLabEvents(labPath, keep, aggregates, progress);
  log(`labevents: ${labRows} rows streamed`);
  let chartRows = 0;
  const chartPath = findMimicFile(raw, 'chartevents');
  if (chartPath) {
    sources.push(chartPath);
    chartRows = await aggregateVitalEvents(chartPath, keep, aggregates, progress);
    log(`chartevents: ${chartRows} rows streamed`);
  }
  const notesPath = findMimicFile(raw, 'discharge');
  const notes = notesPath ? await readDischargeNotes(notesPath, keep) : new Map<string, string>();
  if (notesPath) sources.push(notesPath);
  const diagPath = requireMimicFile(raw, 'diagnoses');
  sources.push(diagPath);
  const codes = await readAdmissionCodes(diagPath, keep);
  const labelsPath = findMimicFile(raw, 'labitems');
  const labLabels = new Map<string, string>();
  if (labelsPath) {
    sources.push(labelsPath);
    for await (const r of readCsvObjects(labelsPath, { requiredColumns: ['itemid', 'label'] }))
      labLabels.set(`lab:${r.itemid}`, r.label);
  }

  // presence and labels
  const kept = members.filter((m) => aggregates.has(m.hadmId) || notes.has(m.hadmId) || codes.has(m.hadmId));
  const droppedNoModality = members.length - kept.length;
  kept.sort((a, b) => (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0));
  const ids = kept.map((m) => m.subjectId);
  const labels = Int32Array.from(kept.map((m) => m.label));
  const full = Uint8Array.from(
    kept.map((m) => (aggregates.has(m.hadmId) && notes.has(m.hadmId) && codes.has(m.hadmId) ? 1 : 0)),
  );
  const splits = makeSplits({ ids, labels, full, seed: options.seed });
  const training = new Set(splits.training);
  const trainingMembers = kept.filter((m) => training.has(m.subjectId));

  // L: labs + vitals
  const items = selectAggregateItems(
    trainingMembers.map((m) => aggregates.get(m.hadmId)).filter((x): x is NonNullable<typeof x> => x !== undefined),
    options.topLabs ?? 50,
  );
  const unscaled = new Map<string, Float64Array>();
  for (const m of kept)
    if (aggregates.has(m.hadmId)) unscaled.set(m.subjectId, aggregateFeatures(items, aggregates.get(m.hadmId)));
  const aggT = fitAggregatesTransform(
    items,
    items.map((k) => labLabels.get(k) ?? ''),
    trainingMembers.filter((m) => unscaled.has(m.subjectId)).map((m) => unscaled.get(m.subjectId) as Float64Array),
  );
  const labIds = kept.filter((m) => unscaled.has(m.subjectId)).map((m) => m.subjectId);
  const labWidth = items.length * aggT.statistics.length;
  const labFeatures = new Float32Array(labIds.length * labWidth);
  labIds.forEach((id, r) =>
    scaleAggregateFeatures(
      aggT,
      unscaled.get(id) as Float64Array,
      labFeatures.subarray(r * labWidth, (r + 1) * labWidth),
    ),
  );

  // N: notes
  const textT = fitTextTransform(
    trainingMembers.filter((m) => notes.has(m.hadmId)).map((m) => notes.get(m.hadmId) as string),
    options.textDimensions ?? 256,
  );
  const noteMembers = kept.filter((m) => notes.has(m.hadmId));
  const noteFeatures = new Float32Array(noteMembers.length * textT.dimensions);
  noteMembers.forEach((m, r) =>
    noteFeatures.set(vectorizeText(textT, notes.get(m.hadmId) as string), r * textT.dimensions),
  );

  // C: ICD-9 codes
  const codesT = fitCodesTransform(
    trainingMembers.filter((m) => codes.has(m.hadmId)).map((m) => codes.get(m.hadmId) as string[]),
    options.minCodeCount ?? 5,
  );
  const codeMembers = kept.filter((m) => codes.has(m.hadmId));
  const cw = codesT.vocabulary.length;
  const codeFeatures = new Float32Array(codeMembers.length * cw);
  codeMembers.forEach((m, r) => codeFeatures.set(encodeCodes(codesT, codes.get(m.hadmId) as string[]), r * cw));
  if (cw === 0) log('warning: no ICD-9 code reaches minCodeCount in training; the codes modality has width 0');

  const [L, N, C] = MIMIC_MODALITIES;
  const modalities: ModalityTable[] = [
    { name: L.name, letter: L.letter, featureNames: aggregateFeatureNames(aggT), ids: labIds, features: labFeatures },
    {
      name: N.name,
      letter: N.letter,
      featureNames: Array.from({ length: textT.dimensions }, (_, i) => `h${i}`),
      ids: noteMembers.map((m) => m.subjectId),
      features: noteFeatures,
    },
    {
      name: C.name,
      letter: C.letter,
      featureNames: codesT.vocabulary.map((c) => `icd9:${c}`),
      ids: codeMembers.map((m) => m.subjectId),
      features: codeFeatures,
    },
  ];
  const transforms: DatasetTransforms = {
    formatVersion: 1,
    modalities: { [L.name]: aggT, [N.name]: textT, [C.name]: codesT },
  };
  const content: DatasetContent = {
    source: 'mimic',
    modalities,
    classes: MIMIC_CLASSES.slice(),
    labels: { ids, label: labels },
    splits,
    transforms,
    sources: await Promise.all(sources.map((f) => describeSourceFile(f, raw))),
  };
  const manifest = await writeDataset(options.out, content);
  log(`dataset written: ${ids.length} patients (${droppedNoModality} without any modality dropped)`);

  const rawRecords: MimicRawRecord[] = [];
  if (options.rawRecordsFor && options.rawRecordsFor.length > 0) {
    const wanted = kept.filter((m) => options.rawRecordsFor?.includes(m.subjectId));
    rawRecords.push(
      ...(await extractRawRecords(
        raw,
        wanted.map((m) => ({ id: m.subjectId, hadm: m.hadmId })),
        notes,
        codes,
      )),
    );
  }
  return {
    manifest,
    cohort: report,
    droppedNoModality,
    rows: { labevents: labRows, chartevents: chartRows },
    rawRecords,
  };
}

/**
 * Raw records of given admissions, read again from the event files: per item the values in
 * chronological order (stable for equal times), vitals in canonical units.
 */
async function extractRawRecords(
  raw: string,
  wanted: { id: string; hadm: string }[],
  notes: Map<string, string>,
  codes: Map<string, string[]>,
): Promise<MimicRawRecord[]> {
  const hadms = new Set(wanted.map((w) => w.hadm));
  const events = new Map<string, Map<string, { t: string; v: number; k: number }[]>>();
  let order = 0;
  const add = (hadm: string, key: string, t: string, v: number) => {
    let m = events.get(hadm);
    if (!m) events.set(hadm, (m = new Map()));
    let l = m.get(key);
    if (!l) m.set(key, (l = []));
    l.push({ t, v, k: order++ });
  };
  const cols = ['hadm_id', 'itemid', 'charttime', 'valuenum'] as const;
  for (const [table, vital] of [
    ['labevents', false],
    ['chartevents', true],
  ] as const) {
    const path = findMimicFile(raw, table);
    if (!path) continue;
    for await (const b of readCsvBatches(path, { requiredColumns: cols, columns: cols })) {
      const c = columnIndices(path, b.header, cols);
      for (const r of b.rows) {
        if (!hadms.has(r[c.hadm_id]) || r[c.valuenum] === '') continue;
        const v = Number(r[c.valuenum]);
        if (!Number.isFinite(v)) continue;
        if (vital) {
          const cv = canonicalVital(r[c.itemid], v);
          if (cv) add(r[c.hadm_id], `vital:${cv.name}`, r[c.charttime], cv.value);
        } else add(r[c.hadm_id], `lab:${r[c.itemid]}`, r[c.charttime], v);
      }
    }
  }
  return wanted.map((w) => {
    const rec: MimicRawRecord = { id: w.id, modalities: {} };
    const ev = events.get(w.hadm);
    if (ev) {
      const labs: Record<string, number[]> = {};
      for (const [key, list] of ev)
        labs[key] = list.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.k - b.k)).map((x) => x.v);
      rec.modalities.labs = labs;
    }
    const text = notes.get(w.hadm);
    if (text !== undefined) rec.modalities.notes = { text };
    const cl = codes.get(w.hadm);
    if (cl) rec.modalities.codes = { codes: cl.slice() };
    return rec;
  });
}
