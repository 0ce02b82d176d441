import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readDataset } from '../dataset/read-dataset.js';
import { writeDataset } from '../dataset/write-dataset.js';
import { runDataCli } from '../cli/run-data-cli.js';
import { writeCsvFile } from '../io/csv-writer.js';
import { generateAdniRaw, type AdniSynthSummary } from '../synth/adni.js';
import { loadTransforms } from '../transforms/load-transforms.js';
import { parseRecordsJsonl } from '../transforms/transform-record.js';
import { buildAdniDataset } from './build-adni-dataset.js';
import { loadFreeSurferTable, parseFreeSurferSuffixes } from './freesurfer.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'flexmoe-freesurfer-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const HEADER = ['RID', 'PTID', 'EXAMDATE', 'OVERALLQC', 'ST1CV', 'ST1SA', 'ST1TA', 'ST1TS', 'ST2SV', 'update_stamp'];
const known = new Set(['001_S_0001', '002_S_0002', '003_S_0003']);

async function table(name: string, header: string[], rows: (string | number)[][]): Promise<string> {
  const file = path.join(root, name);
  await writeCsvFile(file, header, rows);
  return file;
}

describe('the FreeSurfer table reader', () => {
  let file: string;
  beforeAll(async () => {
    file = await table('UCSFFSX7_small.csv', HEADER, [
      // Patient 1: three scans; the two latest share EXAMDATE, the later update_stamp wins.
      [1, '001_S_0001', '2019-01-10', 'Pass', '1000.5', '500', '2.5', '0.6', '3000', '2019-02-01 10:00:00.0'],
      [1, '001_S_0001', '2020-05-01', 'Pass', '1100', '510', '2.4', '0.6', '3100', '2020-06-01 10:00:00.0'],
      [1, '001_S_0001', '2020-05-01', 'Pass', ' 1200.25 ', '520', '', '0.6', '3200', '2020-07-01 10:00:00.0'],
      // Patient 2: the latest scan failed QC; with --image-qc pass the earlier one is used.
      [2, '002_S_0002', '2018-03-03', 'Pass', '900', '450', '2.2', '0.5', '2900', '2018-04-01 10:00:00.0'],
      [2, '002_S_0002', '2021-03-03', 'Fail', '1', '1', '', '', '', '2021-04-01 10:00:00.0'],
      // Patient 3: only a partial scan.
      [3, '003_S_0003', '2017-01-01', 'Partial', '800', '400', '2.0', '0.4', '2500', '2017-02-01 10:00:00.0'],
      // Not in DXSUM: counted and dropped.
      [9, '009_S_0009', '2017-01-01', 'Pass', '800', '400', '2.0', '0.4', '2500', '2017-02-01 10:00:00.0'],
      [9, '009_S_0009', '2018-01-01', 'Pass', '810', '400', '2.0', '0.4', '2500', '2018-02-01 10:00:00.0'],
    ]);
  });

  it('keeps the latest passing scan per patient, CV/TA/SV columns, text numbers parsed, empty cells missing', async () => {
    const { raw, report } = await loadFreeSurferTable(file, { knownIds: known });
    expect(raw.ids).toEqual(['001_S_0001', '002_S_0002']);
    expect([...raw.columns.keys()]).toEqual(['ST1CV', 'ST1TA', 'ST2SV']);
    expect(raw.columns.get('ST1CV')).toEqual([1200.25, 900]);
    expect(raw.columns.get('ST1TA')).toEqual([null, 2.2]);
    expect(raw.columns.get('ST2SV')).toEqual([3200, 2900]);
    expect(report).toMatchObject({
      rows: 8,
      qc: 'pass',
      failedQcRows: 2,
      unknownPatients: 1,
      unknownRows: 2,
      patients: 2,
      featureColumns: 3,
    });
  });

  it('with --image-qc any uses every scan, and other suffixes can be chosen', async () => {
    const { raw, report } = await loadFreeSurferTable(file, {
      knownIds: known,
      qc: 'any',
      suffixes: parseFreeSurferSuffixes('sa,TS'),
    });
    expect(raw.ids).toEqual(['001_S_0001', '002_S_0002', '003_S_0003']);
    expect([...raw.columns.keys()]).toEqual(['ST1SA', 'ST1TS']);
    expect(raw.columns.get('ST1SA')).toEqual([520, 1, 400]); // patient 2: the failed latest scan
    expect(raw.columns.get('ST1TS')).toEqual([0.6, null, 0.4]);
    expect(report.failedQcRows).toBe(0);
    expect(() => parseFreeSurferSuffixes('CV,XX')).toThrow(
      /--image-features: expected a comma-separated list of CV, SA, TA, TS, SV, got "CV,XX"/,
    );
  });

  it('maps RID to PTID when the table has no PTID column', async () => {
    const f = await table(
      'UCSFFSX7_rid.csv',
      ['RID', 'EXAMDATE', 'OVERALLQC', 'ST1CV', 'update_stamp'],
      [
        [2, '2019-01-01', 'Pass', '10', '2019-02-01 00:00:00'],
        [77, '2019-01-01', 'Pass', '11', '2019-02-01 00:00:00'],
      ],
    );
    const { raw, report } = await loadFreeSurferTable(f, {
      knownIds: known,
      ptidByRid: new Map([['2', '002_S_0002']]),
    });
    expect(raw.ids).toEqual(['002_S_0002']);
    expect(report.unknownRows).toBe(1);
    // A row with an empty PTID falls back to its RID.
    const mixed = await table(
      'UCSFFSX7_mixed.csv',
      ['RID', 'PTID', 'OVERALLQC', 'ST1CV'],
      [
        [1, '001_S_0001', 'Pass', '10'],
        [2, '', 'Pass', '11'],
      ],
    );
    const both = await loadFreeSurferTable(mixed, { knownIds: known, ptidByRid: new Map([['2', '002_S_0002']]) });
    expect(both.raw.ids).toEqual(['001_S_0001', '002_S_0002']);
    const empty = await table('UCSFFSX7_empty.csv', ['RID', 'PTID', 'OVERALLQC', 'ST1CV'], [['', '', 'Pass', '10']]);
    await expect(loadFreeSurferTable(empty, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_empty\.csv: row 1, column PTID: the patient id is empty \(and so is RID\)/,
    );
  });

  it('rejects bad tables with the file and column named', async () => {
    const noId = await table('UCSFFSX7_noid.csv', ['EXAMDATE', 'OVERALLQC', 'ST1CV'], [['2019-01-01', 'Pass', '1']]);
    await expect(loadFreeSurferTable(noId, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_noid\.csv: no PTID or RID column/,
    );
    const noSt = await table('UCSFFSX7_nost.csv', ['PTID', 'OVERALLQC', 'HIPPOVOL'], [['001_S_0001', 'Pass', '1']]);
    await expect(loadFreeSurferTable(noSt, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_nost\.csv: no FreeSurfer feature column \(ST<n>/,
    );
    const dup = path.join(root, 'UCSFFSX7_dup.csv');
    await writeFile(dup, 'PTID,OVERALLQC,ST1CV,ST1CV\n001_S_0001,Pass,1,2\n');
    await expect(loadFreeSurferTable(dup, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_dup\.csv: column 'ST1CV' appears twice/,
    );
    const failed = await table(
      'UCSFFSX7_fail.csv',
      ['PTID', 'OVERALLQC', 'ST1CV'],
      [
        ['001_S_0001', 'Fail', '1'],
        ['002_S_0002', 'Partial', '2'],
      ],
    );
    await expect(loadFreeSurferTable(failed, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_fail\.csv: column OVERALLQC: no scan passed QC \(2 rows/,
    );
    const noQc = await table('UCSFFSX7_noqc.csv', ['PTID', 'ST1CV'], [['001_S_0001', '1']]);
    await expect(loadFreeSurferTable(noQc, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_noqc\.csv: no OVERALLQC column .*--image-qc any/,
    );
    const text = await table('UCSFFSX7_text.csv', ['PTID', 'OVERALLQC', 'ST1CV'], [['001_S_0001', 'Pass', 'n/a?']]);
    await expect(loadFreeSurferTable(text, { knownIds: known })).rejects.toThrow(
      /UCSFFSX7_text\.csv: row 1, column ST1CV: expected a number, found "n\/a\?"/,
    );
    const suffix = await table('UCSFFSX7_sa.csv', ['PTID', 'OVERALLQC', 'ST1SA'], [['001_S_0001', 'Pass', '1']]);
    await expect(loadFreeSurferTable(suffix, { knownIds: known })).rejects.toThrow(
      /no ST\* column ends in CV, TA, SV .*--image-features/,
    );
  });
});

describe('the ADNI builder with the FreeSurfer table (synthetic raw data)', () => {
  let raw: string;
  let synth: AdniSynthSummary;
  beforeAll(async () => {
    raw = path.join(root, 'raw-fs');
    synth = await generateAdniRaw({ outDir: raw, seed: 4, scale: 0.05, image: 'freesurfer', keepRecords: true });
  });

  it('writes the table (not the NIfTI volumes) with several scans, failed QC rows, empty cells and padded numbers', async () => {
    const rows = parse(await readFile(path.join(raw, 'image', 'UCSFFSX7_09May2024.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    await expect(access(path.join(raw, 'image', 'image_index.csv'))).rejects.toThrow();
    const perPatient = new Map<string, number>();
    for (const r of rows) perPatient.set(r.PTID, (perPatient.get(r.PTID) ?? 0) + 1);
    expect([...perPatient.values()].some((n) => n > 1)).toBe(true);
    expect(rows.some((r) => r.OVERALLQC === 'Fail')).toBe(true);
    const cells = rows.flatMap((r) =>
      Object.entries(r)
        .filter(([k]) => k.startsWith('ST'))
        .map(([, v]) => v),
    );
    expect(cells.some((v) => v === '')).toBe(true);
    expect(cells.some((v) => v !== v.trim())).toBe(true);
    expect(synth.unknownFreeSurferRows).toBeGreaterThan(0);
    expect(synth.image).toBe('freesurfer');
  });

  it('builds the image modality from the table; raw records reproduce the dataset rows', async () => {
    const { content, report } = await buildAdniDataset({ rawDir: raw, seed: 3 });
    expect(report.image?.route).toBe('freesurfer');
    expect(report.image?.freesurfer?.failedQcRows).toBeGreaterThan(0);
    expect(report.image?.freesurfer?.unknownRows).toBe(synth.unknownFreeSurferRows);
    const out = path.join(root, 'ds-fs');
    await writeDataset(out, content);
    const ds = await readDataset(out);
    expect(ds.manifest.modalities[0]).toMatchObject({ name: 'image', letter: 'I' });
    expect(ds.manifest.modalities[0].origin).toMatch(/^FreeSurfer table UCSFFSX7_09May2024\.csv: .*CV\/TA\/SV/);
    expect(ds.manifest.counts.perModality.I).toBe(synth.perModality.I);
    expect(ds.modalities[0].featureNames.every((n) => /^ST\d+(CV|TA|SV)$/.test(n))).toBe(true);
    const t = ds.transforms.modalities.image;
    expect(t.kind).toBe('columns');
    const transformer = await loadTransforms(out);
    let compared = 0;
    for (const [id, record] of synth.records ?? []) {
      const i = ds.ids.indexOf(id);
      if (i < 0 || !ds.modalities[0].observed[i] || compared >= 10) continue;
      const w = ds.modalities[0].width;
      const { inputs } = transformer.transformRecord(record);
      expect(Array.from(inputs[0] as Float32Array)).toEqual(
        Array.from(ds.modalities[0].features.subarray(i * w, (i + 1) * w)),
      );
      compared++;
    }
    expect(compared).toBe(10);
    // records.jsonl (patients outside the dataset) carries the FreeSurfer values.
    const records = parseRecordsJsonl(await readFile(path.join(raw, 'records.jsonl'), 'utf8'), 'records.jsonl');
    const withImage = records.filter(({ record }) => record.modalities.image !== undefined);
    expect(withImage.length).toBeGreaterThan(0);
    for (const { record, line } of withImage) {
      expect(Object.keys(record.modalities.image as object).some((k) => /^ST\d+SV$/.test(k))).toBe(true);
      expect(transformer.transformRecord(record, `line ${line}`).letters).toMatch(/^I/);
    }
  });

  it('fits scaling on the training split only: changing a test patient does not change the fitted statistics', async () => {
    const first = await buildAdniDataset({ rawDir: raw, seed: 3 });
    const testing = first.content.splits.testing[0];
    const copy = path.join(root, 'raw-fs-changed');
    await generateAdniRaw({ outDir: copy, seed: 4, scale: 0.05, image: 'freesurfer' });
    const file = path.join(copy, 'image', 'UCSFFSX7_09May2024.csv');
    const rows = parse(await readFile(file, 'utf8'), { columns: true }) as Record<string, string>[];
    const header = Object.keys(rows[0]);
    let changed = 0;
    for (const r of rows) {
      if (r.PTID !== testing) continue;
      for (const k of header)
        if (/^ST\d+(CV|TA|SV)$/.test(k) && r[k].trim() !== '') r[k] = String(Number(r[k]) * 10 + 1);
      changed++;
    }
    expect(changed).toBeGreaterThan(0);
    await writeCsvFile(
      file,
      header,
      rows.map((r) => header.map((h) => r[h])),
    );
    const second = await buildAdniDataset({ rawDir: copy, seed: 3 });
    expect(second.content.splits).toEqual(first.content.splits);
    expect(second.content.transforms.modalities.image).toEqual(first.content.transforms.modalities.image);
    const rowOf = (c: typeof first.content): number[] => {
      const m = c.modalities[0];
      const i = m.ids.indexOf(testing);
      const w = m.featureNames.length;
      return Array.from(m.features.subarray(i * w, (i + 1) * w));
    };
    expect(rowOf(second.content)).not.toEqual(rowOf(first.content));
  });

  it('chooses the route with --image when both inputs are there, and says which in the summary', async () => {
    const both = path.join(root, 'raw-both');
    await generateAdniRaw({ outDir: both, seed: 4, scale: 0.05, image: 'both' });
    const lines: string[] = [];
    const io = {
      stdout: { write: (s: string) => lines.push(s) !== 0 },
      stderr: { write: (s: string) => lines.push(s) !== 0 },
    };
    expect(await runDataCli(['adni', '--raw', both, '--out', path.join(root, 'ds-default')], io)).toBe(0);
    expect(lines.join('')).toMatch(/image: FreeSurfer table UCSFFSX7_09May2024\.csv/);
    lines.length = 0;
    expect(
      await runDataCli(['adni', '--raw', both, '--out', path.join(root, 'ds-ravens'), '--image', 'ravens'], io),
    ).toBe(0);
    expect(lines.join('')).toMatch(/image: NIfTI volumes/);
    const ravens = await readDataset(path.join(root, 'ds-ravens'));
    expect(ravens.transforms.modalities.image.kind).toBe('image');
    // `--json` alone: the JSON summary is all of stdout; the human text goes to stderr.
    const stdout: string[] = [];
    const jsonIo = { stdout: { write: (s: string) => stdout.push(s) !== 0 }, stderr: io.stderr };
    const args = [
      'adni',
      '--raw',
      both,
      '--out',
      path.join(root, 'ds-sa'),
      '--image-features',
      'SA',
      '--image-qc',
      'any',
      '--json',
    ];
    expect(await runDataCli(args, jsonIo)).toBe(0);
    const summary = JSON.parse(stdout.join('')) as {
      report: { image: { freesurfer: { failedQcRows: number; suffixes: string[] } } };
    };
    expect(summary.report.image.freesurfer).toMatchObject({ failedQcRows: 0, suffixes: ['SA'] });
  });

  it('writes nothing when the FreeSurfer table is bad', async () => {
    const bad = path.join(root, 'raw-bad');
    await generateAdniRaw({ outDir: bad, seed: 4, scale: 0.05, image: 'freesurfer' });
    const file = path.join(bad, 'image', 'UCSFFSX7_09May2024.csv');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/^RID,PTID,/, 'ROSTER,SUBJECT,'));
    const lines: string[] = [];
    const io = {
      stdout: { write: (s: string) => lines.push(s) !== 0 },
      stderr: { write: (s: string) => lines.push(s) !== 0 },
    };
    const out = path.join(root, 'ds-bad');
    expect(await runDataCli(['adni', '--raw', bad, '--out', out], io)).toBe(1);
    expect(lines.join('')).toMatch(/UCSFFSX7_09May2024\.csv: no PTID or RID column/);
    await expect(access(out)).rejects.toThrow();
    expect(await runDataCli(['adni', '--raw', bad, '--out', out, '--image', 'ravens'], io)).toBe(1);
    expect(lines.join('')).toMatch(/--image ravens: no image_index\.csv/);
    await expect(access(out)).rejects.toThrow();
  });
});
