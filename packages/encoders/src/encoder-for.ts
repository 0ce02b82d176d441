import { PatchEmbedding, type ModalityEncoder, type RandomSource } from '@flexmoe/moe-core';
import { Cnn3dEncoder } from './cnn/cnn3d-encoder.js';

/** A modality as the encoder factory sees it: a flat vector, or a volume with its 3-D shape. */
export interface EncoderModality {
  name: string;
  letter: string;
  width: number;
  /** `volume` uses the 3D CNN and requires `volumeShape`; anything else is a tabular vector. */
  kind?: 'tabular' | 'volume';
  volumeShape?: [number, number, number];
  /** CNN channels for volumes (default [8, 16, 32]). */
  channels?: [number, number, number];
}

/**
 * The encoder for one modality (SPEC §2): the tabular patch embedding for vectors (including flattened
 * masked-voxel image vectors), the 3D CNN + patch embedding for volumes.
 */
export function encoderFor(
  modality: EncoderModality,
  position: number,
  dims: { patches: number; hidden: number },
  random: RandomSource,
): ModalityEncoder {
  if (modality.kind === 'volume') {
    const shape = modality.volumeShape;
    if (!shape) throw new Error(`modality ${modality.name} (${modality.letter}): kind 'volume' needs volumeShape [D, H, W]`);
    const voxels = shape[0] * shape[1] * shape[2];
    if (voxels !== modality.width) {
      throw new Error(`modality ${modality.name} (${modality.letter}): width ${modality.width} != volume ${shape.join('×')} = ${voxels} voxels`);
    }
    return new Cnn3dEncoder({ position, volumeShape: shape, patches: dims.patches, hidden: dims.hidden, channels: modality.channels }, random);
  }
  return new PatchEmbedding(position, modality.width, dims.patches, dims.hidden, random);
}
