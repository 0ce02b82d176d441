import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableToIPC, tableFromArrays } from 'apache-arrow';
import { runDataCli } from '../cli/run-data-cli.js';
import { readDataset } from '../dataset/read-dataset.js';
import { loadTransforms } from '../transforms/load-transforms.js';
import { classNamesOf, resolveLetters } from './build-tables-dataset.js';

let root: string;

async function file(name: string, text: string | Uint8Array): Promise<string> {
  const p = path.join(root, name);
  await writeFile(p, text);
  return p;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDataCli(args, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
  });
  return { code, out: out.join(''), err: err.join('') };
}

/** 40 patients: lab table for everyone but p38/p39, a questionnaire (Arrow) for p0..p29. */
async function fixture(): Promise<{ lab: string; quest: string; labels: string }> {
  const labRows = ['pid,age,score,smoker,visit_date'];
  const labels = ['pid,outcome'];
  for (let i = 0; i < 40; i++) {
    if (i < 38)
      labRows.push(
        `p${i},${40 + i},${i === 5 ? '' : (i % 7) * 1.5},${i % 3 === 0 ? 'yes' : 'no'},2020-01-${String((i % 28) + 1).padStart(2, '0')}`,
      );
    labels.push(`p${i},${i % 2 === 0 ? 'good' : 'bad'}`);
  }
  const ids = [...Array.from({ length: 30 }, (_, i) => `p${i}`), 'p38', 'p39'];
  const arrow = tableToIPC(
    tableFromArrays({
      id: ids,
      height: Float64Array.from(ids.map((_, i) => 150 + i)),
      group: ids.map((_, i) => ['a', 'b', 'c'][i % 3]),
    }),
    'file',
  );
  return {
    lab: await file('lab.csv', `${labRows.join('\n')}\n`),
    quest: await file('quest.arrow', arrow),
    labels: await file('labels.csv', `${labels.join('\n')}\n`),
  };
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'flexmoe-tables-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("tables: users' own data", () => {
  it('builds a dataset from CSV and Arrow tables in the given modality order', async () => {
    const f = await fixture();
    const out = path.join(root, 'ds');
    const r = await cli([
      'tables',
      '--modality',
      `lab=${f.lab}`,
      '--modality',
      `quest=${f.quest}`,
      '--labels',
      f.labels,
      '--out',
      out,
      '--json',
    ]);
    expect(r.err).toMatch(/^wrote dataset to .*\n(?![\s\S]*error)/); // --json: the JSON is on stdout, the human text on stderr
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.counts.perCombination).toEqual({ LQ: 30, L: 8, Q: 2 });
    const ds = await readDataset(out);
    expect(ds.modalities.map((m) => `${m.letter}:${m.name}`)).toEqual(['L:lab', 'Q:quest']);
    expect(ds.classes).toEqual(['bad', 'good']);
    expect(ds.labels[ds.ids.indexOf('p0')]).toBe(1);
    expect(ds.modalities[0].featureNames).toEqual([
      'age',
      'score',
      'smoker=no',
      'smoker=yes',
      ...[0, 1, 2, 3, 4].map((k) => `visit_date:bin${k}`),
    ]);
    expect(ds.modalities[1].featureNames).toEqual(['height', 'group=a', 'group=b', 'group=c']);
    // p38 and p39 have only the questionnaire
    expect(ds.modalities[0].observed[ds.ids.indexOf('p38')]).toBe(0);
    for (const i of [...ds.splitIndices.validation, ...ds.splitIndices.testing])
      expect(ds.modalities[1].observed[i]).toBe(1);
    // Transforming the raw row of p3 gives its dataset row.
    const t = await loadTransforms(out);
    const rec = t.transformRecord({
      id: 'p3',
      modalities: {
        lab: { age: '43', score: '4.5', smoker: 'yes', visit_date: '2020-01-04' },
        quest: { height: 153, group: 'a' },
      },
    });
    const i = ds.ids.indexOf('p3');
    expect(Array.from(rec.inputs[0] as Float32Array)).toEqual(
      Array.from(ds.modalities[0].features.subarray(i * ds.modalities[0].width, (i + 1) * ds.modalities[0].width)),
    );
    expect(Array.from(rec.inputs[1] as Float32Array)).toEqual(
      Array.from(ds.modalities[1].features.subarray(i * 4, i * 4 + 4)),
    );
    expect(rec.letters).toBe('LQ');
  });

  it('uses a given splits.json as is', async () => {
    const f = await fixture();
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const splits = await file(
      'splits.json',
      JSON.stringify({ training: ids.slice(0, 30), validation: ids.slice(30, 35), testing: ids.slice(35) }),
    );
    const out = path.join(root, 'ds');
    const r = await cli([
      'tables',
      '--modality',
      `lab=${f.lab}`,
      '--modality',
      `quest=${f.quest}`,
      '--labels',
      f.labels,
      '--splits',
      splits,
      '--letters',
      'XY',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    const ds = await readDataset(out);
    expect(ds.splits.testing).toEqual(ids.slice(35));
    expect(ds.manifest.splitsOrigin).toBe('given');
    expect(ds.modalities.map((m) => m.letter)).toEqual(['X', 'Y']);
  });

  it('resolves letters and class names', () => {
    expect(resolveLetters(['labs', 'notes'])).toEqual(['L', 'N']);
    expect(() => resolveLetters(['labs', 'lungs'])).toThrow(
      /labs and lungs both get letter L; give distinct letters with --letters/,
    );
    expect(() => resolveLetters(['a', 'b'], 'A')).toThrow(/1 letter\(s\) for 2 modalities/);
    expect(() =>
      resolveLetters(
        Array.from({ length: 9 }, (_, i) => `m${i}`),
        'ABCDEFGHI',
      ),
    ).toThrow(/between 1 and 8/);
    expect(classNamesOf(['10', '2', '1'])).toEqual(['1', '2', '10']);
    expect(classNamesOf(['b', 'a', 'b'])).toEqual(['a', 'b']);
  });
});

