import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { commandOutput, jsonOption, runDataCli, type JsonTarget } from '@flexmoe/data';
import { registerAllGradients } from '@flexmoe/moe-core';
import { PATCH_PROJECTIONS } from '@flexmoe/moe-core/spec';
import {
  autoWorkers,
  autoWorkersLine,
  chooseBackend,
  DEFAULT_TRAIN_OPTIONS,
  evaluate,
  formatSweepTable,
  PARENT_PID_ENV,
  parseCrossValidationFold,
  sweep,
  train,
  TrialQueue,
  writeReport,
  type CrossValidationFold,
  type TrainOptions,
} from '@flexmoe/trainer';
import { registerAuditCommand } from './commands/audit.js';
import { addRegularisationFlags, regularisationArgs, regularisationOptions } from './commands/regularisation-flags.js';
import { registerBaselineCommand } from './commands/baseline.js';
import { registerTuneCommand } from './commands/tune.js';
import { registerWorkerCommand } from './commands/worker.js';
import { testMetricsLines } from './metrics-lines.js';

/** Where the CLI writes. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

function intArg(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x)) throw new Error(`${flag}: expected an integer, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** `--workers`: a count, or `auto` (the default: the cores, unless the batch is too small to split). */
function workersArg(v: string): number | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1)
    throw new Error(`--workers: expected a positive integer or auto, got ${JSON.stringify(v)}`);
  return x;
}

function numArg(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`${flag}: expected a number, got ${JSON.stringify(v)}`);
    return x;
  };
}

function intList(flag: string) {
  return (v: string): number[] => v.split(',').map((s) => intArg(flag)(s.trim()));
}

/** `--modalities` parts; letters or names, resolved against the dataset by the trainer (parseModalitySelection). */
function modalityList(v: string): string[] {
  return v.split(',').map((s) => s.trim());
}

/** This package's version, for `flexmoe --version` (package.json sits beside src/ and dist/). */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Flags shared by `train` and `sweep` (defaults = paper ADNI settings). */
function addTrainingFlags(cmd: Command, withGrid: boolean): Command {
  const d = DEFAULT_TRAIN_OPTIONS;
  cmd
    .requiredOption('--data <dir>', 'dataset directory (flexmoe data …)')
    .requiredOption('--out <dir>', withGrid ? 'directory for the grid of runs' : 'run directory to write')
    .option(
      '--modalities <list>',
      'modality subset: letters IG or I,G, or names (one model per subset, end to end); default all',
      modalityList,
    )
    .option('--epochs <n>', 'epochs', intArg('--epochs'), d.epochs)
    .option('--warmup <n>', 'epochs in curriculum order before shuffling', intArg('--warmup'), d.warmup)
    .option('--seeds <list>', 'seeds, comma-separated (mean ± std over them)', intList('--seeds'), d.seeds)
    .option('--batch-size <n>', 'training batch size', intArg('--batch-size'), d.batchSize)
    .option('--lr <x>', 'Adam learning rate', numArg('--lr'), d.lr)
    .option('--hidden <n>', 'token width H', intArg('--hidden'), d.hidden)
    .option('--heads <n>', 'attention heads', intArg('--heads'), d.heads)
    .option('--patches <n>', 'tokens per modality P', intArg('--patches'), d.patches)
    .addOption(
      new Option(
        '--patch-projection <kind>',
        'per-patch: each of the P patches its own dense layer; shared: one for all (the reference code)',
      )
        .choices([...PATCH_PROJECTIONS])
        .default(d.patchProjection),
    )
    .option('--dropout <x>', 'dropout rate', numArg('--dropout'), d.dropout)
    .option(
      '--router-loss-weight <x>',
      'λ, weight of the router losses',
      numArg('--router-loss-weight'),
      d.routerLossWeight,
    )
    .addOption(
      new Option('--ablation <name>', 'paper Table 3 ablation')
        .choices(['none', 'no-es', 'no-es-eg', 'no-bank', 'order-random', 'order-ascending'])
        .default(d.ablation),
    )
    .addOption(
      new Option('--select-metric <m>', 'validation metric that picks the kept epoch')
        .choices(['accuracy', 'auc', 'macroF1'])
        .default(d.selectMetric),
    )
    .option('--class-weights <w>', 'none | balanced | w0,w1,…', d.classWeights)
    .option('--full-only', 'train on full-modality patients only (paper baseline)', false)
    .option('--eval-batch-size <n>', 'inference batch size', intArg('--eval-batch-size'), d.evalBatchSize)
    .addOption(
      new Option('--dispatch <path>', 'expert evaluation path')
        .choices(['auto', 'sparse', 'dense'])
        .default(d.dispatch),
    )
    .option('--no-progress', 'no progress bar');
  addRegularisationFlags(cmd);
  if (withGrid) {
    cmd
      .option('--experts <list>', 'experts E, comma-separated', intList('--experts'), [8, 16, 32])
      .option('--top-k <list>', 'top-k, comma-separated', intList('--top-k'), [2, 4])
      .option('--layers <list>', 'SMoE layers, comma-separated', intList('--layers'), [1])
      .option(
        '--ablations <list>',
        'cross the grid with these ablations (paper Table 3), comma-separated',
        (v: string) => v.split(',').map((x) => x.trim()),
      )
      .option('--parallel <n>', 'runs at once', intArg('--parallel'), 1)
      .option(
        '--workers <n|auto>',
        'data-parallel worker threads in total, shared by the runs at once (auto: the cores available, ' +
          'each run using them only when its batch gives every worker 32 rows)',
        workersArg,
        'auto',
      )
      .option('--queue <url>', 'run the points on a BullMQ queue at redis://HOST:PORT (`flexmoe worker` runs them)')
      .addOption(jsonOption('the sweep table'));
  } else {
    cmd
      .option('--experts <n>', 'experts E (default max(16, 2^M − 1))', intArg('--experts'))
      .option('--top-k <n>', 'experts per token k', intArg('--top-k'), d.topK)
      .option('--layers <n>', 'SMoE fusion layers', intArg('--layers'), d.layers)
      .option(
        '--workers <n|auto>',
        'data-parallel training workers (auto: the cores available, but one thread unless the batch gives every ' +
          'worker 32 rows)',
        workersArg,
        'auto',
      )
      .option('--resume', 'continue the run in --out from its checkpoints', false)
      .option('--baselines', 'also fit the logistic baselines on the same split and compare', false)
      .option(
        '--validation-only',
        'never evaluate the test split (tuning trials): test metrics repeat validation',
        false,
      )
      .option(
        '--cv-fold <k/K>',
        'cross-validated tuning trials: pool the training and validation splits, hold out fold k of K ' +
          '(stratified by split and label) for epoch selection and scoring; implies --validation-only',
      )
      .option('--cv-seed <n>', 'seed of the assignment of patients to --cv-fold folds (default 0)', intArg('--cv-seed'))
      .addOption(jsonOption('the metrics'));
  }
  return cmd;
}

