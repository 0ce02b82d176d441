/**
 * The ADNI dataset (docs/algorithm.md §8): image (I), genomic (G), clinical (C) and biospecimen (B) modalities in
 * that order, DXSUM labels, docs/algorithm.md §7 splits, transforms fitted on the training split.
 */
import path from 'node:path';
import { describeSourceFile } from '../dataset/source-file.js';
import type { DatasetContent, ModalityTable, SourceFile } from '../dataset/types.js';
import { buildGenotypeModality, loadGenotypes } from '../genomic/genotype-modality.js';
import { makeSplits } from '../splits/make-splits.js';
import {
  applyColumnTransforms,
  fitColumnTransforms,
  type DroppedColumn,
  type RawCell,
  type RawColumns,
} from '../transforms/column-transform.js';
import type { DatasetTransforms, ModalityTransform } from '../transforms/modality-transform.js';
import { findAdniTables, listFiles } from './adni-files.js';
import { loadBiospecimenRaw } from './biospecimen.js';
import { loadClinicalRaw } from './clinical.js';
import type { FreeSurferReport, FreeSurferSuffix } from './freesurfer.js';
import { loadAdniImage } from './image-source.js';
import { ADNI_CLASSES, loadAdniLabels, type AdniLabelRule } from './labels.js';
import { adniMissingCodes } from './missing-codes.js';

/** Options of {@link buildAdniDataset}. */
export interface AdniDatasetOptions {
  rawDir: string;
  /** Split seed (default 0). */
  seed?: number;
  /** Label rule (default `stable`: exclude missing/changing diagnoses). */
  labelRule?: AdniLabelRule;
  /** LD-prune the merged genotypes with PLINK 1.9 (needs the `plink` executable; default false). */
  ldPrune?: boolean;
  /** Image route when both a FreeSurfer table and NIfTI inputs are there (default: freesurfer). */
  image?: 'freesurfer' | 'ravens';
  /** FreeSurfer scans used: `pass` (default) only OVERALLQC Pass, `any` every scan. */
  imageQc?: 'pass' | 'any';
  /** FreeSurfer feature suffixes (default CV, TA, SV). */
  imageFeatures?: FreeSurferSuffix[];
  /** Reports progress of long steps. */
  onStep?: (step: string) => void;
}

/** What the ADNI build did, for the summary (no patient values or ids). */
export interface AdniBuildReport {
  labeledPatients: number;
  excludedMissingDiagnosis: number;
  excludedChangingDiagnosis: number;
  labeledWithoutModality: number;
  unmappedRocheRows: number;
  skippedModalities: string[];
  droppedColumns: Record<string, DroppedColumn[]>;
  /** The image route used and how (absent when the image modality was skipped). */
  image?: { route: 'freesurfer' | 'ravens'; description: string; freesurfer?: Omit<FreeSurferReport, 'file'> };
}

/** Keeps the rows of `raw` whose id is in `keep` (order kept). */
export function selectRows(raw: RawColumns, keep: Set<string>): RawColumns {
  const rows: number[] = [];
  raw.ids.forEach((id, i) => {
    if (keep.has(id)) rows.push(i);
  });
  const columns = new Map<string, RawCell[]>();
  for (const [c, cells] of raw.columns)
    columns.set(
      c,
      rows.map((i) => cells[i]),
    );
  return { ids: rows.map((i) => raw.ids[i]), columns };
}

interface PendingModality {
  name: string;
  letter: string;
  ids: string[];
  /** Where the modality came from, for the manifest (e.g. the image route). */
  origin?: string;
  /** Fits on the training ids and produces the table (restricted to the dataset's patients). */
  build: (training: string[], patients: Set<string>) => { table: ModalityTable; transform: ModalityTransform };
}

/** Fits docs/algorithm.md §8 column transforms on the training rows of the dataset's patients and applies them. */
function fitColumnsModality(
  name: string,
  letter: string,
  raw: RawColumns,
  file: string,
  training: string[],
  patients: Set<string>,
) {
  const rows = selectRows(raw, patients);
  const fitted = fitColumnTransforms(rows, training, { missingCodes: adniMissingCodes, file });
  const applied = applyColumnTransforms(fitted.columns, rows, file);
  return {
    table: { name, letter, featureNames: applied.featureNames, ids: applied.ids, features: applied.features },
    transform: { kind: 'columns', columns: fitted.columns } as ModalityTransform,
    dropped: fitted.dropped,
  };
}

function columnsModality(
  name: string,
  letter: string,
  raw: RawColumns,
  file: string,
  dropped: Record<string, DroppedColumn[]>,
): PendingModality {
  return {
    name,
    letter,
    ids: raw.ids,
    build: (training, patients) => {
      const fitted = fitColumnsModality(name, letter, raw, file, training, patients);
      dropped[name] = fitted.dropped;
      return { table: fitted.table, transform: fitted.transform };
    },
  };
}

/**
 * Builds the ADNI dataset content from a raw directory (LONI tables, PLINK filesets, images).
 * @throws on bad input, naming the file, row and column
 */
