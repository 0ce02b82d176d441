/**
 * @flexmoe/moe-core/testing — helpers for tests and benchmarks, not needed to use the model: the readable
 * reference router (docs/algorithm.md §5-6) the fused router is tested against, the reference experts, fixed noise
 * sources, and the fast-path internals the benchmarks time directly.
 */
export {
  routerLogits,
  selectTopK,
  topKGates,
  gatherTopKGates,
  NOISE_EPS,
  type RoutingChoice,
  type RouterLogits,
} from '../router/noisy-top-k.js';
export { estimateLoad, normalCdf } from '../router/load-estimator.js';
export { routerLosses, type RouterLossTerms, type TokenGroups } from '../router/router-losses.js';
export { cvSquared, cvSquaredOf, cvSquaredRows, CV2_EPS } from '../router/cv-squared.js';
export { denseExperts, sparseExperts, type ExpertWeights } from '../moe/experts.js';
export { runSMoE, SMoEWeights, type SMoEResult, type SMoEOptions, type RouterWeights } from '../moe/sparse-moe.js';
export { RandomNoiseSource, FixedNoiseSource, type NoiseSource } from '../random/random-source.js';
export { accumulateRouting } from '../model/routing-stats.js';
export { gelu, geluDerivative } from '../ops/gelu.js';
export { gradientsRegistered } from '../ops/register-gradients.js';
export { WasmHeap } from '../backends/wasm/wasm-heap.js';
export { resetWasmVersionGuard, SUPPORTED_WASM_BACKEND_VERSIONS } from '../backends/wasm/version-guard.js';
