/**
 * The ADNI image modality as seen by the ADNI builder. Two routes:
 * - `freesurfer`: the UCSF FreeSurfer table `UCSFFSX7_*.csv` in the raw folder's `image/` subfolder or at its
 *   top (adni/freesurfer.ts reads it; the features are a columns transform);
 * - `ravens`: NIfTI volumes (src/image, DATA-SOURCES): `image_index.csv` (PTID, SCANDATE, FILE) next to an
 *   atlas volume whose name contains `atlas` or `muse` (`.nii`/`.nii.gz`), or else a precomputed matrix CSV
 *   whose name contains `image_matrix`.
 * With both present the FreeSurfer table is used unless `route` says `ravens`.
 * Fitting (training statistics) is deferred until the splits are known.
 */
import path from 'node:path';
import type { ModalityTable } from '../dataset/types.js';
import { fitImageModality, loadImageRows, type RawImageRows } from '../image/image-modality.js';
import { readImageIndex } from '../image/image-index.js';
import type { DroppedColumn, RawColumns } from '../transforms/column-transform.js';
import type { ModalityTransform } from '../transforms/modality-transform.js';
import { isFreeSurferTable, loadFreeSurferTable, type FreeSurferOptions, type FreeSurferReport } from './freesurfer.js';

/** A located image modality: patient ids, the files read, and a builder fitted on training ids. */
export interface AdniImageSource {
  ids: string[];
  files: string[];
  /** Which route was used, and how (for the summary and the manifest). */
  route: 'freesurfer' | 'ravens';
  description: string;
  freesurfer?: FreeSurferReport;
  build: (training: string[], patients: Set<string>) => { table: ModalityTable; transform: ModalityTransform };
}

/** Options of {@link loadAdniImage}. */
export interface AdniImageOptions {
  /** Route to use when both inputs are there (default: freesurfer when its table is found). */
  route?: 'freesurfer' | 'ravens';
  freesurfer: FreeSurferOptions;
  /** Fits the columns transform of the FreeSurfer features (the ADNI builder's columns rule). */
  fitColumns: (
    raw: RawColumns,
    file: string,
    training: string[],
    patients: Set<string>,
  ) => {
    table: ModalityTable;
    transform: ModalityTransform;
    dropped: DroppedColumn[];
  };
}

/** The FreeSurfer table of a raw folder: in `image/` or at the top; null when none. */
export function findFreeSurferTable(rawDir: string, files: string[]): string | null {
  const top = path.resolve(rawDir);
  const places = [top, path.join(top, 'image')];
  const hits = files.filter((f) => isFreeSurferTable(f) && places.includes(path.dirname(path.resolve(f))));
  if (hits.length > 1) {
    const names = hits.map((h) => path.relative(rawDir, h)).join(', ');
    throw new Error(`${rawDir}: several FreeSurfer tables found (${names}); keep one`);
  }
  return hits[0] ?? null;
}

function isNifti(f: string): boolean {
  return /\.nii(\.gz)?$/i.test(f);
}

/**
 * Finds and loads the image inputs among `files` (paths under `rawDir`); `null` when there are none.
 * @throws when the route asked for has no input, or the input is bad (naming file and column)
 */
export async function loadAdniImage(
  rawDir: string,
  files: string[],
  options: AdniImageOptions,
): Promise<AdniImageSource | null> {
  const table = findFreeSurferTable(rawDir, files);
  if (options.route === 'freesurfer' && !table) {
    const where = `${path.join(rawDir, 'image')} or ${rawDir}`;
    throw new Error(
      `${rawDir}: --image freesurfer: no FreeSurfer table found (expected UCSFFSX7_<date>.csv in ${where})`,
    );
  }
  if (table && options.route !== 'ravens') return loadFreeSurferImage(table, options);
  const ravens = await loadRavensImage(files);
  if (!ravens && options.route === 'ravens') {
    throw new Error(
      `${rawDir}: --image ravens: no image_index.csv with an atlas volume, and no *image_matrix*.csv, found`,
    );
  }
  return ravens;
}

async function loadFreeSurferImage(file: string, options: AdniImageOptions): Promise<AdniImageSource> {
  const { raw, report } = await loadFreeSurferTable(file, options.freesurfer);
  const qc = report.qc === 'pass' ? `OVERALLQC Pass only (${report.failedQcRows} other rows skipped)` : 'any QC';
  return {
    ids: raw.ids,
    files: [file],
    route: 'freesurfer',
    description:
      `FreeSurfer table ${path.basename(file)}: latest scan per patient, ${qc}, ` +
      `${report.featureColumns} ST* columns ending in ${report.suffixes.join('/')}`,
    freesurfer: report,
    build: (training, patients) => {
      const { table, transform } = options.fitColumns(raw, file, training, patients);
      return { table, transform };
    },
  };
}

async function loadRavensImage(files: string[]): Promise<AdniImageSource | null> {
  const index = files.find((f) => path.basename(f).toLowerCase() === 'image_index.csv');
  let raw: RawImageRows;
  let used: string[];
  if (index) {
    const dir = path.dirname(index);
    const atlas = files.find((f) => path.dirname(f) === dir && isNifti(f) && /atlas|muse/i.test(path.basename(f)));
    if (!atlas)
      throw new Error(
        `${dir}: image_index.csv found but no atlas volume (a .nii/.nii.gz whose name contains 'atlas' or 'muse')`,
      );
    const scans = await readImageIndex(index);
    raw = await loadImageRows({ scans, atlas });
    used = [index, atlas, ...new Set(scans.map((s) => s.file))];
  } else {
    const matrix = files.find((f) => /image_matrix.*\.csv(\.gz)?$/i.test(path.basename(f)));
    if (!matrix) return null;
    raw = await loadImageRows({ matrixCsv: matrix });
    used = [matrix];
  }
  return {
    ids: raw.ids,
    files: used,
    route: 'ravens',
    description: index
      ? `NIfTI volumes (${path.basename(index)}, atlas grey matter)`
      : `voxel matrix ${path.basename(used[0])}`,
    build: (training, patients) => {
      const keep = raw.ids.map((id, i) => (patients.has(id) ? i : -1)).filter((i) => i >= 0);
      const subset: RawImageRows = { ...raw, ids: keep.map((i) => raw.ids[i]), rows: keep.map((i) => raw.rows[i]) };
      const { table, transform } = fitImageModality(subset, training, { name: 'image', letter: 'I' });
      return { table, transform };
    },
  };
}
