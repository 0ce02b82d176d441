/** MIMIC-IV raw tables → dataset (public API of src/mimic). */
export { buildMimicDataset, MIMIC_MODALITIES, MIMIC_CLASSES } from './build-mimic.js';
export type { BuildMimicOptions, BuildMimicResult, MimicRawRecord } from './build-mimic.js';
export { selectMimicCohort } from './cohort.js';
export type { CohortMember, CohortReport } from './cohort.js';
export {
  aggregateLabEvents,
  aggregateVitalEvents,
  canonicalVital,
  VITAL_ITEMS,
  VITAL_NAMES,
} from './event-aggregates.js';
export type { AdmissionAggregates, ItemAccumulator } from './event-aggregates.js';
export {
  applyAggregatesTransform,
  fitAggregatesTransform,
  AGGREGATE_STATISTICS,
} from '../transforms/kinds/aggregates.js';
export { applyTextTransform, fitTextTransform, vectorizeText, tokenize, fnv1a } from '../transforms/kinds/text.js';
export { applyCodesTransform, fitCodesTransform, encodeCodes } from '../transforms/kinds/codes.js';
export { selectAggregateItems } from './select-aggregate-items.js';
export { readDischargeNotes } from './discharge-notes.js';
export { findMimicFile, requireMimicFile, MIMIC_TABLES } from './mimic-files.js';
export { generateMimicRaw } from '../synth/mimic.js';
export type { GenerateMimicOptions, GenerateMimicResult } from '../synth/mimic.js';
