/** Minimal NIfTI-1 single-file writer (`.nii` or `.nii.gz`) for synthetic data and tests. */
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../io/atomic-write.js';

/** Options of {@link writeNiftiVolume}. */
export interface WriteNiftiOptions {
  /** Gzip the file (default: when the path ends in `.gz`). */
  gzip?: boolean;
  /** Stored datatype (default float32). Integer types round the values. */
  datatype?: 'float32' | 'int16' | 'uint8';
  /** Voxel sizes in mm (default 1 mm). */
  pixdim?: [number, number, number];
  /** `scl_slope`/`scl_inter` written to the header (stored values are `(v − inter) / slope`). */
  scale?: { slope: number; inter: number };
  /** Write big-endian (default little-endian), to exercise readers. */
  bigEndian?: boolean;
}

const CODES = { uint8: [2, 8], int16: [4, 16], float32: [16, 32] } as const;

/** Encodes a 3-D volume (x fastest) as NIfTI-1 bytes (348-byte header, 4 extension bytes, data at 352). */
export function encodeNifti(
  dims: readonly number[],
  data: ArrayLike<number>,
  options: WriteNiftiOptions = {},
): Uint8Array {
  if (dims.length < 1 || dims.length > 7) throw new Error(`writeNiftiVolume: ${dims.length} dimensions, expected 1..7`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size)
    throw new Error(`writeNiftiVolume: ${data.length} values for dims ${dims.join('×')} (${size} voxels)`);
  const type = options.datatype ?? 'float32';
  const [code, bitpix] = CODES[type];
  const le = !options.bigEndian;
  const bytes = new Uint8Array(352 + size * (bitpix / 8));
  const h = new DataView(bytes.buffer);
  h.setInt32(0, 348, le);
  h.setInt16(40, dims.length, le);
  dims.forEach((d, i) => h.setInt16(42 + 2 * i, d, le));
  for (let i = dims.length; i < 7; i++) h.setInt16(42 + 2 * i, 1, le);
  h.setInt16(70, code, le);
  h.setInt16(72, bitpix, le);
  const pix = options.pixdim ?? [1, 1, 1];
  h.setFloat32(76, 1, le); // qfac
  for (let i = 0; i < 3; i++) h.setFloat32(80 + 4 * i, pix[i], le);
  h.setFloat32(108, 352, le);
  const slope = options.scale?.slope ?? 1;
  const inter = options.scale?.inter ?? 0;
  h.setFloat32(112, options.scale ? slope : 0, le);
  h.setFloat32(116, options.scale ? inter : 0, le);
  bytes[123] = 2 | 8; // mm, s
  h.setInt16(254, 0, le); // sform_code
  h.setInt16(252, 1, le); // qform_code: scanner
  h.setFloat32(280, pix[0], le); // srow_x[0]
  h.setFloat32(300, pix[1], le); // srow_y[1]
  h.setFloat32(320, pix[2], le); // srow_z[2]
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  const body = new DataView(bytes.buffer, 352);
  for (let i = 0; i < size; i++) {
    const v = options.scale ? (data[i] - inter) / slope : data[i];
    if (type === 'float32') body.setFloat32(4 * i, v, le);
    else if (type === 'int16') body.setInt16(2 * i, Math.round(v), le);
    else body.setUint8(i, Math.round(v));
  }
  return bytes;
}

/** Writes a volume atomically; `.gz` paths (or `gzip: true`) are gzip-compressed. */
export async function writeNiftiVolume(
  path: string,
  dims: readonly number[],
  data: ArrayLike<number>,
  options: WriteNiftiOptions = {},
): Promise<void> {
  const raw = encodeNifti(dims, data, options);
  const gz = options.gzip ?? path.toLowerCase().endsWith('.gz');
  await writeFileAtomic(path, gz ? gzipSync(raw, { level: 6 }) : raw);
}
