/**
 * The tables path on generated layouts rather than one fixed fixture: 1 to 8 modalities with unusual
 * names, binary and multi-class labels given as text or numbers, blanks, numeric-looking ids, text,
 * 0/1 and date columns, single-column modalities, CSV / CSV.gz / Arrow tables and given splits.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDataCli } from '../cli/run-data-cli.js';
import { readDataset } from '../dataset/read-dataset.js';
import type { LoadedDataset } from '../dataset/types.js';
import { generateTablesRaw, type TablesSynthOptions, type TablesSynthResult } from '../synth/tables.js';
import { parseDate } from '../transforms/column-transform.js';
import { loadTransforms } from '../transforms/load-transforms.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'flexmoe-tables-general-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDataCli(args, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
  });
  return { code, out: out.join(''), err: err.join('') };
}

function modalityArgs(raw: TablesSynthResult): string[] {
  return raw.modalityFiles.flatMap((m) => ['--modality', `${m.name}=${m.file}`]);
}

async function build(
  options: Omit<TablesSynthOptions, 'outDir'>,
  extra: string[] = [],
): Promise<{ raw: TablesSynthResult; ds: LoadedDataset; out: string }> {
  const raw = await generateTablesRaw({ ...options, outDir: path.join(root, 'raw') });
  const out = path.join(root, 'ds');
  const r = await cli(['tables', ...modalityArgs(raw), '--labels', raw.labelsFile, ...extra, '--out', out, '--json']);
  expect(r.err).toMatch(/^wrote dataset to .*\n(?![\s\S]*error)/); // --json: the JSON is on stdout, the human text on stderr
  expect(r.code).toBe(0);
  return { raw, ds: await readDataset(out), out };
}

/** The dataset row of patient `i` in modality `m`. */
function row(ds: LoadedDataset, m: number, i: number): number[] {
  const mod = ds.modalities[m];
  return Array.from(mod.features.subarray(i * mod.width, (i + 1) * mod.width));
}

/** Checks what every generated layout must satisfy. */
async function checkGeneral(raw: TablesSynthResult, ds: LoadedDataset, out: string): Promise<void> {
  // Every labelled patient is there, with the modalities the generator gave it.
  expect([...ds.ids].sort()).toEqual([...raw.ids].sort());
  raw.ids.forEach((id, k) => {
    const i = ds.ids.indexOf(id);
    expect(ds.classes[ds.labels[i]]).toBe(String(raw.labels[k]));
    raw.observed[k].forEach((o, m) => expect(ds.modalities[m].observed[i]).toBe(o ? 1 : 0));
  });
  // The raw record of every patient (training or not) transforms to its dataset row.
  const t = await loadTransforms(out);
  raw.records.forEach((record, k) => {
    const i = ds.ids.indexOf(raw.ids[k]);
    const got = t.transformRecord(record);
    got.inputs.forEach((v, m) => {
      if (!raw.observed[k][m]) expect(v).toBeNull();
      else expect(Array.from(v as Float32Array)).toEqual(row(ds, m, i));
    });
  });
  // No file outside the dataset directory, none left behind.
  expect((await readdir(root)).filter((f) => f.startsWith('ds'))).toEqual(['ds']);
}

