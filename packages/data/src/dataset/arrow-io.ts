/** Arrow IPC encoding of modality files (`id` Utf8 + `features` FixedSizeList<Float32>) and labels. */
import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  Table,
  Type,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';

/** Encodes a modality as an Arrow IPC file. */
export function encodeModality(ids: string[], features: Float32Array, width: number): Uint8Array {
  const child = makeData({ type: new Float32(), length: features.length, nullCount: 0, data: features });
  const type = new FixedSizeList(width, new Field('item', new Float32(), false));
  const data = makeData({ type, length: ids.length, nullCount: 0, child });
  const table = new Table({ id: vectorFromArray(ids, new Utf8()), features: makeVector(data) });
  return tableToIPC(table, 'file');
}

/** Encodes the labels as an Arrow IPC file. */
export function encodeLabels(ids: string[], label: Int32Array): Uint8Array {
  const table = new Table({ id: vectorFromArray(ids, new Utf8()), label: makeVector(label) });
  return tableToIPC(table, 'file');
}

const MAGIC = 'ARROW1';

function openTable(bytes: Uint8Array, file: string): Table {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== MAGIC) throw new Error(`${file}: not a readable Arrow IPC file (no ARROW1 magic bytes)`);
  try {
    return tableFromIPC(bytes);
  } catch (e) {
    throw new Error(`${file}: not a readable Arrow IPC file (${(e as Error).message})`);
  }
}

function readIds(table: Table, file: string): string[] {
  const field = table.schema.fields.find((f) => f.name === 'id');
  if (!field) throw new Error(`${file}: no column 'id'`);
  if (field.type.typeId !== Type.Utf8) throw new Error(`${file}: column 'id' is ${String(field.type)}, expected Utf8`);
  const col = table.getChild('id');
  if (!col) throw new Error(`${file}: no column 'id'`);
  if (col.nullCount > 0) throw new Error(`${file}: column 'id' has ${col.nullCount} null value(s)`);
  return Array.from(col.toArray() as ArrayLike<string>, String);
}

/** Decodes a modality file; checks the schema and the width. */
export function decodeModality(
  bytes: Uint8Array,
  file: string,
  width: number,
): { ids: string[]; features: Float32Array } {
  const table = openTable(bytes, file);
  const ids = readIds(table, file);
  const field = table.schema.fields.find((f) => f.name === 'features');
  if (!field) throw new Error(`${file}: no column 'features'`);
  const type = field.type;
  if (type.typeId !== Type.FixedSizeList || (type as FixedSizeList).children[0].type.typeId !== Type.Float) {
    throw new Error(`${file}: column 'features' is ${String(type)}, expected FixedSizeList<Float32>[${width}]`);
  }
  const listSize = (type as FixedSizeList).listSize;
  if (listSize !== width) throw new Error(`${file}: features have width ${listSize}, the manifest says ${width}`);
  const col = table.getChild('features');
  if (!col) throw new Error(`${file}: no column 'features'`);
  if (col.nullCount > 0) throw new Error(`${file}: column 'features' has ${col.nullCount} null row(s)`);
  const features = new Float32Array(ids.length * width);
  let row = 0;
  for (const chunk of col.data) {
    const child = chunk.children[0];
    const values = child.values as Float32Array;
    features.set(values.subarray(child.offset, child.offset + chunk.length * width), row * width);
    row += chunk.length;
  }
  return { ids, features };
}

/** Decodes `labels.arrow`. */
export function decodeLabels(bytes: Uint8Array, file: string): { ids: string[]; label: Int32Array } {
  const table = openTable(bytes, file);
  const ids = readIds(table, file);
  const field = table.schema.fields.find((f) => f.name === 'label');
  if (!field) throw new Error(`${file}: no column 'label'`);
  if (!(field.type.typeId === Type.Int && (field.type as Int32).bitWidth === 32 && (field.type as Int32).isSigned))
    throw new Error(`${file}: column 'label' is ${String(field.type)}, expected Int32`);
  const col = table.getChild('label');
  if (!col || col.nullCount > 0) throw new Error(`${file}: column 'label' has null values`);
  return { ids, label: Int32Array.from(col.toArray() as Int32Array) };
}
