/** Reading MIMIC-IV `diagnoses_icd` (the raw input of the 'codes' transform, transforms/kinds/codes.ts). */
import { columnIndices, readCsvBatches } from './csv-stream.js';

/** Streams `diagnoses_icd` and returns the ICD-9 codes (no dot) per selected admission (by seq_num). */
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
    out.set(
      hadm,
      list.map((x) => x.code).filter((code) => (seen.has(code) ? false : (seen.add(code), true))),
    );
  }
  return out;
}
