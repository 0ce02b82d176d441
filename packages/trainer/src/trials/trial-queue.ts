import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import {
  readCompleteRun,
  runTrainChild,
  type CliLauncher,
  type TrainChildResult,
  type TrialRunner,
  type TrialTask,
} from './train-child.js';

/** Name of the BullMQ queue that carries `flexmoe train` trials. */
export const TRIAL_QUEUE_NAME = 'flexmoe-trials';

/** Attempts per trial: a trial whose worker dies (or fails) is retried this many times in all. */
export const TRIAL_ATTEMPTS = 3;

/** Connection options of a `redis://[:password@]host:port[/db]` URL (the `--queue` flag). */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue: expected redis://HOST:PORT, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' || !u.hostname)
    throw new Error(`--queue: expected redis://HOST:PORT, got ${JSON.stringify(url)}`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`--queue: database '${u.pathname.slice(1)}' in ${url} is not a number`);
  return {
    host: u.hostname,
    port,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // Fail fast instead of queueing commands forever when the server is unreachable.
    maxRetriesPerRequest: null,
  };
}

function jobId(task: TrialTask): string {
  // One job per run directory: adding the same trial twice (a resumed tune) finds the existing job.
  return `trial-${createHash('sha256').update(task.runDir).digest('hex').slice(0, 24)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The producer side: `runner()` puts each trial on the queue and resolves when a worker has finished it
 * (completed, or failed after {@link TRIAL_ATTEMPTS} attempts). The run directory must be on a folder
 * the workers share.
 */
export class TrialQueue {
  private readonly queue: Queue;

  constructor(url: string, name = TRIAL_QUEUE_NAME) {
    this.queue = new Queue(name, { connection: redisConnection(url) });
  }

  runner(pollMs = 500): TrialRunner {
    return async (task: TrialTask): Promise<TrainChildResult> => {
      const id = jobId(task);
      const existing = await this.queue.getJob(id);
      // A job left failed by an earlier tune, or completed for a run directory since removed, is run again.
      if (
        existing &&
        ((await existing.isFailed()) || ((await existing.isCompleted()) && !readCompleteRun(task.runDir)))
      )
        await existing.remove();
      const started = Date.now();
      await this.queue.add(task.name, task, {
        jobId: id,
        attempts: TRIAL_ATTEMPTS,
        removeOnComplete: false,
        removeOnFail: false,
      });
      for (;;) {
        const state = await this.queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const job = await this.queue.getJob(id);
          const seconds = (Date.now() - started) / 1000;
          if (state === 'completed') return { code: 0, lastLine: '', seconds };
          return { code: 1, lastLine: job?.failedReason ?? 'failed on the queue', seconds };
        }
        await sleep(pollMs);
      }
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Options of {@link startTrialWorker}. */
export interface TrialWorkerOptions {
  url: string;
  launcher: CliLauncher;
  /** Trials at once on this worker. */
  concurrency?: number;
  /** How long a job stays locked without renewal before another worker may take it over (ms). */
  lockMs?: number;
  queueName?: string;
  log?: (line: string) => void;
}

/**
 * A worker: takes trials off the queue and runs each as a `flexmoe train` child (which resumes from
 * the trial's checkpoints when a dead worker left it half done, and exits if this worker dies). A trial
 * counts as done only when its run directory holds a complete run.
 */
export function startTrialWorker(options: TrialWorkerOptions): Worker {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const lockDuration = options.lockMs ?? 30000;
  const worker = new Worker(
    options.queueName ?? TRIAL_QUEUE_NAME,
    async (job) => {
      const task = job.data as TrialTask;
      log(`[worker ${process.pid}] start ${task.name} (attempt ${job.attemptsMade + 1}) in ${task.runDir}`);
      const r = await runTrainChild(options.launcher, task.runDir, task.args, task.logPath);
      if (r.code !== 0 || !readCompleteRun(task.runDir))
        throw new Error(`trial ${task.name}: exit code ${r.code}: ${r.lastLine}`);
      log(`[worker ${process.pid}] done ${task.name} in ${r.seconds.toFixed(1)} s`);
      return { seconds: r.seconds };
    },
    {
      connection: redisConnection(options.url),
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: TRIAL_ATTEMPTS,
    },
  );
  worker.on('failed', (job, err) => log(`[worker ${process.pid}] ${job?.name ?? 'job'} failed: ${err.message}`));
  return worker;
}
