/**
 * Discharge notes of the selected admissions (`note/discharge`): the texts of an admission (the
 * discharge summary `DS` and addenda `AE`) joined in `note_seq` order with a blank line. Only the
 * selected admissions' texts are kept, so memory is bounded by the number of patients.
 */
import { columnIndices, detachString, readCsvBatches } from '../io/csv-stream.js';

/** Streams the notes file and returns admission id → note text. */
export async function readDischargeNotes(path: string, keep: ReadonlySet<string>): Promise<Map<string, string>> {
  const cols = ['hadm_id', 'note_seq', 'text'] as const;
  const parts = new Map<string, { seq: number; text: string }[]>();
  for await (const b of readCsvBatches(path, { requiredColumns: cols, columns: cols, batchSize: 256 })) {
    const c = columnIndices(path, b.header, cols);
    for (const r of b.rows) {
      const hadm = r[c.hadm_id];
      if (!keep.has(hadm)) continue;
      let list = parts.get(hadm);
      if (!list) parts.set(hadm, (list = []));
      list.push({ seq: Number(r[c.note_seq]), text: detachString(r[c.text]) });
    }
  }
  const out = new Map<string, string>();
  for (const [hadm, list] of parts) {
    list.sort((a, b) => a.seq - b.seq);
    out.set(hadm, list.map((p) => p.text).join('\n\n'));
  }
  return out;
}
