import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorFile, writeTensorFile } from './tensor-file.js';

describe('tensor file checksum', () => {
  it('verifies header and data: a finite change of a value or of a header field is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexmoe-sum-'));
    try {
      const file = join(dir, 'c.bin');
      writeTensorFile(file, { epochsCompleted: 1 }, [['w', { values: Float32Array.from([1, 2, 3, 4]), shape: [4] }]]);
      const good = readFileSync(file);
      expect(readTensorFile<{ epochsCompleted: number }>(file, { requireChecksum: true }).header.epochsCompleted).toBe(
        1,
      );

      const tripled = Buffer.from(good);
      const values = new Float32Array(tripled.buffer, tripled.byteOffset + tripled.length - 16, 4);
      values[2] *= 3;
      writeFileSync(file, tripled);
      expect(() => readTensorFile(file)).toThrow(
        /c\.bin: checksum mismatch \(stored [0-9a-f]{64}, computed [0-9a-f]{64}\)/,
      );

      writeFileSync(
        file,
        Buffer.from(good.toString('latin1').replace('"epochsCompleted":1', '"epochsCompleted":9'), 'latin1'),
      );
      expect(() => readTensorFile(file)).toThrow(/checksum mismatch/);

      const noSum = Buffer.from(
        good.toString('latin1').replace(/,"sha256":"[0-9a-f]{64}"/, (m) => ' '.repeat(m.length)),
        'latin1',
      );
      writeFileSync(file, noSum);
      expect(() => readTensorFile(file, { requireChecksum: true })).toThrow(/c\.bin: has no checksum/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
