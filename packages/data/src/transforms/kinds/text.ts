/**
 * Discharge-note vectoriser (MIMIC modality N): hashed TF-IDF.
 * - tokens: lower-cased runs of `[a-z0-9]` of length ≥ 2; runs of only digits are dropped, and so
 *   is the de-identification mask `___` (never a token);
 * - each token is hashed with 32-bit FNV-1a into `dimensions` buckets;
 * - tf = 1 + ln(count) per bucket (sublinear), idf = ln((1 + n) / (1 + df)) + 1 with df counted over
 *   the training notes (smooth idf, as scikit-learn);
 * - the vector tf·idf is L2-normalised (all-zero stays zero).
 * Raw record part: `{ "text": "…" }`.
 */
import type { TransformKind } from '../transform-kind.js';

/** Hashed TF-IDF of note text (the rules above). */
export interface TextModalityTransform {
  kind: 'text';
  dimensions: number;
  idf: number[];
  tokenizer: 'lower-alnum2-nodigits';
  hash: 'fnv1a32';
  tf: 'sublinear';
  norm: 'l2';
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Tokens of a note (see the file comment). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[a-z0-9]{2,}/g)) {
    if (!/^[0-9]+$/.test(m[0])) out.push(m[0]);
  }
  return out;
}

/** Bucket counts of a note. */
export function hashedCounts(text: string, dimensions: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of tokenize(text)) {
    const b = fnv1a(t) % dimensions;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return counts;
}

/** Fits the idf on the training notes. */
export function fitTextTransform(trainingTexts: Iterable<string>, dimensions = 256): TextModalityTransform {
  const df = new Float64Array(dimensions);
  let n = 0;
  for (const text of trainingTexts) {
    n++;
    for (const b of hashedCounts(text, dimensions).keys()) df[b]++;
  }
  const idf = Array.from(df, (d) => Math.log((1 + n) / (1 + d)) + 1);
  return {
    kind: 'text',
    dimensions,
    idf,
    tokenizer: 'lower-alnum2-nodigits',
    hash: 'fnv1a32',
    tf: 'sublinear',
    norm: 'l2',
  };
}

/** The L2-normalised hashed TF-IDF vector of one note. */
export function vectorizeText(t: TextModalityTransform, text: string): Float32Array {
  const v = new Float64Array(t.dimensions);
  for (const [b, c] of hashedCounts(text, t.dimensions)) v[b] = (1 + Math.log(c)) * t.idf[b];
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  const out = new Float32Array(t.dimensions);
  if (norm > 0) for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}

/** Applies the transform to `{ "text": string }`. */
export function applyTextTransform(t: TextModalityTransform, raw: unknown, where: string): Float32Array {
  const text = raw !== null && typeof raw === 'object' ? (raw as { text?: unknown }).text : undefined;
  if (typeof text !== 'string') throw new Error(`${where}: expected { "text": string }`);
  return vectorizeText(t, text);
}

export const textKind: TransformKind<TextModalityTransform> = {
  kind: 'text',
  apply: applyTextTransform,
  width: (t) => t.dimensions,
};
