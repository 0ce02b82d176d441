/**
 * The ADNI image modality as seen by the ADNI builder. Reading (NIfTI volumes, atlas mask, precomputed
 * matrix) is src/image's (DATA-SOURCES); this adapter finds the inputs in the raw directory:
 * `image_index.csv` (PTID, SCANDATE, FILE) next to an atlas volume whose name contains `atlas` or
 * `muse` (`.nii`/`.nii.gz`), or else a precomputed matrix CSV whose name contains `image_matrix`.
 * Fitting (training mean/std) is deferred until the splits are known.
 */
import path from 'node:path';
import type { ModalityTable } from '../dataset/types.js';
import { fitImageModality, loadImageRows, type RawImageRows } from '../image/image-modality.js';
import { readImageIndex } from '../image/image-index.js';
import type { ModalityTransform } from '../transforms/modality-transform.js';

/** A located image modality: patient ids, the files read, and a builder fitted on training ids. */
export interface AdniImageSource {
  ids: string[];
  files: string[];
  build: (training: string[], patients: Set<string>) => { table: ModalityTable; transform: ModalityTransform };
}

function isNifti(f: string): boolean {
  return /\.nii(\.gz)?$/i.test(f);
}

/** Finds and loads the image inputs among `files` (paths under `rawDir`); `null` when there are none. */
export async function loadAdniImage(rawDir: string, files: string[]): Promise<AdniImageSource | null> {
  const index = files.find((f) => path.basename(f).toLowerCase() === 'image_index.csv');
  let raw: RawImageRows;
  let used: string[];
  if (index) {
    const dir = path.dirname(index);
    const atlas = files.find((f) => path.dirname(f) === dir && isNifti(f) && /atlas|muse/i.test(path.basename(f)));
    if (!atlas) throw new Error(`${dir}: image_index.csv found but no atlas volume (a .nii/.nii.gz whose name contains 'atlas' or 'muse')`);
    const scans = await readImageIndex(index);
    raw = await loadImageRows({ scans, atlas });
    used = [index, atlas, ...new Set(scans.map((s) => s.file))];
  } else {
    const matrix = files.find((f) => /image_matrix.*\.csv(\.gz)?$/i.test(path.basename(f)));
    if (!matrix) return null;
    raw = await loadImageRows({ matrixCsv: matrix });
    used = [matrix];
  }
  void rawDir;
  return {
    ids: raw.ids,
    files: used,
    build: (training, patients) => {
      const keep = raw.ids.map((id, i) => (patients.has(id) ? i : -1)).filter((i) => i >= 0);
      const subset: RawImageRows = { ...raw, ids: keep.map((i) => raw.ids[i]), rows: keep.map((i) => raw.rows[i]) };
      const { table, transform } = fitImageModality(subset, training, { name: 'image', letter: 'I' });
      return { table, transform };
    },
  };
}
