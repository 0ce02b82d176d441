/**
 * Temporaries of atomic writes are named `<target>.tmp-<pid>[-<hex>]` (and `<target>.old-<pid>-<hex>` while a
 * dataset is replaced). A process killed mid-write leaves them behind; they are removed by the next writer
 * once their process is gone. A live process's temporaries are never touched.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const TEMPORARY = /^(.*)\.(tmp|old)-(\d+)(?:-[0-9a-f]+)?$/;

/** A temporary's parts, or null for any other name. */
export function parseTemporaryName(name: string): { target: string; kind: 'tmp' | 'old'; pid: number } | null {
  const m = TEMPORARY.exec(name);
  return m ? { target: m[1], kind: m[2] as 'tmp' | 'old', pid: Number(m[3]) } : null;
}

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporaries of dead processes in `dir` (only those of `target` when given).
 * @returns the names removed
 */
export async function cleanStaleTemporaries(dir: string, target?: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of entries) {
    const t = parseTemporaryName(name);
    if (!t || (target !== undefined && t.target !== target) || processAlive(t.pid)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
