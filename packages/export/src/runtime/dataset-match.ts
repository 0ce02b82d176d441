/**
 * `predict --data` / `serve --data` use a dataset's transforms instead of the model's embedded ones. They
 * must be the transforms the model was trained with: a dataset rebuilt with another seed or other data has
 * other fitted scales and categories, and would give silently wrong predictions.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { METADATA_KEYS, readModelMetadata } from '../metadata.js';

/**
 * Throws unless the dataset's manifest.json has the SHA-256 the model records (`datasetManifestSha256`).
 * @param force use the dataset anyway (`--force-data`)
 */
export async function checkDatasetMatchesModel(datasetDir: string, modelFile: string, force = false): Promise<void> {
  if (force) return;
  const manifestFile = path.join(datasetDir, 'manifest.json');
  let manifest: Buffer;
  try {
    manifest = await readFile(manifestFile);
  } catch (e) {
    throw new Error(
      `--data ${datasetDir}: ${manifestFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const meta = readModelMetadata(await readFile(modelFile), modelFile);
  const actual = createHash('sha256').update(manifest).digest('hex');
  if (meta.datasetManifestSha256 === undefined) {
    throw new Error(
      `--data ${datasetDir}: ${modelFile} records no ${METADATA_KEYS.datasetManifestSha256}, ` +
        `so the dataset cannot be checked; pass --force-data to use it anyway`,
    );
  }
  if (actual !== meta.datasetManifestSha256) {
    throw new Error(
      `--data ${datasetDir}: manifest SHA-256 ${actual} differs from the model's ${METADATA_KEYS.datasetManifestSha256} ` +
        `${meta.datasetManifestSha256} (not the dataset the model was trained on); pass --force-data to use its transforms anyway`,
    );
  }
}
