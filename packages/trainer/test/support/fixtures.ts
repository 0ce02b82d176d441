import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDataCli } from '@flexmoe/data';

/** Repository root. */
export const REPO_ROOT = resolve(__dirname_of(import.meta.url), '../../../..');

function __dirname_of(url: string): string {
  return new URL('.', url).pathname;
}

/** A tiny model for fast tests (H 8, P 4, 2 heads, top-2). */
export const TINY_MODEL_FLAGS = [
  '--hidden',
  '8',
  '--patches',
  '4',
  '--heads',
  '2',
  '--top-k',
  '2',
  '--batch-size',
  '8',
];

const silent = { stdout: { write: (): boolean => true }, stderr: { write: (): boolean => true } };

/** Synthetic ADNI raw data (data package generator, small scale) built into a dataset directory. */
export async function makeTinyAdniDataset(scale = 0.05, seed = 1): Promise<{ root: string; raw: string; ds: string }> {
  const root = mkdtempSync(join(tmpdir(), 'flexmoe-trainer-'));
  const raw = join(root, 'raw');
  const ds = join(root, 'ds');
  if (
    (await runDataCli(['synth', 'adni', '--out', raw, '--scale', String(scale), '--seed', String(seed)], silent)) !== 0
  ) {
    throw new Error('flexmoe-data synth adni failed');
  }
  if ((await runDataCli(['adni', '--raw', raw, '--out', ds], silent)) !== 0)
    throw new Error('flexmoe-data adni failed');
  if (!existsSync(join(ds, 'manifest.json'))) throw new Error('dataset was not written');
  return { root, raw, ds };
}
