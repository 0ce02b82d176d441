/**
 * The fitted 'image' modality transform: masked voxels z-normalised with the training mean and std
 * (one scalar pair over all training voxels, like the reference but without val/test leakage).
 * It takes the voxels from the record and never reads files: `{ "nifti": path }` parts are turned into
 * voxels beforehand by image/nifti-record-parts.ts (Node only), so this file also runs in a browser.
 */
import type { TransformKind } from '../transform-kind.js';

/** Masked image voxels, z-normalised with the training mean and std. */
export interface ImageModalityTransform {
  kind: 'image';
  voxelCount: number;
  maskLabel: number;
  mean: number;
  std: number;
  maskSha256?: string;
  /** Atlas volume dims and mask runs `[start, length, …]` (NIfTI voxel order), for `{ "nifti": path }` records. */
  dims?: number[];
  maskRuns?: number[];
}

/** Mean and population std (ddof 0) over the given rows; std 0 becomes 1. */
export function voxelStatistics(rows: readonly Float32Array[]): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  for (const r of rows) for (let i = 0; i < r.length; i++) sum += r[i];
  for (const r of rows) n += r.length;
  if (n === 0) return { mean: 0, std: 1 };
  const mean = sum / n;
  let ss = 0;
  for (const r of rows) for (let i = 0; i < r.length; i++) ss += (r[i] - mean) * (r[i] - mean);
  const std = Math.sqrt(ss / n);
  return { mean, std: std > 0 ? std : 1 };
}

/** z-normalises masked voxels into `out` (Float32). */
export function normaliseVoxels(
  voxels: ArrayLike<number>,
  mean: number,
  std: number,
  out = new Float32Array(voxels.length),
): Float32Array {
  for (let i = 0; i < voxels.length; i++) out[i] = (voxels[i] - mean) / std;
  return out;
}

/**
 * Applies the transform to `{ "voxels": number[] }` (already-masked voxels, raw intensities). A
 * `{ "nifti": "<path>" }` part is refused here: the Node loaders (`loadTransforms`) read such files first.
 */
export function applyImageTransform(t: ImageModalityTransform, raw: unknown, where: string): Float32Array {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: expected { "voxels": number[] }`);
  }
  const rec = raw as { voxels?: unknown; nifti?: unknown };
  if (Array.isArray(rec.voxels)) {
    const v = rec.voxels;
    if (v.length !== t.voxelCount) throw new Error(`${where}: voxels has ${v.length} values, expected ${t.voxelCount}`);
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number' || !Number.isFinite(v[i]))
        throw new Error(`${where}: voxels[${i}] is not a finite number`);
    }
    return normaliseVoxels(Float32Array.from(v as number[]), t.mean, t.std);
  }
  if (typeof rec.nifti === 'string') {
    throw new Error(
      `${where}: this transformer reads no files; send { "voxels": number[] } instead of { "nifti": "<path>" }`,
    );
  }
  throw new Error(`${where}: expected { "voxels": number[] } or { "nifti": "<path>" }`);
}

export const imageKind: TransformKind<ImageModalityTransform> = {
  kind: 'image',
  apply: applyImageTransform,
  width: (t) => t.voxelCount,
};
