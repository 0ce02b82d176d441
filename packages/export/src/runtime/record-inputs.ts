import type { ModalityMetadata } from '../metadata.js';
import type { SampleInputs } from './prediction-types.js';

/** Turns a raw patient record (`{ id?, modalities: {...} }`, the dataset's raw layout) into model inputs. */
export interface RecordTransformerLike {
  transformRecord(
    record: { id?: string; modalities: Record<string, unknown> },
    where?: string,
  ): { inputs: (Float32Array | null)[] };
}

/**
 * Adapts a dataset's transformer to a model that uses a subset (or a reordering) of the dataset's modalities:
 * outputs are picked by modality name when the transformer lists its modalities, and raw parts of modalities
 * in `ignored` (known to the dataset, unused by the model) are dropped before transforming.
 */
export function adaptTransformer(
  inner: RecordTransformerLike & { modalities?: readonly { name: string }[] },
  model: readonly ModalityMetadata[],
  ignored: ReadonlySet<string> = new Set(),
): RecordTransformerLike {
  const names = inner.modalities?.map((m) => m.name);
  const pick = names ? model.map((m) => names.indexOf(m.name)) : undefined;
  if (pick?.some((i) => i < 0)) {
    const missing = model.filter((_, i) => (pick as number[])[i] < 0).map((m) => m.name);
    throw new Error(`the dataset's transforms have no modality ${missing.join(', ')} that the model uses`);
  }
  return {
    transformRecord(record, where) {
      let input = record;
      if (ignored.size > 0 && isPlainObject(record) && isPlainObject(record.modalities)) {
        input = {
          ...record,
          modalities: Object.fromEntries(Object.entries(record.modalities).filter(([k]) => !ignored.has(k))),
        };
      }
      const out = inner.transformRecord(input, where);
      return { inputs: pick ? pick.map((i) => out.inputs[i]) : out.inputs };
    },
  };
}

/** A record in features form: transformed feature vectors by modality name (or letter). */
export interface FeaturesRecord {
  id?: string;
  features: Record<string, number[]>;
}

/** Thrown for input that is the caller's fault (mapped to HTTP 400 by the service). */
export class InputError extends Error {
  override readonly name = 'InputError';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Model inputs of one record. Accepts the features form `{ id?, features: { <modality>: number[width] } }`
 * and the raw form `{ id?, modalities: { <modality>: raw } }` (needs the dataset's transforms).
 * @param where names the record in errors, e.g. `records[3]`
 * @throws InputError naming the field and what was expected
 */
export function recordToInputs(
  record: unknown,
  modalities: readonly ModalityMetadata[],
  transformer: RecordTransformerLike | undefined,
  where: string,
): SampleInputs {
  if (!isPlainObject(record)) throw new InputError(`${where}: expected a JSON object with "features" or "modalities"`);
  const unknownField = Object.keys(record).find((k) => k !== 'id' && k !== 'features' && k !== 'modalities');
  if (unknownField !== undefined) {
    throw new InputError(
      `${where}: unknown field ${JSON.stringify(unknownField)} (a record has "id" and "features" or "modalities")`,
    );
  }
  if (record.id !== undefined && typeof record.id !== 'string') throw new InputError(`${where}.id: must be a string`);
  const hasFeatures = record.features !== undefined;
  const hasRaw = record.modalities !== undefined;
  if (hasFeatures === hasRaw) {
    throw new InputError(
      `${where}: expected exactly one of "features" (transformed vectors) or "modalities" (raw record)`,
    );
  }
  let inputs: SampleInputs;
  if (hasFeatures) {
    inputs = featuresToInputs(record.features, modalities, `${where}.features`);
  } else {
    if (!transformer) {
      throw new InputError(
        `${where}.modalities: raw records need the dataset's transforms (the model has none embedded; pass the dataset)`,
      );
    }
    try {
      inputs = transformer.transformRecord(
        record as { id?: string; modalities: Record<string, unknown> },
        where,
      ).inputs;
    } catch (e) {
      throw new InputError((e as Error).message);
    }
    inputs.forEach((v, m) => {
      if (v && !v.every(Number.isFinite))
        throw new InputError(`${where}.modalities.${modalities[m].name}: transformed to non-finite features`);
    });
  }
  if (inputs.length !== modalities.length)
    throw new InputError(`${where}: ${inputs.length} modality vectors, the model has ${modalities.length}`);
  if (inputs.every((v) => v === null))
    throw new InputError(`${where}: the record has no modality; at least one is needed (docs/algorithm.md §1)`);
  return inputs;
}

function featuresToInputs(features: unknown, modalities: readonly ModalityMetadata[], where: string): SampleInputs {
  if (!isPlainObject(features)) throw new InputError(`${where}: expected an object { "<modality>": number[] }`);
  const inputs: SampleInputs = modalities.map(() => null);
  for (const [key, value] of Object.entries(features)) {
    const m = modalities.findIndex((x) => x.name === key || x.letter === key);
    if (m < 0) {
      throw new InputError(
        `${where}.${key}: unknown modality (the model has ${modalities.map((x) => `${x.name} (${x.letter})`).join(', ')})`,
      );
    }
    if (inputs[m]) throw new InputError(`${where}.${key}: modality ${modalities[m].name} given twice`);
    if (value === null) continue;
    if (!Array.isArray(value))
      throw new InputError(`${where}.${key}: expected an array of ${modalities[m].width} numbers`);
    if (value.length !== modalities[m].width) {
      throw new InputError(`${where}.${key}: has ${value.length} features, expected ${modalities[m].width}`);
    }
    const v = new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const x = value[i];
      if (typeof x !== 'number' || !Number.isFinite(x) || Math.abs(x) > 3.4e38) {
        throw new InputError(`${where}.${key}[${i}]: must be a finite number`);
      }
      v[i] = x;
    }
    inputs[m] = v;
  }
  return inputs;
}
