export { CombinationTable, combinationIndices, MAX_MODALITIES, type Combination } from './combination/combination-table.js';
export {
  SeededRandom,
  RandomNoiseSource,
  FixedNoiseSource,
  type RandomSource,
  type NoiseSource,
} from './random/random-source.js';
export { cvSquared, cvSquaredOf, cvSquaredRows, CV2_EPS } from './router/cv-squared.js';
export { routerLogits, selectTopK, topKGates, gatherTopKGates, NOISE_EPS, type RoutingChoice, type RouterLogits } from './router/noisy-top-k.js';
export { estimateLoad, normalCdf } from './router/load-estimator.js';
export { routerLosses, type Ablation, type RouterLossTerms, type TokenGroups } from './router/router-losses.js';
export { fusedRouter, type FusedRouterInfo, type FusedRouterResult } from './router/fused-router.js';
export { denseExperts, sparseExperts, type Dispatch, type ExpertWeights } from './moe/experts.js';
export { WorkBuffers } from './ops/work-buffers.js';
export { peekData } from './ops/peek-data.js';
export { WasmHeap, HeapRegions } from './ops/wasm-heap.js';
export { runSMoE, resolveDispatch, SMoEWeights, type SMoEResult, type SMoEOptions, type RouterWeights } from './moe/sparse-moe.js';
export { defaultConfig, validateConfig, modalityOrder, type FlexMoEConfig, type ModalitySpec } from './model/config.js';
export { PatchEmbedding, uniformInit, type ModalityEncoder } from './model/patch-embedding.js';
export { createBank, assembleBlocks } from './model/missing-bank.js';
export { layerNorm, LN_EPS } from './model/layer-norm.js';
export { attentionCore, type AttentionShape } from './model/attention.js';
export { FusionLayer, type FusionContext, type FusionOutput } from './model/fusion-layer.js';
export { buildBatch, disposeBatch, type FlexMoEBatch } from './model/batch.js';
export {
  FlexMoEModel,
  type FlexMoEModelOptions,
  type NamedWeight,
  type ForwardResult,
  type ForwardOptions,
  type LossValues,
  type Prediction,
} from './model/flex-moe-model.js';
export {
  emptyRoutingStats,
  accumulateRouting,
  mergeRoutingStats,
  expertSelectionCounts,
  activationRatios,
  bankCosineSimilarity,
  type RoutingStats,
} from './model/routing-stats.js';
export { dropoutMask, applyDropout, dropout } from './model/dropout.js';
export { matMul2d, denseBias, dense } from './ops/fast-matmul.js';
export { gelu, geluDerivative } from './ops/gelu.js';
export { registerAllGradients, gradientsRegistered } from './ops/register-gradients.js';
export { TypedAdam, type TypedAdamOptions, type TypedAdamState } from './optim/typed-adam.js';
