import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readDataset } from '@flexmoe/data';
import {
  CombinationTable,
  disposeBatch,
  FlexMoEModel,
  registerAllGradients,
  TypedAdam,
  type FlexMoEConfig,
  type NamedWeight,
  fastPathStatus,
} from '@flexmoe/moe-core';
import { crossValidationSplits } from '../data/cross-validation.js';
import { classWeights, observedCounts, prepareData, type PreparedData } from '../data/prepare-data.js';
import { meanStd } from '../metrics/classification.js';
import { batches, curriculumOrder, epochOrder } from '../schedule/curriculum.js';
import { ShuffleRandom } from '../schedule/shuffle-random.js';
import { scheduledLearningRate, shouldStopEarly } from '../schedule/lr-schedule.js';
import { baselineVerdict, runBaselines, type BaselinesReport } from '../baselines/run-baselines.js';
import { writeModelFiles } from '../checkpoint/model-files.js';
import { cleanRunTemporaries } from '../checkpoint/run-temporaries.js';
import { checkTrainingMemory, validateTrainConfig } from './config-checks.js';
import {
  checkCheckpointAgainstRun,
  checkResumeDataset,
  readRunForResume,
  type ResumableRun,
} from '../checkpoint/resume-check.js';
import {
  loadCheckpoint,
  restoreTrainingState,
  saveCheckpoint,
  writeJsonAtomic,
  type BestState,
} from '../checkpoint/training-checkpoint.js';
import { analyse } from './analysis.js';
import { makeBatch } from './batching.js';
import { perCombinationScores, predictRows, scoresOf } from './evaluate-rows.js';
import { ensembleScores, singleModelScores, type EnsembleScores } from './seed-ensemble.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  modelConfig,
  resolveTrainOptions,
  trainingOrder,
  type TrainOptions,
} from './options.js';
import { createProgress } from './progress.js';
import { ParallelTraining } from '../parallel/parallel-training.js';
import type {
  AggregatedScores,
  CombinationScores,
  EpochRecord,
  RunAnalysis,
  SeedResult,
  Throughput,
} from './run-types.js';

/** `RUN/run.json`. */
export interface RunFile {
  formatVersion: 1;
  status: 'running' | 'complete';
  options: TrainOptions;
  config: FlexMoEConfig;
  dataset: { path: string; manifestSha256: string; classes: string[]; modalities: string[] };
  backend: string;
  /** The native matrix-product engine of the wasm fast path, when one computed the larger products. */
  nativeMatmul?: string;
  /** Patients left out: with none of the run's modalities (per split), and by --full-only. */
  dropped: PreparedData['dropped'] & { notFullModality: number };
  parameters: number;
  metrics?: RunMetrics;
  bestSeed?: number;
}

/** The metrics JSON (`--json` and `run.json#metrics`). */
export interface RunMetrics {
  test: AggregatedScores;
  validation: AggregatedScores;
  /** Letters → test n and mean over seeds of accuracy / macro-F1. */
  perCombination: Record<string, CombinationScores>;
  throughput: Throughput;
  backend: string;
  /** As {@link RunFile.nativeMatmul}. */
  nativeMatmul?: string;
  config: FlexMoEConfig & { training: Omit<TrainOptions, 'data' | 'out' | 'json' | 'resume'> };
  bestEpoch: Record<string, number>;
  bestSeed: number;
  seeds: Omit<SeedResult, 'history'>[];
  dropped: RunFile['dropped'];
  parameters: number;
  /** With `--baselines`: the logistic baselines on the same split. */
  baselines?: BaselinesReport;
  /** With two or more seeds: the mean of the seeds' probabilities as one model (`export --ensemble`). */
  ensemble?: EnsembleScores;
}

/** Callbacks and environment of {@link train}. */
export interface TrainHooks {
  /** Log sink (default: stderr). */
  log?: (line: string) => void;
  /** Show a progress bar on a TTY (default true). */
  progress?: boolean;
  /** Name of the TF.js backend in use, recorded in the results (default: tf.getBackend()). */
  backend?: string;
}

/** Result of {@link train}. */
export interface TrainResult {
  metrics: RunMetrics;
  runDir: string;
}

/** SHA-256 of a dataset's manifest.json (ties a run to the exact dataset). */
export function manifestSha256(datasetDir: string): string {
  return createHash('sha256')
    .update(readFileSync(join(datasetDir, 'manifest.json')))
    .digest('hex');
}

function selectValue(
  scores: { accuracy: number; macroF1: number; auc: number },
  metric: TrainOptions['selectMetric'],
): number {
  const v = scores[metric];
  return Number.isNaN(v) ? -Infinity : v;
}

