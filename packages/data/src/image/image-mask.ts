/**
 * Atlas masks: the voxels where an atlas label volume equals a label (RAVENS grey matter: MUSE label
 * 150). Stored in transforms.json as run-length pairs `[start, length, …]` over NIfTI voxel order, so a
 * raw `{ "nifti": path }` record can be masked without the atlas file.
 */
import { createHash } from 'node:crypto';
import type { NiftiVolume } from './read-nifti.js';

/** Indices (NIfTI voxel order) of the atlas voxels equal to `label`. */
export function maskIndices(atlas: NiftiVolume, label: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < atlas.data.length; i++) if (atlas.data[i] === label) n++;
  const out = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < atlas.data.length; i++) if (atlas.data[i] === label) out[j++] = i;
  return out;
}

/** Run-length encodes sorted indices as `[start, length, start, length, …]`. */
export function encodeMaskRuns(indices: Uint32Array): number[] {
  const runs: number[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i + 1;
    while (j < indices.length && indices[j] === indices[j - 1] + 1) j++;
    runs.push(indices[i], j - i);
    i = j;
  }
  return runs;
}

/** Inverse of {@link encodeMaskRuns}. */
export function decodeMaskRuns(runs: readonly number[]): Uint32Array {
  let n = 0;
  for (let r = 1; r < runs.length; r += 2) n += runs[r];
  const out = new Uint32Array(n);
  let j = 0;
  for (let r = 0; r < runs.length; r += 2) for (let k = 0; k < runs[r + 1]; k++) out[j++] = runs[r] + k;
  return out;
}

/** SHA-256 (hex) of the mask indices as little-endian uint32, to tie a dataset to its atlas. */
export function maskSha256(indices: Uint32Array): string {
  const bytes = new Uint8Array(indices.length * 4);
  const view = new DataView(bytes.buffer);
  indices.forEach((v, i) => view.setUint32(4 * i, v, true));
  return createHash('sha256').update(bytes).digest('hex');
}

/** Gathers the masked voxels of a volume (dims must equal the mask's volume dims). */
export function applyMask(
  volume: NiftiVolume,
  indices: Uint32Array,
  dims: readonly number[],
  path: string,
): Float32Array {
  const same =
    volume.dims.length >= dims.length &&
    dims.every((d, i) => volume.dims[i] === d) &&
    volume.dims.slice(dims.length).every((d) => d === 1);
  if (!same)
    throw new Error(`${path}: volume dims ${volume.dims.join('×')} differ from the atlas dims ${dims.join('×')}`);
  const out = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = volume.data[indices[i]];
  return out;
}
