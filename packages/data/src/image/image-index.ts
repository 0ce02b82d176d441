/**
 * The scan index of an image directory: `image_index.csv` with columns `PTID,SCANDATE,FILE`
 * (date `YYYY-MM-DD`, FILE relative to the CSV's directory, `.nii` or `.nii.gz`). ADNI's RAVENS
 * folders named `{PTID}_{YYYY-MM-DD}` can be listed with {@link scanFromFolderName}.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { readCsvObjects } from '../io/csv-stream.js';

/** One scan. */
export interface ScanEntry {
  ptid: string;
  /** `YYYY-MM-DD` */
  scanDate: string;
  /** Absolute or index-relative path of the volume. */
  file: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Reads `image_index.csv`; FILE paths are resolved against the CSV's directory. */
export async function readImageIndex(csvPath: string): Promise<ScanEntry[]> {
  const out: ScanEntry[] = [];
  let row = 0;
  for await (const r of readCsvObjects(csvPath, { requiredColumns: ['PTID', 'SCANDATE', 'FILE'] })) {
    row++;
    if (!r.PTID) throw new Error(`${csvPath}: row ${row}: empty PTID`);
    if (!DATE.test(r.SCANDATE)) throw new Error(`${csvPath}: row ${row}: SCANDATE '${r.SCANDATE}' is not YYYY-MM-DD`);
    if (!r.FILE) throw new Error(`${csvPath}: row ${row}: empty FILE`);
    out.push({
      ptid: r.PTID,
      scanDate: r.SCANDATE,
      file: isAbsolute(r.FILE) ? r.FILE : join(dirname(csvPath), r.FILE),
    });
  }
  return out;
}

/** Parses an ADNI RAVENS folder name `011_S_0002_2005-08-26` (PTID = first 3 parts, date = last). */
export function scanFromFolderName(name: string, file: string): ScanEntry | null {
  const parts = name.split('_');
  if (parts.length < 4 || !DATE.test(parts[parts.length - 1])) return null;
  return { ptid: parts.slice(0, 3).join('_'), scanDate: parts[parts.length - 1], file };
}

/** The latest scan of each patient (ties: the later row wins), in first-seen patient order. */
export function latestScanPerPatient(scans: readonly ScanEntry[]): ScanEntry[] {
  const best = new Map<string, ScanEntry>();
  for (const s of scans) {
    const cur = best.get(s.ptid);
    if (!cur || s.scanDate >= cur.scanDate) best.set(s.ptid, s);
  }
  return [...best.values()];
}
