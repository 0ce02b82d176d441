/** Parsing of `flexmoe predict`'s input files (records.jsonl, features CSV); browser-safe, the web app reads the same formats. */
import type { ModalityMetadata } from '../metadata.js';
import { parseCsv } from './csv.js';

/** One input record with the line it came from. */
export interface LocatedRecord {
  line: number;
  record: unknown;
}

/** Parses records.jsonl; a line that is not JSON becomes a record-level error, not a file error. */
export function parseJsonlRecords(text: string): (LocatedRecord | { line: number; error: string })[] {
  const out: (LocatedRecord | { line: number; error: string })[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    try {
      out.push({ line: i + 1, record: JSON.parse(lineText) });
    } catch (e) {
      out.push({ line: i + 1, error: `line ${i + 1}: not valid JSON (${(e as Error).message})` });
    }
  });
  return out;
}

/**
 * Parses a features CSV: optional `id` column; every other header is `<modality>:<feature name>` (or a
 * feature name that is unique across modalities). A modality whose cells are all empty is absent.
 */
export function parseCsvRecords(
  text: string,
  file: string,
  modalities: readonly ModalityMetadata[],
): (LocatedRecord | { line: number; error: string })[] {
  const rows = parseCsv(text, file);
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim());
  const byName = new Map<string, [number, number]>();
  const plainCount = new Map<string, number>();
  modalities.forEach((m) => m.featureNames.forEach((f) => plainCount.set(f, (plainCount.get(f) ?? 0) + 1)));
  modalities.forEach((m, mi) =>
    m.featureNames.forEach((f, fi) => {
      byName.set(`${m.name}:${f}`, [mi, fi]);
      if (plainCount.get(f) === 1) byName.set(f, [mi, fi]);
    }),
  );
  const idColumn = header.indexOf('id');
  const columns = header.map((h, c) => {
    if (c === idColumn) return null;
    const target = byName.get(h);
    if (!target)
      throw new Error(
        `${file}: column ${c + 1} ${JSON.stringify(h)} is not a feature of the model (use "<modality>:<feature>")`,
      );
    return target;
  });
  return rows.slice(1).map((cells, r) => {
    const line = r + 2;
    if (cells.length !== header.length)
      return { line, error: `${file}: line ${line}: ${cells.length} cells, the header has ${header.length}` };
    const values = modalities.map((m) => new Array<number | null>(m.width).fill(null));
    const filled = modalities.map(() => 0);
    for (let c = 0; c < cells.length; c++) {
      const target = columns[c];
      if (!target || cells[c].trim() === '') continue;
      const v = Number(cells[c]);
      if (!Number.isFinite(v))
        return {
          line,
          error: `${file}: line ${line}, column ${header[c]}: ${JSON.stringify(cells[c])} is not a finite number`,
        };
      values[target[0]][target[1]] = v;
      filled[target[0]]++;
    }
    const features: Record<string, number[]> = {};
    for (let m = 0; m < modalities.length; m++) {
      if (filled[m] === 0) continue;
      if (filled[m] !== modalities[m].width) {
        const missing = modalities[m].featureNames.filter((_, f) => values[m][f] === null).slice(0, 3);
        return {
          line,
          error:
            `${file}: line ${line}: modality ${modalities[m].name} is partly empty (e.g. ${missing.join(', ')}); ` +
            `give all ${modalities[m].width} features or none`,
        };
      }
      features[modalities[m].name] = values[m] as number[];
    }
    const record: Record<string, unknown> = { features };
    if (idColumn >= 0 && cells[idColumn] !== '') record.id = cells[idColumn];
    return { line, record };
  });
}
