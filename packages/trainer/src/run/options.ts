import type { FlexMoEConfig, PatchProjection } from '@flexmoe/moe-core';
import { PATCH_PROJECTIONS } from '@flexmoe/moe-core/spec';
import { checkCrossValidationFold, type CrossValidationFold } from '../data/cross-validation.js';
import type { PreparedData } from '../data/prepare-data.js';
import type { TrainingOrder } from '../schedule/curriculum.js';
import type { LrScheduleKind } from '../schedule/lr-schedule.js';

/** Ablations of docs/algorithm.md §6 / paper Table 3 as one switch. */
export type TrainingAblation = 'none' | 'no-es' | 'no-es-eg' | 'no-bank' | 'order-random' | 'order-ascending';

/** Validation metric that selects the kept epoch. */
export type SelectMetric = 'accuracy' | 'auc' | 'macroF1';

/** Options of {@link train} (the `flexmoe train` flags). */
export interface TrainOptions {
  /** Dataset directory (docs/architecture.md §2). */
  data: string;
  /** Run directory to write (docs/architecture.md §3). */
  out: string;
  /** Modality letters to use (one model per subset, end to end); all when undefined. */
  modalities?: string[];
  epochs: number;
  /** Epochs in curriculum order before shuffling starts. */
  warmup: number;
  seeds: number[];
  batchSize: number;
  lr: number;
  hidden: number;
  heads: number;
  /** E; default max(16, 2^M − 1). */
  experts?: number;
  topK: number;
  layers: number;
  patches: number;
  /**
   * Projection of each modality's patches to tokens: `per-patch` (default; each patch its own dense layer) or
   * `shared` (the reference code's one dense layer for all patches). A run stored without it used `shared`.
   */
  patchProjection: PatchProjection;
  dropout: number;
  routerLossWeight: number;
  ablation: TrainingAblation;
  selectMetric: SelectMetric;
  /** `none`, `balanced` or comma-separated weights. */
  classWeights: string;
  /** Train on full-modality patients only (the paper's baseline). */
  fullOnly: boolean;
  /** Continue from the checkpoints in `out`. */
  resume: boolean;
  /** Also write the metrics JSON here. */
  json?: string;
  /** Batch size of validation/test inference. */
  evalBatchSize: number;
  /** Expert evaluation path (see @flexmoe/moe-core). */
  dispatch: 'auto' | 'sparse' | 'dense';
  /** Data-parallel training workers (trainer/src/parallel); 1 trains in this thread. */
  workers: number;
  /** Decoupled weight decay λ (AdamW); 0 = the paper's Adam. */
  weightDecay: number;
  /** Learning-rate schedule after warm-up (`constant` = the paper). */
  lrSchedule: LrScheduleKind;
  /** Epochs of linear learning-rate warm-up (0 = none). */
  lrWarmup: number;
  /** Stop a seed after this many epochs without a better validation metric (0 = train all epochs). */
  patience: number;
  /** Also fit the logistic baselines and put them in the metrics (`train --baselines`). */
  baselines?: boolean;
  /** Tuning trials: score the validation split where the test split would be, never reading test labels. */
  validationOnly?: boolean;
  /**
   * Cross-validated tuning trials: train on the training and validation splits minus this fold, select epochs
   * on the fold and score it (implies `validationOnly`: the test split is not read).
   */
  cvFold?: CrossValidationFold;
}

/**
 * The paper's ADNI settings (Table 6), except `experts`, which depends on the number of modalities, and the
 * tokeniser's projection, which the paper does not fix: per patch by default (docs/algorithm.md §2).
 */
export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'data' | 'out'> = {
  epochs: 50,
  warmup: 5,
  seeds: [0, 1, 2],
  batchSize: 8,
  lr: 1e-4,
  hidden: 128,
  heads: 4,
  topK: 4,
  layers: 1,
  patches: 16,
  patchProjection: 'per-patch',
  dropout: 0.5,
  routerLossWeight: 0.01,
  ablation: 'none',
  selectMetric: 'accuracy',
  classWeights: 'none',
  fullOnly: false,
  resume: false,
  evalBatchSize: 64,
  dispatch: 'auto',
  workers: 1,
  weightDecay: 0,
  lrSchedule: 'constant',
  lrWarmup: 0,
  patience: 0,
};

