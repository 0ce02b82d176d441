/** @flexmoe/trainer: training, evaluation, checkpoints, sweeps, reports and the `flexmoe` CLI. */
export { chooseBackend, BACKEND_CANDIDATES, type BackendCandidate, type ChosenBackend, type ChooseBackendOptions, type SkippedBackend } from './backend/choose-backend.js';
export { parseModalitySelection, type NamedModality } from './data/modality-selection.js';
export { train, manifestSha256, type RunFile, type RunMetrics, type TrainHooks, type TrainResult } from './run/train.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './run/evaluate.js';
export { DEFAULT_TRAIN_OPTIONS, resolveTrainOptions, defaultExperts, modelConfig, trainingOrder, type TrainOptions, type TrainingAblation, type SelectMetric } from './run/options.js';
export type { Scores, CombinationScores, EpochRecord, SeedResult, Throughput, AggregatedScores, RunAnalysis } from './run/run-types.js';
export { prepareData, classWeights, observedCounts, type PreparedData, type PreparedModality, type PrepareDataOptions } from './data/prepare-data.js';
export { accuracy, macroF1, rocAuc, binaryAuc, averageRanks, rocCurve, confusionMatrix, meanStd, argmax, type MeanStd, type RocPoint } from './metrics/classification.js';
export { curriculumOrder, epochOrder, batches, type TrainingOrder } from './schedule/curriculum.js';
export { ShuffleRandom, shuffled } from './schedule/shuffle-random.js';
export { writeJsonAtomic, saveCheckpoint, loadCheckpoint, restoreTrainingState, checkpointPaths, type CheckpointHeader, type TrainingState, type BestState } from './checkpoint/training-checkpoint.js';
export { writeModelFiles, readModelFiles, type ModelFile } from './checkpoint/model-files.js';
export { writeReport, loadReportInput } from './report/write-report.js';
export { renderReport, type ReportInput } from './report/render-report.js';
export { sweep, formatSweepTable, type SweepOptions, type SweepRow } from './sweep/sweep.js';
