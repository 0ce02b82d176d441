import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readNiftiVolume } from './read-nifti.js';
import { encodeNifti, writeNiftiVolume } from './write-nifti.js';
import { decodeMaskRuns, encodeMaskRuns } from './image-mask.js';
import { latestScanPerPatient, scanFromFolderName } from './image-index.js';
import { buildImageModality } from './image-modality.js';
import { applyModalityTransform } from '../transforms/modality-transform.js';
import { readNiftiRecordParts } from './nifti-record-parts.js';
import { createRecordTransformerReadingFiles } from '../transforms/load-transforms.js';
import { createRecordTransformer } from '../transforms/transform-record.js';
import { generateAtlas, generateScanVolume } from '../synth/nifti.js';

// The repository's copy of a real NIfTI volume (fixtures/README.md says where it comes from).
const FIXTURE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/nifti/nibabel_anatomical.nii');

describe('NIfTI volumes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nifti-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the nibabel fixture (big-endian int16) with values matching an independent byte-level read', async () => {
    const vol = await readNiftiVolume(FIXTURE);
    expect(vol.dims).toEqual([33, 41, 25]);
    expect(vol.datatype).toBe(4);
    expect(vol.pixdims).toEqual([2, 2, 2]);
    // independent read: sizeof_hdr is big-endian 348, vox_offset float32 at byte 108, int16 big-endian voxels
    const bytes = await readFile(FIXTURE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getInt32(0, false)).toBe(348);
    const off = view.getFloat32(108, false);
    const slope = view.getFloat32(112, false);
    const inter = view.getFloat32(116, false);
    const scale = (v: number) => (slope === 0 ? v : v * slope + inter);
    let nonZero = 0;
    for (const [x, y, z] of [
      [0, 0, 0],
      [16, 20, 12],
      [10, 30, 5],
      [32, 40, 24],
      [20, 15, 18],
    ]) {
      const i = x + 33 * (y + 41 * z);
      const expected = scale(view.getInt16(off + 2 * i, false));
      expect(vol.data[i]).toBe(expected);
      if (expected !== 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(0);
    let sum = 0;
    for (let i = 0; i < vol.data.length; i++) sum += vol.data[i] - scale(view.getInt16(off + 2 * i, false));
    expect(sum).toBe(0);
  });

  it('round-trips float32, int16 with scl_slope/inter, big-endian and .nii.gz volumes', async () => {
    const dims = [4, 3, 2];
    const data = Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);
    await writeNiftiVolume(join(dir, 'f.nii'), dims, data);
    expect(Array.from((await readNiftiVolume(join(dir, 'f.nii'))).data)).toEqual(data);
    await writeNiftiVolume(join(dir, 'f.nii.gz'), dims, data, { bigEndian: true });
    const gz = await readNiftiVolume(join(dir, 'f.nii.gz'));
    expect(gz.dims).toEqual(dims);
    expect(Array.from(gz.data)).toEqual(data);
    // int16 stored as (v - 100) / 0.5 → read back v exactly for multiples of 0.5
    await writeNiftiVolume(
      join(dir, 's.nii'),
      dims,
      data.map((v) => v + 100),
      { datatype: 'int16', scale: { slope: 0.5, inter: 100 } },
    );
    const s = await readNiftiVolume(join(dir, 's.nii'));
    expect(s.datatype).toBe(4);
    expect(Array.from(s.data)).toEqual(data.map((v) => v + 100));
    const stored = new DataView((await readFile(join(dir, 's.nii'))).buffer).getInt16(352 + 2, true);
    expect(stored).toBe(Math.round((data[1] + 100 - 100) / 0.5));
  });

  it('gives clear errors naming the file for unreadable volumes', async () => {
    await writeFile(join(dir, 'junk.nii'), Buffer.alloc(400, 7));
    await expect(readNiftiVolume(join(dir, 'junk.nii'))).rejects.toThrow(/junk\.nii: unreadable NIfTI \(not a NIfTI/);
    const full = encodeNifti([10, 10, 10], new Float32Array(1000));
    await writeFile(join(dir, 'short.nii'), full.subarray(0, 2000));
    await expect(readNiftiVolume(join(dir, 'short.nii'))).rejects.toThrow(
      /short\.nii: unreadable NIfTI \(truncated: 2000 bytes/,
    );
    const gz = gzipSync(full);
    await writeFile(join(dir, 'cut.nii.gz'), gz.subarray(0, gz.length - 20));
    await expect(readNiftiVolume(join(dir, 'cut.nii.gz'))).rejects.toThrow(
      /cut\.nii\.gz: unreadable NIfTI \(truncated or corrupt gzip/,
    );
    await expect(readNiftiVolume(join(dir, 'none.nii'))).rejects.toThrow(/none\.nii: NIfTI file not found/);
  });

  it('encodes masks as runs and picks the latest scan per patient', () => {
    const idx = Uint32Array.from([2, 3, 4, 9, 11, 12]);
    expect(encodeMaskRuns(idx)).toEqual([2, 3, 9, 1, 11, 2]);
    expect(Array.from(decodeMaskRuns(encodeMaskRuns(idx)))).toEqual(Array.from(idx));
    expect(scanFromFolderName('011_S_0002_2005-08-26', 'x')).toEqual({
      ptid: '011_S_0002',
      scanDate: '2005-08-26',
      file: 'x',
    });
    expect(scanFromFolderName('garbage', 'x')).toBeNull();
    const latest = latestScanPerPatient([
      { ptid: 'A', scanDate: '2010-01-01', file: 'a1' },
      { ptid: 'B', scanDate: '2009-01-01', file: 'b1' },
      { ptid: 'A', scanDate: '2012-05-01', file: 'a2' },
      { ptid: 'A', scanDate: '2011-01-01', file: 'a3' },
    ]);
    expect(latest.map((s) => s.file)).toEqual(['a2', 'b1']);
  });

  it('builds the masked, z-normalised modality from an index (training stats only) and reproduces rows from raw records', async () => {
    const dims: [number, number, number] = [8, 9, 7];
    const atlas = generateAtlas(dims, 1);
    await writeNiftiVolume(join(dir, 'atlas.nii.gz'), dims, atlas, { datatype: 'uint8' });
    const lines = ['PTID,SCANDATE,FILE'];
    const pts = ['P1', 'P2', 'P3', 'P4'];
    for (let p = 0; p < pts.length; p++) {
      for (const [k, date] of ['2010-01-01', '2012-01-01'].entries()) {
        const vol = generateScanVolume(atlas, dims, 10 * p + k, k === 1 ? p % 3 : 9);
        await writeNiftiVolume(join(dir, `${pts[p]}_${k}.nii.gz`), dims, vol);
        lines.push(`${pts[p]},${date},${pts[p]}_${k}.nii.gz`);
      }
    }
    await writeFile(join(dir, 'image_index.csv'), lines.join('\n') + '\n');
    const { table, transform } = await buildImageModality({
      indexCsv: join(dir, 'image_index.csv'),
      atlas: join(dir, 'atlas.nii.gz'),
      trainingIds: ['P1', 'P2'],
      ids: ['P1', 'P2', 'P3'],
    });
    expect(table.ids).toEqual(['P1', 'P2', 'P3']);
    const gm = Array.from(atlas)
      .map((v, i) => (v === 150 ? i : -1))
      .filter((i) => i >= 0);
    expect(transform.voxelCount).toBe(gm.length);
    expect(table.featureNames[0]).toBe(`v${gm[0]}`);
    // independent: raw GM voxels of the latest scans of P1, P2 → mean/std by hand
    const raw = async (p: string) => {
      const v = await readNiftiVolume(join(dir, `${p}_1.nii.gz`));
      return gm.map((i) => v.data[i]);
    };
    const train = [...(await raw('P1')), ...(await raw('P2'))];
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
    expect(transform.mean).toBeCloseTo(mean, 9);
    expect(transform.std).toBeCloseTo(std, 9);
    const p3 = await raw('P3');
    expect(table.features[2 * gm.length + 5]).toBeCloseTo((p3[5] - mean) / std, 5);
    // raw records: masked voxels, or the NIfTI file itself
    const w = gm.length;
    const fromVoxels = applyModalityTransform(transform, { voxels: p3 }, 'rec');
    expect(Array.from(fromVoxels)).toEqual(Array.from(table.features.subarray(2 * w, 3 * w)));
    // A NIfTI path is read by the Node-side step, never by the transform itself.
    const niftiRecord = { modalities: { image: { nifti: join(dir, 'P3_1.nii.gz') } } };
    expect(() => applyModalityTransform(transform, niftiRecord.modalities.image, 'rec')).toThrow(
      /rec: this transformer reads no files/,
    );
    const resolved = readNiftiRecordParts(niftiRecord, { formatVersion: 1, modalities: { image: transform } }, 'rec');
    const fromNifti = applyModalityTransform(transform, resolved.modalities.image, 'rec');
    expect(Array.from(fromNifti)).toEqual(Array.from(table.features.subarray(2 * w, 3 * w)));
    const transformsJson = { formatVersion: 1 as const, modalities: { image: transform } };
    const reading = createRecordTransformerReadingFiles(
      [{ name: 'image', letter: 'I', width: w }],
      ['a'],
      transformsJson,
    );
    expect(Array.from(reading.transformRecord(niftiRecord).inputs[0] as Float32Array)).toEqual(Array.from(fromNifti));
    const fileFree = createRecordTransformer([{ name: 'image', letter: 'I', width: w }], ['a'], transformsJson);
    expect(() => fileFree.transformRecord(niftiRecord, 'line 2')).toThrow(
      /line 2, modality image: this transformer reads no files/,
    );
    expect(() => applyModalityTransform(transform, { voxels: [1, 2] }, 'rec 4, modality image')).toThrow(
      /rec 4, modality image: voxels has 2 values, expected/,
    );
  });

  it('accepts a precomputed voxel matrix CSV and rejects non-numeric cells', async () => {
    await writeFile(join(dir, 'm.csv'), 'PTID,a,b\nX,1,2\nY,3,6\n');
    const { table, transform } = await buildImageModality({ matrixCsv: join(dir, 'm.csv'), trainingIds: ['X', 'Y'] });
    expect(transform.mean).toBe(3);
    expect(transform.std).toBeCloseTo(Math.sqrt(3.5), 12);
    expect(table.featureNames).toEqual(['a', 'b']);
    expect(table.features[3]).toBeCloseTo(3 / Math.sqrt(3.5), 6);
    const transforms = { formatVersion: 1 as const, modalities: { image: transform } };
    expect(() => readNiftiRecordParts({ modalities: { image: { nifti: 'x.nii' } } }, transforms, 'r')).toThrow(
      /r, modality image: .*built from a voxel matrix/,
    );
    await writeFile(join(dir, 'bad.csv'), 'PTID,a,b\nX,1,zz\n');
    await expect(buildImageModality({ matrixCsv: join(dir, 'bad.csv'), trainingIds: [] })).rejects.toThrow(
      /bad\.csv: record 1, column 'b': 'zz' is not a number/,
    );
  });
});
