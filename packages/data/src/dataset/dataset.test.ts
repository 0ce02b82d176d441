import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDataset } from './read-dataset.js';
import { describeSourceFile } from './source-file.js';
import { TOOL_VERSION } from './tool-version.js';
import type { DatasetContent } from './types.js';
import { validateContent } from './validate-content.js';
import { modalityFileNames, writeDataset } from './write-dataset.js';

function content(): DatasetContent {
  return {
    source: 'tables',
    modalities: [
      {
        name: 'alpha',
        letter: 'A',
        featureNames: ['x', 'y'],
        ids: ['p1', 'p2', 'p3'],
        features: new Float32Array([1, 2, 3, 4, 5, 6]),
      },
      {
        name: 'beta',
        letter: 'B',
        featureNames: ['z'],
        ids: ['p3', 'p1', 'p4'],
        features: new Float32Array([0.5, -0.5, 0.25]),
      },
    ],
    classes: ['no', 'yes'],
    labels: { ids: ['p1', 'p2', 'p3', 'p4'], label: Int32Array.from([0, 1, 1, 0]) },
    splits: { training: ['p2', 'p4'], validation: ['p1'], testing: ['p3'] },
    transforms: {
      formatVersion: 1,
      modalities: {
        alpha: {
          kind: 'columns',
          columns: [
            { column: 'x', type: 'numerical', missingCodes: [], min: 0, max: 1, mean: 0 },
            { column: 'y', type: 'numerical', missingCodes: [], min: 0, max: 1, mean: 0 },
          ],
        },
        beta: {
          kind: 'columns',
          columns: [{ column: 'z', type: 'numerical', missingCodes: [], min: 0, max: 1, mean: 0 }],
        },
      },
    },
    sources: [{ file: 'a.csv', bytes: 3, sha256: 'ab' }],
  };
}

