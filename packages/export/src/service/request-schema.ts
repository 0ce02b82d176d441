import type { FlexMoEModelMetadata } from '../metadata.js';

/** A JSON schema (plain object; validated by Fastify's Ajv). */
export type JsonSchema = Record<string, unknown>;

/** Limits of the prediction service. */
export interface ServiceLimits {
  /** Most records in one `{records: [...]}` request. */
  maxBatch: number;
  /** Largest request body in bytes. */
  bodyLimit: number;
}

/**
 * JSON schema of `POST /v1/predict` bodies for a model: one record, or `{ records: [record, …] }`.
 * A record is `{ id?, features: { <modality name or letter>: number[width] } }` (transformed features) or
 * `{ id?, modalities: { <modality name>: raw part } }` (raw record through the dataset's transforms).
 * Discriminated with if/then/else so a rejection names one field, not every alternative.
 */
export function predictBodySchema(meta: FlexMoEModelMetadata, limits: ServiceLimits): JsonSchema {
  const featureProps: Record<string, JsonSchema> = {};
  for (const m of meta.modalities) {
    const vector = { type: 'array', minItems: m.width, maxItems: m.width, items: { type: 'number' } };
    featureProps[m.name] = vector;
    if (m.letter !== m.name) featureProps[m.letter] = vector;
  }
  // Raw records may carry every modality of the dataset; those the model does not use are ignored later.
  const rawNames = new Set(meta.modalities.map((m) => m.name));
  if (meta.transformsJson !== undefined) {
    const transforms = JSON.parse(meta.transformsJson) as { modalities?: Record<string, unknown> };
    for (const name of Object.keys(transforms.modalities ?? {})) rawNames.add(name);
  }
  const rawProps: Record<string, JsonSchema> = {};
  for (const name of rawNames) rawProps[name] = { type: ['object', 'array', 'string', 'number', 'null'] };
  const id = { type: 'string', maxLength: 256 };
  const featuresRecord = {
    type: 'object',
    required: ['features'],
    additionalProperties: false,
    properties: {
      id,
      features: { type: 'object', minProperties: 1, additionalProperties: false, properties: featureProps },
    },
  };
  const rawRecord = {
    type: 'object',
    required: ['modalities'],
    additionalProperties: false,
    properties: {
      id,
      modalities: { type: 'object', minProperties: 1, additionalProperties: false, properties: rawProps },
    },
  };
  const record = { type: 'object', if: { required: ['features'] }, then: featuresRecord, else: rawRecord };
  return {
    type: 'object',
    if: { required: ['records'] },
    then: {
      type: 'object',
      required: ['records'],
      additionalProperties: false,
      properties: { records: { type: 'array', minItems: 1, maxItems: limits.maxBatch, items: record } },
    },
    else: record,
  };
}

/** One Ajv error as Fastify hands it to the schema error formatter. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * The message of the first (innermost) schema error, naming the field:
 * e.g. `body/features/clinical: must NOT have fewer than 300 items`.
 */
export function formatSchemaError(errors: readonly SchemaError[], dataVar: string): string {
  const e = errors.find((x) => x.keyword !== 'if') ?? errors[0];
  if (!e) return `${dataVar}: invalid`;
  const field = `${dataVar}${e.instancePath}`;
  const params = e.params ?? {};
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `${field}/${params.additionalProperty}: unknown field`;
  }
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    return `${field}/${params.missingProperty}: required field is missing`;
  }
  return `${field}: ${e.message ?? 'invalid'}`;
}
