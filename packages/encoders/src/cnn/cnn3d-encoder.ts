import * as tf from '@tensorflow/tfjs-core';
import {
  PatchEmbedding,
  uniformInit,
  type ModalityEncoder,
  type PatchProjection,
  type RandomSource,
} from '@flexmoe/moe-core';
import { cnnChannels } from '@flexmoe/moe-core/spec';
import { cnn3dForward, cnn3dWeightShapes, CNN_CONV_LAYERS, convChannels, type Cnn3dShape } from './cnn3d.js';

/** Options of {@link Cnn3dEncoder}. */
export interface Cnn3dEncoderOptions {
  /** Modality position m (weights are named `encoder{m}/…`). */
  position: number;
  /** `[depth, height, width]` of the volume; rows are flattened row-major (width fastest). */
  volumeShape: [number, number, number];
  /** P tokens per modality. */
  patches: number;
  /** H token width (also the CNN's dense output width). */
  hidden: number;
  /** Channels of the three conv pairs (default: moe-core/spec's DEFAULT_CNN_CHANNELS). */
  channels?: [number, number, number];
  /** Projection of the CNN's H features, cut into P patches, to tokens (default `shared`). */
  patchProjection?: PatchProjection;
}

/**
 * Image encoder of docs/algorithm.md §2 (the paper's 3D-CNN baseline): conv 3³ ×2 → max-pool → ×2 → max-pool → ×2 →
 * global average pool → dense to H, then the tabular patch embedding with `d = H`, giving `[n, P, H]`.
 * Weights: `encoder{m}/conv{i}_kernel [3,3,3,in,out]`, `encoder{m}/conv{i}_bias`,
 * `encoder{m}/cnn_dense_kernel [C3, H]`, `encoder{m}/cnn_dense_bias`, `encoder{m}/patch_kernel`,
 * `encoder{m}/patch_bias`. Like every encoder it only receives the rows that observed the modality.
 */
export class Cnn3dEncoder implements ModalityEncoder {
  readonly shape: Cnn3dShape;
  readonly position: number;
  readonly width: number;
  private readonly weights = new Map<string, tf.Variable>();
  private readonly patch: PatchEmbedding;

  constructor(options: Cnn3dEncoderOptions, random: RandomSource) {
    const { volumeShape, position } = options;
    if (volumeShape.length !== 3 || volumeShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(
        `encoder${position}: volumeShape must be three positive integers, got [${volumeShape.join(', ')}]`,
      );
    }
    this.position = position;
    this.shape = { volumeShape, channels: cnnChannels(options), hidden: options.hidden };
    this.width = volumeShape[0] * volumeShape[1] * volumeShape[2];
    for (const [suffix, shape] of cnn3dWeightShapes(this.shape)) {
      // torch default init (kaiming_uniform a=√5 ⇒ U(±1/√fan_in)) for kernels and biases alike.
      const fanIn = suffix.startsWith('conv')
        ? 27 * convChannels(this.shape, Number(suffix.slice(4, suffix.indexOf('_'))))[0]
        : this.shape.channels[2];
      this.weights.set(`encoder${position}/${suffix}`, tf.variable(uniformInit(random, shape, 1 / Math.sqrt(fanIn))));
    }
    this.patch = new PatchEmbedding(
      position,
      options.hidden,
      options.patches,
      options.hidden,
      random,
      options.patchProjection,
    );
  }

  private w(suffix: string): tf.Variable {
    return this.weights.get(`encoder${this.position}/${suffix}`)!;
  }

  encode(x: tf.Tensor, training: boolean): tf.Tensor3D {
    if (x.rank !== 2 || x.shape[1] !== this.width) {
      throw new Error(
        `encoder${this.position}: expected flattened volumes [n, ${this.width}] ` +
          `(${this.shape.volumeShape.join('×')}), ` +
          `got [${x.shape.join(', ')}]`,
      );
    }
    const features = cnn3dForward(
      x as tf.Tensor2D,
      {
        convKernels: Array.from({ length: CNN_CONV_LAYERS }, (_, i) => this.w(`conv${i}_kernel`) as tf.Tensor5D),
        convBiases: Array.from({ length: CNN_CONV_LAYERS }, (_, i) => this.w(`conv${i}_bias`) as tf.Tensor1D),
        denseKernel: this.w('cnn_dense_kernel') as tf.Tensor2D,
        denseBias: this.w('cnn_dense_bias') as tf.Tensor1D,
      },
      this.shape,
    );
    return this.patch.encode(features, training);
  }

  namedWeights(): Map<string, tf.Variable> {
    return new Map([...this.weights, ...this.patch.namedWeights()]);
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.patch.dispose();
  }
}
