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
 * Incremental RFC 4180 parser. `push` consumes text and returns the complete records found; the
 * unfinished tail is kept for the next chunk. `end` flushes the last record.
 */
export class CsvParser {
  private pending = '';
  /** Index in `pending` of the next `"` at or after the scan position, or -1 if none; -2 = unknown. */
  private nextQuote = -2;
  /** Projection: output slot → field index, plus the same sorted by field index. */
  private projection: number[] | null = null;
  private projectionOrder: { field: number; slot: number }[] = [];
  private fieldCount = 0;

  /**
   * From now on, records are returned with only the fields at `fields` (in that order); a record
   * whose field count is not `fieldCount` throws {@link CsvFieldCountError}. Blank lines are skipped.
   * Quote-free lines are split without creating strings for the other fields (the hot path of
   * large tables such as labevents).
   */
  setProjection(fields: readonly number[], fieldCount: number): void {
    this.projection = fields.slice();
    this.projectionOrder = fields.map((field, slot) => ({ field, slot })).sort((a, b) => a.field - b.field);
    this.fieldCount = fieldCount;
  }

  private project(fields: string[]): string[] | null {
    const proj = this.projection as number[];
    if (fields.length !== this.fieldCount) {
      if (fields.length === 1 && fields[0] === '') return null;
      throw new CsvFieldCountError(fields.length);
    }
    return proj.map((i) => fields[i]);
  }

  /** Splits the quote-free line text[pos, end) keeping only the projected fields. */
  private projectLine(text: string, pos: number, end: number): string[] | null {
    if (end === pos) return null;
    const order = this.projectionOrder;
    const row = new Array<string>(order.length);
    let start = pos;
    let field = 0;
    let k = 0;
    let next = order.length > 0 ? order[0].field : -1;
    for (;;) {
      let comma = text.indexOf(',', start);
      if (comma < 0 || comma > end) comma = end;
      while (field === next) {
        row[order[k].slot] = text.slice(start, comma);
        k++;
        next = k < order.length ? order[k].field : -1;
      }
      field++;
      if (comma === end) break;
      start = comma + 1;
    }
    if (field !== this.fieldCount) throw new CsvFieldCountError(field);
    return row;
  }

  /** Parses as many complete records as `chunk` (appended to the pending text) allows. */
  push(chunk: string, out: string[][]): void {
    const text = this.pending.length > 0 ? this.pending + chunk : chunk;
    let pos = 0;
    this.nextQuote = -2;
    const n = text.length;
    while (pos < n) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // incomplete last line: wait for more
      if (this.nextQuote === -2 || (this.nextQuote >= 0 && this.nextQuote < pos)) this.nextQuote = text.indexOf('"', pos);
      if (this.nextQuote < 0 || this.nextQuote > nl) {
        const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (this.projection) {
          const row = this.projectLine(text, pos, end);
          if (row) out.push(row);
        } else out.push(text.slice(pos, end).split(','));
        pos = nl + 1;
        continue;
      }
      const parsed = parseQuotedRecord(text, pos, false);
      if (parsed === null) break; // record continues in the next chunk
      if (this.projection) {
        const row = this.project(parsed.fields);
        if (row) out.push(row);
      } else out.push(parsed.fields);
      pos = parsed.next;
      this.nextQuote = -2;
    }
    this.pending = pos < n ? text.slice(pos) : '';
  }

  /** Flushes the final record (a file need not end with a newline). */
  end(out: string[][]): void {
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    const parsed = parseQuotedRecord(text, 0, true);
    if (parsed === null) throw new Error('unterminated quoted field at end of file');
    if (parsed.fields.length === 1 && parsed.fields[0] === '') return;
    if (this.projection) {
      const row = this.project(parsed.fields);
      if (row) out.push(row);
    } else out.push(parsed.fields);
  }
}

/** Thrown by a projecting {@link CsvParser} for a record with the wrong number of fields. */
export class CsvFieldCountError extends Error {
  constructor(readonly count: number) {
    super(`record has ${count} fields`);
  }
}

/**
 * Character-level parse of one record starting at `start`. Returns null if the record is not
 * complete in `text` (unless `atEnd`, where the end of text ends the record).
 */
function parseQuotedRecord(text: string, start: number, atEnd: boolean): { fields: string[]; next: number } | null {
  const fields: string[] = [];
  let i = start;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      // quoted field
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          if (atEnd) throw new Error('unterminated quoted field at end of file');
          return null;
        }
        if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
          value += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        if (q + 1 >= n && !atEnd) return null; // cannot tell `""` from closing quote yet
        value += text.slice(j, q);
        j = q + 1;
        break;
      }
      // after the closing quote: tolerate garbage up to the delimiter (kept, like lenient parsers)
      let k = j;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === 44 || c === 10) break;
        if (c === 13 && (k + 1 >= n || text.charCodeAt(k + 1) === 10)) break;
        k++;
      }
      if (k > j) value += text.slice(j, k);
      fields.push(value);
      i = k;
    } else {
      let k = i;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === 44 || c === 10) break;
        k++;
      }
      let value = text.slice(i, k);
      if (k < n && text.charCodeAt(k) === 10 && value.endsWith('\r')) value = value.slice(0, -1);
      else if (k >= n && atEnd && value.endsWith('\r')) value = value.slice(0, -1);
      fields.push(value);
      i = k;
    }
    if (i >= n) {
      if (atEnd) return { fields, next: n };
      return null;
    }
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      continue;
    }
    if (c === 13) i++;
    if (i < n && text.charCodeAt(i) === 10) return { fields, next: i + 1 };
    if (i >= n) return atEnd ? { fields, next: n } : null;
  }
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
          throw new Error(`${path}: row ${record + 1}: has ${full.length} fields, expected ${fileHeader.length} (as many as the header)`);
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
        throw new Error(`${path}: row ${record + parsed.length + 1}: has ${err.count} fields, expected ${fileHeader.length} (as many as the header)`);
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
export function columnIndices<K extends string>(path: string, header: string[], names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: missing required column '${name}'`);
    out[name] = i;
  }
  return out;
}
