/**
 * SHA-256 of every file of a dataset directory, recorded in `manifest.json` (`fileSha256`) and checked by
 * `readDataset`, so that an edited `modality-*.arrow` (or labels, splits, transforms) is refused instead of
 * silently used. Very large datasets can skip the check with `FLEXMOE_SKIP_DATASET_HASHES=1` (docs/data.md).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';

/** Environment variable that turns the file hash check of `readDataset` off. */
export const SKIP_DATASET_HASHES_ENV = 'FLEXMOE_SKIP_DATASET_HASHES';

/** Lower-case hex SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** File name → SHA-256 for `files` inside `dir`. */
export async function hashDatasetFiles(dir: string, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) out[f] = await sha256File(path.join(dir, f));
  return out;
}

/** True unless the environment turns the check off. */
export function datasetHashCheckEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[SKIP_DATASET_HASHES_ENV];
  return v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false';
}

/**
 * Compares every file's SHA-256 with the manifest's `fileSha256`; returns one problem per mismatch (naming
 * the file). A manifest without `fileSha256` (written before it existed) is not checked.
 */
export async function verifyDatasetFiles(
  dir: string,
  fileSha256: Readonly<Record<string, string>> | undefined,
): Promise<string[]> {
  if (fileSha256 === undefined) return [];
  const problems: string[] = [];
  for (const [file, expected] of Object.entries(fileSha256)) {
    if (file !== path.basename(file)) {
      problems.push(
        `manifest.json: fileSha256 names ${JSON.stringify(file)}, which is not a file of the dataset directory`,
      );
      continue;
    }
    const actual = await sha256File(path.join(dir, file)).catch(() => 'unreadable');
    if (actual !== expected) {
      problems.push(
        `${file}: SHA-256 ${actual} differs from the manifest's ${expected} (the file was changed after the dataset was built; ` +
          `rebuild it, or set ${SKIP_DATASET_HASHES_ENV}=1 to skip this check)`,
      );
    }
  }
  return problems;
}