function copyWeights(w: Map<string, NamedWeight>): Map<string, NamedWeight> {
  return new Map([...w].map(([k, v]) => [k, { values: Float32Array.from(v.values), shape: [...v.shape] }]));
}

function aggregate(results: { accuracy: number; macroF1: number; auc: number }[]): AggregatedScores {
  return {
    accuracy: meanStd(results.map((r) => r.accuracy)),
    macroF1: meanStd(results.map((r) => r.macroF1)),
    auc: meanStd(results.map((r) => r.auc)),
  };
}

function throughputOf(history: EpochRecord[]): Throughput {
  const seconds = history.reduce((a, h) => a + h.trainSeconds, 0);
  const samples = history.reduce((a, h) => a + h.trainSamples, 0);
  const steps = history.reduce((a, h) => a + h.steps, 0);
  return {
    trainSamplesPerSecond: seconds > 0 ? samples / seconds : 0,
    msPerStep: steps > 0 ? (seconds * 1000) / steps : 0,
  };
}

interface SeedContext {
  options: TrainOptions;
  data: PreparedData;
  config: FlexMoEConfig;
  runDir: string;
  manifestSha: string;
  log: (line: string) => void;
  progress: boolean;
  backend: string;
}

/** Trains (or resumes, or just re-evaluates a finished) one seed. */
async function runSeed(seed: number, ctx: SeedContext): Promise<{ result: SeedResult; analysis: RunAnalysis }> {
  const { options, data, config, log } = ctx;
  const seedDir = join(ctx.runDir, `seed-${seed}`);
  const model = new FlexMoEModel(config, { seed });
  const optimizer = new TypedAdam({ learningRate: options.lr, weightDecay: options.weightDecay });
  const shuffle = new ShuffleRandom(seed);
  const order = trainingOrder(options.ablation);
  const trainRows = Array.from(data.splits.training);
  const curriculum = curriculumOrder(observedCounts(data, trainRows), order).map((i) => trainRows[i]);
  let history: EpochRecord[] = [];
  let best: BestState | null = null;
  let bestWeights: Map<string, NamedWeight> | null = null;
  let epochsCompleted = 0;
  let parallel: ParallelTraining | null = null;
  try {
    const saved = options.resume ? loadCheckpoint(seedDir) : null;
    if (saved) {
      checkCheckpointAgainstRun(saved.header, join(seedDir, 'checkpoint.bin'), { seed, epochs: options.epochs });
      restoreTrainingState(saved, model, optimizer);
      shuffle.state = saved.header.shuffleState;
      history = saved.header.history;
      best = saved.header.best;
      bestWeights = saved.bestWeights;
      epochsCompleted = saved.header.epochsCompleted;
      log(`[flexmoe] seed ${seed}: resuming after epoch ${epochsCompleted}/${options.epochs}`);
    }
    const progress = createProgress(log, ctx.progress);
    if (options.workers > 1 && epochsCompleted < options.epochs) {
      const { workers, lr: learningRate, weightDecay } = options;
      parallel = await ParallelTraining.start(model, optimizer, {
        workers,
        backend: ctx.backend,
        config,
        seed,
        learningRate,
        weightDecay,
        data,
      });
    }
    for (let epoch = epochsCompleted; epoch < options.epochs; epoch++) {
      if (shouldStopEarly(epoch, best?.epoch ?? null, options.patience)) {
        log(
          `[flexmoe] seed ${seed}: early stop after epoch ${epoch} ` +
            `(no better validation ${options.selectMetric} since epoch ${best?.epoch})`,
        );
        break;
      }
      const validationValues = history.map((h) => selectValue(h.validation, options.selectMetric));
      const epochBatches = batches(epochOrder(curriculum, epoch, options.warmup, order, shuffle), options.batchSize);
      progress.startEpoch(seed, epoch + 1, options.epochs, epochBatches.length);
      let loss = 0;
      let task = 0;
      let router = 0;
      const t0 = performance.now();
      // The schedule's rate for every step of this epoch (plateau looks only at past validation values).
      const learningRates = Float64Array.from(epochBatches, (_rows, stepInEpoch) =>
        scheduledLearningRate(options, epochBatches.length, epoch, stepInEpoch, validationValues),
      );
      if (parallel) {
        const sums = await parallel.epoch(epoch, epochBatches, learningRates, (l) => progress.step(l));
        loss = sums.loss;
        task = sums.task;
        router = sums.router;
      }
      for (const [stepInEpoch, rows] of (parallel ? [] : epochBatches).entries()) {
        optimizer.learningRate = learningRates[stepInEpoch];
        const { batch, labels } = makeBatch(data, model.table, rows);
        try {
          const v = model.trainStep(batch, labels, optimizer);
          if (!Number.isFinite(v.loss))
            throw new Error(`seed ${seed} epoch ${epoch + 1}: the training loss became ${v.loss}`);
          loss += v.loss * rows.length;
          task += v.taskLoss * rows.length;
          router += v.routerLoss * rows.length;
          progress.step(v.loss);
        } finally {
          disposeBatch(batch);
        }
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = scoresOf(
        predictRows(model, data, data.splits.validation, options.evalBatchSize),
        data.classes.length,
      );
      const n = trainRows.length;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: loss / n,
        trainTaskLoss: task / n,
        trainRouterLoss: router / n,
        validation: val,
        trainSeconds,
        trainSamples: n,
        steps: epochBatches.length,
      };
      history.push(record);
      const value = selectValue(val, options.selectMetric);
      // Strict improvement: ties keep the earliest epoch (reference main.py L160).
      if (best === null || value > best.value) {
        best = { epoch: epoch + 1, value, validation: val };
        bestWeights = copyWeights(model.getNamedWeights());
      }
      saveCheckpoint(
        seedDir,
        { seed, epochsCompleted: epoch + 1, shuffleState: shuffle.state, best, history },
        model,
        optimizer,
        bestWeights,
      );
      progress.endEpoch(
        `[flexmoe] seed ${seed} epoch ${epoch + 1}/${options.epochs}: loss ${record.trainLoss.toFixed(4)} ` +
          `(task ${record.trainTaskLoss.toFixed(4)}, router ${record.trainRouterLoss.toFixed(3)}), ` +
          `val acc ${val.accuracy.toFixed(4)} f1 ${val.macroF1.toFixed(4)} auc ${val.auc.toFixed(4)}, ` +
          `${(n / trainSeconds).toFixed(1)} samples/s`,
      );
    }
    progress.stop();
    if (!best || !bestWeights) throw new Error(`seed ${seed}: no epoch was trained`);
    model.setNamedWeights(bestWeights);
    const test = predictRows(model, data, data.splits.testing, options.evalBatchSize);
    const C = data.classes.length;
    const letters = (c: number): string => model.table.get(c).letters;
    const trainingCombos = new Set<number>();
    for (const r of trainRows) {
      const mask = data.observed.subarray(r * config.modalities.length, (r + 1) * config.modalities.length);
      trainingCombos.add(model.table.indexOfMask(mask));
    }
    writeModelFiles(
      join(seedDir, 'best'),
      {
        config,
        classes: data.classes,
        modalities: data.modalities.map((m) => ({
          name: m.name,
          letter: m.letter,
          width: m.width,
          featureNames: m.featureNames,
        })),
        datasetManifestSha256: ctx.manifestSha,
        epoch: best.epoch,
        seed,
      },
      bestWeights,
    );
    const result: SeedResult = {
      seed,
      bestEpoch: best.epoch,
      validation: best.validation,
      test: scoresOf(test, C),
      perCombination: perCombinationScores(test, C, letters),
      history,
      throughput: throughputOf(history),
    };
    // Figure 5 over the training split: validation and test hold only full-modality patients (docs/algorithm.md §7).
    const trainRouting = predictRows(model, data, data.splits.training, options.evalBatchSize).routing;
    const analysis = analyse(model, seed, data.classes, test, trainingCombos, {
      source: 'Training split',
      stats: trainRouting,
    });
    writeJsonAtomic(join(seedDir, 'result.json'), { ...result, analysis });
    return { result, analysis };
  } finally {
    await parallel?.close();
    optimizer.dispose();
    model.dispose();
  }
}

