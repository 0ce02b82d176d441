/**
 * Node-side record transformers: the dataset's fitted transforms loaded from its directory, and image
 * parts given as NIfTI file paths read before the (file-free) record transformer runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetManifest } from '../dataset/types.js';
import { readNiftiRecordParts } from '../image/nifti-record-parts.js';
import type { DatasetTransforms } from './modality-transform.js';
import { createRecordTransformer, recordLabel, type RecordTransformer } from './transform-record.js';

/**
 * {@link createRecordTransformer} that also accepts `{ "nifti": "<path>" }` image parts (read from this
 * machine's disk). Not for servers: a client must not make the server read its files.
 */
export function createRecordTransformerReadingFiles(
  modalities: { name: string; letter: string; width: number }[],
  classes: string[],
  transforms: DatasetTransforms,
): RecordTransformer {
  const inner = createRecordTransformer(modalities, classes, transforms);
  return {
    ...inner,
    transformRecord: (record, where) =>
      inner.transformRecord(readNiftiRecordParts(record, transforms, recordLabel(record, where)), where),
  };
}

/**
 * Loads `manifest.json` and `transforms.json` of a dataset directory.
 * @param options.readImageFiles accept `{ "nifti": "<path>" }` image parts and read them from this machine's
 * disk (default false; the command-line `predict` turns it on, a server must not)
 * @returns an object whose `transformRecord(record)` gives the model inputs of a raw record
 */
export async function loadTransforms(
  datasetDir: string,
  options: { readImageFiles?: boolean } = {},
): Promise<RecordTransformer> {
  const manifestFile = path.join(datasetDir, 'manifest.json');
  const transformsFile = path.join(datasetDir, 'transforms.json');
  let manifest: DatasetManifest;
  let transforms: DatasetTransforms;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as DatasetManifest;
  } catch (e) {
    throw new Error(`${manifestFile}: cannot be read as JSON (${(e as Error).message})`);
  }
  try {
    transforms = JSON.parse(await readFile(transformsFile, 'utf8')) as DatasetTransforms;
  } catch (e) {
    throw new Error(`${transformsFile}: cannot be read as JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(manifest.modalities)) throw new Error(`${manifestFile}: field 'modalities' is missing`);
  return (options.readImageFiles ? createRecordTransformerReadingFiles : createRecordTransformer)(
    manifest.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
    manifest.classes,
    transforms,
  );
}
