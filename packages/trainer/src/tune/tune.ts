import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readDataset } from '@flexmoe/data';
import { writeFileAtomicSync } from '@flexmoe/data';
import { checkpointPaths, writeJsonAtomic } from '../checkpoint/training-checkpoint.js';
import { prepareData } from '../data/prepare-data.js';
import { DEFAULT_TRAIN_OPTIONS, defaultExperts, type SelectMetric } from '../run/options.js';
import { autoWorkers } from '../parallel/auto-workers.js';
import { manifestSha256, type RunFile, type RunMetrics } from '../run/train.js';
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
  /**
   * Minutes this invocation may take, trials and final run together (0: no limit). No trial starts once the
   * trials already finished say it could not end in time with the final run after it, and the final run keeps
   * only the seeds that fit (at least the winning trial's, which it continues instead of retraining).
   */
  timeLimitMinutes?: number;
  /** Data-parallel workers of each trial and of the final run (default: the cores shared among `parallel`). */
  workersPerRun?: number;
  /** Seed of the search (which configurations are drawn). */
  seed: number;
  /** Seeds of the final retraining of the best configuration; trials use the first `trialSeeds` of them. */
  seeds: number[];
  /**
   * Cross-validation folds of each trial (default 3): the training and validation splits are pooled and each
   * trial trains K runs, each holding out one fold (`train --cv-fold k/K`, seeded by `seed`); trials are ranked
   * by the mean of the folds' validation metrics. 1: every trial trains on the training split and is ranked on
   * the validation split alone.
   */
  folds?: number;
  /**
   * Seeds per trial run (default 1 with folds, 2 without; at most `seeds.length`): a run's score is the mean
   * validation metric of its seeds, since one seed's validation score moves by several points on small data.
   */
  trialSeeds?: number;
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
  status: 'pending' | 'ok' | 'reused' | 'failed' | 'skipped';
  reason?: string;
  /** Validation selection metric of the trial's kept epoch (with folds: the mean over the folds). */
  validation?: number;
  /** With folds: each fold's validation metric (fold 1 first). */
  foldValidation?: number[];
  /** Kept epoch of the first seed (with folds: the median over the folds). */
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
  /** Seeds the final run used (fewer than asked when the time limit left no room for all). */
  finalSeeds: number[];
}