describe('tables: bad input gets an error naming file, row and column; exit ≠ 0; nothing written', () => {
  async function expectFailure(args: string[], message: RegExp): Promise<void> {
    const out = path.join(root, 'ds');
    const r = await cli([...args, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
    expect((await readdir(root)).filter((f) => f.startsWith('ds'))).toEqual([]);
  }

  it('missing file', async () => {
    const f = await fixture();
    await expectFailure(
      ['tables', '--modality', `lab=${path.join(root, 'nope.csv')}`, '--labels', f.labels],
      /nope\.csv: file not found/,
    );
  });

  it('missing and unknown columns (labels with one or three columns, modality without features)', async () => {
    const f = await fixture();
    const one = await file('one.csv', 'pid\np0\n');
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', one],
      /one\.csv: expected 2 columns \(id, label\), found 1/,
    );
    await expectFailure(
      ['tables', '--modality', `lab=${one}`, '--labels', f.labels],
      /one\.csv: expected an id column and at least one feature column/,
    );
    const three = await file('three.csv', 'pid,outcome,site\np0,good,x\n');
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', three],
      /three\.csv: unexpected column 'site' \(expected exactly 2 columns: id, label\)/,
    );
  });

  it('duplicate ids', async () => {
    const f = await fixture();
    const dup = await file('dup.csv', 'pid,age\np0,1\np1,2\np0,3\n');
    await expectFailure(
      ['tables', '--modality', `lab=${dup}`, '--labels', f.labels],
      /dup\.csv: row 3, column pid: duplicate id "p0" \(first at row 1\)/,
    );
  });

  it('non-numeric value in a numeric column', async () => {
    const f = await fixture();
    const rows = ['pid,age'];
    for (let i = 0; i < 40; i++) rows.push(`p${i},${i === 17 ? 'forty' : 30 + i}`);
    const bad = await file('bad.csv', `${rows.join('\n')}\n`);
    await expectFailure(
      ['tables', '--modality', `lab=${bad}`, '--labels', f.labels],
      /bad\.csv: row 18, column age: expected a number, found "forty"/,
    );
  });

  it('empty tables', async () => {
    const f = await fixture();
    const empty = await file('empty.csv', 'pid,age\n');
    await expectFailure(['tables', '--modality', `lab=${empty}`, '--labels', f.labels], /empty\.csv: empty table/);
    const nothing = await file('nothing.csv', '');
    await expectFailure(['tables', '--modality', `lab=${f.lab}`, '--labels', nothing], /nothing\.csv: empty/);
  });

  it('labels outside the known classes, and empty labels', async () => {
    const f = await fixture();
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', f.labels, '--classes', 'good,ok'],
      /labels\.csv: row 2, column outcome: label "bad" is not one of the classes good, ok/,
    );
    const blank = await file('blank.csv', 'pid,outcome\np0,good\np1,\n');
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', blank],
      /blank\.csv: row 2, column outcome: the label is empty/,
    );
  });

  it('patients with no modality, and modality rows without a label', async () => {
    const f = await fixture();
    // p38 and p39 are in the labels but in no modality table given here (only lab).
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', f.labels],
      /labels\.csv: row 39, column pid: patient "p38" has no modality/,
    );
    const extra = await file('extra.csv', 'pid,age\np0,1\nzz,2\n');
    await expectFailure(
      ['tables', '--modality', `lab=${extra}`, '--labels', f.labels],
      /extra\.csv: row 2, column pid: patient id "zz" is not in the labels file/,
    );
  });

  it('a splits file naming unknown ids', async () => {
    const f = await fixture();
    const labels = await file(
      'l30.csv',
      `pid,outcome\n${[...Array.from({ length: 30 }, (_, i) => `p${i},${i % 2}`), 'p38,0', 'p39,1'].join('\n')}\n`,
    );
    const splits = await file(
      'splits.json',
      JSON.stringify({ training: ['p0', 'ghost'], validation: [], testing: [] }),
    );
    await expectFailure(
      ['tables', '--modality', `quest=${f.quest}`, '--labels', labels, '--splits', splits],
      /splits\.json: training\[1\]: unknown patient id "ghost"/,
    );
  });

  it('unknown options and bad letters', async () => {
    const f = await fixture();
    await expectFailure(
      ['tables', '--modality', `lab=${f.lab}`, '--labels', f.labels, '--letters', 'l'],
      /letter "l" of modality lab must be one upper-case letter/,
    );
    const r = await cli([
      'tables',
      '--modality',
      `lab=${f.lab}`,
      '--labels',
      f.labels,
      '--out',
      path.join(root, 'x'),
      '--bogus',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown option '--bogus'/);
  });
});

