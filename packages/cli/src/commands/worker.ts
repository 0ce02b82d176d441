import type { Command } from 'commander';
import { startTrialWorker } from '@flexmoe/trainer';
import type { CliIo } from '../program.js';

/** `flexmoe worker`: runs `tune` / `sweep` trials from a BullMQ queue until stopped (SIGINT / SIGTERM). */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run tune/sweep trials from a BullMQ queue (machines must share the output folder)')
    .requiredOption('--queue <url>', 'redis://HOST:PORT of the queue')
    .option(
      '--concurrency <n>',
      'trials at once on this machine',
      (v: string) => {
        const x = Number(v);
        if (!Number.isInteger(x) || x < 1)
          throw new Error(`--concurrency: expected an integer >= 1, got ${JSON.stringify(v)}`);
        return x;
      },
      1,
    )
    .option(
      '--lock-seconds <s>',
      'a trial whose worker stops renewing its lock this long is retried elsewhere',
      (v: string) => {
        const x = Number(v);
        if (!(x >= 1)) throw new Error(`--lock-seconds: expected a number >= 1, got ${JSON.stringify(v)}`);
        return x;
      },
      30,
    )
    .action(async (o: { queue: string; concurrency: number; lockSeconds: number }) => {
      const log = (l: string): void => {
        io.stderr.write(`${l}\n`);
      };
      const worker = startTrialWorker({
        url: o.queue,
        launcher: { cliPath: process.argv[1] },
        concurrency: o.concurrency,
        lockMs: o.lockSeconds * 1000,
        log,
      });
      await worker.waitUntilReady();
      log(`[worker ${process.pid}] waiting for trials on ${o.queue}`);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          log(`[worker ${process.pid}] stopping after the current trials`);
          void worker.close().then(resolveStop);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
