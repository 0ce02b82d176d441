import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../ops/variables.js';
import { denseBias } from '../ops/fast-matmul.js';
import { patchDense } from '../ops/patch-dense.js';
import type { RandomSource } from '../random/random-source.js';
import type { PatchProjection } from '../spec/config.js';

/**
 * A modality encoder: maps the rows of the samples that observed the modality (only those, docs/algorithm.md §2) to
 * `P` tokens of width `H`. @flexmoe/encoders supplies a 3D-CNN one for volumes; the default is
 * {@link PatchEmbedding}.
 */
export interface ModalityEncoder {
  /** `x`: `[n, ...]` rows of observing samples in ascending sample order → `[n, P, H]`. */
  encode(x: tf.Tensor, training: boolean): tf.Tensor3D;
  /** Trainable weights by full name (`encoder{m}/…`, docs/architecture.md §1). */
  namedWeights(): Map<string, tf.Variable>;
  dispose(): void;
}

/** Uniform(−bound, bound) initial values from `random`. */
export function uniformInit(random: RandomSource, shape: number[], bound: number): tf.Tensor {
  const u = random.uniformArray(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < u.length; i++) u[i] = (2 * u[i] - 1) * bound;
  return tf.tensor(u, shape);
}

/**
 * Tabular patch embedding (docs/algorithm.md §2): zero-pad `d` features at the end to `P·ceil(d/P)`, reshape to
 * `[P, ceil(d/P)]` (patch p = features p·s … p·s+s−1), then a dense `ceil(d/P) → H` with bias:
 * - `shared` (the reference code, and the golden vectors): one kernel `[s, H]` and bias `[H]` for every patch;
 * - `per-patch`: patch p has its own kernel `[P, s, H][p]` and bias `[P, H][p]`. A shared kernel gives feature
 *   j of every patch the same weights, so after the head's mean over the P tokens the columns p·s + j are only
 *   told apart by the non-linear layers in between; per-patch projections keep every column's own weights.
 * Initialised like torch `nn.Linear` per projection (U(±1/√s) for kernel and bias), as the reference.
 */
export class PatchEmbedding implements ModalityEncoder {
  readonly patchSize: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly position: number,
    readonly width: number,
    readonly patches: number,
    readonly hidden: number,
    random: RandomSource,
    readonly projection: PatchProjection = 'shared',
  ) {
    this.patchSize = Math.ceil(width / patches);
    const bound = 1 / Math.sqrt(this.patchSize);
    const perPatch = projection === 'per-patch';
    this.kernel = ownedVariable(
      uniformInit(random, perPatch ? [patches, this.patchSize, hidden] : [this.patchSize, hidden], bound),
    );
    this.bias = ownedVariable(uniformInit(random, perPatch ? [patches, hidden] : [hidden], bound));
  }

  encode(x: tf.Tensor, _training: boolean): tf.Tensor3D {
    void _training;
    if (x.rank !== 2 || x.shape[1] !== this.width) {
      throw new Error(`encoder${this.position}: expected input [n, ${this.width}], got [${x.shape.join(', ')}]`);
    }
    const n = x.shape[0];
    const padded = this.patches * this.patchSize;
    const xp =
      padded > this.width
        ? tf.pad(x, [
            [0, 0],
            [0, padded - this.width],
          ])
        : x;
    if (this.projection === 'per-patch') {
      const patches = tf.reshape(xp, [n, this.patches, this.patchSize]) as tf.Tensor3D;
      return patchDense(patches, this.kernel as tf.Tensor3D, this.bias as tf.Tensor2D);
    }
    const tokens = tf.reshape(xp, [n * this.patches, this.patchSize]) as tf.Tensor2D;
    const y = denseBias(tokens, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D);
    return tf.reshape(y, [n, this.patches, this.hidden]);
  }

  namedWeights(): Map<string, tf.Variable> {
    return new Map([
      [`encoder${this.position}/patch_kernel`, this.kernel],
      [`encoder${this.position}/patch_bias`, this.bias],
    ]);
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}
