/**
 * The fitted transform of one modality, as stored in `transforms.json`, and the registry of transform
 * kinds that applies it to one patient's raw part of a record (docs/data.md "Raw patient records").
 *
 * Each kind lives in its own file under kinds/ (type, fit, apply) and imports nothing from here, so the
 * registry below is the only place that knows every kind. A new kind: one file in kinds/, one member of
 * {@link ModalityTransform} and one entry in {@link TRANSFORM_KINDS}.
 */
import { aggregatesKind, type AggregatesModalityTransform } from './kinds/aggregates.js';
import { codesKind, type CodesModalityTransform } from './kinds/codes.js';
import { columnsKind, type ColumnsModalityTransform } from './kinds/columns.js';
import { genotypesKind, type GenotypesModalityTransform } from './kinds/genotypes.js';
import { imageKind, type ImageModalityTransform } from './kinds/image.js';
import { textKind, type TextModalityTransform } from './kinds/text.js';
import type { TransformKind } from './transform-kind.js';

export type {
  AggregatesModalityTransform,
  CodesModalityTransform,
  ColumnsModalityTransform,
  GenotypesModalityTransform,
  ImageModalityTransform,
  TextModalityTransform,
};

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

/** Every transform kind by its tag. */
export const TRANSFORM_KINDS: {
  [K in ModalityTransform['kind']]: TransformKind<Extract<ModalityTransform, { kind: K }>>;
} = {
  columns: columnsKind,
  genotypes: genotypesKind,
  image: imageKind,
  aggregates: aggregatesKind,
  codes: codesKind,
  text: textKind,
};

function kindOf(t: ModalityTransform): TransformKind<ModalityTransform> | undefined {
  const kind = (t as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(TRANSFORM_KINDS, kind)) return undefined;
  return TRANSFORM_KINDS[kind as ModalityTransform['kind']] as TransformKind<ModalityTransform>;
}

/**
 * Transforms one modality's raw part of a patient record into that modality's feature vector.
 * @param t the fitted transform of the modality
 * @param raw the modality's raw part of the record (shape depends on `t.kind`, see docs/data.md)
 * @param where a description of the record for error messages, e.g. `records.jsonl line 3, modality clinical`
 */
export function applyModalityTransform(t: ModalityTransform, raw: unknown, where: string): Float32Array {
  const kind = kindOf(t);
  if (!kind) {
    throw new Error(`${where}: unknown modality transform kind ${JSON.stringify((t as { kind?: unknown }).kind)}`);
  }
  return kind.apply(t, raw, where);
}

/** Number of features a fitted transform produces (the modality width); undefined for an unknown kind. */
export function modalityTransformWidth(t: ModalityTransform): number | undefined {
  return kindOf(t)?.width(t);
}
