/**
 * Turning one raw patient record (a `records.jsonl` line, the prediction input) into model inputs with
 * the transforms fitted when the dataset was built. No file or Node API here (browser entry
 * `@flexmoe/data/transform`); loading a dataset's transforms from disk is in load-transforms.ts.
 */
import { applyModalityTransform, type DatasetTransforms } from './modality-transform.js';

/** A raw patient record: `{ "id"?: string, "modalities": { "<modality name>": <raw part> } }`. Absent modality = key absent. */
export interface RawPatientRecord {
  id?: string;
  modalities: Record<string, unknown>;
}

/** Model inputs of one record: one vector per modality in dataset order, `null` where absent. */
export interface TransformedRecord {
  id?: string;
  inputs: (Float32Array | null)[];
  /** Letters of the observed modalities in modality order (the combination), e.g. `IGC`. */
  letters: string;
}

/** The fitted transforms of a dataset, ready to transform records. */
export interface RecordTransformer {
  modalities: { name: string; letter: string; width: number }[];
  classes: string[];
  transforms: DatasetTransforms;
  /**
   * @param record the raw record
   * @param where description of the record for errors (default: its id)
   * @throws when the record is malformed, names an unknown modality or has no modality
   */
  transformRecord(record: RawPatientRecord, where?: string): TransformedRecord;
}

/** The description of a record used in error messages: `where`, else `record <id>`, else `record`. */
export function recordLabel(record: RawPatientRecord, where?: string): string {
  return where ?? (record && typeof record.id === 'string' ? `record ${record.id}` : 'record');
}

/** Builds a {@link RecordTransformer} from the manifest's modalities and the transforms. */
export function createRecordTransformer(
  modalities: { name: string; letter: string; width: number }[],
  classes: string[],
  transforms: DatasetTransforms,
): RecordTransformer {
  const known = new Set(modalities.map((m) => m.name));
  return {
    modalities,
    classes,
    transforms,
    transformRecord(record: RawPatientRecord, where?: string): TransformedRecord {
      const at = recordLabel(record, where);
      if (
        record === null ||
        typeof record !== 'object' ||
        typeof record.modalities !== 'object' ||
        record.modalities === null ||
        Array.isArray(record.modalities)
      ) {
        throw new Error(`${at}: expected { "id"?: string, "modalities": { "<modality name>": ... } }`);
      }
      if (record.id !== undefined && typeof record.id !== 'string')
        throw new Error(`${at}: field 'id' must be a string`);
      for (const name of Object.keys(record.modalities)) {
        if (!known.has(name))
          throw new Error(`${at}: unknown modality ${JSON.stringify(name)} (the dataset has ${[...known].join(', ')})`);
      }
      let letters = '';
      const inputs = modalities.map((m) => {
        const raw = record.modalities[m.name];
        if (raw === undefined || raw === null) return null;
        const t = transforms.modalities[m.name];
        if (!t) throw new Error(`${at}: the dataset has no transform for modality ${m.name}`);
        const v = applyModalityTransform(t, raw, `${at}, modality ${m.name}`);
        if (v.length !== m.width)
          throw new Error(`${at}, modality ${m.name}: produced ${v.length} features, expected ${m.width}`);
        letters += m.letter;
        return v;
      });
      if (letters === '')
        throw new Error(`${at}: the record has no modality; at least one is needed (docs/algorithm.md §1)`);
      return { id: record.id, inputs, letters };
    },
  };
}

/**
 * Parses a JSON-lines file of raw records (blank lines are skipped).
 * @throws naming the file and line of a line that is not a JSON object
 */
export function parseRecordsJsonl(text: string, file: string): { line: number; record: RawPatientRecord }[] {
  const out: { line: number; record: RawPatientRecord }[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (e) {
      throw new Error(`${file}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${file}: line ${i + 1}: expected a JSON object`);
    out.push({ line: i + 1, record: value as RawPatientRecord });
  });
  return out;
}
