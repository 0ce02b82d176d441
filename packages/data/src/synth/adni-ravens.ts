/** The synthetic RAVENS-style images: an atlas, 1–2 NIfTI grey-matter maps per patient and `image_index.csv`. */
import path from 'node:path';
import { writeNiftiVolume } from '../image/write-nifti.js';
import { writeCsvFile, type CsvCell } from '../io/csv-writer.js';
import { DAY_MS, clamp, isoDate, type Draw } from './adni-draw.js';
import type { AdniRawOutput } from './adni-output.js';
import type { Patient } from './adni-patients.js';
import { ATLAS_LABELS, generateAtlas, generateScanVolume } from './nifti.js';

/**
 * Writes the image folder for every patient with the image modality; the latest scan's grey-matter voxels
 * go to the raw record (`{ "voxels": [...] }`).
 */
export async function writeRavensImages(
  patients: readonly Patient[],
  d: Draw,
  o: AdniRawOutput,
  seed: number,
  dims: [number, number, number],
): Promise<void> {
  const atlas = generateAtlas(dims, seed + 5);
  await writeNiftiVolume(path.join(o.out, 'image', 'atlas_muse_seg.nii.gz'), dims, atlas, { datatype: 'uint8' });
  o.files.push('image/atlas_muse_seg.nii.gz');
  const gm: number[] = [];
  atlas.forEach((label, i) => {
    if (label === ATLAS_LABELS.greyMatter) gm.push(i);
  });
  const index: CsvCell[][] = [];
  let scanSeed = seed * 100_003 + 1;
  for (const p of patients) {
    if (!p.I) continue;
    const scans = d.chance(0.2) ? 2 : 1;
    for (let k = 0; k < scans; k++) {
      const date = isoDate(p.baseline + k * 365 * DAY_MS + d.int(0, 30) * DAY_MS);
      const volume = generateScanVolume(atlas, dims, scanSeed++, clamp(p.zI, -1, 3.5) - 0.5 * (scans - 1 - k));
      const latest = k === scans - 1;
      if (p.kind === 'record') {
        if (latest) o.recordOf(p).modalities.image = { voxels: gm.map((i) => Math.fround(volume[i])) };
        continue;
      }
      const rel = `scans/${p.ptid}_${date}.nii.gz`;
      await writeNiftiVolume(path.join(o.out, 'image', rel), dims, volume);
      index.push([p.ptid, date, rel]);
      if (latest && o.wantRecord(p)) o.recordOf(p).modalities.image = { voxels: gm.map((i) => Math.fround(volume[i])) };
    }
  }
  await writeCsvFile(path.join(o.out, 'image', 'image_index.csv'), ['PTID', 'SCANDATE', 'FILE'], index);
  o.files.push('image/image_index.csv', `image/scans/ (${index.length} volumes)`);
}
