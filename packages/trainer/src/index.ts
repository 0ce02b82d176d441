/** @flexmoe/trainer: training, evaluation, checkpoints, sweeps, reports and the `flexmoe` CLI. */
export {
  chooseBackend,
  BACKEND_CANDIDATES,
  type BackendCandidate,
  type ChosenBackend,
  type ChooseBackendOptions,
  type SkippedBackend,
} from './backend/choose-backend.js';
export { parseModalitySelection, type NamedModality } from './data/modality-selection.js';
export {
  train,
  manifestSha256,
  type RunFile,
  type RunMetrics,
  type TrainHooks,
  type TrainResult,
} from './run/train.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './run/evaluate.js';
export { ensemblePredictions, ensembleScores, seedModelDirs, type EnsembleScores } from './run/seed-ensemble.js';
export {
  DEFAULT_TRAIN_OPTIONS,
  resolveTrainOptions,
  defaultExperts,
  modelConfig,
  trainingOrder,
  type TrainOptions,
  type TrainingAblation,
  type SelectMetric,
} from './run/options.js';
export type {
  Scores,
  CombinationScores,
  EpochRecord,
  SeedResult,
  Throughput,
  AggregatedScores,
  RunAnalysis,
} from './run/run-types.js';
export {
  prepareData,
  classWeights,
  observedCounts,
  type PreparedData,
  type PreparedModality,
  type PrepareDataOptions,
} from './data/prepare-data.js';
export { crossValidationSplits, parseCrossValidationFold, type CrossValidationFold } from './data/cross-validation.js';
export {
  accuracy,
  macroF1,
  rocAuc,
  binaryAuc,
  averageRanks,
  rocCurve,
  confusionMatrix,
  meanStd,
  argmax,
  type MeanStd,
  type RocPoint,
} from './metrics/classification.js';
export { curriculumOrder, epochOrder, batches, type TrainingOrder } from './schedule/curriculum.js';
export { ShuffleRandom, shuffled } from './schedule/shuffle-random.js';
export {
  writeJsonAtomic,
  saveCheckpoint,
  loadCheckpoint,
  restoreTrainingState,
  checkpointPaths,
  type CheckpointHeader,
  type TrainingState,
  type BestState,
} from './checkpoint/training-checkpoint.js';
export { writeModelFiles, readModelFiles, type ModelFile } from './checkpoint/model-files.js';
export { cleanRunTemporaries } from './checkpoint/run-temporaries.js';
export * from './checkpoint/resume-check.js';
export * from './run/config-checks.js';
export { writeReport, loadReportInput } from './report/write-report.js';
export { renderReport, type ReportInput } from './report/render-report.js';
export { sweep, formatSweepTable, type SweepOptions, type SweepRow } from './sweep/sweep.js';
export { autoWorkers, autoWorkersLine, AUTO_WORKERS_MIN_ROWS } from './parallel/auto-workers.js';
export {
  fitLogistic,
  predictLogistic,
  type LogisticModel,
  type LogisticFitOptions,
} from './baselines/logistic-regression.js';
export { fitDesignMatrix, designRows, type DesignMatrix } from './baselines/design-matrix.js';
export {
  runBaselines,
  bestBaseline,
  baselineVerdict,
  DEFAULT_C_GRID,
  type BaselineResult,
  type BaselinesReport,
  type BaselineOptions,
} from './baselines/run-baselines.js';
export {
  learningRateAt,
  plateauFactor,
  shouldStopEarly,
  scheduledLearningRate,
  PLATEAU_PATIENCE,
  type LrScheduleKind,
  type LrScheduleOptions,
} from './schedule/lr-schedule.js';
export {
  runTrainChild,
  readCompleteRun,
  runPool,
  PARENT_PID_ENV,
  type CliLauncher,
  type TrainChildResult,
  type TrialTask,
  type TrialRunner,
} from './trials/train-child.js';
export {
  TrialQueue,
  startTrialWorker,
  redisConnection,
  TRIAL_QUEUE_NAME,
  TRIAL_ATTEMPTS,
  type TrialWorkerOptions,
} from './trials/trial-queue.js';
export {
  tune,
  formatTuneTable,
  TRIAL_TRAINING_ARGS,
  type TuneOptions,
  type TuneResult,
  type TuneTrialRow,
} from './tune/tune.js';
export {
  sampleConfigs,
  configArgs,
  DEFAULT_SEARCH_SPACE,
  type SearchSpace,
  type TrialConfig,
} from './tune/search-space.js';
