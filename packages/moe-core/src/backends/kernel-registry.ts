import * as tf from '@tensorflow/tfjs-core';
import type { AttentionCoreKernel, DropoutKernel, LayerNormKernel, SparseExpertsKernel } from './kernel-types.js';

/*
 * Backend-specific implementations of the model's hot operations, registered by operation name and backend
 * name in the manner of TF.js's kernel registry. The model's operations look their name up for the backend in
 * use and fall back to their generic TF.js/JavaScript form when none is registered or the registered kernel
 * declines (returns null, e.g. when the wasm fast path is fenced off). Model files never test the backend.
 */

/** Operation name → the signature a backend kernel implements. */
export interface BackendKernels {
  FlexMoEAttentionCore: AttentionCoreKernel;
  FlexMoELayerNorm: LayerNormKernel;
  FlexMoEDropout: DropoutKernel;
  FlexMoESparseExperts: SparseExpertsKernel;
}

const registry = new Map<string, Map<keyof BackendKernels, unknown>>();

/** Registers `kernel` as backend `backend`'s implementation of operation `name` (replacing any earlier one). */
export function registerBackendKernel<K extends keyof BackendKernels>(
  backend: string,
  name: K,
  kernel: BackendKernels[K],
): void {
  let kernels = registry.get(backend);
  if (!kernels) registry.set(backend, (kernels = new Map()));
  kernels.set(name, kernel);
}

/** The current backend's implementation of operation `name`, or null. */
export function backendKernel<K extends keyof BackendKernels>(name: K): BackendKernels[K] | null {
  return (registry.get(tf.getBackend())?.get(name) as BackendKernels[K] | undefined) ?? null;
}
