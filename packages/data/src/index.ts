/** @flexmoe/data: dataset format, transforms, splits and the ADNI / MIMIC-IV / user-table builders. */
export type * from './dataset/types.js';
export { writeDataset, modalityFileName, modalityFileNames } from './dataset/write-dataset.js';
export { readDataset } from './dataset/read-dataset.js';
export * from './dataset/file-hashes.js';
export { recoverInterruptedReplace } from './dataset/replace-recovery.js';
export { describeSourceFile } from './dataset/source-file.js';
export { validateContent, countContent, modalityNameProblem } from './dataset/validate-content.js';
export { TOOL_NAME, TOOL_VERSION } from './dataset/tool-version.js';
export { makeSplits, mulberry32, type MakeSplitsInput, type SplitFractions } from './splits/make-splits.js';
export * from './transforms/column-transform.js';
export * from './transforms/modality-transform.js';
export * from './transforms/category-vocabulary.js';
export * from './transforms/free-text-columns.js';
export * from './transforms/transform-record.js';
export { loadTransforms, createRecordTransformerReadingFiles } from './transforms/load-transforms.js';
export type { TransformKind } from './transforms/transform-kind.js';
export { columnsModalityTransform, applyColumnsTransform } from './transforms/kinds/columns.js';
export { readNiftiRecordParts } from './image/nifti-record-parts.js';
export {
  buildTablesDataset,
  resolveLetters,
  classNamesOf,
  readSplitsFile,
  type TablesDatasetOptions,
} from './tables/build-tables-dataset.js';
export {
  readTable,
  readIds,
  requireColumn,
  checkNumericColumn,
  checkMostlyNumericColumns,
  isArrowPath,
  type LoadedTable,
} from './tables/read-table.js';
export {
  buildAdniDataset,
  selectRows,
  type AdniDatasetOptions,
  type AdniBuildReport,
} from './adni/build-adni-dataset.js';
export { loadAdniLabels, ADNI_CLASSES, type AdniLabelRule, type AdniLabels } from './adni/labels.js';
export { loadClinicalRaw } from './adni/clinical.js';
export { loadBiospecimenRaw, phaseRidKey, ptidMapFromApoe } from './adni/biospecimen.js';
export { latestRowPerPatient, outerJoinPatients, type LatestRowOptions } from './adni/latest-row.js';
export * from './adni/missing-codes.js';
export { findAdniTables, ADNI_TABLES, type AdniTableName } from './adni/adni-files.js';
export { generateAdniRaw, type AdniSynthOptions, type AdniSynthSummary } from './synth/adni.js';
export {
  generateTablesRaw,
  type TablesSynthOptions,
  type TablesSynthResult,
  type SynthModalitySpec,
} from './synth/tables.js';
export {
  EXTERNAL_TOOLS,
  findExternalTool,
  findOnPath,
  missingToolMessage,
  type ExternalTool,
  type ExternalToolName,
} from './tools/external-tools.js';
export {
  commandOutput,
  jsonOption,
  type CommandOutput,
  type JsonTarget,
  type OutputStreams,
} from './cli/json-output.js';
export { runDataCli, type DataCliIo } from './cli/run-data-cli.js';
export { inspectSummary, formatInspect, type InspectSummary } from './cli/inspect.js';
// DATA-SOURCES modules (genomic, image, MIMIC-IV, streaming CSV; each folder's index.ts is its public API).
export * from './genomic/index.js';
export * from './image/index.js';
export * from './io/index.js';
export * from './mimic/index.js';
