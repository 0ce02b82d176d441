/** The incremental RFC 4180 parser (no I/O, browser-safe: the web app parses pasted CSV with it). */

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
      if (this.nextQuote === -2 || (this.nextQuote >= 0 && this.nextQuote < pos))
        this.nextQuote = text.indexOf('"', pos);
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
