import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { CsvParser, readCsvBatches, readCsvObjects } from './csv-stream.js';
import { CsvWriter } from './csv-writer.js';

async function collect(path: string, batchSize = 3): Promise<{ header: string[]; rows: string[][] }> {
  let header: string[] = [];
  const rows: string[][] = [];
  for await (const b of readCsvBatches(path, { batchSize })) {
    header = b.header;
    rows.push(...b.rows);
  }
  return { header, rows };
}

const trickyLf = 'a,b,c\n1,"x, y",3\n"multi\nline ""quoted"" text",,\n,"",last\n4,5,"6"\n7,"8\r\n9",10';
const trickyCrlf = trickyLf.replace(/\n(?![0-9]",10)/g, '\r\n').replace('multi\r\nline', 'multi\nline');

describe('CSV streaming reader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches csv-parse on quoting, CRLF, multi-line fields and a missing final newline', async () => {
    for (const [name, text] of [
      ['lf.csv', trickyLf],
      ['crlf.csv', trickyCrlf],
    ]) {
      const path = join(dir, name);
      await writeFile(path, text);
      const expected = parse(text) as string[][];
      const got = await collect(path);
      expect([got.header, ...got.rows]).toEqual(expected);
      expect(got.rows[1][0]).toBe('multi\nline "quoted" text');
      expect(got.rows).toHaveLength(5);
    }
  });

  it('gives the same records for every chunk split of the text', () => {
    for (const tricky of [trickyLf, trickyCrlf]) {
      const expected = parse(tricky) as string[][];
      for (let cut = 1; cut < tricky.length; cut += 1) {
        const p = new CsvParser();
        const out: string[][] = [];
        p.push(tricky.slice(0, cut), out);
        p.push(tricky.slice(cut), out);
        p.end(out);
        expect(out).toEqual(expected);
      }
    }
  });

  it('projects selected columns identically to full parsing, for every chunk split', async () => {
    const text = 'a,b,c,d\n1,"x, y",3,4\n\n5,6,"7\n8",9\n10,11,12,13\n"q""",,,\n';
    const full = (parse(text, { skip_empty_lines: true }) as string[][]).slice(1);
    const want = full.map((r) => [r[2], r[0]]);
    const path = join(dir, 'proj.csv');
    await writeFile(path, text);
    const rows: string[][] = [];
    let header: string[] = [];
    for await (const b of readCsvBatches(path, { columns: ['c', 'a'], batchSize: 2 })) {
      header = b.header;
      rows.push(...b.rows);
    }
    expect(header).toEqual(['c', 'a']);
    expect(rows).toEqual(want);
    const h = text.indexOf('\n') + 1;
    for (let cut = h; cut < text.length; cut++) {
      const p = new CsvParser();
      const out: string[][] = [];
      p.push(text.slice(0, h), out);
      p.setProjection([2, 0], 4);
      p.push(text.slice(h, cut), out);
      p.push(text.slice(cut), out);
      p.end(out);
      expect(out.slice(1)).toEqual(want);
    }
    await writeFile(path, 'a,b,c\n1,2,3\n4,5\n');
    await expect(readCsvBatches(path, { columns: ['b'] }).next()).rejects.toThrow(
      /proj\.csv: row 2: has 2 fields, expected 3/,
    );
    // a long file: the mismatch is found by the projecting fast path
    await writeFile(path, 'a,b,c\n' + '1,2,3\n'.repeat(50000) + '1,2\n');
    await expect(
      (async () => {
        for await (const b of readCsvBatches(path, { columns: ['c'] })) expect(b.rows[0]).toEqual(['3']);
      })(),
    ).rejects.toThrow(/proj\.csv: row 50001: has 2 fields, expected 3/);
    await expect(readCsvBatches(path, { columns: ['zz'] }).next()).rejects.toThrow(/missing required column 'zz'/);
  });

  it('reads .csv.gz written by the writer and streams objects', async () => {
    const path = join(dir, 't.csv.gz');
    const w = CsvWriter.open(path, ['id', 'text', 'v']);
    await w.writeRow([1, 'he said "hi", then\nleft', 2.5]);
    await w.writeRow([2, null, '']);
    await w.close();
    const objs: Record<string, string>[] = [];
    for await (const o of readCsvObjects(path)) objs.push(o);
    expect(objs).toEqual([
      { id: '1', text: 'he said "hi", then\nleft', v: '2.5' },
      { id: '2', text: '', v: '' },
    ]);
  });

  it('reports a truncated .gz naming the file', async () => {
    const body = 'a,b\n' + Array.from({ length: 20000 }, (_, i) => `${i},${i * 7}`).join('\n') + '\n';
    const gz = gzipSync(body);
    const path = join(dir, 'truncated.csv.gz');
    await writeFile(path, gz.subarray(0, Math.floor(gz.length / 2)));
    await expect(collect(path, 1000)).rejects.toThrow(/truncated\.csv\.gz: truncated or corrupt gzip/);
  });

  it('reports a wrong field count with the record number, a missing column and a missing file', async () => {
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'a,b\n1,2\n3\n');
    await expect(collect(path)).rejects.toThrow(/bad\.csv: row 2: has 1 fields, expected 2/);
    const gen = readCsvBatches(path, { requiredColumns: ['zz'] });
    await expect(gen.next()).rejects.toThrow(/bad\.csv: missing required column 'zz'/);
    await expect(collect(join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: file not found/);
  });

  it('keeps memory bounded by the batch, not by the number of rows', async () => {
    // 400 k labevents-like rows (~40 MB of text); retaining them as string arrays would need
    // several hundred MB of heap. The streamed sum must be exact and heap growth small.
    const path = join(dir, 'big.csv.gz');
    const w = CsvWriter.open(path, ['id', 'subject', 'item', 'time', 'value', 'unit'], 1);
    let expectedSum = 0;
    for (let i = 0; i < 400000; i++) {
      const v = (i % 97) * 0.5;
      expectedSum += v;
      await w.writeRaw(`${i},${10000000 + (i % 500)},${50000 + (i % 40)},2150-01-01 10:00:00,${v},mg/dL\n`);
    }
    await w.close();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let sum = 0;
    let n = 0;
    for await (const b of readCsvBatches(path)) {
      for (const r of b.rows) sum += Number(r[4]);
      n += b.rows.length;
      const used = process.memoryUsage().heapUsed - base;
      if (used > peak) peak = used;
    }
    expect(n).toBe(400000);
    expect(sum).toBeCloseTo(expectedSum, 6);
    expect(peak).toBeLessThan(96 * 1024 * 1024);
    expect((await readFile(path)).length).toBeGreaterThan(0);
  });
});
