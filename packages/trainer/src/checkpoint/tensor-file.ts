import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@flexmoe/data';
import { tensorFileChecksum, verifyTensorFileChecksum } from './tensor-checksum.js';

/** A named float32 tensor as plain data. */
export interface NamedArray {
  values: Float32Array;
  shape: number[];
}

/** Where one tensor lives in a `.bin` file (offset and length in float32 elements). */
export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

const MAGIC = 'FLEXMOE1';

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Lays out named tensors one after the other and returns the index plus the float32 little-endian bytes. */
export function packTensors(tensors: Iterable<[string, NamedArray]>): { entries: TensorEntry[]; bytes: Uint8Array } {
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.values.length !== product(t.shape)) {
      throw new Error(`tensor '${name}': ${t.values.length} values do not fit shape [${t.shape.join(', ')}]`);
    }
    entries.push({ name, shape: [...t.shape], offset, length: t.values.length });
    chunks.push(t.values);
    offset += t.values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  // Float32Array is little-endian on every platform Node supports; make it explicit anyway.
  const bytes = new Uint8Array(all.buffer);
  if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) throw new Error('big-endian hosts are not supported');
  return { entries, bytes };
}

/** Reads tensors described by `entries` from float32 little-endian `bytes`, copying each. */
export function unpackTensors(entries: TensorEntry[], bytes: Uint8Array, source: string): Map<string, NamedArray> {
  const total = bytes.byteLength / 4;
  if (!Number.isInteger(total))
    throw new Error(`${source}: ${bytes.byteLength} bytes is not a whole number of float32`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const floats = new Float32Array(aligned.buffer, aligned.byteOffset, total);
  const out = new Map<string, NamedArray>();
  for (const e of entries) {
    if (e.offset + e.length > total || e.length !== product(e.shape)) {
      throw new Error(
        `${source}: tensor '${e.name}' (offset ${e.offset}, length ${e.length}) does not fit the file or its shape`,
      );
    }
    out.set(e.name, { values: floats.slice(e.offset, e.offset + e.length), shape: [...e.shape] });
  }
  return out;
}

/**
 * Writes a self-describing file: magic `FLEXMOE1`, uint32 LE header length, JSON header (which includes
 * the tensor index), zero padding to a multiple of 4, then the float32 data. One rename commits it.
 */
export function writeTensorFile<H extends object>(
  path: string,
  header: H,
  tensors: Iterable<[string, NamedArray]>,
): TensorEntry[] {
  const { entries, bytes } = packTensors(tensors);
  const body = JSON.stringify({ ...header, tensors: entries });
  const json = Buffer.from(
    JSON.stringify({ ...header, tensors: entries, sha256: tensorFileChecksum(body, bytes) }),
    'utf8',
  );
  const headLen = MAGIC.length + 4 + json.length;
  const pad = (4 - (headLen % 4)) % 4;
  const head = Buffer.alloc(headLen + pad);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length + pad, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  head.fill(0x20, headLen); // pad the JSON with spaces so it still parses
  writeFileAtomicSync(path, [head, bytes]);
  return entries;
}

/** Reads a file written by {@link writeTensorFile}; verifies its checksum (required with `requireChecksum`). */
export function readTensorFile<H extends object>(
  path: string,
  options: { requireChecksum?: boolean } = {},
): { header: H; tensors: Map<string, NamedArray> } {
  const buf = readFileSync(path);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new Error(`${path}: not a Flex-MoE tensor file (missing '${MAGIC}' magic)`);
  }
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + jsonLen > buf.length) throw new Error(`${path}: truncated header`);
  let parsed: H & { tensors: TensorEntry[] };
  try {
    parsed = JSON.parse(buf.toString('utf8', start, start + jsonLen)) as H & { tensors: TensorEntry[] };
  } catch (err) {
    throw new Error(`${path}: header is not valid JSON (${(err as Error).message})`);
  }
  const data = new Uint8Array(buf.buffer, buf.byteOffset + start + jsonLen, buf.length - start - jsonLen);
  const tensors = unpackTensors(parsed.tensors, data, path);
  const header = verifyTensorFileChecksum(parsed, data, path, options.requireChecksum ?? false);
  return { header, tensors };
}
