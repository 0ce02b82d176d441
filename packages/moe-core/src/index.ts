/**
 * @flexmoe/moe-core — the Flex-MoE model on TensorFlow.js (docs/algorithm.md §1-6): build a config, build batches, run the
 * model, train it with TypedAdam, read its routing statistics. This root entry is the whole public API.
 *
 * - `@flexmoe/moe-core/spec`: the model's rules without TF.js (combination indexing, config, weight shapes).
 * - `@flexmoe/moe-core/testing`: the readable reference router and other helpers for tests and benchmarks.
 */

import './backends/wasm/register.js';

// The model and its data.
export {
  FlexMoEModel,
  type FlexMoEModelOptions,
  type NamedWeight,
  type ForwardResult,
  type ForwardOptions,
  type LossValues,
  type Prediction,
} from './model/flex-moe-model.js';
export { buildBatch, disposeBatch, type FlexMoEBatch } from './model/batch.js';
export { PatchEmbedding, uniformInit, type ModalityEncoder } from './model/patch-embedding.js';

// Configuration (also on the TF.js-free `spec` subpath).
export {
  defaultConfig,
  validateConfig,
  CombinationTable,
  type FlexMoEConfig,
  type ModalitySpec,
  type Ablation,
  type Dispatch,
  type PatchProjection,
} from './spec/index.js';

// Training.
export { TypedAdam, type TypedAdamOptions, type TypedAdamState } from './optim/typed-adam.js';
export { SeededRandom, type RandomSource } from './random/random-source.js';
export { registerAllGradients } from './ops/register-gradients.js';
export { fastPathStatus, setFastPath, type FastPathStatus } from './backends/fast-path.js';
export { setNativeMatmul, type NativeMatmul } from './backends/native-matmul.js';

// Routing statistics (paper §4 analysis).
export {
  emptyRoutingStats,
  mergeRoutingStats,
  activationRatios,
  expertSelectionCounts,
  bankCosineSimilarity,
  type RoutingStats,
} from './model/routing-stats.js';
