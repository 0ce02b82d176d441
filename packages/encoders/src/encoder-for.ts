import {
  PatchEmbedding,
  type ModalityEncoder,
  type ModalitySpec,
  type PatchProjection,
  type RandomSource,
} from '@flexmoe/moe-core';
import { Cnn3dEncoder } from './cnn/cnn3d-encoder.js';

/** A modality as the encoder factory sees it: moe-core's spec (a flat vector, or a volume with its 3-D shape). */
export type EncoderModality = ModalitySpec;

/**
 * The encoder for one modality (docs/algorithm.md §2): the tabular patch embedding for vectors (including flattened
 * masked-voxel image vectors), the 3D CNN + patch embedding for volumes.
 */
export function encoderFor(
  modality: EncoderModality,
  position: number,
  dims: { patches: number; hidden: number; patchProjection?: PatchProjection },
  random: RandomSource,
): ModalityEncoder {
  if (modality.kind === 'volume') {
    const shape = modality.volumeShape;
    if (!shape)
      throw new Error(`modality ${modality.name} (${modality.letter}): kind 'volume' needs volumeShape [D, H, W]`);
    const voxels = shape[0] * shape[1] * shape[2];
    if (voxels !== modality.width) {
      throw new Error(
        `modality ${modality.name} (${modality.letter}): width ${modality.width} != volume ${shape.join('×')} = ${voxels} voxels`,
      );
    }
    return new Cnn3dEncoder(
      {
        position,
        volumeShape: shape,
        patches: dims.patches,
        hidden: dims.hidden,
        channels: modality.channels,
        patchProjection: dims.patchProjection,
      },
      random,
    );
  }
  return new PatchEmbedding(position, modality.width, dims.patches, dims.hidden, random, dims.patchProjection);
}
