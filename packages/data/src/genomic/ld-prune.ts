/**
 * LD pruning with PLINK 1.9 (`--indep-pairwise window step r2`, docs/algorithm.md §8: 50 5 0.1). PLINK is an
 * external program (Debian package `plink1.9`), found as `$FLEXMOE_PLINK`, then `plink1.9` or `plink` on `PATH`
 * (tools/external-tools.ts); `options.plink` overrides the lookup.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTERNAL_TOOLS, findExternalTool, missingToolMessage } from '../tools/external-tools.js';
import { selectVariantIds } from './filter-variants.js';
import { writePlinkFileset } from './write-plink.js';
import type { PlinkFileset } from './plink-types.js';

/** Options of {@link ldPrune}. */
export interface LdPruneOptions {
  /** Window in variants (default 50). */
  window?: number;
  /** Step in variants (default 5). */
  step?: number;
  /** r² threshold (default 0.1). */
  r2?: number;
  /** PLINK 1.9 executable (default: `$FLEXMOE_PLINK`, then `plink1.9` or `plink` on `PATH`). */
  plink?: string;
  /** PLINK threads (default 1). */
  threads?: number;
}

/** The PLINK executable to run. */
export function plinkExecutable(options: LdPruneOptions = {}): string {
  return options.plink ?? findExternalTool('plink') ?? process.env.FLEXMOE_PLINK ?? EXTERNAL_TOOLS.plink.names[0];
}

/** Runs PLINK with `args`; rejects with its log tail, or a clear message when it is not installed. */
export function runPlink(args: string[], options: LdPruneOptions = {}): Promise<string> {
  const exe = plinkExecutable(options);
  return new Promise((resolve, reject) => {
    execFile(exe, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') {
          reject(
            new Error(
              options.plink === undefined
                ? missingToolMessage('plink')
                : `'${exe}' not found: ${EXTERNAL_TOOLS.plink.install}`,
            ),
          );
        } else {
          reject(
            new Error(`${exe} ${args.join(' ')} failed: ${(stderr || stdout).trim().split('\n').slice(-8).join('\n')}`),
          );
        }
        return;
      }
      resolve(stdout);
    });
  });
}

/**
 * Runs `plink1.9 --bfile <prefix> --indep-pairwise w s r2` and returns the kept SNP ids
 * (`.prune.in`, in file order).
 */
export async function ldPrune(prefix: string, options: LdPruneOptions = {}): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'flexmoe-ldprune-'));
  try {
    const out = join(dir, 'prune');
    await runPlink(
      [
        '--bfile',
        prefix,
        '--indep-pairwise',
        String(options.window ?? 50),
        String(options.step ?? 5),
        String(options.r2 ?? 0.1),
        '--allow-no-sex',
        '--threads',
        String(options.threads ?? 1),
        '--out',
        out,
      ],
      options,
    );
    const text = await readFile(`${out}.prune.in`, 'utf8');
    return text
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** LD-prunes an in-memory fileset (written to a temporary fileset for PLINK). */
export async function ldPruneFileset(fileset: PlinkFileset, options: LdPruneOptions = {}): Promise<PlinkFileset> {
  const dir = await mkdtemp(join(tmpdir(), 'flexmoe-ldin-'));
  try {
    const prefix = join(dir, 'merged');
    await writePlinkFileset(prefix, fileset);
    return selectVariantIds(fileset, await ldPrune(prefix, options));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
