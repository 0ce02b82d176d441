/** NIfTI volumes → 'image' modality (public API of src/image). */
export { readNiftiVolume, readNiftiVolumeSync, decodeNifti } from './read-nifti.js';
export type { NiftiVolume } from './read-nifti.js';
export { writeNiftiVolume, encodeNifti } from './write-nifti.js';
export type { WriteNiftiOptions } from './write-nifti.js';
export { maskIndices, encodeMaskRuns, decodeMaskRuns, maskSha256, applyMask } from './image-mask.js';
export { readImageIndex, latestScanPerPatient, scanFromFolderName } from './image-index.js';
export type { ScanEntry } from './image-index.js';
export { applyImageTransform, voxelStatistics, normaliseVoxels } from '../transforms/kinds/image.js';
export { buildImageModality, loadImageRows, fitImageModality } from './image-modality.js';
export type { ImageModalityOptions, RawImageRows } from './image-modality.js';
export { generateAtlas, generateScanVolume, ATLAS_LABELS } from '../synth/nifti.js';
