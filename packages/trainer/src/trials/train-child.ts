import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunFile } from '../run/train.js';

/** How to start the flexmoe CLI in a child process. */
export interface CliLauncher {
  /** Script that runs the flexmoe CLI, started with the current Node. */
  cliPath: string;
  /** Node flags for the children (default: the current process's execArgv). */
  nodeArgs?: string[];
}

/** One `flexmoe train` to run: where, with which flags, where its output goes. */
export interface TrialTask {
  name: string;
  runDir: string;
  /** `flexmoe train` flags except --out / --resume. */
  args: string[];
  logPath: string;
}

/** Runs one trial somewhere (a local child process, or a queue worker) and resolves when it has ended. */
export type TrialRunner = (task: TrialTask) => Promise<TrainChildResult>;

/** Environment variable naming the parent pid a train child exits with (queue workers: no orphans). */
export const PARENT_PID_ENV = 'FLEXMOE_PARENT_PID';

/** Outcome of one `flexmoe train` child. */
export interface TrainChildResult {
  code: number | null;
  /** Last line the child printed (for failure reasons). */
  lastLine: string;
  seconds: number;
}

/**
 * Runs `flexmoe train --out runDir <args>` as a child process (with `--resume` when the run directory
 * already has a run.json, so an interrupted trial continues), its output appended to `logPath`. The child
 * exits by itself at its next epoch if this process dies (killed sweep, tune or worker), so a restarted
 * one does not train the same trial twice at once.
 */
export function runTrainChild(
  launcher: CliLauncher,
  runDir: string,
  args: string[],
  logPath: string,
): Promise<TrainChildResult> {
  return new Promise((resolveRun) => {
    const argv = [
      ...(launcher.nodeArgs ?? process.execArgv),
      launcher.cliPath,
      'train',
      '--out',
      runDir,
      ...(existsSync(join(runDir, 'run.json')) ? ['--resume'] : []),
      ...args,
    ];
    mkdirSync(dirname(logPath), { recursive: true });
    const logFile = createWriteStream(logPath, { flags: 'a' });
    // A log that cannot be written (disk full, folder removed) must not take the tune or worker down with it.
    logFile.on('error', () => undefined);
    const t0 = performance.now();
    const env = { ...process.env, [PARENT_PID_ENV]: String(process.pid) };
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let tail = '';
    const keep = (chunk: Buffer): void => {
      logFile.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      logFile.end();
      const lines = tail.trim().split('\n');
      resolveRun({ code, lastLine: lines[lines.length - 1] ?? '', seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The run description of a complete run directory, or null (missing, running, unreadable). */
export function readCompleteRun(runDir: string): RunFile | null {
  const p = join(runDir, 'run.json');
  if (!existsSync(p)) return null;
  try {
    const run = JSON.parse(readFileSync(p, 'utf8')) as RunFile;
    return run.status === 'complete' && run.metrics ? run : null;
  } catch {
    return null;
  }
}

/** Runs `tasks` with at most `parallel` at once. */
export async function runPool<T>(tasks: T[], parallel: number, run: (task: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(parallel, tasks.length) }, async () => {
    while (next < tasks.length) await run(tasks[next++]);
  });
  await Promise.all(workers);
}