function averagePerCombination(results: SeedResult[]): Record<string, CombinationScores> {
  const out: Record<string, CombinationScores> = {};
  const keys = Object.keys(results[0].perCombination);
  for (const k of keys) {
    const rows = results.map((r) => r.perCombination[k]).filter((x) => x !== undefined);
    out[k] = {
      n: rows[0].n,
      accuracy: rows.reduce((a, r) => a + r.accuracy, 0) / rows.length,
      macroF1: rows.reduce((a, r) => a + r.macroF1, 0) / rows.length,
    };
  }
  return out;
}

/**
 * Trains Flex-MoE on a dataset directory, one model per seed, and writes the run directory
 * (docs/architecture.md §3): checkpoints every epoch, each seed's best-validation model, `RUN/best`
 * (the seed with the best validation metric), `run.json` with the metrics, `analysis.json` for the report.
 */
export async function train(
  partial: Partial<TrainOptions> & { data: string; out: string },
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await registerAllGradients();
  const runDir = resolve(partial.out);
  const runJsonPath = join(runDir, 'run.json');
  let options = resolveTrainOptions(partial);
  let resumed: ResumableRun | undefined;
  if (options.resume) {
    resumed = readRunForResume(runDir);
    const stored = resumed as unknown as RunFile;
    // The stored options define the run; only the output-side flags come from this invocation.
    options = {
      ...DEFAULT_TRAIN_OPTIONS,
      ...stored.options,
      // Runs stored before the option existed projected their patches with one shared layer.
      patchProjection: (stored.options as Partial<TrainOptions>).patchProjection ?? 'shared',
      resume: true,
      json: partial.json,
      data: partial.data ?? stored.options.data,
      workers: options.workers,
    };
    log(`[flexmoe] resuming run ${runDir} with its stored options`);
  } else if (!options.resume && existsSync(runDir) && readdirSync(runDir).length > 0) {
    throw new Error(
      `run directory ${runDir} already exists and is not empty: pass --resume to continue it, or choose another --out`,
    );
  }
  await cleanRunTemporaries(runDir);
  const datasetDir = resolve(options.data);
  const dataset = await readDataset(datasetDir);
  const prepared = prepareData(dataset, { modalities: options.modalities, fullOnly: options.fullOnly });
  // A tuning trial must not see test labels: its "test" scores are the validation split's (or its fold's).
  const fold = options.cvFold ? crossValidationSplits(prepared, options.cvFold, { fullOnly: options.fullOnly }) : null;
  const scored = fold ?? prepared.splits;
  const data = options.validationOnly
    ? { ...prepared, splits: { training: scored.training, validation: scored.validation, testing: scored.validation } }
    : prepared;
  if (options.cvFold)
    log(
      `[flexmoe] --cv-fold ${options.cvFold.fold}/${options.cvFold.folds} (seed ${options.cvFold.seed}): ` +
        `training and validation splits pooled; fold ${options.cvFold.fold} is held out for epoch selection and scoring`,
    );
  if (options.validationOnly)
    log('[flexmoe] --validation-only: the test split is not evaluated (test metrics below repeat validation)');
  const weights = classWeights(options.classWeights, data);
  if (weights && weights.some((w) => !(w > 0))) {
    throw new Error(
      `--class-weights ${options.classWeights}: every class needs a positive weight (a class may be absent from the training split)`,
    );
  }
  const config = modelConfig(options, data, weights);
  validateTrainConfig(config);
  const manifestSha = manifestSha256(datasetDir);
  if (resumed)
    checkResumeDataset(resumed, runJsonPath, {
      dir: datasetDir,
      manifestSha256: manifestSha,
      classes: data.classes,
      modalities: config.modalities,
    });
  const backend = hooks.backend ?? (await import('@tensorflow/tfjs-core')).getBackend();
  checkTrainingMemory(config, options.batchSize, backend);
  // Results depend on which engine computed the products (to float32 rounding): recorded with the run.
  const nativeMatmul = fastPathStatus().nativeMatmul;
  const dropped = { ...data.dropped, notFullModality: data.droppedNotFull };
  if (dropped.training + dropped.validation + dropped.testing > 0) {
    log(
      `[flexmoe] dropped patients with none of the modalities ${data.modalities.map((m) => m.letter).join(',')}: ` +
        `${JSON.stringify(data.dropped)}`,
    );
  }
  if (options.fullOnly)
    log(`[flexmoe] --full-only: ${data.droppedNotFull} training patients without every modality left out`);
  mkdirSync(runDir, { recursive: true });
  const probe = new FlexMoEModel(config, { seed: 0 });
  const parameters = probe.parameterCount();
  probe.dispose();
  const runFile: RunFile = {
    formatVersion: 1,
    status: 'running',
    options: { ...options, data: datasetDir, out: runDir },
    config,
    dataset: {
      path: datasetDir,
      manifestSha256: manifestSha,
      classes: data.classes,
      modalities: data.modalities.map((m) => m.letter),
    },
    backend,
    ...(nativeMatmul ? { nativeMatmul } : {}),
    dropped,
    parameters,
  };
  writeJsonAtomic(runJsonPath, runFile);
  log(
    `[flexmoe] training on ${data.splits.training.length} patients ` +
      `(validation ${data.splits.validation.length}, test ${data.splits.testing.length}), ` +
      `modalities ${data.modalities.map((m) => m.letter).join('')}, ${parameters} parameters, backend ${backend}`,
  );

  const cores = availableParallelism();
  log(
    options.workers > 1
      ? `[flexmoe] data-parallel training: ${options.workers} worker threads (--workers; this machine has ${cores} cores)`
      : `[flexmoe] training in one thread (--workers 1; this machine has ${cores} cores)`,
  );
  const ctx: SeedContext = {
    options,
    data,
    config,
    runDir,
    manifestSha,
    log,
    progress: hooks.progress ?? true,
    backend,
  };
  const results: SeedResult[] = [];
  const analyses: RunAnalysis[] = [];
  for (const seed of options.seeds) {
    const { result, analysis } = await runSeed(seed, ctx);
    results.push(result);
    analyses.push(analysis);
  }
  // The kept model: best validation selection metric over seeds, earliest seed on ties.
  let bestIndex = 0;
  results.forEach((r, i) => {
    if (
      selectValue(r.validation, options.selectMetric) > selectValue(results[bestIndex].validation, options.selectMetric)
    )
      bestIndex = i;
  });
  const bestSeed = results[bestIndex].seed;
  const tmpBest = join(runDir, `best.tmp-${process.pid}`);
  rmSync(tmpBest, { recursive: true, force: true });
  cpSync(join(runDir, `seed-${bestSeed}`, 'best'), tmpBest, { recursive: true });
  rmSync(join(runDir, 'best'), { recursive: true, force: true });
  renameSync(tmpBest, join(runDir, 'best'));

  const allHistory = results.flatMap((r) => r.history);
  const { data: _d, out: _o, json: _j, resume: _r, ...training } = options;
  void _d;
  void _o;
  void _j;
  void _r;
  const metrics: RunMetrics = {
    test: aggregate(results.map((r) => r.test)),
    validation: aggregate(results.map((r) => r.validation)),
    perCombination: averagePerCombination(results),
    throughput: throughputOf(allHistory),
    backend,
    ...(nativeMatmul ? { nativeMatmul } : {}),
    config: { ...config, training },
    bestEpoch: Object.fromEntries(results.map((r) => [String(r.seed), r.bestEpoch])),
    bestSeed,
    seeds: results.map(({ history: _h, ...rest }) => rest),
    dropped,
    parameters,
  };
  if (options.seeds.length > 1) {
    const table = new CombinationTable(config.modalities.map((m) => m.letter).join(''));
    metrics.ensemble = ensembleScores(runDir, options.seeds, data, options.evalBatchSize, (c) => table.get(c).letters);
  }
  if (options.baselines) {
    metrics.baselines = runBaselines(data, { selectMetric: options.selectMetric, classWeights: options.classWeights });
    log(`[flexmoe] ${baselineVerdict(metrics.baselines, metrics.test).line}`);
    if (metrics.ensemble) {
      const e = singleModelScores(metrics.ensemble.test);
      log(`[flexmoe] ${baselineVerdict(metrics.baselines, e, 'Flex-MoE seed ensemble').line}`);
    }
  }
  writeJsonAtomic(join(runDir, 'analysis.json'), {
    ...analyses[bestIndex],
    histories: Object.fromEntries(results.map((r) => [String(r.seed), r.history])),
  });
  writeJsonAtomic(runJsonPath, { ...runFile, status: 'complete', metrics, bestSeed });
  if (options.json) writeJsonAtomic(resolve(options.json), metrics);
  log(
    `[flexmoe] test accuracy ${(metrics.test.accuracy.mean * 100).toFixed(2)} ± ${(metrics.test.accuracy.std * 100).toFixed(2)}, ` +
      `macro-F1 ${(metrics.test.macroF1.mean * 100).toFixed(2)} ± ${(metrics.test.macroF1.std * 100).toFixed(2)}, ` +
      `AUC ${(metrics.test.auc.mean * 100).toFixed(2)} ± ${(metrics.test.auc.std * 100).toFixed(2)} ` +
      `(${options.seeds.length} seed(s)); best seed ${bestSeed}`,
  );
  if (metrics.ensemble) {
    const e = metrics.ensemble.test;
    log(
      `[flexmoe] seed ensemble (mean probability of ${options.seeds.length} models; flexmoe export --ensemble): ` +
        `test accuracy ${(e.accuracy * 100).toFixed(2)}, macro-F1 ${(e.macroF1 * 100).toFixed(2)}, AUC ${(e.auc * 100).toFixed(2)}`,
    );
  }
  return { metrics, runDir };
}
