/*
 * Registers the wasm backend's kernels for the model's hot operations (backends/kernel-registry.ts). Imported
 * by the package entry, so they are in place whenever the model is used through @flexmoe/moe-core. Each kernel
 * declines (the generic operation runs) unless the fast path is on and the tfjs-backend-wasm version is the
 * supported one (./version-guard.ts).
 */
import { registerBackendKernel } from '../kernel-registry.js';
import { attentionCoreWasm } from './attention-core.js';
import { dropoutWasm } from './dropout.js';
import { layerNormWasm } from './layer-norm.js';
import { sparseExpertsWasm } from './sparse-experts.js';

registerBackendKernel('wasm', 'FlexMoEAttentionCore', attentionCoreWasm);
registerBackendKernel('wasm', 'FlexMoELayerNorm', layerNormWasm);
registerBackendKernel('wasm', 'FlexMoEDropout', dropoutWasm);
registerBackendKernel('wasm', 'FlexMoESparseExperts', sparseExpertsWasm);