describe('flexmoe-data CLI', () => {
  it('prints help with exit code 0 for every command', async () => {
    for (const args of [
      ['--help'],
      ['tables', '--help'],
      ['adni', '--help'],
      ['inspect', '--help'],
      ['synth', '--help'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: flexmoe-data/);
    }
  });

  it('inspect --json reports the counts of a dataset, and fails on a damaged one', async () => {
    const f = await fixture();
    const labels = await file(
      'l30.csv',
      `pid,outcome\n${[...Array.from({ length: 30 }, (_, i) => `p${i},${i % 3}`), 'p38,0', 'p39,1'].join('\n')}\n`,
    );
    const out = path.join(root, 'ds');
    expect((await cli(['tables', '--modality', `quest=${f.quest}`, '--labels', labels, '--out', out])).code).toBe(0);
    const r = await cli(['inspect', out, '--json']);
    const s = JSON.parse(r.out);
    expect(s.patients).toBe(32);
    expect(s.classes).toEqual([
      { name: '0', patients: 11 },
      { name: '1', patients: 11 },
      { name: '2', patients: 10 },
    ]);
    expect(s.combinations).toEqual([{ letters: 'Q', index: 0, patients: 32 }]);
    const text = await cli(['inspect', out]);
    expect(text.out).toMatch(/0 Q\s+32/);
    await writeFile(
      path.join(out, 'splits.json'),
      (await readFile(path.join(out, 'splits.json'), 'utf8')).replace('"p1"', '"p99"'),
    );
    const bad = await cli(['inspect', out]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/unknown patient id "p99"/);
  });
});
