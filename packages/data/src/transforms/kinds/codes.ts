/**
 * ICD-9 diagnosis codes of an admission (MIMIC modality C), multi-hot over the training vocabulary:
 * +1 when the admission has the code, -1 otherwise (the ±1 convention of the one-hot columns).
 * The vocabulary holds the ICD-9 codes (`icd_version = 9`, no dot) seen in at least `minCount`
 * training admissions, sorted as strings. Raw record part: `{ "codes": ["4019", …] }`.
 */
import type { CodesModalityTransform } from '../transforms/modality-transform.js';
import { columnIndices, readCsvBatches } from '../io/csv-stream.js';

/** Streams `diagnoses_icd` and returns the ICD-9 codes per selected admission (by seq_num). */
export async function readAdmissionCodes(path: string, keep: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const cols = ['hadm_id', 'seq_num', 'icd_code', 'icd_version'] as const;
  const tmp = new Map<string, { seq: number; code: string }[]>();
  for await (const b of readCsvBatches(path, { requiredColumns: cols, columns: cols })) {
    const c = columnIndices(path, b.header, cols);
    for (const r of b.rows) {
      const hadm = r[c.hadm_id];
      if (!keep.has(hadm) || r[c.icd_version].trim() !== '9') continue;
      const code = r[c.icd_code].trim().replace('.', '');
      if (code === '') continue;
      let list = tmp.get(hadm);
      if (!list) tmp.set(hadm, (list = []));
      list.push({ seq: Number(r[c.seq_num]), code });
    }
  }
  const out = new Map<string, string[]>();
  for (const [hadm, list] of tmp) {
    list.sort((a, b) => a.seq - b.seq);
    const seen = new Set<string>();
    out.set(hadm, list.map((x) => x.code).filter((code) => (seen.has(code) ? false : (seen.add(code), true))));
  }
  return out;
}

/** Fits the vocabulary on the training admissions' code lists. */
export function fitCodesTransform(training: Iterable<readonly string[]>, minCount = 5): CodesModalityTransform {
  const count = new Map<string, number>();
  for (const codes of training) for (const c of new Set(codes)) count.set(c, (count.get(c) ?? 0) + 1);
  const vocabulary = [...count.entries()].filter(([, n]) => n >= minCount).map(([c]) => c).sort();
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
  if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'string')) throw new Error(`${where}: expected { "codes": string[] }`);
  return encodeCodes(t, codes as string[]);
}
