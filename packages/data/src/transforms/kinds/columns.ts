/**
 * The 'columns' modality transform (ADNI clinical/biospecimen, user tables, ADNI FreeSurfer regions):
 * docs/algorithm.md §8 typing, scaling, imputation and one-hot per column. The per-column rules (fit and apply)
 * live in ../column-transform.ts; this file is the modality-level kind.
 */
import type { ColumnTransform } from '../column-transform.js';
import { applyColumnTransformsToRecord, columnsWidth } from '../column-transform.js';
import type { TransformKind } from '../transform-kind.js';

/** Tabular columns: one fitted {@link ColumnTransform} per kept column, in feature order. */
export interface ColumnsModalityTransform {
  kind: 'columns';
  columns: ColumnTransform[];
}

/** Wraps fitted columns (from `fitColumnTransforms`) as the modality's transform. */
export function columnsModalityTransform(columns: ColumnTransform[]): ColumnsModalityTransform {
  return { kind: 'columns', columns };
}

/** Applies the transform to `{ "<column>": value }`. */
export function applyColumnsTransform(t: ColumnsModalityTransform, raw: unknown, where: string): Float32Array {
  return applyColumnTransformsToRecord(t.columns, raw, where);
}

export const columnsKind: TransformKind<ColumnsModalityTransform> = {
  kind: 'columns',
  apply: applyColumnsTransform,
  width: (t) => columnsWidth(t.columns),
};
