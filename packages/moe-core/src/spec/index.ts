/**
 * @flexmoe/moe-core/spec — the model's rules without TF.js: combination indexing (docs/algorithm.md §1), the modality
 * limit, the configuration with its defaults and validation, and the names and shapes of the weights.
 * Importable by packages that never load TF.js (data, export); a test checks its import graph.
 */
export {
  CombinationTable,
  combinationIndices,
  combinationMasks,
  combinationOrder,
  combinationKey,
  combinationIndexByCode,
  maskCode,
  assertModalityCount,
  MAX_MODALITIES,
  type Combination,
} from './combinations.js';
export {
  defaultConfig,
  validateConfig,
  modalityOrder,
  cnnChannels,
  DEFAULT_CNN_CHANNELS,
  type FlexMoEConfig,
  type ModalitySpec,
  type Ablation,
  type Dispatch,
  type PatchProjection,
  PATCH_PROJECTIONS,
} from './config.js';
export { weightShapes, type WeightShapeConfig } from './weights.js';
