/**
 * Atomic file writes: a temporary sibling, fsync, rename, fsync of the directory. A reader (or a run resumed
 * after SIGKILL) sees either the old file or the complete new one, never a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

type FileData = string | Uint8Array | readonly Uint8Array[];

function toParts(data: FileData): readonly Uint8Array[] {
  return typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
}

function temporarySibling(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Directory fsync makes the rename durable; best effort (not every file system supports it). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here: the rename is still atomic, only its durability is weaker
  }
}

/** Writes `data` to `path` atomically (creates the parent directory). */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const tmp = temporarySibling(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      for (const part of toParts(data)) await handle.write(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`${path}: write failed: ${(err as Error).message}`);
  }
  syncDirectory(dirname(path));
}

/** Synchronous {@link writeFileAtomic}, for checkpoints written between training steps. */
export function writeFileAtomicSync(path: string, data: FileData): void {
  const tmp = temporarySibling(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      for (const part of toParts(data)) {
        let written = 0;
        while (written < part.byteLength) written += writeSync(fd, part, written, part.byteLength - written);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`${path}: write failed: ${(err as Error).message}`);
  }
  syncDirectory(dirname(path));
}
