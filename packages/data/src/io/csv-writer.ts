/**
 * Buffered CSV / CSV.gz writer (synthetic raw data, benchmarks). Written to a temporary sibling and
 * renamed on `close()`, so a reader never sees a half-written file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { isGzipPath } from './csv-stream.js';

/** A CSV cell: null/undefined are written as an empty field (NULL). */
export type CsvCell = string | number | null | undefined;

/** Quotes a field when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (/[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** Streaming CSV writer; call `writeRow` then `close` (which renames the temporary file). */
export class CsvWriter {
  private readonly tmp: string;
  private readonly file: WriteStream;
  private readonly sink: WriteStream | Gzip;
  private buffer: string[] = [];
  private buffered = 0;
  private readonly done: Promise<void>;
  private rows = 0;

  private constructor(
    readonly path: string,
    header: readonly string[],
    gzipLevel: number,
  ) {
    this.tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    this.file = createWriteStream(this.tmp);
    if (isGzipPath(path)) {
      const gz = createGzip({ level: gzipLevel });
      gz.pipe(this.file);
      this.sink = gz;
    } else {
      this.sink = this.file;
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.file.on('finish', () => resolve());
      this.file.on('error', reject);
      this.sink.on('error', reject);
    });
    this.buffer.push(header.map(csvField).join(',') + '\n');
  }

  /** Opens a writer for `path` (`.gz` → gzip). `gzipLevel` defaults to 6. */
  static open(path: string, header: readonly string[], gzipLevel = 6): CsvWriter {
    return new CsvWriter(path, header, gzipLevel);
  }

  /** Number of data rows written so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Appends one row; awaits only when the internal buffer is flushed under back-pressure. */
  async writeRow(cells: readonly CsvCell[]): Promise<void> {
    const line = cells.map(csvField).join(',') + '\n';
    this.buffer.push(line);
    this.buffered += line.length;
    this.rows++;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  /** Appends an already-formatted CSV line (must end with `\n`). */
  async writeRaw(line: string): Promise<void> {
    this.buffer.push(line);
    this.buffered += line.length;
    this.rows++;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.buffered = 0;
    if (!this.sink.write(text)) {
      await new Promise<void>((resolve) => this.sink.once('drain', () => resolve()));
    }
  }

  /** Flushes, closes and renames the temporary file to `path`. */
  async close(): Promise<void> {
    try {
      await this.flush();
      this.sink.end();
      await this.done;
      await rename(this.tmp, this.path);
    } catch (err) {
      await rm(this.tmp, { force: true });
      throw new Error(`${this.path}: write failed: ${(err as Error).message}`);
    }
  }
}

/** Writes a whole small CSV(.gz) file atomically. */
export async function writeCsvFile(
  path: string,
  header: readonly string[],
  rows: Iterable<readonly CsvCell[]>,
): Promise<void> {
  const w = CsvWriter.open(path, header);
  for (const row of rows) await w.writeRow(row);
  await w.close();
}
