import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset } from '@flexmoe/data';
import { writeFileAtomicSync } from '@flexmoe/data';
import { writeJsonAtomic } from '../checkpoint/training-checkpoint.js';
import { prepareData } from '../data/prepare-data.js';
import { defaultExperts, type SelectMetric } from '../run/options.js';
import { manifestSha256, type RunMetrics } from '../run/train.js';
import {
  readCompleteRun,
  runPool,
  runTrainChild,
  type CliLauncher,
  type TrialRunner,
  type TrialTask,
} from '../trials/train-child.js';
import { configArgs, DEFAULT_SEARCH_SPACE, sampleConfigs, type SearchSpace, type TrialConfig } from './search-space.js';

/** Flags every trial gets before its own (a later flag in `trainArgs` or the configuration wins). */
export const TRIAL_TRAINING_ARGS = ['--lr-schedule', 'cosine', '--lr-warmup', '1', '--patience', '5'];

/** Options of {@link tune}. */
export interface TuneOptions {
  data: string;
  out: string;
  /** Number of trials (random configurations). */
  budget: number;
  /** Trials at once. */
  parallel: number;
  /** Seed of the search (which configurations are drawn). */
  seed: number;
  /** Seeds of the final retraining of the best configuration; trials use the first. */
  seeds: number[];
  selectMetric: SelectMetric;
  classWeights: string;
  /** Extra `flexmoe train` flags for every trial and the final run. */
  trainArgs: string[];
  space?: SearchSpace;
  launcher: CliLauncher;
  /** Where trials run (default: local child processes). */
  runTrial?: TrialRunner;
  log?: (line: string) => void;
}

/** One trial in the results table. Only validation scores: trials never evaluate on the test split. */
export interface TuneTrialRow {
  name: string;
  config: TrialConfig;
  status: 'pending' | 'ok' | 'reused' | 'failed';
  reason?: string;
  /** Validation selection metric of the trial's kept epoch. */
  validation?: number;
  bestEpoch?: number;
  seconds?: number;
}

/** Result of {@link tune}. */
export interface TuneResult {
  trials: TuneTrialRow[];
  best: TuneTrialRow;
  finalRunDir: string;
  /** Metrics of the final run in the train schema (test evaluated here, once). */
  metrics: RunMetrics;
}

interface TunePlan {
  manifestSha256: string;
  seed: number;
  trialSeed: number;
  selectMetric: SelectMetric;
  classWeights: string;
  trainArgs: string[];
  space: SearchSpace;
}

function trialName(i: number): string {
  return `trial-${String(i).padStart(3, '0')}`;
}

