/** Describing the raw input files of a dataset (name, size, streamed SHA-256) for the manifest. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFile } from './types.js';

/**
 * Size and SHA-256 of a file, read as a stream (large raw files are never loaded whole).
 * @param filePath the file to describe
 * @param relativeTo when given, `file` is the path relative to this directory; otherwise the base name
 */
export async function describeSourceFile(filePath: string, relativeTo?: string): Promise<SourceFile> {
  const info = await stat(filePath);
  if (!info.isFile()) throw new Error(`${filePath}: not a regular file`);
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(filePath);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  const file = relativeTo ? path.relative(relativeTo, filePath).split(path.sep).join('/') : path.basename(filePath);
  return { file, bytes: info.size, sha256: hash.digest('hex') };
}
