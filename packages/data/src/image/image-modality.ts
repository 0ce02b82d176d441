/**
 * ADNI image modality: the latest scan per patient, voxels where the atlas equals `maskLabel`
 * (150 = grey matter in the MUSE atlas), z-normalised with training statistics. Alternatively a
 * precomputed matrix CSV (`PTID` + one column per voxel) is accepted.
 */
import type { ModalityTable } from '../dataset/types.js';
import type { ImageModalityTransform } from '../transforms/modality-transform.js';
import { readCsvBatches } from '../io/csv-stream.js';
import { applyMask, encodeMaskRuns, maskIndices, maskSha256 } from './image-mask.js';
import { latestScanPerPatient, readImageIndex, type ScanEntry } from './image-index.js';
import { readNiftiVolume } from './read-nifti.js';
import { normaliseVoxels, voxelStatistics } from '../transforms/kinds/image.js';

/** Options of {@link buildImageModality}. */
export interface ImageModalityOptions {
  /** `image_index.csv` (PTID, SCANDATE, FILE) — or give `scans` directly. */
  indexCsv?: string;
  scans?: readonly ScanEntry[];
  /** Atlas label volume (required with scans). */
  atlas?: string;
  /** Atlas label to keep (default 150, grey matter). */
  maskLabel?: number;
  /** Precomputed masked-voxel matrix CSV: `PTID,<voxel columns…>` (instead of scans + atlas). */
  matrixCsv?: string;
  /** Training patients: mean and std are computed over their voxels only. */
  trainingIds: Iterable<string>;
  /** Patients of the dataset (default: every scanned patient). */
  ids?: Iterable<string>;
  name?: string;
  letter?: string;
}

/** Raw (unnormalised) masked voxels per patient, before fitting. */
export interface RawImageRows {
  ids: string[];
  rows: Float32Array[];
  featureNames: string[];
  mask?: { label: number; dims: number[]; indices: Uint32Array };
}

/** Loads the masked voxels of the latest scan per patient (or the matrix CSV), unnormalised. */
export async function loadImageRows(options: Omit<ImageModalityOptions, 'trainingIds'>): Promise<RawImageRows> {
  const allowed = options.ids ? new Set(options.ids) : null;
  if (options.matrixCsv) return readVoxelMatrix(options.matrixCsv, allowed);
  if (!options.atlas) throw new Error('image modality: give an atlas NIfTI (with scans/indexCsv) or a matrixCsv');
  const label = options.maskLabel ?? 150;
  const atlas = await readNiftiVolume(options.atlas);
  const indices = maskIndices(atlas, label);
  if (indices.length === 0) throw new Error(`${options.atlas}: no voxel has atlas label ${label}`);
  const scans = options.scans ?? (options.indexCsv ? await readImageIndex(options.indexCsv) : null);
  if (!scans) throw new Error('image modality: give indexCsv or scans');
  const latest = latestScanPerPatient(scans).filter((s) => !allowed || allowed.has(s.ptid));
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for (const s of latest) {
    const volume = await readNiftiVolume(s.file);
    rows.push(applyMask(volume, indices, atlas.dims, s.file));
    ids.push(s.ptid);
  }
  const featureNames = Array.from(indices, (i) => `v${i}`);
  return { ids, rows, featureNames, mask: { label, dims: atlas.dims, indices } };
}

async function readVoxelMatrix(path: string, allowed: Set<string> | null): Promise<RawImageRows> {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  let featureNames: string[] = [];
  const seen = new Set<string>();
  for await (const batch of readCsvBatches(path, { requiredColumns: ['PTID'], batchSize: 64 })) {
    const p = batch.header.indexOf('PTID');
    featureNames = batch.header.filter((_, i) => i !== p);
    batch.rows.forEach((r, k) => {
      const id = r[p];
      if (seen.has(id)) throw new Error(`${path}: record ${batch.firstRecord + k}: PTID '${id}' appears twice`);
      seen.add(id);
      if (allowed && !allowed.has(id)) return;
      const row = new Float32Array(featureNames.length);
      let j = 0;
      for (let c = 0; c < r.length; c++) {
        if (c === p) continue;
        const v = Number(r[c]);
        if (r[c] === '' || !Number.isFinite(v)) {
          throw new Error(
            `${path}: record ${batch.firstRecord + k}, column '${batch.header[c]}': '${r[c]}' is not a number`,
          );
        }
        row[j++] = v;
      }
      ids.push(id);
      rows.push(row);
    });
  }
  if (featureNames.length === 0) throw new Error(`${path}: no voxel columns besides PTID`);
  return { ids, rows, featureNames };
}

/** Fits mean/std on the training rows and returns the normalised table and the transform. */
export function fitImageModality(
  raw: RawImageRows,
  trainingIds: Iterable<string>,
  naming: { name?: string; letter?: string; maskLabel?: number } = {},
): { table: ModalityTable; transform: ImageModalityTransform } {
  const training = new Set(trainingIds);
  const { mean, std } = voxelStatistics(raw.rows.filter((_, i) => training.has(raw.ids[i])));
  const width = raw.featureNames.length;
  const features = new Float32Array(raw.ids.length * width);
  raw.rows.forEach((r, i) => normaliseVoxels(r, mean, std, features.subarray(i * width, (i + 1) * width)));
  const transform: ImageModalityTransform = {
    kind: 'image',
    voxelCount: width,
    maskLabel: raw.mask?.label ?? naming.maskLabel ?? 150,
    mean,
    std,
  };
  if (raw.mask) {
    transform.maskSha256 = maskSha256(raw.mask.indices);
    transform.dims = raw.mask.dims.slice();
    transform.maskRuns = encodeMaskRuns(raw.mask.indices);
  }
  return {
    table: {
      name: naming.name ?? 'image',
      letter: naming.letter ?? 'I',
      featureNames: raw.featureNames,
      ids: raw.ids.slice(),
      features,
    },
    transform,
  };
}

/** Loads and fits in one call (see {@link loadImageRows} and {@link fitImageModality}). */
export async function buildImageModality(
  options: ImageModalityOptions,
): Promise<{ table: ModalityTable; transform: ImageModalityTransform }> {
  const raw = await loadImageRows(options);
  return fitImageModality(raw, options.trainingIds, options);
}