describe('tables: general layouts end to end', () => {
  it('8 modalities with unusual names, 5 text classes, blanks, text/0-1/date columns, CSV + CSV.gz + Arrow', async () => {
    const names = ['labs (2020)', 'vital signs', 'genómica', 'a/b', 'a b', 'x.y-z', 'Ωmega', 'q'];
    const formats = ['csv', 'csv.gz', 'arrow', 'csv', 'arrow', 'csv', 'csv', 'csv'] as const;
    const { raw, ds, out } = await build(
      {
        modalities: names.map((name, m) => ({ name, format: formats[m], columns: m === 7 ? 'single' : 'mixed' })),
        classes: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
        patients: 90,
        fullShare: 0.6,
        seed: 3,
      },
      ['--letters', 'LVGABXOQ'],
    );
    expect(ds.modalities.map((m) => `${m.letter}:${m.name}`)).toEqual(names.map((n, m) => `${'LVGABXOQ'[m]}:${n}`));
    expect(ds.classes).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
    // Safe, distinct file names ('a/b' and 'a b' both become a_b).
    const files = ds.manifest.modalities.map((m) => m.file);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(8);
    files.forEach((f) => expect(f).toMatch(/^modality-[A-Za-z0-9_.-]+\.arrow$/));
    expect((await readdir(out)).filter((f) => f.startsWith('modality-')).sort()).toEqual([...files].sort());
    // A single-column modality has one feature; the mixed ones have the five raw columns typed as docs/algorithm.md §8 says.
    expect(ds.modalities[7].featureNames).toEqual(['value']);
    expect(ds.modalities[0].featureNames).toEqual([
      'score',
      'flag=0',
      'flag=1',
      'colour=green',
      'colour=light blue',
      'colour=red',
      ...[0, 1, 2, 3, 4].map((k) => `visit_date:bin${k}`),
      'weight, kg (Höhe)',
    ]);
    // Counts per combination match the generator; validation and test hold full-modality patients only.
    const perCombination: Record<string, number> = {};
    raw.observed.forEach((mask) => {
      const key = mask.map((o, m) => (o ? 'LVGABXOQ'[m] : '')).join('');
      perCombination[key] = (perCombination[key] ?? 0) + 1;
    });
    for (const [key, count] of Object.entries(perCombination))
      expect(ds.manifest.counts.perCombination[key]).toBe(count);
    expect(Object.keys(ds.manifest.counts.perCombination)).toHaveLength(255);
    for (const i of [...ds.splitIndices.validation, ...ds.splitIndices.testing]) {
      for (const m of ds.modalities) expect(m.observed[i]).toBe(1);
    }
    expect(ds.splitIndices.validation.length).toBeGreaterThan(0);
    expect(ds.splitIndices.testing.length).toBeGreaterThan(0);
    await checkGeneral(raw, ds, out);
  });

  it('hand-checked values: MinMax on training rows, mean imputation, ±1 one-hot with mode imputation, date bins', async () => {
    const { raw, ds, out } = await build({
      modalities: [{ name: 'clinic' }, { name: 'survey', format: 'arrow' }],
      classes: ['no', 'yes'],
      patients: 50,
      seed: 7,
    });
    await checkGeneral(raw, ds, out);
    const training = new Set(ds.splits.training);
    const m = 0;
    const trainingRecords = raw.records.filter((r) => training.has(r.id as string) && r.modalities.clinic);
    const cellsOf = (column: string): { id: string; value: string | number | null | undefined }[] =>
      raw.records
        .filter((r) => r.modalities.clinic)
        .map((r) => ({
          id: r.id as string,
          value: (r.modalities.clinic as Record<string, string | number | null>)[column],
        }));
    // score: numerical
    const scores = trainingRecords
      .map((r) => (r.modalities.clinic as Record<string, number | null>).score)
      .filter((x): x is number => typeof x === 'number');
    const min = Math.min(...scores);
    const max = Math.max(...scores);
    const mean = scores.reduce((a, x) => a + (2 * (x - min)) / (max - min) - 1, 0) / scores.length;
    for (const { id, value } of cellsOf('score')) {
      const expected = typeof value === 'number' ? (2 * (value - min)) / (max - min) - 1 : mean;
      expect(row(ds, m, ds.ids.indexOf(id))[0]).toBeCloseTo(expected, 5);
    }
    // colour: categorical text; missing → the training mode (ties → first in sort order)
    const categories = ['green', 'light blue', 'red'];
    const counts = categories.map(
      (c) => trainingRecords.filter((r) => (r.modalities.clinic as Record<string, unknown>).colour === c).length,
    );
    const mode = categories[counts.indexOf(Math.max(...counts))];
    for (const { id, value } of cellsOf('colour')) {
      const hot = categories.indexOf(typeof value === 'string' ? value : mode);
      expect(row(ds, m, ds.ids.indexOf(id)).slice(3, 6)).toEqual(categories.map((_, k) => (k === hot ? 1 : -1)));
    }
    // visit_date: 5 equal-width bins between the training min and max
    const times = trainingRecords
      .map((r) => (r.modalities.clinic as Record<string, string | null>).visit_date)
      .filter((x): x is string => typeof x === 'string')
      .map(parseDate);
    const [t0, t1] = [Math.min(...times), Math.max(...times)];
    for (const { id, value } of cellsOf('visit_date')) {
      if (typeof value !== 'string') continue;
      const bin = Math.min(4, Math.max(0, Math.floor(((parseDate(value) - t0) / (t1 - t0)) * 5)));
      expect(row(ds, m, ds.ids.indexOf(id)).slice(6, 11)).toEqual([0, 1, 2, 3, 4].map((k) => (k === bin ? 1 : -1)));
    }
  });

  it('one modality, numeric labels and Int64 ids beyond 2^53 from Arrow tables', async () => {
    const { raw, ds, out } = await build({
      modalities: [{ name: 'only', format: 'arrow', columns: 'single' }],
      classes: [1, 0],
      patients: 30,
      labelsFormat: 'arrow',
      numericIds: true,
    });
    expect(ds.classes).toEqual(['0', '1']);
    expect(ds.ids).toContain('100037');
    await checkGeneral(raw, ds, out);
    // ids that differ only beyond float64 precision stay distinct
    const { tableToIPC, Table, vectorFromArray, Int64, Float64 } = await import('apache-arrow');
    const big = [9007199254740993n, 9007199254740995n, 9007199254740997n, 9007199254740999n];
    const ids = vectorFromArray(big, new Int64());
    await writeFile(
      path.join(root, 'big.arrow'),
      tableToIPC(new Table({ id: ids, v: vectorFromArray([1, 2, 3, 4], new Float64()) }), 'file'),
    );
    await writeFile(path.join(root, 'big-labels.csv'), `id,y\n${big.map((b, i) => `${b},${i % 2}`).join('\n')}\n`);
    const splits = path.join(root, 'big-splits.json');
    await writeFile(
      splits,
      JSON.stringify({
        training: ['9007199254740993', '9007199254740995'],
        validation: ['9007199254740997'],
        testing: ['9007199254740999'],
      }),
    );
    const r = await cli([
      'tables',
      '--modality',
      `v=${path.join(root, 'big.arrow')}`,
      '--labels',
      path.join(root, 'big-labels.csv'),
      '--splits',
      splits,
      '--out',
      path.join(root, 'big'),
    ]);
    expect(r.err).toBe('');
    expect((await readDataset(path.join(root, 'big'))).ids).toEqual(big.map(String));
  });

  it('4 numeric classes with a given class order; "1.0" and "1" are one class', async () => {
    const raw = await generateTablesRaw({
      outDir: path.join(root, 'raw'),
      modalities: [{ name: 'a' }, { name: 'b', columns: 'single' }],
      classes: [0, 1, 2, 3],
      patients: 40,
    });
    const text = (await readFile(raw.labelsFile, 'utf8')).replace(/,1\n/g, ',1.0\n');
    expect(text).toMatch(/,1\.0\n/);
    await writeFile(raw.labelsFile, text);
    const out = path.join(root, 'ds');
    const r = await cli([
      'tables',
      ...modalityArgs(raw),
      '--labels',
      raw.labelsFile,
      '--classes',
      '3,1,2,0',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    const ds = await readDataset(out);
    expect(ds.classes).toEqual(['3', '1', '2', '0']);
    raw.ids.forEach((id, k) => expect(ds.classes[ds.labels[ds.ids.indexOf(id)]]).toBe(String(raw.labels[k])));
    const derived = path.join(root, 'ds2');
    expect((await cli(['tables', ...modalityArgs(raw), '--labels', raw.labelsFile, '--out', derived])).code).toBe(0);
    expect((await readDataset(derived)).classes).toEqual(['0', '1', '2', '3']);
  });

  it('padded header names are trimmed; YYYY/MM/DD dates and timestamps with offsets are dates', async () => {
    const rows = [
      'id , Weight (kg) ,seen',
      ...Array.from(
        { length: 20 },
        (_, i) => `p${i},${50 + i},${i % 2 ? `2021/0${1 + (i % 9)}/15` : `2021-0${1 + (i % 9)}-15T08:00:00+02:00`}`,
      ),
    ];
    await writeFile(path.join(root, 'm.csv'), `${rows.join('\n')}\n`);
    await writeFile(
      path.join(root, 'y.csv'),
      `id,y\n${Array.from({ length: 20 }, (_, i) => `p${i},${i % 2}`).join('\n')}\n`,
    );
    const out = path.join(root, 'ds');
    const r = await cli([
      'tables',
      '--modality',
      `m=${path.join(root, 'm.csv')}`,
      '--labels',
      path.join(root, 'y.csv'),
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    const ds = await readDataset(out);
    expect(ds.modalities[0].featureNames).toEqual(['Weight (kg)', ...[0, 1, 2, 3, 4].map((k) => `seen:bin${k}`)]);
    const t = await loadTransforms(out);
    const i = ds.ids.indexOf('p3');
    expect(
      Array.from(
        t.transformRecord({ modalities: { m: { ' weight (KG)': 53, seen: '2021/04/15' } } }).inputs[0] as Float32Array,
      ),
    ).toEqual(row(ds, 0, i));
  });

  it('a given splits file (numeric ids as JSON numbers) is used as is, patients without every modality in test', async () => {
    const raw = await generateTablesRaw({
      outDir: path.join(root, 'raw'),
      modalities: [{ name: 'x' }, { name: 'y' }, { name: 'z', columns: 'single' }],
      classes: ['b', 'a'],
      patients: 36,
      numericIds: true,
      fullShare: 0.3,
    });
    const ids = raw.ids.map(Number);
    const splitsFile = path.join(root, 'splits.json');
    await writeFile(
      splitsFile,
      JSON.stringify({ training: ids.slice(0, 24), validation: ids.slice(24, 30), testing: ids.slice(30) }),
    );
    const out = path.join(root, 'ds');
    const r = await cli([
      'tables',
      ...modalityArgs(raw),
      '--labels',
      raw.labelsFile,
      '--splits',
      splitsFile,
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    const ds = await readDataset(out);
    expect(ds.manifest.splitsOrigin).toBe('given');
    expect(ds.splits.testing).toEqual(raw.ids.slice(30));
    const partial = (i: number): boolean => ds.modalities.some((m) => m.observed[i] === 0);
    expect([...ds.splitIndices.validation, ...ds.splitIndices.testing].some(partial)).toBe(true);
    await checkGeneral(raw, ds, out);
  });
});

describe('tables: bad input on general layouts (error names file, row, column; exit 1; nothing written)', () => {
  async function expectFailure(args: string[], message: RegExp, out = path.join(root, 'ds')): Promise<void> {
    const r = await cli([...args, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect((await readdir(root)).filter((f) => /^ds\.(tmp|old)-/.test(f))).toEqual([]);
  }

  it('no patient with every modality: generated splits cannot be made, --splits is suggested', async () => {
    const raw = await generateTablesRaw({
      outDir: path.join(root, 'raw'),
      modalities: [{ name: 'x' }, { name: 'y' }],
      classes: ['a', 'b'],
      patients: 20,
      fullShare: 0,
    });
    await expectFailure(
      ['tables', ...modalityArgs(raw), '--labels', raw.labelsFile],
      /cannot generate splits: .*0 of 20 patients have every modality, .*--splits/,
    );
    expect(await readdir(root)).toEqual(['raw']);
  });

  it('a missing label token, a label patient without modality (row and column), a control character in a name', async () => {
    const raw = await generateTablesRaw({
      outDir: path.join(root, 'raw'),
      modalities: [{ name: 'x' }],
      classes: ['a', 'b'],
      patients: 20,
    });
    const labels = await readFile(raw.labelsFile, 'utf8');
    await writeFile(path.join(root, 'na.csv'), labels.replace(`${raw.ids[3]},b`, `${raw.ids[3]},NA`));
    await expectFailure(
      ['tables', ...modalityArgs(raw), '--labels', path.join(root, 'na.csv')],
      /na\.csv: row 4, column outcome: the label is missing \("NA"; if it is a class, list it with --classes\)/,
    );
    expect(
      (
        await cli([
          'tables',
          ...modalityArgs(raw),
          '--labels',
          path.join(root, 'na.csv'),
          '--classes',
          'a,b,NA',
          '--out',
          path.join(root, 'na'),
        ])
      ).code,
    ).toBe(0);
    expect((await readDataset(path.join(root, 'na'))).manifest.counts.perClass).toEqual({ a: 10, b: 9, NA: 1 });
    await rm(path.join(root, 'na'), { recursive: true });
    await writeFile(path.join(root, 'more.csv'), `${labels}ghost,a\n`);
    await expectFailure(
      ['tables', ...modalityArgs(raw), '--labels', path.join(root, 'more.csv')],
      /more\.csv: row 21, column patient id: patient "ghost" has no modality/,
    );
    await expectFailure(
      ['tables', '--modality', `bad\tname=${raw.modalityFiles[0].file}`, '--labels', raw.labelsFile],
      /modality name "bad\\tname": expected 1 to 100 printable characters/,
    );
    expect((await readdir(root)).filter((f) => f.startsWith('ds'))).toEqual([]);
  });

  it('a failed build leaves an existing dataset at --out untouched', async () => {
    const { raw, out } = await build({ modalities: [{ name: 'x' }], classes: ['a', 'b'], patients: 20 });
    const before = await readFile(path.join(out, 'manifest.json'), 'utf8');
    await writeFile(
      path.join(root, 'bad-splits.json'),
      JSON.stringify({ training: [raw.ids[0], null], validation: [], testing: [] }),
    );
    await expectFailure(
      ['tables', ...modalityArgs(raw), '--labels', raw.labelsFile, '--splits', path.join(root, 'bad-splits.json')],
      /bad-splits\.json: training\[1\]: expected a patient id \(text or number\), found null/,
      out,
    );
    expect(await readFile(path.join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect((await readDataset(out)).ids).toHaveLength(20);
  });
});
