/**
 * NIfTI-1/2 volume reader (`.nii`, `.nii.gz`): the header is parsed by nifti-reader-js; voxels are
 * decoded here for every common datatype in the header's byte order, then scaled by
 * `scl_slope`/`scl_inter` (when the slope is non-zero). Errors name the file.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';

/** A decoded volume. Voxel order is NIfTI's: x fastest, then y, then z. */
export interface NiftiVolume {
  /** Spatial (and further) sizes, e.g. `[91, 109, 91]`. */
  dims: number[];
  /** Voxel sizes (pixdim[1..]). */
  pixdims: number[];
  /** Datatype code of the file (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, 256 int8, 512 uint16, 768 uint32). */
  datatype: number;
  /** Scaled voxel values. */
  data: Float32Array;
}

const BYTES: Record<number, number> = { 2: 1, 4: 2, 8: 4, 16: 4, 64: 8, 256: 1, 512: 2, 768: 4 };

/** Decodes a NIfTI file's bytes (gzip detected by its magic bytes). */
export function decodeNifti(fileBytes: Uint8Array, path: string): NiftiVolume {
  let bytes = fileBytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${path}: unreadable NIfTI (truncated or corrupt gzip: ${(err as Error).message})`);
    }
  }
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.length < 348 || !nifti.isNIFTI(ab)) {
    throw new Error(`${path}: unreadable NIfTI (not a NIfTI-1/2 single-file volume: bad header size or magic)`);
  }
  let header: ReturnType<typeof nifti.readHeader>;
  try {
    header = nifti.readHeader(ab);
  } catch (err) {
    throw new Error(`${path}: unreadable NIfTI header (${(err as Error).message})`);
  }
  const rank = header.dims[0];
  if (!(rank >= 1 && rank <= 7)) throw new Error(`${path}: unreadable NIfTI (dim[0] = ${rank}, expected 1..7)`);
  const dims = header.dims.slice(1, 1 + rank).map((d) => Math.max(1, d));
  while (dims.length > 3 && dims[dims.length - 1] === 1) dims.pop();
  const size = dims.reduce((a, b) => a * b, 1);
  const width = BYTES[header.datatypeCode];
  if (width === undefined) {
    throw new Error(
      `${path}: unsupported NIfTI datatype ${header.datatypeCode} (supported: uint8, int8, int16, uint16, int32, uint32, float32, float64)`,
    );
  }
  const offset = Math.floor(header.vox_offset);
  const need = offset + size * width;
  if (bytes.length < need) {
    throw new Error(
      `${path}: unreadable NIfTI (truncated: ${bytes.length} bytes, header needs ${need} for ${dims.join('×')} voxels)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size * width);
  const le = header.littleEndian;
  const data = new Float32Array(size);
  const code = header.datatypeCode;
  for (let i = 0; i < size; i++) {
    const o = i * width;
    let v: number;
    switch (code) {
      case 2:
        v = view.getUint8(o);
        break;
      case 256:
        v = view.getInt8(o);
        break;
      case 4:
        v = view.getInt16(o, le);
        break;
      case 512:
        v = view.getUint16(o, le);
        break;
      case 8:
        v = view.getInt32(o, le);
        break;
      case 768:
        v = view.getUint32(o, le);
        break;
      case 16:
        v = view.getFloat32(o, le);
        break;
      default:
        v = view.getFloat64(o, le);
    }
    data[i] = v;
  }
  const slope = header.scl_slope;
  const inter = header.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && (inter === 0 || !Number.isFinite(inter)))) {
    const b = Number.isFinite(inter) ? inter : 0;
    for (let i = 0; i < size; i++) data[i] = data[i] * slope + b;
  }
  return { dims, pixdims: header.pixDims.slice(1, 1 + rank), datatype: code, data };
}

function readError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new Error(`${path}: NIfTI file not found`);
  return new Error(`${path}: ${e.message}`);
}

/** Reads a `.nii` / `.nii.gz` volume. */
export async function readNiftiVolume(path: string): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return decodeNifti(bytes, path);
}

/** Synchronous {@link readNiftiVolume} (used by the record transform, which is synchronous). */
export function readNiftiVolumeSync(path: string): NiftiVolume {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readError(path, err);
  }
  return decodeNifti(bytes, path);
}
