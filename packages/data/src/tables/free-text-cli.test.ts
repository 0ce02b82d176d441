import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDataCli } from '../cli/run-data-cli.js';

describe('flexmoe-data tables: free text and rare categories stay out of the dataset transforms', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flexmoe-freetext-'));
    const ids = Array.from({ length: 40 }, (_, i) => `pt${i}`);
    const rows = ids.map(
      (id, i) =>
        `${id},${50 + i},${i % 2 ? 'north' : 'south'},${i === 3 ? 'Dr Quimby' : i % 2 ? 'north' : 'south'},SSN 123-45-60${i} patient ${id}`,
    );
    await writeFile(path.join(dir, 'clinical.csv'), `pid,AGE,SITE,WARD,NOTE\n${rows.join('\n')}\n`);
    await writeFile(path.join(dir, 'labels.csv'), `pid,y\n${ids.map((id, i) => `${id},${i % 2}`).join('\n')}\n`);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const build = async (extra: string[]): Promise<{ code: number; err: string; transforms: string }> => {
    let err = '';
    const out = path.join(dir, `ds-${extra.length}`);
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } };
    const code = await runDataCli(
      [
        'tables',
        '--modality',
        `clinical=${path.join(dir, 'clinical.csv')}`,
        '--labels',
        path.join(dir, 'labels.csv'),
        '--out',
        out,
        ...extra,
      ],
      io,
    );
    const transforms = code === 0 ? await readFile(path.join(out, 'transforms.json'), 'utf8') : '';
    return { code, err, transforms };
  };

  it('drops the free-text column with a named warning and folds a rare category into (other)', async () => {
    const r = await build([]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /warning: .*clinical\.csv: column NOTE dropped \(looks like free text: \d+ distinct values among \d+ training values\); declare it categorical with --categorical NOTE/,
    );
    expect(r.err).not.toMatch(/SSN|Quimby|pt\d/);
    expect(r.transforms).not.toMatch(/SSN|Quimby|pt\d/);
    expect(JSON.parse(r.transforms).modalities.clinical.columns.map((c: { column: string }) => c.column)).toEqual([
      'AGE',
      'SITE',
      'WARD',
    ]);
    expect(r.transforms).toContain('"other":"(other)"');
  });

  it('keeps a declared categorical column without its values', async () => {
    const r = await build(['--categorical', 'NOTE', '--min-category-count', '5']);
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('NOTE dropped');
    expect(r.transforms).not.toMatch(/SSN|pt\d/);
    expect(
      JSON.parse(r.transforms).modalities.clinical.columns.find((c: { column: string }) => c.column === 'NOTE'),
    ).toMatchObject({ categories: ['(other)'] });
  });
});
