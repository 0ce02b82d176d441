/**
 * Records typed, pasted or dropped into the page, in the formats `flexmoe predict` reads: one JSON record
 * (raw `{ modalities }` or features `{ features }` form, pretty-printed or not), JSON lines, or a features CSV
 * (a header and rows). The parsers are `flexmoe predict`'s own. Pure: no DOM.
 */
import { parseCsvRecords, parseJsonlRecords, type ModalityMetadata } from '@flexmoe/export/browser';

/** A record and where it came from (`line 2` of a CSV, …). */
export interface PastedRecord {
  where: string;
  record: unknown;
}

/** Thrown when the text holds no readable record; the message names the line and what was expected. */
export class PastedRecordError extends Error {
  override readonly name = 'PastedRecordError';
}

/**
 * Every record of the text, in order.
 * @param source names the input in errors (a file name, or `pasted text`)
 */
export function parsePastedRecords(
  text: string,
  modalities: readonly ModalityMetadata[],
  source: string,
): PastedRecord[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new PastedRecordError(`${source}: empty; paste a JSON record or a CSV header and row`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const whole: unknown = JSON.parse(trimmed);
      const list = Array.isArray(whole) ? whole : [whole];
      if (list.length === 0) throw new PastedRecordError(`${source}: the JSON array holds no record`);
      return list.map((record, i) => ({ where: Array.isArray(whole) ? `${source}, record ${i + 1}` : source, record }));
    } catch (e) {
      if (e instanceof PastedRecordError) throw e;
      // Not one JSON value: JSON lines, as in records.jsonl.
    }
    const lines = parseJsonlRecords(trimmed);
    const bad = lines.find((l): l is { line: number; error: string } => 'error' in l);
    if (bad) throw new PastedRecordError(`${source}: ${bad.error}`);
    return lines.map((l) => ({ where: `${source}, line ${l.line}`, record: (l as { record: unknown }).record }));
  }
  let rows: ReturnType<typeof parseCsvRecords>;
  try {
    rows = parseCsvRecords(trimmed, source, modalities);
  } catch (e) {
    throw new PastedRecordError((e as Error).message);
  }
  if (rows.length === 0) throw new PastedRecordError(`${source}: a CSV needs a header line and at least one row`);
  const bad = rows.find((r): r is { line: number; error: string } => 'error' in r);
  if (bad) throw new PastedRecordError(bad.error);
  return rows.map((r) => ({ where: `${source}, line ${r.line}`, record: (r as { record: unknown }).record }));
}
