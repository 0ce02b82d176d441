import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFam } from '../genomic/read-plink.js';
import { applyColumnTransforms, fitColumnTransforms } from '../transforms/column-transform.js';
import { readSplitsFile } from './build-tables-dataset.js';

describe('early, named input errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flexmoe-checks-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('refuses unknown keys and empty splits in a splits file, naming the field', async () => {
    const file = path.join(dir, 'splits.json');
    const patients = new Set(['a', 'b', 'c']);
    await writeFile(file, JSON.stringify({ training: ['a'], validation: ['b'], testing: ['c'], trainig: [] }));
    await expect(readSplitsFile(file, patients)).rejects.toThrow(
      /splits\.json: unknown field "trainig" \(expected training, validation and testing\)/,
    );
    await writeFile(file, JSON.stringify({ training: ['a', 'b'], validation: [], testing: ['c'] }));
    await expect(readSplitsFile(file, patients)).rejects.toThrow(/splits\.json: field 'validation' is empty/);
  });

  it('refuses a sample listed twice in a .fam file, naming both lines', () => {
    const fam = 'f1 s1 0 0 1 -9\nf2 s2 0 0 2 -9\nf3 s1 0 0 1 -9\n';
    expect(() => parseFam(fam, 'geno.fam')).toThrow(
      'geno.fam: line 3: sample "s1" is already on line 1 (each sample once)',
    );
  });

  it('names file, row, patient and column of a number beyond float32, when fitting and when applying', () => {
    const raw = (v: string) => ({ ids: ['p1', 'p2', 'p3'], columns: new Map([['LAB', ['1', v, '3']]]) });
    for (const v of ['1e40', '1e309', '-4e38']) {
      expect(() => fitColumnTransforms(raw(v), ['p1', 'p2', 'p3'], { file: 'labs.csv' })).toThrow(
        `labs.csv: row 2 (patient p2), column LAB: "${v}" is outside the 32-bit float range (±3.4e38) that features are stored in`,
      );
    }
    // fitted on training rows 1, 3 and 4 only; range 0.5: the validation row 2 (×4) overflows once scaled
    const ids = ['p1', 'p2', 'p3', 'p4'];
    const fitted = fitColumnTransforms(
      { ids, columns: new Map([['LAB', ['1', '5', '1.5', '1.25']]]) },
      ['p1', 'p3', 'p4'],
      { file: 'labs.csv' },
    );
    const validation = { ids, columns: new Map([['LAB', ['1', '3e38', '1.5', '1.25']]]) };
    expect(() => applyColumnTransforms(fitted.columns, validation, 'labs.csv')).toThrow(
      /labs\.csv: patient row 2 \(id p2\), column LAB \(after scaling\): "3e38" is outside the 32-bit float range/,
    );
  });
});
