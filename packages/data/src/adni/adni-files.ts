/** Locating the raw ADNI tables in a raw directory (LONI download names carry a date stamp). */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** The ADNI tables the pipeline reads, by LONI name stem. */
export const ADNI_TABLES = {
  MEDHIST: 'clinical',
  NEUROEXM: 'clinical',
  PTDEMOG: 'clinical',
  RECCMEDS: 'clinical',
  VITALS: 'clinical',
  APOERES: 'biospecimen',
  UPENNBIOMK_ROCHE_ELECSYS: 'biospecimen',
  DXSUM_PDXCONV: 'labels',
} as const;

/** A table stem, e.g. `MEDHIST`. */
export type AdniTableName = keyof typeof ADNI_TABLES;

/** Lists files under `dir` (recursively, at most `depth` levels), as absolute paths. */
export async function listFiles(dir: string, depth = 3): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new Error(`${dir}: directory not found or not readable`);
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) out.push(...(await listFiles(p, depth - 1)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** True when `file` is the LONI table `stem`: `[All_Subjects_]STEM[_date].csv[.gz]`. */
export function matchesTable(file: string, stem: string): boolean {
  const base = path.basename(file);
  return new RegExp(`^(All_Subjects_)?${stem}(_[^.]*)?\\.csv(\\.gz)?$`, 'i').test(base);
}

/**
 * Finds every ADNI table in `rawDir` (searched recursively).
 * @throws naming the directory and the expected file name when a table is missing or ambiguous
 */
export async function findAdniTables(rawDir: string): Promise<Record<AdniTableName, string>> {
  const files = await listFiles(rawDir);
  const out = {} as Record<AdniTableName, string>;
  for (const stem of Object.keys(ADNI_TABLES) as AdniTableName[]) {
    const hits = files.filter((f) => matchesTable(f, stem));
    if (hits.length === 0)
      throw new Error(
        `${rawDir}: no ${stem} table found (expected a file named like ${stem}_09May2024.csv, optionally .gz)`,
      );
    if (hits.length > 1)
      throw new Error(
        `${rawDir}: several ${stem} tables found (${hits.map((h) => path.relative(rawDir, h)).join(', ')}); keep one`,
      );
    out[stem] = hits[0];
  }
  return out;
}
