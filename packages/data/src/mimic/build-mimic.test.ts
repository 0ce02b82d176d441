import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { generateMimicRaw } from '../synth/mimic.js';
import { buildMimicDataset, type BuildMimicResult } from './build-mimic.js';
import { readDataset } from '../dataset/read-dataset.js';
import { loadTransforms } from '../transforms/load-transforms.js';
import { parseRecordsJsonl } from '../transforms/transform-record.js';
import type { LoadedDataset } from '../dataset/types.js';
import type { CodesModalityTransform } from '../transforms/modality-transform.js';

async function readCsvGz(path: string): Promise<Record<string, string>[]> {
  return parse(gunzipSync(await readFile(path)), { columns: true }) as Record<string, string>[];
}

describe('MIMIC-IV end to end on a synthetic raw set', () => {
  let dir: string;
  let result: BuildMimicResult;
  let ds: LoadedDataset;
  const DAY = 86_400_000;
  const t = (s: string) => Date.parse(s.replace(' ', 'T') + (s.length > 10 ? 'Z' : 'T00:00:00Z'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mimic-e2e-'));
    await generateMimicRaw({ out: join(dir, 'raw'), seed: 3, patients: 160, gzipLevel: 1 });
    const admissions = await readCsvGz(join(dir, 'raw/hosp/admissions.csv.gz'));
    const everyone = [...new Set(admissions.map((a) => a.subject_id))];
    result = await buildMimicDataset({ raw: join(dir, 'raw'), out: join(dir, 'ds'), seed: 9, rawRecordsFor: everyone });
    ds = await readDataset(join(dir, 'ds'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Independent cohort: subject → { hadm of the last non-death admission, label }. */
  async function expectedCohort(): Promise<Map<string, { hadm: string; label: number }>> {
    const patients = await readCsvGz(join(dir, 'raw/hosp/patients.csv.gz'));
    const admissions = await readCsvGz(join(dir, 'raw/hosp/admissions.csv.gz'));
    const dod = new Map(patients.map((p) => [p.subject_id, p.dod]));
    const expected = new Map<string, { hadm: string; label: number }>();
    const bySubject = new Map<string, Record<string, string>[]>();
    for (const a of admissions) {
      const d = dod.get(a.subject_id);
      const dischDay = a.dischtime.slice(0, 10);
      if (a.deathtime || a.hospital_expire_flag === '1' || (d && d <= dischDay)) continue;
      bySubject.set(a.subject_id, [...(bySubject.get(a.subject_id) ?? []), a]);
    }
    for (const [s, list] of bySubject) {
      if (list.length < 2) continue;
      const last = list.reduce((x, y) => (y.admittime > x.admittime ? y : x));
      const d = dod.get(s);
      expected.set(s, { hadm: last.hadm_id, label: d && t(d) - t(last.dischtime) <= 365 * DAY ? 1 : 0 });
    }
    return expected;
  }

  it('applies the cohort rules (independent re-implementation over csv-parse)', async () => {
    const expected = await expectedCohort();
    expect(result.cohort.selected).toBe(expected.size);
    expect(ds.ids.length).toBe(expected.size - result.droppedNoModality);
    ds.ids.forEach((id, i) => expect(ds.labels[i]).toBe(expected.get(id)?.label));
    const rate = result.cohort.positives / result.cohort.selected;
    expect(rate).toBeGreaterThan(0.03);
    expect(rate).toBeLessThan(0.2);
    expect(ds.modalities.map((m) => m.letter).join('')).toBe('LNC');
    expect(ds.classes).toEqual(['survived', 'died-within-1y']);
  });

  it('marks the notes modality absent exactly for patients without a discharge note of the selected admission', async () => {
    const notes = await readCsvGz(join(dir, 'raw/note/discharge.csv.gz'));
    const withNote = new Set(notes.map((n) => n.hadm_id));
    const expected = await expectedCohort();
    const N = ds.modalities[1];
    let absent = 0;
    ds.ids.forEach((id, i) => {
      const hasNote = withNote.has(expected.get(id)?.hadm as string);
      expect(N.observed[i]).toBe(hasNote ? 1 : 0);
      if (!hasNote) absent++;
    });
    expect(absent).toBeGreaterThan(ds.ids.length * 0.2);
    expect(absent).toBeLessThan(ds.ids.length);
  });

  it('builds the ICD-9 vocabulary from training patients only', () => {
    const t = ds.transforms.modalities.codes as CodesModalityTransform;
    const rec = new Map(result.rawRecords.map((r) => [r.id, r]));
    const count = (ids: string[]) => {
      const c = new Map<string, number>();
      for (const id of ids)
        for (const code of new Set(rec.get(id)?.modalities.codes?.codes ?? [])) c.set(code, (c.get(code) ?? 0) + 1);
      return c;
    };
    const train = count(ds.splits.training);
    const expected = [...train.entries()]
      .filter(([, n]) => n >= 5)
      .map(([c]) => c)
      .sort();
    expect(t.vocabulary).toEqual(expected);
    const all = count(ds.ids);
    // at least one code is frequent enough only when validation/test are counted too, or rare in training: not in vocabulary
    const leaky = [...all.entries()].filter(([c, n]) => n >= 5 && (train.get(c) ?? 0) < 5).map(([c]) => c);
    for (const c of leaky) expect(t.vocabulary).not.toContain(c);
  });

  it('transforms a training patient raw record exactly as its dataset rows', async () => {
    const transformer = await loadTransforms(join(dir, 'ds'));
    const rec = new Map(result.rawRecords.map((r) => [r.id, r]));
    const index = new Map(ds.ids.map((id, i) => [id, i]));
    let checked = 0;
    for (const id of ds.splits.training) {
      const i = index.get(id) as number;
      const out = transformer.transformRecord(rec.get(id) as never);
      ds.modalities.forEach((m, k) => {
        const v = out.inputs[k];
        expect(v === null ? 0 : 1).toBe(m.observed[i]);
        if (!v) return;
        const row = m.features.subarray(i * m.width, (i + 1) * m.width);
        if (m.letter === 'L') for (let j = 0; j < m.width; j++) expect(Math.abs(v[j] - row[j])).toBeLessThan(1e-6);
        else expect(Array.from(v)).toEqual(Array.from(row));
      });
      checked++;
    }
    expect(checked).toBe(ds.splits.training.length);
  });

  it('transforms the outside records of records.jsonl with their modalities missing', async () => {
    const transformer = await loadTransforms(join(dir, 'ds'));
    const text = await readFile(join(dir, 'raw/records.jsonl'), 'utf8');
    const letters = parseRecordsJsonl(text, 'records.jsonl').map(
      ({ record }) => transformer.transformRecord(record).letters,
    );
    expect(letters).toEqual(['LNC', 'LC', 'C', 'L', 'NC']);
  });

  it('fails with a clear error naming a truncated labevents.csv.gz', async () => {
    const raw = join(dir, 'raw');
    const gz = await readFile(join(raw, 'hosp/labevents.csv.gz'));
    expect(gunzipSync(gz).length).toBeGreaterThan(0);
    await writeFile(join(raw, 'hosp/labevents.csv.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    await expect(buildMimicDataset({ raw, out: join(dir, 'ds2'), seed: 1 })).rejects.toThrow(
      /labevents\.csv\.gz: truncated or corrupt gzip/,
    );
    await writeFile(join(raw, 'hosp/labevents.csv.gz'), gzipSync('subject_id,hadm_id\n1,2\n'));
    await expect(buildMimicDataset({ raw, out: join(dir, 'ds2'), seed: 1 })).rejects.toThrow(
      /labevents\.csv\.gz: missing required column 'itemid'/,
    );
  });
});