describe('dataset directory', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-ds-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('makes modality file names safe and distinct, even ignoring case; accepts any printable modality name', () => {
    expect(modalityFileNames(['image', 'labs (2020)', 'a/b', 'a b', 'A_B', '..'])).toEqual([
      'modality-image.arrow',
      'modality-labs__2020_.arrow',
      'modality-a_b.arrow',
      'modality-a_b-4.arrow',
      'modality-A_B-5.arrow',
      'modality-...arrow',
    ]);
    const c = content();
    c.modalities[0].name = 'labs (2020) / Ωmega';
    c.transforms.modalities = {
      [c.modalities[0].name]: c.transforms.modalities.alpha,
      beta: c.transforms.modalities.beta,
    };
    expect(validateContent(c)).toEqual([]);
    c.modalities[1].name = 'be\nta';
    expect(validateContent(c).join('\n')).toMatch(/modality name "be\\nta": expected 1 to 100 printable characters/);
  });

  it('refuses a manifest whose modality file points outside the dataset directory', async () => {
    const dir = path.join(root, 'ds');
    await writeDataset(dir, content());
    const manifestFile = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(manifestFile, 'utf8'));
    m.modalities[1].file = '../modality-beta.arrow';
    await writeFile(manifestFile, JSON.stringify(m));
    await expect(readDataset(dir)).rejects.toThrow(
      /modalities\[1\] \(beta\): file "\.\.\/modality-beta\.arrow" must be a file name inside the dataset directory/,
    );
  });

  it('round-trips: dense arrays aligned with ids, observed masks, split indices, counts', async () => {
    const dir = path.join(root, 'ds');
    const manifest = await writeDataset(dir, content());
    expect(manifest.counts.perCombination).toEqual({ AB: 2, A: 1, B: 1 });
    expect(manifest.counts.perModality).toEqual({ A: 3, B: 3 });
    expect(manifest.counts.perClass).toEqual({ no: 2, yes: 2 });
    expect(manifest.tool.version).toBe(TOOL_VERSION);
    const ds = await readDataset(dir);
    expect(ds.ids).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(Array.from(ds.labels)).toEqual([0, 1, 1, 0]);
    expect(Array.from(ds.modalities[0].features)).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(Array.from(ds.modalities[0].observed)).toEqual([1, 1, 1, 0]);
    expect(Array.from(ds.modalities[1].features)).toEqual([-0.5, 0, 0.5, 0.25]);
    expect(Array.from(ds.modalities[1].observed)).toEqual([1, 0, 1, 1]);
    expect(Array.from(ds.splitIndices.training)).toEqual([1, 3]);
    expect(Array.from(ds.splitIndices.validation)).toEqual([0]);
    expect(Array.from(ds.splitIndices.testing)).toEqual([2]);
    expect((await readdir(root)).sort()).toEqual(['ds']); // no temporary sibling left
  });

  it('refuses inconsistent content and writes nothing', async () => {
    const dir = path.join(root, 'bad');
    const c = content();
    c.splits.validation = ['p2']; // p2 lacks beta
    c.labels.label[3] = 5;
    c.modalities[1].ids[2] = 'ghost';
    const error = await writeDataset(dir, c).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/validation patient "p2" does not have every modality/);
    expect(error).toMatch(/labels: row 4: label 5 is outside the 2 classes/);
    expect(error).toMatch(/modality beta: row 3: patient id "ghost" has no label/);
    expect(await readdir(root)).toEqual([]);
  });

  it('replaces an existing dataset whole, but never a directory that is not a dataset', async () => {
    const dir = path.join(root, 'ds');
    await writeDataset(dir, content());
    const c = content();
    c.classes = ['neg', 'pos'];
    await writeDataset(dir, c);
    expect((await readDataset(dir)).classes).toEqual(['neg', 'pos']);
    expect((await readdir(root)).sort()).toEqual(['ds']);
    const other = path.join(root, 'home');
    await mkdir(other);
    await writeFile(path.join(other, 'notes.txt'), 'keep me');
    await expect(writeDataset(other, content())).rejects.toThrow(/not a dataset/);
    expect(await readFile(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('says what is inconsistent when reading a damaged dataset', async () => {
    const dir = path.join(root, 'ds');
    const noHashes = { verifyFileHashes: false }; // the content checks alone
    await writeDataset(dir, content());
    const manifestFile = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(manifestFile, 'utf8'));
    m.counts.perCombination.AB = 7;
    await writeFile(manifestFile, JSON.stringify(m));
    await expect(readDataset(dir, noHashes)).rejects.toThrow(/counts\.perCombination/);
    m.counts.perCombination.AB = 2;
    await writeFile(manifestFile, JSON.stringify(m));
    await writeFile(path.join(dir, 'transforms.json'), '{"formatVersion":1,"modalities":{}}\n');
    await expect(readDataset(dir, noHashes)).rejects.toThrow(/no transform for modality alpha[\s\S]*SHA-256/);
    await writeDataset(dir, content());
    await writeFile(
      path.join(dir, 'splits.json'),
      JSON.stringify({ training: ['p2', 'p4', 'zz'], validation: ['p1'], testing: ['p3'] }),
    );
    await expect(readDataset(dir, noHashes)).rejects.toThrow(/training names unknown patient id "zz"/);
    await writeDataset(dir, content());
    await writeFile(path.join(dir, 'modality-beta.arrow'), 'garbage');
    await expect(readDataset(dir, noHashes)).rejects.toThrow(/modality-beta\.arrow: not a readable Arrow IPC file/);
    await writeDataset(dir, content());
    await rm(path.join(dir, 'labels.arrow'));
    await expect(readDataset(dir, noHashes)).rejects.toThrow(/labels\.arrow: cannot be read/);
  });

  it('records a SHA-256 of every dataset file and refuses a file edited afterwards, naming it', async () => {
    const dir = path.join(root, 'ds');
    const manifest = await writeDataset(dir, content());
    expect(Object.keys(manifest.fileSha256 ?? {}).sort()).toEqual([
      'labels.arrow',
      'modality-alpha.arrow',
      'modality-beta.arrow',
      'splits.json',
      'transforms.json',
    ]);
    const file = path.join(dir, 'modality-alpha.arrow');
    const bytes = await readFile(file);
    bytes[bytes.length - 20] ^= 0x40; // flip one bit inside the feature values
    await writeFile(file, bytes);
    await expect(readDataset(dir)).rejects.toThrow(
      /modality-alpha\.arrow: SHA-256 [0-9a-f]{64} differs from the manifest's/,
    );
    const prev = process.env.FLEXMOE_SKIP_DATASET_HASHES;
    process.env.FLEXMOE_SKIP_DATASET_HASHES = '1';
    try {
      await expect(readDataset(dir)).resolves.toBeDefined(); // the documented opt-out skips the check
    } finally {
      if (prev === undefined) delete process.env.FLEXMOE_SKIP_DATASET_HASHES;
      else process.env.FLEXMOE_SKIP_DATASET_HASHES = prev;
    }
  });

  it('describes a source file with its size and streamed SHA-256', async () => {
    const f = path.join(root, 'x.csv');
    await writeFile(f, 'abc');
    expect(await describeSourceFile(f)).toEqual({
      file: 'x.csv',
      bytes: 3,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('keeps the tool version equal to package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});
