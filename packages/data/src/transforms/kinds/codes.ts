/**
 * ICD-9 diagnosis codes of an admission (MIMIC modality C), multi-hot over the training vocabulary:
 * +1 when the admission has the code, -1 otherwise (the ±1 convention of the one-hot columns).
 * The vocabulary holds the ICD-9 codes (`icd_version = 9`, no dot) seen in at least `minCount`
 * training admissions, sorted as strings. Raw record part: `{ "codes": ["4019", …] }`.
 */
import type { TransformKind } from '../transform-kind.js';

/** ICD-9 codes, multi-hot. */
export interface CodesModalityTransform {
  kind: 'codes';
  /** ICD-9 codes (no dot); the feature is +1 when present, -1 otherwise. */
  vocabulary: string[];
  /** Minimum number of training admissions for a code to enter the vocabulary. */
  minCount?: number;
}

/** Fits the vocabulary on the training admissions' code lists. */
export function fitCodesTransform(training: Iterable<readonly string[]>, minCount = 5): CodesModalityTransform {
  const count = new Map<string, number>();
  for (const codes of training) for (const c of new Set(codes)) count.set(c, (count.get(c) ?? 0) + 1);
  const vocabulary = [...count.entries()]
    .filter(([, n]) => n >= minCount)
    .map(([c]) => c)
    .sort();
  return { kind: 'codes', vocabulary, minCount };
}

/** Multi-hot ±1 vector of a code list. */
export function encodeCodes(t: CodesModalityTransform, codes: readonly string[]): Float32Array {
  const index = new Map(t.vocabulary.map((c, i) => [c, i]));
  const out = new Float32Array(t.vocabulary.length).fill(-1);
  for (const c of codes) {
    const i = index.get(c.trim().replace('.', ''));
    if (i !== undefined) out[i] = 1;
  }
  return out;
}

/** Applies the transform to `{ "codes": string[] }`. */
export function applyCodesTransform(t: CodesModalityTransform, raw: unknown, where: string): Float32Array {
  const codes = raw !== null && typeof raw === 'object' ? (raw as { codes?: unknown }).codes : undefined;
  if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'string'))
    throw new Error(`${where}: expected { "codes": string[] }`);
  return encodeCodes(t, codes as string[]);
}

export const codesKind: TransformKind<CodesModalityTransform> = {
  kind: 'codes',
  apply: applyCodesTransform,
  width: (t) => t.vocabulary.length,
};
