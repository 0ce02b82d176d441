/**
 * Streaming CSV / CSV.gz reader for large raw tables (MIMIC-IV `labevents` has ~118 M rows).
 *
 * RFC 4180: comma separated, optional `"` quoting with `""` escapes, quoted fields may span lines,
 * LF or CRLF line ends, first record is the header. Empty field = `''` (NULL in MIMIC).
 * Rows are yielded in batches so that memory is bounded by one batch, never by the file.
 *
 * Why not csv-parse: measured here at ~215 k rows/s on a labevents-shaped file; this reader takes a
 * fast path (`split(',')`) for lines without quotes and reaches > 1 M rows/s. csv-parse is used in the
 * tests as the independent reference for quoting rules.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CsvFieldCountError, CsvParser } from './csv-parser.js';

export { CsvFieldCountError, CsvParser } from './csv-parser.js';

/** One batch of parsed records. */
export interface CsvBatch {
  /** Header fields, identical for every batch of a file. */
  header: string[];
  /** Records, each with exactly `header.length` fields. */
  rows: string[][];
  /** 1-based record number (header = 0) of `rows[0]`, for error messages. */
  firstRecord: number;
}

/** Options of {@link readCsvBatches}. */
export interface CsvStreamOptions {
  /** Columns that must be present in the header (clear error naming the file otherwise). */
  requiredColumns?: readonly string[];
  /** Records per yielded batch (default 4096). */
  batchSize?: number;
  /**
   * Return only these columns, in this order (the batch `header` is then this list). Faster for
   * wide files: fields that are not selected are never materialised. Each must exist in the header.
   */
  columns?: readonly string[];
}

/** True when the path names a gzip file (`.gz`). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** Opens a text stream of a `.csv` or `.csv.gz` file; gzip errors name the file. */
export function openTextStream(path: string): Readable {
  // large chunks: fewer async hops between the file, the zlib thread and the parser
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!isGzipPath(path)) {
    file.setEncoding('utf8');
    return file;
  }
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  gunzip.setEncoding('utf8');
  return gunzip;
}

/** Wraps low-level stream errors (ENOENT, truncated gzip) into one naming the file. */
function fileError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return new Error(`${path}: file not found`);
  if (e && (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(e.message))) {
    return new Error(`${path}: truncated or corrupt gzip stream (${e.message})`);
  }
  return new Error(`${path}: ${e && e.message ? e.message : String(err)}`);
}

/**
 * Streams a `.csv` or `.csv.gz` file as batches of records. Memory is bounded by the batch size
 * and the longest record. Errors name the file (and the record for a wrong field count).
 */
export async function* readCsvBatches(path: string, options: CsvStreamOptions = {}): AsyncGenerator<CsvBatch> {
  const batchSize = options.batchSize ?? 4096;
  const parser = new CsvParser();
  let header: string[] | null = null;
  let record = 0;
  let rows: string[][] = [];
  let firstRecord = 1;
  const stream = openTextStream(path);
  const parsed: string[][] = [];

  let fileHeader: string[] = [];
  // rows parsed before the header was known are full rows; later ones are already projected
  let projectNow: number[] | null = null;
  let projected = false;
  const accept = function* (): Generator<CsvBatch> {
    for (const full of parsed) {
      if (header === null) {
        fileHeader = full.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h));
        for (const col of [...(options.requiredColumns ?? []), ...(options.columns ?? [])]) {
          if (!fileHeader.includes(col)) {
            throw new Error(`${path}: missing required column '${col}' (header: ${fileHeader.join(',')})`);
          }
        }
        header = options.columns ? options.columns.slice() : fileHeader;
        if (options.columns) projectNow = options.columns.map((c) => fileHeader.indexOf(c));
        continue;
      }
      let fields = full;
      if (!projected) {
        if (full.length !== fileHeader.length) {
          if (full.length === 1 && full[0] === '') continue; // blank line
          throw new Error(
            `${path}: row ${record + 1}: has ${full.length} fields, expected ${fileHeader.length} (as many as the header)`,
          );
        }
        if (projectNow) fields = projectNow.map((i) => full[i]);
      }
      record++;
      if (rows.length === 0) firstRecord = record;
      rows.push(fields);
      if (rows.length >= batchSize) {
        yield { header, rows, firstRecord };
        rows = [];
      }
    }
    parsed.length = 0;
    if (projectNow && !projected) {
      parser.setProjection(projectNow, fileHeader.length);
      projected = true;
    }
  };
  const parse = (step: () => void): void => {
    try {
      step();
    } catch (err) {
      if (err instanceof CsvFieldCountError) {
        throw new Error(
          `${path}: row ${record + parsed.length + 1}: has ${err.count} fields, expected ${fileHeader.length} (as many as the header)`,
        );
      }
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  };

  try {
    for await (const chunk of stream) {
      parse(() => parser.push(chunk as string, parsed));
      yield* accept();
    }
    parse(() => parser.end(parsed));
    yield* accept();
  } catch (err) {
    stream.destroy();
    if (err instanceof Error && err.message.startsWith(`${path}:`)) throw err;
    throw fileError(path, err);
  }
  if (header === null) throw new Error(`${path}: empty file (no header row)`);
  if (rows.length > 0) yield { header, rows, firstRecord };
}

/** Streams records as objects keyed by header name (convenient for small tables). */
export async function* readCsvObjects(
  path: string,
  options: CsvStreamOptions = {},
): AsyncGenerator<Record<string, string>> {
  for await (const batch of readCsvBatches(path, options)) {
    for (const row of batch.rows) {
      const obj: Record<string, string> = {};
      for (let i = 0; i < batch.header.length; i++) obj[batch.header[i]] = row[i];
      yield obj;
    }
  }
}

/**
 * A copy of `s` that does not share memory with the chunk it was parsed from. V8 keeps a parsed
 * field (≥ 13 characters) as a slice of the whole input chunk; storing such slices for the life of
 * a build would keep every chunk alive, so long-lived strings must be detached.
 */
export function detachString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** Index of each required column in a header; throws naming the file for a missing one. */
export function columnIndices<K extends string>(
  path: string,
  header: string[],
  names: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: missing required column '${name}'`);
    out[name] = i;
  }
  return out;
}