const ABLATIONS: TrainingAblation[] = ['none', 'no-es', 'no-es-eg', 'no-bank', 'order-random', 'order-ascending'];
const SELECT: SelectMetric[] = ['accuracy', 'auc', 'macroF1'];

/** Fills defaults and checks every option, naming the flag on error. */
export function resolveTrainOptions(partial: Partial<TrainOptions> & { data: string; out: string }): TrainOptions {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...stripUndefined(partial) } as TrainOptions;
  const int = (flag: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`--${flag}: expected an integer >= ${min}, got ${v}`);
  };
  int('epochs', o.epochs, 1);
  int('warmup', o.warmup, 0);
  int('batch-size', o.batchSize, 1);
  int('hidden', o.hidden, 1);
  int('heads', o.heads, 1);
  int('top-k', o.topK, 1);
  int('layers', o.layers, 1);
  int('patches', o.patches, 1);
  int('eval-batch-size', o.evalBatchSize, 1);
  int('workers', o.workers, 1);
  int('lr-warmup', o.lrWarmup, 0);
  int('patience', o.patience, 0);
  if (!(o.weightDecay >= 0) || !Number.isFinite(o.weightDecay))
    throw new Error(`--weight-decay: expected a number >= 0, got ${o.weightDecay}`);
  if (!['constant', 'cosine', 'plateau'].includes(o.lrSchedule)) {
    throw new Error(`--lr-schedule: expected constant, cosine or plateau, got '${o.lrSchedule}'`);
  }
  if (o.experts !== undefined) int('experts', o.experts, 1);
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new Error(`--lr: expected a positive number, got ${o.lr}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new Error(`--dropout: expected a rate in [0, 1), got ${o.dropout}`);
  if (!(o.routerLossWeight >= 0) || !Number.isFinite(o.routerLossWeight)) {
    throw new Error(`--router-loss-weight: expected a number >= 0, got ${o.routerLossWeight}`);
  }
  if (!ABLATIONS.includes(o.ablation))
    throw new Error(`--ablation: expected one of ${ABLATIONS.join(', ')}, got '${o.ablation}'`);
  if (!SELECT.includes(o.selectMetric))
    throw new Error(`--select-metric: expected one of ${SELECT.join(', ')}, got '${o.selectMetric}'`);
  if (!Array.isArray(o.seeds) || o.seeds.length === 0 || o.seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`--seeds: expected non-negative integers separated by commas, got ${JSON.stringify(o.seeds)}`);
  }
  if (new Set(o.seeds).size !== o.seeds.length) throw new Error(`--seeds: seed listed twice in ${o.seeds.join(',')}`);
  if (!PATCH_PROJECTIONS.includes(o.patchProjection))
    throw new Error(`--patch-projection: expected ${PATCH_PROJECTIONS.join(' or ')}, got '${o.patchProjection}'`);
  if (o.cvFold !== undefined) {
    checkCrossValidationFold('--cv-fold', o.cvFold);
    o.validationOnly = true;
  }
  if (!['auto', 'sparse', 'dense'].includes(o.dispatch))
    throw new Error(`--dispatch: expected auto, sparse or dense, got '${o.dispatch}'`);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Training order implied by the ablation. */
export function trainingOrder(ablation: TrainingAblation): TrainingOrder {
  if (ablation === 'order-random') return 'random';
  if (ablation === 'order-ascending') return 'ascending';
  return 'descending';
}

/** Default number of experts for M modalities: max(16, 2^M − 1). */
export function defaultExperts(modalityCount: number): number {
  return Math.max(16, (1 << modalityCount) - 1);
}

/** The model configuration of a run (the model-level part of the ablation is passed through). */
export function modelConfig(options: TrainOptions, data: PreparedData, classWeights: number[] | null): FlexMoEConfig {
  const M = data.modalities.length;
  const modelAblation =
    options.ablation === 'order-random' || options.ablation === 'order-ascending' ? 'none' : options.ablation;
  const config: FlexMoEConfig = {
    modalities: data.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
    patches: options.patches,
    patchProjection: options.patchProjection,
    hidden: options.hidden,
    heads: options.heads,
    experts: options.experts ?? defaultExperts(M),
    topK: options.topK,
    layers: options.layers,
    classes: data.classes.length,
    dropout: options.dropout,
    routerLossWeight: options.routerLossWeight,
    ablation: modelAblation,
    dispatch: options.dispatch,
  };
  if (classWeights) config.classWeights = classWeights;
  return config;
}
