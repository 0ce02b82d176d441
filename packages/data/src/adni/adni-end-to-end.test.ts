import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readDataset } from '../dataset/read-dataset.js';
import type { LoadedDataset } from '../dataset/types.js';
import { writeDataset } from '../dataset/write-dataset.js';
import { generateAdniRaw, type AdniSynthSummary } from '../synth/adni.js';
import type { ColumnTransform } from '../transforms/column-transform.js';
import { loadTransforms } from '../transforms/load-transforms.js';
import { parseRecordsJsonl, type RawPatientRecord } from '../transforms/transform-record.js';
import { runDataCli } from '../cli/run-data-cli.js';
import { buildAdniDataset } from './build-adni-dataset.js';
import { phaseRidKey, ptidMapFromApoe } from './biospecimen.js';

let root: string;
let raw: string;
let synth: AdniSynthSummary;
let ds: LoadedDataset;

function csv(file: string): Record<string, string>[] {
  return parse(file, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

function featureRange(ds: LoadedDataset, modality: string, prefix: string): { m: number; cols: number[] } {
  const m = ds.modalities.findIndex((x) => x.name === modality);
  const cols = ds.modalities[m].featureNames
    .map((n, j) => (n === prefix || n.startsWith(`${prefix}=`) || n.startsWith(`${prefix}:`) ? j : -1))
    .filter((j) => j >= 0);
  return { m, cols };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'flexmoe-adni-'));
  raw = path.join(root, 'raw');
  synth = await generateAdniRaw({ outDir: raw, seed: 11, scale: 0.05, keepRecords: true });
  const { content } = await buildAdniDataset({ rawDir: raw, seed: 5 });
  await writeDataset(path.join(root, 'ds'), content);
  ds = await readDataset(path.join(root, 'ds'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ADNI pipeline on synthetic raw data (scale 0.05)', () => {
  it('has modalities I, G, C, B in that order and the generated counts', () => {
    expect(ds.modalities.map((m) => `${m.letter}:${m.name}`)).toEqual([
      'I:image',
      'G:genomic',
      'C:clinical',
      'B:biospecimen',
    ]);
    expect(ds.ids.length).toBe(synth.patients);
    expect(ds.manifest.counts.perModality).toEqual(synth.perModality);
    expect(ds.manifest.counts.perCombination.IGCB).toBe(synth.full);
    expect(ds.classes).toEqual(['CN', 'MCI', 'Dementia']);
    for (const [id, y] of synth.labels ?? []) expect(ds.labels[ds.ids.indexOf(id)]).toBe(y);
  });

  it('applies the label rules: patients with a missing or changing diagnosis are excluded', async () => {
    const dxFile = (await readdir(path.join(raw, 'diagnosis')))[0];
    const rows = csv(await readFile(path.join(raw, 'diagnosis', dxFile), 'utf8'));
    const byPatient = new Map<string, string[]>();
    for (const r of rows) byPatient.set(r.PTID, [...(byPatient.get(r.PTID) ?? []), r.DIAGNOSIS]);
    const stable = [...byPatient].filter(([, dx]) => !dx.includes('') && new Set(dx).size === 1).map(([id]) => id);
    const unstable = [...byPatient].filter(([, dx]) => dx.includes('') || new Set(dx).size > 1).map(([id]) => id);
    expect(unstable.length).toBe(synth.excludedChangingDiagnosis + synth.excludedMissingDiagnosis);
    const inDataset = new Set(ds.ids);
    for (const id of unstable) expect(inDataset.has(id)).toBe(false);
    expect(stable.filter((id) => inDataset.has(id)).length).toBe(ds.ids.length);
    // With the `last` rule, changing-diagnosis patients come back with their latest diagnosis.
    const { content } = await buildAdniDataset({ rawDir: raw, seed: 5, labelRule: 'last' });
    expect(content.labels.ids.length).toBe(
      ds.ids.length + synth.excludedChangingDiagnosis + synth.excludedMissingDiagnosis,
    );
    const changing = [...byPatient].find(([, dx]) => !dx.includes('') && new Set(dx).size > 1) as [string, string[]];
    const lastDx = rows
      .filter((r) => r.PTID === changing[0])
      .sort((a, b) => (a.update_stamp < b.update_stamp ? -1 : 1))
      .at(-1)?.DIAGNOSIS;
    expect(content.labels.label[content.labels.ids.indexOf(changing[0])]).toBe(Number(lastDx) - 1);
  });

  it('drops the shared and the leaking columns', () => {
    const names = ds.modalities.flatMap((m) => m.featureNames).map((n) => n.split(/[=:]/)[0]);
    for (const col of [
      'PTCOGBEG',
      'PTADDX',
      'PTADBEG',
      'RID',
      'PTID',
      'PHASE',
      'VISCODE',
      'VISCODE2',
      'UPDATE_STAMP',
      'USERDATE',
      'EXAMDATE',
      'SITEID',
      'ID',
    ]) {
      expect(names).not.toContain(col);
    }
    expect(names).toContain('PTEDUCAT');
    expect(names).toContain('ABETA42');
  });

  it('scales numerical columns to [-1, 1] on the training rows and imputes the training mean', () => {
    const t = ds.transforms.modalities.clinical;
    if (t.kind !== 'columns') throw new Error('clinical kind');
    const training = Array.from(ds.splitIndices.training);
    let checkedImputation = 0;
    for (const c of t.columns.filter(
      (x): x is Extract<ColumnTransform, { type: 'numerical' }> => x.type === 'numerical',
    )) {
      const { m, cols } = featureRange(ds, 'clinical', c.column);
      const width = ds.modalities[m].width;
      const observedRows = training.filter((i) => {
        const rec = synth.records?.get(ds.ids[i])?.modalities.clinical as Record<string, unknown>;
        const v = rec[c.column];
        return v !== null && v !== '' && v !== undefined && !['-4', '-1', '-4.0'].includes(String(v));
      });
      const values = observedRows.map((i) => ds.modalities[m].features[i * width + cols[0]]);
      expect(Math.min(...values)).toBeCloseTo(-1, 5);
      expect(Math.max(...values)).toBeCloseTo(1, 5);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const missingRows = ds.ids
        .map((_, i) => i)
        .filter((i) => ds.modalities[m].observed[i] === 1 && !observedRows.includes(i) && training.includes(i));
      for (const i of missingRows) {
        expect(ds.modalities[m].features[i * width + cols[0]]).toBeCloseTo(mean, 5);
        checkedImputation++;
      }
    }
    expect(checkedImputation).toBeGreaterThan(10);
  });

  it('one-hot encodes categorical and date columns as ±1 (exactly one +1 per column on training rows)', () => {
    for (const name of ['clinical', 'biospecimen']) {
      const t = ds.transforms.modalities[name];
      if (t.kind !== 'columns') throw new Error('kind');
      const { m } = featureRange(ds, name, '');
      const mod = ds.modalities[m];
      for (const c of t.columns.filter((x) => x.type !== 'numerical')) {
        const { cols } = featureRange(ds, name, c.column);
        for (const i of ds.splitIndices.training) {
          if (!mod.observed[i]) continue;
          const v = cols.map((j) => mod.features[i * mod.width + j]);
          expect(v.every((x) => x === 1 || x === -1)).toBe(true);
          expect(v.filter((x) => x === 1).length).toBe(1);
        }
      }
    }
  });

  it('maps Roche rows to PTIDs by (last character of PHASE, RID) from APOERES', async () => {
    expect(phaseRidKey('ADNIGO2', '4123')).toBe('2_4123');
    expect(phaseRidKey('ADNI1', '0042')).toBe('1_42');
    const map = ptidMapFromApoe({
      file: 'APOERES.csv',
      columns: ['PHASE', 'RID', 'PTID'],
      rowCount: 2,
      data: new Map([
        ['PHASE', ['ADNI1', 'ADNIGO2']],
        ['RID', ['42', '4123']],
        ['PTID', ['011_S_0042', '022_S_4123']],
      ]),
    });
    expect(map.get('2_4123')).toBe('022_S_4123');
    expect(map.get('O_4123')).toBeUndefined();
    // End to end: each biospecimen patient's CSF values are the latest ones of its own (PHASE, RID) rows.
    const rocheFile = (await readdir(path.join(raw, 'biospecimen'))).find((f) => f.startsWith('UPENN')) as string;
    const rocheRows = csv(await readFile(path.join(raw, 'biospecimen', rocheFile), 'utf8'));
    const t = ds.transforms.modalities.biospecimen;
    if (t.kind !== 'columns') throw new Error('kind');
    const tau = t.columns.find((c) => c.column === 'TAU');
    if (tau?.type !== 'numerical') throw new Error('TAU');
    const { m, cols } = featureRange(ds, 'biospecimen', 'TAU');
    let checked = 0;
    for (const [i, id] of ds.ids.entries()) {
      const rid = String(Number(id.slice(-4)));
      const own = rocheRows
        .filter((r) => r.RID === rid && r.TAU !== '')
        .sort((a, b) => (a.update_stamp < b.update_stamp ? -1 : 1));
      if (own.length === 0 || !ds.modalities[m].observed[i]) continue;
      const x = Number(own[own.length - 1].TAU.replace(/[<>]/, ''));
      expect(ds.modalities[m].features[i * ds.modalities[m].width + cols[0]]).toBeCloseTo(
        (2 * (x - tau.min)) / (tau.max - tau.min) - 1,
        5,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('draws validation and test only from full-modality patients', () => {
    for (const i of [...ds.splitIndices.validation, ...ds.splitIndices.testing]) {
      expect(ds.modalities.every((m) => m.observed[i] === 1)).toBe(true);
    }
    expect(ds.splitIndices.validation.length).toBe(Math.round(0.15 * ds.ids.length));
  });

  it("transforms a training patient's raw record into exactly its dataset row", async () => {
    const transformer = await loadTransforms(path.join(root, 'ds'));
    let compared = 0;
    for (const i of Array.from(ds.splitIndices.training).slice(0, 25)) {
      const record = synth.records?.get(ds.ids[i]) as RawPatientRecord;
      const { inputs, letters } = transformer.transformRecord(record);
      expect(letters).toBe(
        ds.modalities
          .filter((m) => m.observed[i])
          .map((m) => m.letter)
          .join(''),
      );
      ds.modalities.forEach((m, k) => {
        const input = inputs[k];
        if (!m.observed[i]) {
          expect(input).toBeNull();
          return;
        }
        const row = m.features.subarray(i * m.width, (i + 1) * m.width);
        expect(input?.length).toBe(m.width);
        let maxDiff = 0;
        for (let j = 0; j < m.width; j++) maxDiff = Math.max(maxDiff, Math.abs((input as Float32Array)[j] - row[j]));
        expect(maxDiff).toBeLessThan(1e-5);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('transforms the records.jsonl patients (outside the dataset) with their different modalities', async () => {
    const transformer = await loadTransforms(path.join(root, 'ds'));
    const records = parseRecordsJsonl(await readFile(path.join(raw, 'records.jsonl'), 'utf8'), 'records.jsonl');
    expect(records.length).toBe(6);
    const letters = records.map(
      ({ record, line }) => transformer.transformRecord(record, `records.jsonl line ${line}`).letters,
    );
    expect(letters).toEqual(['IGCB', 'GCB', 'ICB', 'C', 'IC', 'CB']);
    for (const { record } of records) expect(ds.ids).not.toContain(record.id);
    expect(() => transformer.transformRecord({ modalities: {} }, 'records.jsonl line 9')).toThrow(
      /line 9: the record has no modality/,
    );
    expect(() => transformer.transformRecord({ modalities: { mri: {} } })).toThrow(/unknown modality "mri"/);
  });
});

describe('ADNI bad input (exit code ≠ 0, nothing written)', () => {
  async function brokenCopy(edit: (dir: string) => Promise<void>): Promise<{ code: number; err: string; out: string }> {
    const dir = await mkdtemp(path.join(root, 'broken-'));
    await cp(raw, dir, { recursive: true });
    await edit(dir);
    const errs: string[] = [];
    const out = path.join(dir, 'ds-out');
    const code = await runDataCli(['adni', '--raw', dir, '--out', out], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => errs.push(s) },
    });
    const left = (await readdir(dir)).filter((f) => f.startsWith('ds-out'));
    expect(left).toEqual([]);
    return { code, err: errs.join(''), out };
  }

  async function editCsv(file: string, edit: (rows: string[][]) => void): Promise<void> {
    const rows = parse(await readFile(file, 'utf8')) as string[][];
    edit(rows);
    await writeFile(
      file,
      `${rows.map((r) => r.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`,
    );
  }

  it('rejects a diagnosis outside 1/2/3, naming file, row and column', async () => {
    const r = await brokenCopy(async (dir) => {
      await editCsv(path.join(dir, 'diagnosis', 'DXSUM_PDXCONV_22Apr2024.csv'), (rows) => {
        rows[3][rows[0].indexOf('DIAGNOSIS')] = '4';
      });
    });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /DXSUM_PDXCONV_22Apr2024\.csv: row 3, column DIAGNOSIS: expected 1 \(CN\), 2 \(MCI\), 3 \(Dementia\) or blank, found "4"/,
    );
  });

  it('rejects a missing column and a missing table', async () => {
    const r = await brokenCopy(async (dir) => {
      await editCsv(path.join(dir, 'clinical', 'VITALS_09May2024.csv'), (rows) => {
        const c = rows[0].indexOf('PTID');
        for (const row of rows) row.splice(c, 1);
      });
    });
    expect(r.err).toMatch(/VITALS_09May2024\.csv: missing column 'PTID'/);
    const r2 = await brokenCopy(async (dir) => rm(path.join(dir, 'clinical', 'NEUROEXM_09May2024.csv')));
    expect(r2.code).not.toBe(0);
    expect(r2.err).toMatch(/no NEUROEXM table found/);
  });

  it('rejects text in a numeric column', async () => {
    const r = await brokenCopy(async (dir) => {
      await editCsv(path.join(dir, 'clinical', 'VITALS_09May2024.csv'), (rows) => {
        rows[5][rows[0].indexOf('VSBPSYS')] = 'high';
      });
    });
    expect(r.err).toMatch(/VITALS_09May2024\.csv: row 5, column VSBPSYS: expected a number, found "high"/);
  });
});