/**
 * A train child started by a queue worker exits when that worker is gone (checked at each log line,
 * i.e. every epoch), so a retried trial never has two writers for long.
 */
function exitWithParent(log: (line: string) => void): (line: string) => void {
  const parent = process.env[PARENT_PID_ENV];
  if (!parent) return log;
  return (line) => {
    try {
      process.kill(Number(parent), 0); // signal 0: only asks whether the process exists
    } catch {
      process.exit(1);
    }
    log(line);
  };
}

/** Parsed `flexmoe train` flags: the {@link TrainOptions} plus commander's `--no-progress`. */
type TrainFlags = Omit<TrainOptions, 'json' | 'workers'> & {
  workers: number | 'auto';
  progress: boolean;
  json?: JsonTarget;
  baselines: boolean;
  validationOnly: boolean;
  cvFold?: string;
  cvSeed?: number;
};

/** `--cv-fold` / `--cv-seed` of train (a seed without a fold is a mistake, not something to ignore). */
function crossValidationFlags(o: { cvFold?: string; cvSeed?: number }): CrossValidationFold | undefined {
  if (o.cvFold === undefined) {
    if (o.cvSeed !== undefined) throw new Error('--cv-seed: only meaningful with --cv-fold k/K');
    return undefined;
  }
  return parseCrossValidationFold('--cv-fold', o.cvFold, o.cvSeed ?? 0);
}

/** The worker count of `--workers` (`auto`: {@link autoWorkers} over the cores here, logged). */
function resolveWorkers(workers: number | 'auto', batchSize: number, io: CliIo): number {
  if (workers !== 'auto') return workers;
  const cores = availableParallelism();
  io.stderr.write(`${autoWorkersLine(batchSize, cores)}\n`);
  return autoWorkers(batchSize, cores);
}

/** Sets up TF.js for a command: backend choice (logged) and, for training, gradients. */
async function setUpTf(io: CliIo, needGradients: boolean): Promise<string> {
  const tf = await import('@tensorflow/tfjs-core');
  // Silences tfjs' "install the node backend" banner; the chooser already says which backend runs.
  tf.enableProdMode();
  const chosen = await chooseBackend({ log: (l) => io.stderr.write(`${l}\n`) });
  if (needGradients) await registerAllGradients();
  return chosen.name;
}

