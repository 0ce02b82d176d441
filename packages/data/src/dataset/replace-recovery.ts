/**
 * Replacing a dataset takes two renames: `DS → DS.old-<pid>-<hex>`, then `DS.tmp-<pid>-<hex> → DS`. A kill
 * between them leaves no `DS` but two complete copies. The next writer or reader finishes the replace (the new
 * copy has its manifest.json, written last, so it is complete) or else restores the old copy, then removes the
 * temporaries of dead processes.
 */
import { access, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { cleanStaleTemporaries, parseTemporaryName, processAlive } from '../io/stale-temporaries.js';

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/**
 * Finishes or undoes a replace of `dir` interrupted by a dead process, then cleans its stale temporaries.
 * @returns what was done: `finished` (the new copy put in place), `restored` (the old copy), or `none`
 */
export async function recoverInterruptedReplace(dir: string): Promise<'finished' | 'restored' | 'none'> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  let outcome: 'finished' | 'restored' | 'none' = 'none';
  if (!(await exists(target))) {
    const names = await readdir(parent).catch(() => [] as string[]);
    const dead = names
      .map((name) => ({ name, t: parseTemporaryName(name) }))
      .filter(({ t }) => t !== null && t.target === base && !processAlive(t.pid));
    const fresh = [];
    for (const d of dead)
      if (d.t?.kind === 'tmp' && (await exists(path.join(parent, d.name, 'manifest.json')))) fresh.push(d.name);
    const old = dead.find((d) => d.t?.kind === 'old');
    if (fresh.length > 0) {
      await rename(path.join(parent, fresh[0]), target);
      outcome = 'finished';
    } else if (old) {
      await rename(path.join(parent, old.name), target);
      outcome = 'restored';
    }
  }
  await cleanStaleTemporaries(parent, base);
  return outcome;
}
