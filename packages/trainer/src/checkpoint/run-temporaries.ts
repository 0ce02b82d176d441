/**
 * A run killed while writing leaves `best.tmp-<pid>`, `analysis.json.tmp-<pid>-<hex>` or
 * `checkpoint.bin.tmp-<pid>-<hex>` behind; the next `train` on the directory removes those of dead processes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanStaleTemporaries } from '@flexmoe/data';

/** Removes stale temporaries in the run directory and its `seed-*` directories; returns their paths. */
export async function cleanRunTemporaries(runDir: string): Promise<string[]> {
  if (!existsSync(runDir)) return [];
  const dirs = [
    runDir,
    ...readdirSync(runDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name.startsWith('seed-'))
      .map((e) => join(runDir, e.name)),
  ];
  const removed: string[] = [];
  for (const d of dirs) removed.push(...(await cleanStaleTemporaries(d)).map((name) => join(d, name)));
  return removed;
}