/** Optional commands contributed by @flexmoe/export (`export`, `predict`, `serve`). */
export type CommandRegistrar = (program: Command) => void;

/**
 * Builds the `flexmoe` command line. `registerExtra` adds commands from other packages
 * (@flexmoe/export's `export`, `predict`, `serve`).
 */
export function buildProgram(io: CliIo, registerExtra: CommandRegistrar[] = []): Command {
  const program = new Command('flexmoe')
    .description(
      'Flex-MoE: multimodal learning with arbitrary missing modalities ' +
        '(datasets, training, evaluation, reports, ONNX export, prediction, serving)',
    )
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  addTrainingFlags(
    program.command('train').description('train Flex-MoE on a dataset (one model per seed) and write a run directory'),
    false,
  ).action(async (o: TrainFlags) => {
    const output = commandOutput(o.json, io);
    const backend = await setUpTf(io, true);
    const options: Partial<TrainOptions> & { data: string; out: string } = {
      data: o.data,
      out: o.out,
      modalities: o.modalities,
      epochs: o.epochs,
      warmup: o.warmup,
      seeds: o.seeds,
      batchSize: o.batchSize,
      lr: o.lr,
      hidden: o.hidden,
      heads: o.heads,
      experts: o.experts,
      topK: o.topK,
      layers: o.layers,
      patches: o.patches,
      patchProjection: o.patchProjection,
      dropout: o.dropout,
      routerLossWeight: o.routerLossWeight,
      ablation: o.ablation,
      selectMetric: o.selectMetric,
      classWeights: o.classWeights,
      fullOnly: o.fullOnly,
      resume: o.resume,
      json: typeof o.json === 'string' && !output.jsonOnStdout ? o.json : undefined,
      evalBatchSize: o.evalBatchSize,
      dispatch: o.dispatch,
      workers: resolveWorkers(o.workers, o.batchSize, io),
      ...regularisationOptions(o),
      baselines: o.baselines,
      validationOnly: o.validationOnly,
      cvFold: crossValidationFlags(o),
    };
    const { metrics, runDir } = await train(options, {
      backend,
      progress: o.progress,
      log: exitWithParent((l) => io.stderr.write(`${l}\n`)),
    });
    if (output.jsonOnStdout) output.result(metrics);
    output.text(
      `run ${runDir}\n${testMetricsLines(metrics)}` +
        `throughput ${metrics.throughput.trainSamplesPerSecond.toFixed(1)} samples/s, ` +
        `${metrics.throughput.msPerStep.toFixed(1)} ms/step (${metrics.backend})\n`,
    );
  });

  program
    .command('evaluate')
    .description('evaluate a trained run on a dataset split, optionally with modalities withheld')
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--data <dir>', 'dataset directory')
    .option('--withhold <list>', 'modalities treated as missing at inference: letters IG or I,G, or names')
    .option('--seed <n>', 'evaluate seed-<n>/best instead of best/', intArg('--seed'))
    .option('--ensemble', "evaluate the seed ensemble: the mean probability of every seed's model", false)
    .addOption(new Option('--split <name>', 'split').choices(['testing', 'validation', 'training']).default('testing'))
    .addOption(jsonOption('the evaluation'))
    .action(
      async (o: {
        run: string;
        data: string;
        withhold?: string;
        seed?: number;
        ensemble: boolean;
        split: 'testing' | 'validation' | 'training';
        json?: JsonTarget;
      }) => {
        const output = commandOutput(o.json, io);
        await setUpTf(io, false);
        const r = await evaluate({
          run: o.run,
          data: o.data,
          withhold: o.withhold,
          seed: o.seed,
          ensemble: o.ensemble,
          split: o.split,
        });
        output.result(r);
        const lines = [
          `${r.split}: n ${r.n}${r.ensembleSeeds ? `, seed ensemble of ${r.ensembleSeeds.length} models` : ''}${r.withheld.length ? `, withheld ${r.withheld.join('')}` : ''}` +
            `${r.droppedNoModality ? `, ${r.droppedNoModality} patients left with no modality (not predicted)` : ''}`,
          `accuracy ${(r.accuracy * 100).toFixed(2)}  macro-F1 ${(r.macroF1 * 100).toFixed(2)}  AUC ${(r.auc * 100).toFixed(2)}`,
          'combination      n  accuracy  macro-F1',
          ...Object.entries(r.perCombination).map(
            ([k, v]) =>
              `${k.padEnd(12)} ${String(v.n).padStart(5)}  ${(v.accuracy * 100).toFixed(2).padStart(8)}  ` +
              `${(v.macroF1 * 100).toFixed(2).padStart(8)}`,
          ),
        ];
        if (!r.sameDataset) lines.push('note: this dataset is not the one the run was trained on (manifest differs)');
        for (const w of r.warnings) lines.push(`note: ${w}`);
        output.text(lines.join('\n'));
      },
    );

  addTrainingFlags(
    program.command('sweep').description('train a grid of experts × top-k × layers as child processes and tabulate'),
    true,
  ).action(
    async (
      o: Omit<TrainFlags, 'experts' | 'topK' | 'layers'> & {
        experts: number[];
        topK: number[];
        layers: number[];
        ablations?: string[];
        parallel: number;
        workers: number | 'auto';
        queue?: string;
      },
    ) => {
      const output = commandOutput(o.json, io);
      const valid = ['none', 'no-es', 'no-es-eg', 'no-bank', 'order-random', 'order-ascending'];
      for (const a of o.ablations ?? [])
        if (!valid.includes(a)) throw new Error(`--ablations: '${a}' is not one of ${valid.join(', ')}`);
      const passthrough: string[] = [
        ...(o.modalities ? ['--modalities', o.modalities.join(',')] : []),
        '--epochs',
        String(o.epochs),
        '--warmup',
        String(o.warmup),
        '--seeds',
        o.seeds.join(','),
        '--batch-size',
        String(o.batchSize),
        '--lr',
        String(o.lr),
        '--hidden',
        String(o.hidden),
        '--heads',
        String(o.heads),
        '--patches',
        String(o.patches),
        '--patch-projection',
        o.patchProjection,
        '--dropout',
        String(o.dropout),
        '--router-loss-weight',
        String(o.routerLossWeight),
        '--ablation',
        o.ablation,
        '--select-metric',
        o.selectMetric,
        '--class-weights',
        o.classWeights,
        '--eval-batch-size',
        String(o.evalBatchSize),
        '--dispatch',
        o.dispatch,
        '--no-progress',
        // --workers is the sweep's total: points running at once share the cores instead of oversubscribing them.
        '--workers',
        String(
          o.workers === 'auto'
            ? autoWorkers(o.batchSize, Math.max(1, Math.floor(availableParallelism() / o.parallel)))
            : Math.max(1, Math.floor(o.workers / o.parallel)),
        ),
        ...regularisationArgs(o),
        ...(o.fullOnly ? ['--full-only'] : []),
      ];
      const queue = o.queue ? new TrialQueue(o.queue) : null;
      const rows = await sweep({
        runTrial: queue?.runner(),
        data: o.data,
        out: o.out,
        experts: o.experts,
        topK: o.topK,
        layers: o.layers,
        ablations: o.ablations,
        parallel: o.parallel,
        trainArgs: passthrough,
        cliPath: process.argv[1],
        log: (l) => io.stderr.write(`${l}\n`),
      }).finally(() => queue?.close());
      output.text(`${formatSweepTable(rows)}\n(also in ${o.out}/sweep.json)`);
      output.result(rows);
    },
  );

  program
    .command('report')
    .description(
      'write one self-contained HTML page for a run (curves, Figure 4/5, per-combination table, confusion, ROC)',
    )
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--out <file>', 'HTML file to write')
    .addOption(jsonOption('{ "report": <file> }'))
    .action((o: { run: string; out: string; json?: JsonTarget }) => {
      const output = commandOutput(o.json, io);
      writeReport(o.run, o.out);
      output.text(`wrote ${o.out}`);
      output.result({ report: o.out });
    });

  program
    .command('data')
    .description('build or inspect datasets (same as flexmoe-data: synth, adni, mimic, tables, inspect)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'flexmoe-data arguments')
    .action(async (args: string[]) => {
      const code = await runDataCli(args, io);
      if (code !== 0) throw Object.assign(new Error('data command failed'), { exitCode: code, reported: true });
    });

  registerAuditCommand(program, io);
  registerBaselineCommand(program, io);
  registerTuneCommand(program, io);
  registerWorkerCommand(program, io);
  for (const register of registerExtra) register(program);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script), returning the exit code. Errors are printed as one
 * line on stderr (no stack trace).
 */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
  registerExtra: CommandRegistrar[] = [],
): Promise<number> {
  const program = buildProgram(io, registerExtra);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string; reported?: boolean };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1;
    if (!e.reported) io.stderr.write(`flexmoe: ${e.message ?? String(err)}\n`);
    return e.exitCode ?? 1;
  }
}
