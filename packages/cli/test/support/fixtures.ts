import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readTensorFile } from '../../../trainer/src/checkpoint/tensor-file.js';
import { REPO_ROOT } from '../../../trainer/test/support/fixtures.js';

export { makeTinyAdniDataset, REPO_ROOT, TINY_MODEL_FLAGS } from '../../../trainer/test/support/fixtures.js';

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
  options: {
    env?: Record<string, string>;
    onStderr?: (text: string, kill: () => void) => void;
    /** Sees the child process as soon as it is spawned (e.g. to stop a server). */
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.NODE_OPTIONS === undefined) delete env.NODE_OPTIONS; // a test may preload a module (kill tests)
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(REPO_ROOT, 'packages/cli/test/support/register-ts.mjs'),
      join(REPO_ROOT, 'packages/cli/src/main.ts'),
      ...args,
    ],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  options.onSpawn?.(child);
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

/** Every tensor of seed 0's last checkpoint of `runDir` as bytes (checksum verified), for bit-for-bit comparisons. */
export function finalTensors(runDir: string): Map<string, Buffer> {
  const { tensors } = readTensorFile(join(runDir, 'seed-0', 'checkpoint.bin'), { requireChecksum: true });
  return new Map(
    [...tensors].map(([k, v]) => [k, Buffer.from(v.values.buffer, v.values.byteOffset, v.values.byteLength)]),
  );
}
