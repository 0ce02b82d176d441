import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  DEFAULT_SEARCH_SPACE,
  DEFAULT_TRAIN_OPTIONS,
  formatTuneTable,
  TrialQueue,
  tune,
  writeJsonAtomic,
  type SelectMetric,
} from '@flexmoe/trainer';
import { PATCH_PROJECTIONS } from '@flexmoe/moe-core/spec';
import type { CliIo } from '../program.js';
import { testMetricsLines } from '../metrics-lines.js';

function intList(flag: string) {
  return (v: string): number[] =>
    v.split(',').map((s) => {
      const x = Number(s.trim());
      if (!Number.isInteger(x) || x < 1)
        throw new Error(`${flag}: expected positive integers separated by commas, got ${JSON.stringify(v)}`);
      return x;
    });
}

function positiveInt(flag: string, min: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min)
      throw new Error(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return x;
  };
}

function nonNegativeNumber(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0)
      throw new Error(`${flag}: expected a number >= 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

function seedList(v: string): number[] {
  return v.split(',').map((s) => {
    const x = Number(s.trim());
    if (!Number.isInteger(x) || x < 0)
      throw new Error(`--seeds: expected non-negative integers separated by commas, got ${JSON.stringify(v)}`);
    return x;
  });
}

interface TuneFlags {
  data: string;
  out: string;
  budget: number;
  parallel: number;
  timeLimit: number;
  workers?: number;
  seed: number;
  seeds: number[];
  folds: number;
  trialSeeds?: number;
  selectMetric: SelectMetric;
  classWeights: string;
  json?: string | true;
  queue?: string;
  epochs?: number[];
  hidden?: number[];
  modalities?: string;
  patches?: number[];
  patchProjection: string;
  heads?: string;
  batchSize?: string;
  layers?: string;
}

/** `flexmoe tune`: random search on validation, then the best configuration retrained and tested once. */
export function registerTuneCommand(program: Command, io: CliIo): void {
  program
    .command('tune')
    .description(
      'search learning rate, hidden size, tokens per modality, experts, top-k, dropout, weight decay and epochs ' +
        'by cross-validation on training + validation; retrain the best',
    )
    .requiredOption('--data <dir>', 'dataset directory')
    .requiredOption('--out <dir>', 'directory for trials, results table, chosen configuration and the final run')
    .option(
      '--budget <n>',
      'number of trials (at most; --time-limit may stop the search earlier)',
      positiveInt('--budget', 1),
      16,
    )
    .option('--parallel <n>', 'trials at once (local child processes)', positiveInt('--parallel', 1), 2)
    .option(
      '--time-limit <minutes>',
      'minutes for the whole tune, trials and final run (0: none); no trial starts that would not end in time',
      nonNegativeNumber('--time-limit'),
      30,
    )
    .option(
      '--workers <n>',
      'data-parallel workers of each trial and of the final run (default: the --workers auto rule of train over the cores divided among --parallel)',
      positiveInt('--workers', 1),
    )
    .option('--seed <n>', 'seed of the search', positiveInt('--seed', 0), 0)
    .option('--seeds <list>', 'seeds of the final retraining (trials use the first --trial-seeds)', seedList, [0, 1, 2])
    .option(
      '--folds <n>',
      'cross-validation folds per trial over the training and validation splits pooled, ranked by the mean ' +
        'over folds (1: train on the training split, rank on the validation split)',
      positiveInt('--folds', 1),
      3,
    )
    .option(
      '--trial-seeds <n>',
      'seeds per trial run, ranked by their mean validation metric (the first of --seeds; default 1 with ' +
        '--folds, 2 with --folds 1)',
      positiveInt('--trial-seeds', 1),
    )
    .addOption(
      new Option('--select-metric <m>', 'validation metric that ranks trials and epochs')
        .choices(['accuracy', 'auc', 'macroF1'])
        .default('accuracy'),
    )
    .option('--class-weights <w>', 'none | balanced | w0,w1,…', 'none')
    .option('--json [file]', 'write the final metrics (train schema): to stdout without a value, else to the file')
    .option(
      '--queue <url>',
      'run trials on a BullMQ queue at redis://HOST:PORT (start `flexmoe worker` on machines sharing --out)',
    )
    .option(
      '--epochs <list>',
      `epochs to search (default ${DEFAULT_SEARCH_SPACE.epochs.join(',')})`,
      intList('--epochs'),
    )
    .option(
      '--hidden <list>',
      `hidden sizes to search (default ${DEFAULT_SEARCH_SPACE.hidden.join(',')})`,
      intList('--hidden'),
    )
    .option('--modalities <letters>', 'modality subset passed to every run')
    .option(
      '--patches <list>',
      `tokens per modality to search (default ${DEFAULT_SEARCH_SPACE.patches.join(',')})`,
      intList('--patches'),
    )
    .addOption(
      new Option('--patch-projection <kind>', 'projection of the patches to tokens, fixed for every run (see train)')
        .choices([...PATCH_PROJECTIONS])
        .default(DEFAULT_TRAIN_OPTIONS.patchProjection),
    )
    .option('--heads <n>', 'attention heads, fixed for every run')
    .option('--batch-size <n>', 'batch size, fixed for every run')
    .option('--layers <n>', 'SMoE layers, fixed for every run')
    .action(async (o: TuneFlags) => {
      const fixed: [string, string | undefined][] = [
        ['--modalities', o.modalities],
        // Always in the plan, so that a tune resumed by a later version keeps the projection it started with.
        ['--patch-projection', o.patchProjection],
        ['--heads', o.heads],
        ['--batch-size', o.batchSize],
        ['--layers', o.layers],
      ];
      const trainArgs = fixed.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [k, v as string]);
      const space = {
        ...DEFAULT_SEARCH_SPACE,
        ...(o.epochs ? { epochs: o.epochs } : {}),
        ...(o.hidden ? { hidden: o.hidden } : {}),
        ...(o.patches ? { patches: o.patches } : {}),
      };
      const queue = o.queue ? new TrialQueue(o.queue) : null;
      try {
        const r = await tune({
          data: o.data,
          out: o.out,
          budget: o.budget,
          // On a queue every run of every trial is queued at once; the workers set the pace.
          parallel: queue ? o.budget * o.folds : o.parallel,
          timeLimitMinutes: o.timeLimit,
          workersPerRun: o.workers,
          seed: o.seed,
          seeds: o.seeds,
          folds: o.folds,
          trialSeeds: o.trialSeeds,
          selectMetric: o.selectMetric,
          classWeights: o.classWeights,
          trainArgs,
          space,
          launcher: { cliPath: process.argv[1] },
          runTrial: queue?.runner(),
          log: (l) => io.stderr.write(`${l}\n`),
        });
        if (o.json === true) {
          io.stdout.write(`${JSON.stringify(r.metrics, null, 2)}\n`);
          return;
        }
        if (typeof o.json === 'string') writeJsonAtomic(resolve(o.json), r.metrics);
        io.stdout.write(
          `${formatTuneTable(r.trials, o.selectMetric)}\n\nbest ${r.best.name}; final run ${r.finalRunDir} ` +
            `(seeds ${r.finalSeeds.join(',')})\n` +
            testMetricsLines(r.metrics) +
            `deploy: flexmoe export --run ${r.finalRunDir} ${r.metrics.ensemble ? '--ensemble ' : ''}--out model.onnx\n`,
        );
      } finally {
        await queue?.close();
      }
    });
}
