/** @flexmoe/encoders: modality encoders (docs/algorithm.md §2) — tabular patch embedding and the 3D CNN for volumes. */
export { PatchEmbedding, type ModalityEncoder } from '@flexmoe/moe-core';
export { Cnn3dEncoder, type Cnn3dEncoderOptions } from './cnn/cnn3d-encoder.js';
export {
  cnn3dForward,
  cnn3dWeightShapes,
  convChannels,
  CNN_CONV_LAYERS,
  type Cnn3dShape,
  type Cnn3dWeights,
} from './cnn/cnn3d.js';
export { encoderFor, type EncoderModality } from './encoder-for.js';
// Gradient registration lives in moe-core (training needs it there); re-exported for callers of this package.
export { registerAllGradients } from '@flexmoe/moe-core';