interface TunePlan {
  manifestSha256: string;
  seed: number;
  /** Absent in plans written before cross-validated trials: 1. */
  folds?: number;
  trialSeeds: number[];
  workers: number;
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
  const withFolds = rows.some((r) => r.foldValidation !== undefined);
  const header = [
    'trial',
    'status',
    `val ${metric}`,
    'best epoch',
    'lr',
    'hidden',
    'patches',
    'experts',
    'top-k',
    'dropout',
    'weight decay',
    'epochs',
    'seconds',
    ...(withFolds ? ['per fold'] : []),
  ];
  const body = rows.map((r) => [
    r.name,
    r.status + (r.reason ? ` (${r.reason})` : ''),
    r.validation === undefined ? '-' : r.validation.toFixed(4),
    r.bestEpoch === undefined ? '-' : String(r.bestEpoch),
    String(r.config.lr),
    String(r.config.hidden),
    String(r.config.patches),
    String(r.config.experts),
    String(r.config.topK),
    String(r.config.dropout),
    String(r.config.weightDecay),
    String(r.config.epochs),
    r.seconds === undefined ? '-' : r.seconds.toFixed(0),
    ...(withFolds ? [r.foldValidation?.map((v) => v.toFixed(4)).join(' ') ?? '-'] : []),
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
  if (!(options.timeLimitMinutes === undefined || options.timeLimitMinutes >= 0))
    throw new Error(`--time-limit: expected minutes >= 0, got ${options.timeLimitMinutes}`);
  if (options.workersPerRun !== undefined && !(Number.isInteger(options.workersPerRun) && options.workersPerRun >= 1))
    throw new Error(`--workers: expected an integer >= 1, got ${options.workersPerRun}`);
  const out = resolve(options.out);
  const data = resolve(options.data);
  const dataset = await readDataset(data);
  const modalities = trainArgValue(options.trainArgs, '--modalities');
  const prepared = prepareData(dataset, {
    modalities: modalities?.includes(',') ? modalities.split(',') : modalities ? [...modalities] : undefined,
  });
  const space = options.space ?? DEFAULT_SEARCH_SPACE;
  const folds = options.folds ?? 3;
  if (!Number.isInteger(folds) || folds < 1) throw new Error(`--folds: expected an integer >= 1, got ${folds}`);
  const pool = prepared.splits.training.length + prepared.splits.validation.length;
  if (folds > 1 && pool < folds)
    throw new Error(`--folds ${folds}: training and validation hold only ${pool} patients`);
  const k = options.trialSeeds ?? (folds > 1 ? 1 : 2);
  if (!Number.isInteger(k) || k < 1) throw new Error(`--trial-seeds: expected an integer >= 1, got ${k}`);
  const trialSeeds = options.seeds.slice(0, k);
  // Parallel trials share the cores: more threads than cores only slows every trial down. Results depend on
  // the worker count, so it is part of the plan.
  const batchSize = Number(trainArgValue(options.trainArgs, '--batch-size') ?? DEFAULT_TRAIN_OPTIONS.batchSize);
  const workers =
    options.workersPerRun ?? autoWorkers(batchSize, Math.max(1, Math.floor(availableParallelism() / options.parallel)));
  const plan: TunePlan = {
    manifestSha256: manifestSha256(data),
    seed: options.seed,
    folds,
    trialSeeds,
    workers,
    selectMetric: options.selectMetric,
    classWeights: options.classWeights,
    trainArgs: options.trainArgs,
    space,
  };
  mkdirSync(join(out, 'trials'), { recursive: true });
  const planPath = join(out, 'tune-plan.json');
  if (existsSync(planPath)) {
    const stored = JSON.parse(readFileSync(planPath, 'utf8')) as TunePlan;
    const differ = planDifferences(stored, plan);
    if (differ.length > 0) {
      throw new Error(
        `${planPath}: ${out} holds a tune with other settings (${differ.join(', ')} differ); pass the same flags ` +
          `to resume it, or choose another --out`,
      );
    }
    log(`[tune] resuming the tune in ${out}`);
  } else writeJsonAtomic(planPath, plan);

  const startedAt = performance.now();
  const limitSeconds = options.timeLimitMinutes ? options.timeLimitMinutes * 60 : Infinity;
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const runArgs = ['--workers', String(workers)];

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
  /** The runs of one trial: the trial directory itself, or one directory per fold inside it. */
  const trialRuns = (row: TuneTrialRow): TrialTask[] => {
    const dir = join(out, 'trials', row.name);
    const args = [
      ...common,
      '--seeds',
      trialSeeds.join(','),
      '--validation-only',
      ...runArgs,
      ...TRIAL_TRAINING_ARGS,
      ...options.trainArgs,
      ...configArgs(row.config),
    ];
    if (folds === 1) return [{ name: row.name, runDir: dir, args, logPath: join(out, 'trials', `${row.name}.log`) }];
    return Array.from({ length: folds }, (_, f) => ({
      name: `${row.name}/fold-${f + 1}`,
      runDir: join(dir, `fold-${f + 1}`),
      args: [...args, '--cv-fold', `${f + 1}/${folds}`, '--cv-seed', String(options.seed)],
      logPath: join(dir, `fold-${f + 1}.log`),
    }));
  };
  const fill = (row: TuneTrialRow): boolean => {
    const runs = trialRuns(row).map((t) => readCompleteRun(t.runDir));
    if (runs.some((run) => !run?.metrics)) return false;
    const scores = runs.map((run) => run!.metrics!.validation[options.selectMetric].mean);
    const epochs = runs.map((run) => run!.metrics!.bestEpoch[String(trialSeeds[0])]);
    row.validation = scores.reduce((a, b) => a + b, 0) / scores.length;
    row.bestEpoch = median(epochs);
    if (folds > 1) row.foldValidation = scores;
    return true;
  };
  // Durations of trials finished by an earlier invocation (the time limit's estimates need them).
  const earlier = new Map<string, number>();
  try {
    const stored = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8')) as { trials?: TuneTrialRow[] };
    for (const t of stored.trials ?? []) if (t.seconds !== undefined) earlier.set(t.name, t.seconds);
  } catch {
    // no earlier tune.json: nothing to reuse
  }
  const pending: TuneTrialRow[] = [];
  for (const row of rows) {
    if (fill(row)) {
      row.status = 'reused';
      row.seconds = earlier.get(row.name);
      log(`[tune] ${row.name}: finished before, reused`);
    } else pending.push(row);
  }
  const runTrial = options.runTrial ?? ((t: TrialTask) => runTrainChild(options.launcher, t.runDir, t.args, t.logPath));
  const save = (): void =>
    writeJsonAtomic(join(out, 'tune.json'), { data, selectMetric: options.selectMetric, folds, trials: rows });
  save();
  // Time estimates: a trial's runs (one per fold) and one seed of the final run, which trains on the training
  // split where a fold run trains on (K − 1) / K of training + validation.
  const finalShare = folds === 1 ? 1 : prepared.splits.training.length / ((pool * (folds - 1)) / folds);
  const runsAtOnce = Math.min(options.parallel, folds);
  // Durations of the runs finished so far (a trial finished by an earlier invocation counts as `folds` runs of
  // equal length): the longest is the estimate for each run of the next trial and, per seed, for the final run.
  const finishedRuns = rows
    .filter((r) => r.status === 'reused' && r.seconds !== undefined)
    .map((r) => r.seconds! / folds);
  const longestRun = (): number | null => (finishedRuns.length > 0 ? Math.max(...finishedRuns) : null);
  const finalSeedSeconds = (runSeconds: number): number => (runSeconds / trialSeeds.length) * finalShare;
  // Runs of a trial go to the pool together (several at once with --parallel), so a trial's folds finish close
  // together; a trial either starts all its runs or is skipped.
  const tasks = pending.flatMap((row) => trialRuns(row).map((task, i) => ({ row, task, first: i === 0 })));
  const skipped = new Set<TuneTrialRow>();
  const remaining = new Map(pending.map((row) => [row, trialRuns(row).length]));
  const spent = new Map<TuneTrialRow, number>();
  const failures = new Map<TuneTrialRow, string>();
  await runPool(tasks, options.parallel, async ({ row, task, first }) => {
    if (first) {
      const longest = longestRun();
      // The new trial must end in time for the final run: without folds its first seeds are the best trial's
      // (reused), one more costs about a run's time per seed; with folds the final run trains every seed.
      const reserve =
        longest === null ? 0 : folds > 1 || options.seeds.length > trialSeeds.length ? finalSeedSeconds(longest) : 0;
      const duration = longest === null ? 0 : longest * Math.ceil(folds / runsAtOnce);
      if (longest !== null && elapsed() + duration + reserve > limitSeconds) {
        row.status = 'skipped';
        row.reason = `time limit: ${(elapsed() / 60).toFixed(1)} of ${limitSeconds / 60} min used`;
        skipped.add(row);
        log(`[tune] ${row.name}: skipped (${row.reason})`);
        save();
        return;
      }
      log(`[tune] start ${row.name}: ${configArgs(row.config).join(' ')}`);
    }
    if (skipped.has(row)) return;
    // A fold finished before a kill is not trained again (its trial had not finished all folds).
    const done = readCompleteRun(task.runDir) !== null;
    if (folds > 1) log(done ? `[tune] ${task.name}: finished before, reused` : `[tune] start ${task.name}`);
    const r = done ? { code: 0, lastLine: '', seconds: 0 } : await runTrial(task);
    spent.set(row, (spent.get(row) ?? 0) + r.seconds);
    if (!done) finishedRuns.push(r.seconds);
    if (r.code !== 0 && !readCompleteRun(task.runDir)) failures.set(row, `exit code ${r.code}: ${r.lastLine}`);
    remaining.set(row, remaining.get(row)! - 1);
    if (remaining.get(row)! > 0) return;
    row.seconds = spent.get(row);
    row.status = 'ok';
    if (!fill(row)) {
      row.status = 'failed';
      row.reason = failures.get(row) ?? 'a run did not complete';
    }
    log(
      `[tune] ${row.name}: ${row.status}` +
        `${row.validation === undefined ? '' : `, validation ${options.selectMetric} ${row.validation.toFixed(4)}`}` +
        `${row.foldValidation ? ` (folds ${row.foldValidation.map((v) => v.toFixed(4)).join(', ')})` : ''}` +
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
    ...(best.foldValidation ? { folds: best.foldValidation } : {}),
    selectMetric: options.selectMetric,
    config: best.config,
  });
  writeFileAtomicSync(
    join(out, 'results.txt'),
    `${formatTuneTable(rows, options.selectMetric)}\n\nbest: ${best.name}` +
      `${folds > 1 ? ` (validation ${options.selectMetric}: mean over ${folds} cross-validation folds)` : ''}\n`,
  );
  // Only now is the test split scored: one final run of the chosen configuration.
  const finalRunDir = join(out, 'final');
  let finalSeeds = options.seeds;
  const existingFinal = readRunSeeds(finalRunDir);
  // Without folds the trial trained the final run's first seeds on the same split: they are continued, not
  // retrained. Fold runs trained on other patients, so the final run trains every seed.
  const reusable = folds === 1 ? trialSeeds.length : 0;
  if (existingFinal) finalSeeds = existingFinal;
  else if (best.seconds !== undefined && Number.isFinite(limitSeconds)) {
    const perSeed = finalSeedSeconds(best.seconds / folds);
    const fit = Math.max(1, reusable + Math.max(0, Math.floor((limitSeconds - elapsed()) / perSeed)));
    if (fit < options.seeds.length) {
      finalSeeds = options.seeds.slice(0, fit);
      log(
        `[tune] time limit: ${((limitSeconds - elapsed()) / 60).toFixed(1)} min left, about ` +
          `${(perSeed / 60).toFixed(1)} min per seed: the final run uses seeds ${finalSeeds.join(',')} ` +
          `of ${options.seeds.join(',')} (raise --time-limit for all)`,
      );
    }
  }
  log(
    `[tune] best ${best.name} (validation ${options.selectMetric} ${best.validation?.toFixed(4)}); ` +
      `retraining over seeds ${finalSeeds.join(',')}`,
  );
  if (!readCompleteRun(finalRunDir)) {
    const reused =
      existingFinal || folds > 1 ? [] : startFinalFromTrial(join(out, 'trials', best.name), finalRunDir, finalSeeds);
    if (reused.length > 0)
      log(
        `[tune] final run: seed(s) ${reused.join(',')} continue from ${best.name} (same settings and seeds), ` +
          `then are tested`,
      );
    const args = [
      ...common,
      '--seeds',
      finalSeeds.join(','),
      '--baselines',
      ...runArgs,
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
  return { trials: rows, best, finalRunDir, metrics: finalRun.metrics, finalSeeds };
}

/** Names of the settings in which two plans differ (a plan written before folds existed had one). */
function planDifferences(stored: TunePlan, plan: TunePlan): string[] {
  const keys = new Set([...Object.keys(stored), ...Object.keys(plan)] as (keyof TunePlan)[]);
  const value = (p: TunePlan, key: keyof TunePlan): string => JSON.stringify(key === 'folds' ? (p.folds ?? 1) : p[key]);
  return [...keys].filter((key) => value(stored, key) !== value(plan, key));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Seeds of a started run directory (its run.json), or null. */
function readRunSeeds(runDir: string): number[] | null {
  try {
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
    return Array.isArray(run.options?.seeds) ? run.options.seeds : null;
  } catch {
    return null;
  }
}

/**
 * Starts the final run from the best trial: the trial trained the final run's first seeds with the same
 * settings, only without looking at the test split, so its checkpoints (weights, optimizer, kept epoch,
 * history) are exactly what retraining those seeds would produce. The final run resumes from them,
 * evaluates them on the test split once and trains the other seeds. Returns the seeds taken over (none
 * when the trial cannot be used).
 */
function startFinalFromTrial(trialDir: string, finalDir: string, seeds: number[]): number[] {
  const trial = readCompleteRun(trialDir);
  if (!trial) return [];
  const taken = trial.options.seeds.filter(
    (s) => seeds.includes(s) && existsSync(checkpointPaths(join(trialDir, `seed-${s}`)).bin),
  );
  if (taken.length === 0) return [];
  for (const s of taken) {
    const from = checkpointPaths(join(trialDir, `seed-${s}`));
    const to = checkpointPaths(join(finalDir, `seed-${s}`));
    mkdirSync(join(finalDir, `seed-${s}`), { recursive: true });
    // checkpoint.bin is the checkpoint (checksummed, checked on load); checkpoint.json repeats it for people.
    copyFileSync(from.bin, to.bin);
    if (existsSync(from.json)) copyFileSync(from.json, to.json);
  }
  const { metrics: _metrics, bestSeed: _bestSeed, ...rest } = trial;
  void _metrics;
  void _bestSeed;
  const run: RunFile = {
    ...rest,
    status: 'running',
    options: { ...trial.options, out: finalDir, seeds, validationOnly: false, baselines: true },
  };
  writeJsonAtomic(join(finalDir, 'run.json'), run);
  return taken;
}

/** Value of `--flag v` in a flag list (the last one), if any. */
function trainArgValue(args: string[], flag: string): string | undefined {
  let v: string | undefined;
  args.forEach((a, i) => {
    if (a === flag) v = args[i + 1];
  });
  return v;
}