/** Plain-text results table (validation only). */
export function formatTuneTable(rows: TuneTrialRow[], metric: SelectMetric): string {
  const header = [
    'trial',
    'status',
    `val ${metric}`,
    'best epoch',
    'lr',
    'hidden',
    'experts',
    'top-k',
    'dropout',
    'weight decay',
    'epochs',
    'seconds',
  ];
  const body = rows.map((r) => [
    r.name,
    r.status + (r.reason ? ` (${r.reason})` : ''),
    r.validation === undefined ? '-' : r.validation.toFixed(4),
    r.bestEpoch === undefined ? '-' : String(r.bestEpoch),
    String(r.config.lr),
    String(r.config.hidden),
    String(r.config.experts),
    String(r.config.topK),
    String(r.config.dropout),
    String(r.config.weightDecay),
    String(r.config.epochs),
    r.seconds === undefined ? '-' : r.seconds.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * Random search over {@link SearchSpace}: `budget` seeded configurations trained as `flexmoe train`
 * trials with `--validation-only` (the test split is not scored), the best validation metric wins
 * (earliest trial on ties), then that configuration is retrained over `seeds` with the baselines and
 * evaluated on the test split once. Everything lives in `out`; a killed tune started again reuses
 * the finished trials, continues interrupted ones from their checkpoints and runs the rest.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!Number.isInteger(options.budget) || options.budget < 1)
    throw new Error(`--budget: expected an integer >= 1, got ${options.budget}`);
  if (!Number.isInteger(options.parallel) || options.parallel < 1)
    throw new Error(`--parallel: expected an integer >= 1, got ${options.parallel}`);
  if (options.seeds.length === 0) throw new Error('--seeds: at least one seed is needed');
  const out = resolve(options.out);
  const data = resolve(options.data);
  const dataset = await readDataset(data);
  const modalities = trainArgValue(options.trainArgs, '--modalities');
  const prepared = prepareData(dataset, {
    modalities: modalities?.includes(',') ? modalities.split(',') : modalities ? [...modalities] : undefined,
  });
  const space = options.space ?? DEFAULT_SEARCH_SPACE;
  const plan: TunePlan = {
    manifestSha256: manifestSha256(data),
    seed: options.seed,
    trialSeed: options.seeds[0],
    selectMetric: options.selectMetric,
    classWeights: options.classWeights,
    trainArgs: options.trainArgs,
    space,
  };
  mkdirSync(join(out, 'trials'), { recursive: true });
  const planPath = join(out, 'tune-plan.json');
  if (existsSync(planPath)) {
    const stored = JSON.parse(readFileSync(planPath, 'utf8')) as TunePlan;
    if (JSON.stringify(stored) !== JSON.stringify(plan)) {
      throw new Error(
        `${planPath}: ${out} holds a tune with other settings (dataset, seed, metric, class weights, flags or space); choose another --out`,
      );
    }
    log(`[tune] resuming the tune in ${out}`);
  } else writeJsonAtomic(planPath, plan);

  const configs = sampleConfigs(options.budget, options.seed, defaultExperts(prepared.modalities.length), space);
  const common = [
    '--data',
    data,
    '--select-metric',
    options.selectMetric,
    '--class-weights',
    options.classWeights,
    '--no-progress',
  ];
  const rows: TuneTrialRow[] = configs.map((config, i) => ({ name: trialName(i), config, status: 'pending' }));
  const fill = (row: TuneTrialRow, runDir: string): boolean => {
    const run = readCompleteRun(runDir);
    if (!run?.metrics) return false;
    row.validation = run.metrics.validation[options.selectMetric].mean;
    row.bestEpoch = run.metrics.bestEpoch[String(options.seeds[0])];
    return true;
  };
  const pending: TuneTrialRow[] = [];
  for (const row of rows) {
    if (fill(row, join(out, 'trials', row.name))) {
      row.status = 'reused';
      log(`[tune] ${row.name}: finished before, reused`);
    } else pending.push(row);
  }
  const runTrial = options.runTrial ?? ((t: TrialTask) => runTrainChild(options.launcher, t.runDir, t.args, t.logPath));
  const save = (): void =>
    writeJsonAtomic(join(out, 'tune.json'), { data, selectMetric: options.selectMetric, trials: rows });
  save();
  await runPool(pending, options.parallel, async (row) => {
    const runDir = join(out, 'trials', row.name);
    const args = [
      ...common,
      '--seeds',
      String(options.seeds[0]),
      '--validation-only',
      ...TRIAL_TRAINING_ARGS,
      ...options.trainArgs,
      ...configArgs(row.config),
    ];
    log(`[tune] start ${row.name}: ${configArgs(row.config).join(' ')}`);
    const r = await runTrial({ name: row.name, runDir, args, logPath: join(out, 'trials', `${row.name}.log`) });
    row.seconds = r.seconds;
    row.status = 'ok';
    if (!fill(row, runDir)) {
      row.status = 'failed';
      row.reason = `exit code ${r.code}: ${r.lastLine}`;
    }
    log(
      `[tune] ${row.name}: ${row.status}` +
        `${row.validation === undefined ? '' : `, validation ${options.selectMetric} ${row.validation.toFixed(4)}`}` +
        `${row.reason ? ` (${row.reason})` : ''}`,
    );
    save();
  });
  let best: TuneTrialRow | null = null;
  for (const row of rows) {
    if (row.validation === undefined || Number.isNaN(row.validation)) continue;
    if (best === null || row.validation > (best.validation ?? -Infinity)) best = row;
  }
  if (!best) throw new Error(`[tune] every trial failed; see the logs in ${join(out, 'trials')}`);
  writeJsonAtomic(join(out, 'best-config.json'), {
    trial: best.name,
    validation: best.validation,
    selectMetric: options.selectMetric,
    config: best.config,
  });
  writeFileAtomicSync(
    join(out, 'results.txt'),
    `${formatTuneTable(rows, options.selectMetric)}\n\nbest: ${best.name}\n`,
  );
  log(
    `[tune] best ${best.name} (validation ${options.selectMetric} ${best.validation?.toFixed(4)}); ` +
      `retraining over seeds ${options.seeds.join(',')}`,
  );

  // Only now is the test split scored: one final run of the chosen configuration.
  const finalRunDir = join(out, 'final');
  if (!readCompleteRun(finalRunDir)) {
    const args = [
      ...common,
      '--seeds',
      options.seeds.join(','),
      '--baselines',
      ...TRIAL_TRAINING_ARGS,
      ...options.trainArgs,
      ...configArgs(best.config),
    ];
    const r = await runTrainChild(options.launcher, finalRunDir, args, join(out, 'final.log'));
    if (r.code !== 0)
      throw new Error(
        `[tune] the final run failed (exit code ${r.code}): ${r.lastLine}; see ${join(out, 'final.log')}`,
      );
  }
  const finalRun = readCompleteRun(finalRunDir);
  if (!finalRun?.metrics) throw new Error(`[tune] ${finalRunDir} is not a complete run`);
  return { trials: rows, best, finalRunDir, metrics: finalRun.metrics };
}

/** Value of `--flag v` in a flag list (the last one), if any. */
function trainArgValue(args: string[], flag: string): string | undefined {
  let v: string | undefined;
  args.forEach((a, i) => {
    if (a === flag) v = args[i + 1];
  });
  return v;
}
