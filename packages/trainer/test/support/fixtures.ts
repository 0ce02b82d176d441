import { spawn } from 'node:child_process';
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
export const TINY_MODEL_FLAGS = ['--hidden', '8', '--patches', '4', '--heads', '2', '--top-k', '2', '--batch-size', '8'];

const silent = { stdout: { write: (): boolean => true }, stderr: { write: (): boolean => true } };

/** Synthetic ADNI raw data (data package generator, small scale) built into a dataset directory. */
export async function makeTinyAdniDataset(scale = 0.05, seed = 1): Promise<{ root: string; raw: string; ds: string }> {
  const root = mkdtempSync(join(tmpdir(), 'flexmoe-trainer-'));
  const raw = join(root, 'raw');
  const ds = join(root, 'ds');
  if ((await runDataCli(['synth', 'adni', '--out', raw, '--scale', String(scale), '--seed', String(seed)], silent)) !== 0) {
    throw new Error('flexmoe-data synth adni failed');
  }
  if ((await runDataCli(['adni', '--raw', raw, '--out', ds], silent)) !== 0) throw new Error('flexmoe-data adni failed');
  if (!existsSync(join(ds, 'manifest.json'))) throw new Error('dataset was not written');
  return { root, raw, ds };
}

/** Result of a CLI child process. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `flexmoe <args>` from the TypeScript sources in a child Node process (test/support/ts-loader.mjs).
 * `onStderr` sees stderr as it arrives and may kill the child.
 */
export function runCliChild(
  args: string[],
  options: { env?: Record<string, string>; onStderr?: (text: string, kill: () => void) => void } = {},
): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // registerAllGradients hooks Node's loader only outside jest.
  delete env.JEST_WORKER_ID;
  delete env.NODE_OPTIONS;
  const child = spawn(
    process.execPath,
    ['--import', join(REPO_ROOT, 'packages/trainer/test/support/register-ts.mjs'), join(REPO_ROOT, 'packages/trainer/src/cli/main.ts'), ...args],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    options.onStderr?.(stderr, () => child.kill('SIGKILL'));
  });
  return new Promise((resolveChild, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveChild({ code, signal, stdout, stderr }));
  });
}
