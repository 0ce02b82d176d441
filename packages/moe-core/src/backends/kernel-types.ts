import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionShape } from '../model/attention.js';
import type { ExpertWeights, PairGrouping } from '../moe/experts.js';
import type { WorkBuffers } from '../ops/work-buffers.js';
import type { RandomSource } from '../random/random-source.js';
import type { RoutingChoice } from '../router/noisy-top-k.js';

/*
 * Signatures of the backend kernels (backends/kernel-registry.ts). Each returns null to decline, in which case
 * the operation runs its generic form; when it runs, its results are bit-identical to the generic form.
 */

/** model/attention.ts `attentionCore`. */
export type AttentionCoreKernel = (
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  probDropMask: Float32Array | null,
  buffers: WorkBuffers,
) => tf.Tensor2D | null;
/** model/layer-norm.ts `layerNorm`. */
export type LayerNormKernel = (
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  buffers: WorkBuffers,
) => tf.Tensor2D | null;
/** model/dropout.ts `dropout` (training, rate > 0). */
export type DropoutKernel = <T extends tf.Tensor>(x: T, random: RandomSource, rate: number) => T | null;
/** moe/experts.ts `sparseExperts`, given the pair grouping it computed. */
export type SparseExpertsKernel = (
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  choice: RoutingChoice,
  w: ExpertWeights,
  scratch: WorkBuffers,
  pg: PairGrouping,
) => tf.Tensor2D | null;
