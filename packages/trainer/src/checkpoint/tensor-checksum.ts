/**
 * Checksum of a tensor file: SHA-256 over its JSON header (without the checksum field) and its float32 data,
 * stored in the header as `sha256`. Any edit of a weight, a moment, `epochsCompleted` or the history makes
 * the file fail verification on load instead of resuming to a silently different model.
 */
import { createHash } from 'node:crypto';

/** SHA-256 (hex) of a header's JSON text and the data bytes. */
export function tensorFileChecksum(headerJson: string, data: Uint8Array): string {
  return createHash('sha256').update(headerJson, 'utf8').update(data).digest('hex');
}

/**
 * Verifies the `sha256` field of a parsed header against the data; returns the header without it.
 * @throws naming the file when the checksum is missing (`required`) or does not match
 */
export function verifyTensorFileChecksum<H extends object>(
  parsed: H & { sha256?: unknown },
  data: Uint8Array,
  file: string,
  required: boolean,
): H {
  const { sha256, ...header } = parsed;
  if (sha256 === undefined) {
    if (required)
      throw new Error(`${file}: has no checksum (sha256); it was not written by this version or was edited`);
    return header as H;
  }
  const actual = tensorFileChecksum(JSON.stringify(header), data);
  if (actual !== sha256) {
    throw new Error(
      `${file}: checksum mismatch (stored ${String(sha256)}, computed ${actual}): the file was modified or is corrupt`,
    );
  }
  return header as H;
}
