/**
 * `@flexmoe/data/transform`: the inference-time record transformer, safe for browsers (no file, no
 * Node module, no CLI in its import graph; checked by import-graph.test.ts). Node code that loads a
 * dataset directory uses `loadTransforms` from `@flexmoe/data`.
 */
export {
  createRecordTransformer,
  parseRecordsJsonl,
  recordLabel,
  type RawPatientRecord,
  type RecordTransformer,
  type TransformedRecord,
} from './transforms/transform-record.js';
export * from './transforms/modality-transform.js';
export type { TransformKind } from './transforms/transform-kind.js';
export { applyColumnsTransform, columnsModalityTransform } from './transforms/kinds/columns.js';
export { applyGenotypeTransform, scaleGenotype } from './transforms/kinds/genotypes.js';
export { applyImageTransform, normaliseVoxels } from './transforms/kinds/image.js';
export { applyAggregatesTransform } from './transforms/kinds/aggregates.js';
export { applyCodesTransform, encodeCodes } from './transforms/kinds/codes.js';
export { applyTextTransform, vectorizeText } from './transforms/kinds/text.js';
