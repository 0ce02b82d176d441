/**
 * Native reader of PLINK 1 binary filesets: bit-packed SNP-major `.bed` decoded through a 256-entry
 * lookup table (no text round trip), `.bim` and `.fam` parsed as whitespace-separated text.
 */
import { readFile, stat } from 'node:fs/promises';
import type { PlinkFileset, PlinkSample, PlinkVariant } from './plink-types.js';

/** `.bed` magic: 0x6c 0x1b, then 0x01 = SNP-major. */
export const BED_MAGIC = [0x6c, 0x1b, 0x01] as const;

/**
 * 2-bit .bed code → a1 dosage. 00 hom a1 → 2, 01 missing → -1, 10 het → 1, 11 hom a2 → 0.
 * LUT[byte * 4 + k] is the genotype of the k-th sample (low bits first) packed in `byte`.
 */
const CODE_TO_DOSAGE = [2, -1, 1, 0];
const BYTE_LUT = (() => {
  const lut = new Int8Array(256 * 4);
  for (let b = 0; b < 256; b++) for (let k = 0; k < 4; k++) lut[b * 4 + k] = CODE_TO_DOSAGE[(b >> (2 * k)) & 3];
  return lut;
})();

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`${path}: missing ${what} file of the PLINK fileset`);
    throw new Error(`${path}: ${e.message}`);
  }
}

/**
 * The non-blank lines of a whitespace-separated PLINK text file (`.fam`, `.bim`), each split into fields.
 * @throws naming the file and line of a line with fewer than 6 fields
 */
function sixFieldLines(text: string, path: string, fieldNames: string): { line: number; f: string[] }[] {
  const out: { line: number; f: string[] }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const f = line.split(/\s+/);
    if (f.length < 6) throw new Error(`${path}: line ${i + 1} has ${f.length} fields, expected 6 (${fieldNames})`);
    out.push({ line: i + 1, f });
  });
  return out;
}

/** Parses a `.fam` file (6 whitespace-separated fields per line). */
export function parseFam(text: string, path: string): PlinkSample[] {
  const firstLine = new Map<string, number>();
  return sixFieldLines(text, path, 'fid iid father mother sex phenotype').map(({ line, f }) => {
    const first = firstLine.get(f[1]);
    if (first !== undefined)
      throw new Error(
        `${path}: line ${line}: sample ${JSON.stringify(f[1])} is already on line ${first} (each sample once)`,
      );
    firstLine.set(f[1], line);
    const sex = Number(f[4]);
    return { fid: f[0], iid: f[1], father: f[2], mother: f[3], sex: Number.isInteger(sex) ? sex : 0, phenotype: f[5] };
  });
}

/** Parses a `.bim` file (6 whitespace-separated fields per line). */
export function parseBim(text: string, path: string): PlinkVariant[] {
  return sixFieldLines(text, path, 'chr id cm bp a1 a2').map(({ line, f }) => {
    const bp = Number(f[3]);
    if (!Number.isFinite(bp)) throw new Error(`${path}: line ${line}: position '${f[3]}' is not a number`);
    return { chr: f[0], id: f[1], cm: Number(f[2]) || 0, bp, a1: f[4].toUpperCase(), a2: f[5].toUpperCase() };
  });
}

/**
 * Decodes SNP-major `.bed` bytes into a1 dosages (variants × samples). Checks magic and size.
 */
export function decodeBed(bytes: Uint8Array, nSamples: number, nVariants: number, path: string): Int8Array {
  if (bytes.length < 3 || bytes[0] !== BED_MAGIC[0] || bytes[1] !== BED_MAGIC[1]) {
    throw new Error(`${path}: not a PLINK 1 .bed file (bad magic bytes; expected 6c 1b 01)`);
  }
  if (bytes[2] !== BED_MAGIC[2]) {
    throw new Error(
      `${path}: individual-major .bed (mode byte ${bytes[2]}) is not supported; re-save with plink --make-bed`,
    );
  }
  const perVariant = Math.ceil(nSamples / 4);
  const expected = 3 + perVariant * nVariants;
  if (bytes.length !== expected) {
    throw new Error(
      `${path}: size ${bytes.length} bytes does not match ` +
        `${nSamples} samples (.fam) × ${nVariants} variants (.bim): ` +
        `expected ${expected} — sample or variant count mismatch`,
    );
  }
  const out = new Int8Array(nSamples * nVariants);
  const fullBytes = nSamples >> 2;
  const rest = nSamples & 3;
  let src = 3;
  let dst = 0;
  for (let v = 0; v < nVariants; v++) {
    for (let j = 0; j < fullBytes; j++) {
      const o = bytes[src++] << 2;
      out[dst] = BYTE_LUT[o];
      out[dst + 1] = BYTE_LUT[o + 1];
      out[dst + 2] = BYTE_LUT[o + 2];
      out[dst + 3] = BYTE_LUT[o + 3];
      dst += 4;
    }
    if (rest > 0) {
      const o = bytes[src++] << 2;
      for (let k = 0; k < rest; k++) out[dst++] = BYTE_LUT[o + k];
    }
  }
  return out;
}

/** Reads `<prefix>.bed/.bim/.fam`. Errors name the file (missing file, bad magic, size mismatch). */
export async function readPlinkFileset(prefix: string): Promise<PlinkFileset> {
  const famPath = `${prefix}.fam`;
  const bimPath = `${prefix}.bim`;
  const bedPath = `${prefix}.bed`;
  const samples = parseFam(await readText(famPath, '.fam'), famPath);
  const variants = parseBim(await readText(bimPath, '.bim'), bimPath);
  let bytes: Uint8Array;
  try {
    await stat(bedPath);
    bytes = await readFile(bedPath);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`${bedPath}: missing .bed file of the PLINK fileset`);
    throw new Error(`${bedPath}: ${e.message}`);
  }
  const genotypes = decodeBed(bytes, samples.length, variants.length, bedPath);
  return { samples, variants, genotypes };
}
