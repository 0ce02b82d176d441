/** Generators write many files into `--out`: mixing them with files already there would corrupt both. */
import { readdir } from 'node:fs/promises';

/**
 * Throws unless `dir` does not exist or is an empty directory.
 * @param flag the flag that named the directory (for the message)
 */
export async function checkEmptyOutputDir(dir: string, flag = '--out'): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new Error(
      `${flag} ${dir}: ${code === 'ENOTDIR' ? 'exists and is not a directory' : `cannot be read (${code})`}`,
    );
  }
  if (entries.length > 0) {
    throw new Error(
      `${flag} ${dir}: the directory is not empty (${entries.length} entries, e.g. ${entries.sort()[0]}); choose a new or empty directory`,
    );
  }
}