export async function buildAdniDataset(
  options: AdniDatasetOptions,
): Promise<{ content: DatasetContent; report: AdniBuildReport }> {
  const step = options.onStep ?? (() => undefined);
  const rawDir = options.rawDir;
  const files = await findAdniTables(rawDir);
  const all = await listFiles(rawDir);
  const report: AdniBuildReport = {
    labeledPatients: 0,
    excludedMissingDiagnosis: 0,
    excludedChangingDiagnosis: 0,
    labeledWithoutModality: 0,
    unmappedRocheRows: 0,
    skippedModalities: [],
    droppedColumns: {},
  };
  const used: string[] = [];

  step('labels (DXSUM)');
  const labels = await loadAdniLabels(files.DXSUM_PDXCONV, options.labelRule ?? 'stable');
  report.excludedMissingDiagnosis = labels.excludedMissing;
  report.excludedChangingDiagnosis = labels.excludedChanging;
  used.push(files.DXSUM_PDXCONV);

  const pending: PendingModality[] = [];
  step('image');
  const image = await loadAdniImage(rawDir, all, {
    route: options.image,
    freesurfer: {
      qc: options.imageQc,
      suffixes: options.imageFeatures,
      knownIds: labels.knownIds,
      ptidByRid: labels.ptidByRid,
    },
    fitColumns: (raw, file, training, patients) => {
      const fitted = fitColumnsModality('image', 'I', raw, file, training, patients);
      report.droppedColumns.image = fitted.dropped;
      return fitted;
    },
  });
  if (image) {
    used.push(...image.files);
    pending.push({ name: 'image', letter: 'I', ids: image.ids, build: image.build, origin: image.description });
    report.image = { route: image.route, description: image.description };
    if (image.freesurfer) {
      const { file: _file, ...counts } = image.freesurfer;
      void _file;
      report.image.freesurfer = counts;
    }
  } else report.skippedModalities.push('image');

  step('genomic');
  const bedFiles = all.filter((f) => f.toLowerCase().endsWith('.bed'));
  if (bedFiles.length > 0) {
    const prefixes = bedFiles.map((f) => f.slice(0, -4));
    const { fileset } = await loadGenotypes(prefixes, { ldPrune: options.ldPrune ?? false });
    for (const p of prefixes) used.push(`${p}.bed`, `${p}.bim`, `${p}.fam`);
    pending.push({
      name: 'genomic',
      letter: 'G',
      ids: fileset.samples.map((s) => s.iid),
      build: (training, patients) => {
        const { table, transform } = buildGenotypeModality(fileset, {
          trainingIds: training,
          ids: patients,
          name: 'genomic',
          letter: 'G',
        });
        return { table, transform };
      },
    });
  } else report.skippedModalities.push('genomic');

  step('clinical');
  const clinicalFiles = [files.MEDHIST, files.NEUROEXM, files.PTDEMOG, files.RECCMEDS, files.VITALS];
  const clinical = await loadClinicalRaw(clinicalFiles);
  used.push(...clinicalFiles);
  pending.push(columnsModality('clinical', 'C', clinical, 'clinical tables', report.droppedColumns));

  step('biospecimen');
  const bio = await loadBiospecimenRaw(files.APOERES, files.UPENNBIOMK_ROCHE_ELECSYS);
  report.unmappedRocheRows = bio.unmappedRocheRows;
  used.push(files.APOERES, files.UPENNBIOMK_ROCHE_ELECSYS);
  pending.push(columnsModality('biospecimen', 'B', bio.raw, 'biospecimen tables', report.droppedColumns));

  const idSets = pending.map((m) => new Set(m.ids));
  const patients = [...labels.labels.keys()].filter((id) => idSets.some((s) => s.has(id))).sort();
  report.labeledPatients = labels.labels.size;
  report.labeledWithoutModality = labels.labels.size - patients.length;
  if (patients.length === 0)
    throw new Error(`${rawDir}: no labelled patient has any modality (check that PTIDs match across tables)`);
  const label = Int32Array.from(patients.map((id) => labels.labels.get(id) as number));
  const full = Uint8Array.from(patients.map((id) => (idSets.every((s) => s.has(id)) ? 1 : 0)));
  const splits = makeSplits({ ids: patients, labels: label, full, seed: options.seed ?? 0 });
  const patientSet = new Set(patients);

  const transforms: DatasetTransforms = { formatVersion: 1, modalities: {} };
  const modalities: ModalityTable[] = [];
  for (const m of pending) {
    step(`transforming ${m.name}`);
    const { table, transform } = m.build(splits.training, patientSet);
    transforms.modalities[m.name] = transform;
    modalities.push({ ...table, name: m.name, letter: m.letter, ...(m.origin ? { origin: m.origin } : {}) });
  }

  step('hashing sources');
  const sources: SourceFile[] = [];
  for (const f of [...new Set(used)]) sources.push(await describeSourceFile(path.resolve(f), path.resolve(rawDir)));
  return {
    content: {
      source: 'adni',
      modalities,
      classes: [...ADNI_CLASSES],
      labels: { ids: patients, label },
      splits,
      transforms,
      sources,
    },
    report,
  };
}
