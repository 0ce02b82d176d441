/**
 * The fitted transform of one modality, as stored in `transforms.json`, and the dispatch that applies
 * it to one patient's raw part of a record (docs/data.md "Raw patient records").
 *
 * SHARED EDIT POINT: DATA-CORE owns the `columns` kind; DATA-SOURCES adds the `genotypes`, `image`,
 * `aggregates`, `codes` and `text` kinds (types + one `case` each) with small edits.
 */
import type { ColumnTransform } from './column-transform.js';
import { applyColumnTransformsToRecord } from './column-transform.js';
import { applyGenotypeTransform } from '../genomic/genotype-transform.js';
import { applyImageTransform } from '../image/image-transform.js';
import { applyAggregatesTransform } from '../mimic/aggregates-transform.js';
import { applyCodesTransform } from '../mimic/icd-codes.js';
import { applyTextTransform } from '../mimic/note-vectorizer.js';

/** Tabular columns (ADNI clinical/biospecimen, user tables): SPEC §8 typing, scaling, imputation, one-hot. */
export interface ColumnsModalityTransform {
  kind: 'columns';
  columns: ColumnTransform[];
}

/** Genotypes (DATA-SOURCES): kept SNPs, mode imputation, 0/1/2 → -1/0/1. */
export interface GenotypesModalityTransform {
  kind: 'genotypes';
  snps: string[];
  alleles: string[];
  modes: number[];
}

/** Masked image voxels (DATA-SOURCES): z-normalised with the training mean and std. */
export interface ImageModalityTransform {
  kind: 'image';
  voxelCount: number;
  maskLabel: number;
  mean: number;
  std: number;
  maskSha256?: string;
  /** Atlas volume dims and mask runs `[start, length, …]` (NIfTI voxel order), for `{ "nifti": path }` records. */
  dims?: number[];
  maskRuns?: number[];
}

/**
 * MIMIC labs/vitals (DATA-SOURCES, src/mimic/aggregates-transform.ts): per item key (`lab:<itemid>`,
 * `vital:<name>`) the statistics over the admission; per feature (item-major, statistic-minor)
 * training min/max for MinMax to [-1, 1] and the fill value (training mean after scaling).
 */
export interface AggregatesModalityTransform {
  kind: 'aggregates';
  items: string[];
  itemLabels: string[];
  statistics: ('last' | 'mean' | 'min' | 'max')[];
  min: number[];
  max: number[];
  fill: number[];
}

/** ICD-9 codes, multi-hot (DATA-SOURCES). */
export interface CodesModalityTransform {
  kind: 'codes';
  /** ICD-9 codes (no dot); the feature is +1 when present, -1 otherwise. */
  vocabulary: string[];
  /** Minimum number of training admissions for a code to enter the vocabulary. */
  minCount?: number;
}

/** Hashed TF-IDF of note text (DATA-SOURCES, src/mimic/note-vectorizer.ts documents the rules). */
export interface TextModalityTransform {
  kind: 'text';
  dimensions: number;
  idf: number[];
  tokenizer: 'lower-alnum2-nodigits';
  hash: 'fnv1a32';
  tf: 'sublinear';
  norm: 'l2';
}

/** The fitted transform of one modality (tagged by `kind`). */
export type ModalityTransform =
  | ColumnsModalityTransform
  | GenotypesModalityTransform
  | ImageModalityTransform
  | AggregatesModalityTransform
  | CodesModalityTransform
  | TextModalityTransform;

/** Content of `transforms.json`. */
export interface DatasetTransforms {
  formatVersion: 1;
  /** Modality name → its fitted transform. */
  modalities: Record<string, ModalityTransform>;
}

/**
 * Transforms one modality's raw part of a patient record into that modality's feature vector.
 * @param t the fitted transform of the modality
 * @param raw the modality's raw part of the record (shape depends on `t.kind`, see docs/data.md)
 * @param where a description of the record for error messages, e.g. `records.jsonl line 3, modality clinical`
 */
export function applyModalityTransform(t: ModalityTransform, raw: unknown, where: string): Float32Array {
  switch (t.kind) {
    case 'columns':
      return applyColumnTransformsToRecord(t.columns, raw, where);
    case 'genotypes':
      return applyGenotypeTransform(t, raw, where);
    case 'image':
      return applyImageTransform(t, raw, where);
    case 'aggregates':
      return applyAggregatesTransform(t, raw, where);
    case 'codes':
      return applyCodesTransform(t, raw, where);
    case 'text':
      return applyTextTransform(t, raw, where);
    default: {
      const unknownKind: never = t;
      throw new Error(`${where}: unknown modality transform kind ${JSON.stringify((unknownKind as { kind?: unknown }).kind)}`);
    }
  }
}

/** Number of features a fitted transform produces (the modality width). */
export function modalityTransformWidth(t: ModalityTransform): number | undefined {
  switch (t.kind) {
    case 'columns':
      return t.columns.reduce((n, c) => n + columnWidth(c), 0);
    case 'genotypes':
      return t.snps.length;
    case 'image':
      return t.voxelCount;
    case 'aggregates':
      return t.items.length * t.statistics.length;
    case 'codes':
      return t.vocabulary.length;
    case 'text':
      return t.dimensions;
    default:
      return undefined;
  }
}

function columnWidth(c: ColumnTransform): number {
  if (c.type === 'numerical') return 1;
  if (c.type === 'categorical') return c.categories.length;
  return c.edges.length - 1;
}
