/** Learning-rate schedules: `constant` (the paper), `cosine` (warm-up then cosine decay), `plateau`. */
export type LrScheduleKind = 'constant' | 'cosine' | 'plateau';

/** Options of {@link learningRateAt}. */
export interface LrScheduleOptions {
  kind: LrScheduleKind;
  /** Peak learning rate. */
  base: number;
  /** Optimizer steps of linear warm-up from base/warmupSteps to base (0 = none). */
  warmupSteps: number;
  /** All optimizer steps of the run (cosine decays to `minFactor·base` at the last one). */
  totalSteps: number;
  /** Floor of the cosine decay as a fraction of `base` (default 0). */
  minFactor?: number;
  /** `plateau`: current multiplier from {@link plateauFactor} (default 1). */
  plateau?: number;
}

/**
 * Learning rate of 0-based optimizer step `step`: linear warm-up over `warmupSteps` (all schedules),
 * then constant, cosine decay over the remaining steps, or the plateau multiplier.
 */
export function learningRateAt(step: number, o: LrScheduleOptions): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.base * (step + 1)) / o.warmupSteps;
  if (o.kind === 'cosine') {
    const span = Math.max(1, o.totalSteps - o.warmupSteps - 1);
    const t = Math.min(1, (step - o.warmupSteps) / span);
    const floor = o.minFactor ?? 0;
    return o.base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
  }
  if (o.kind === 'plateau') return o.base * (o.plateau ?? 1);
  return o.base;
}

/**
 * Multiplier of the `plateau` schedule after the epochs in `values` (validation selection metric per
 * epoch, higher is better): ×`factor` each time `patience` epochs pass without a strict improvement over
 * the best so far (the count restarts after each reduction). Derived from the history alone, so a
 * resumed run gets the same rate.
 */
export function plateauFactor(values: number[], patience: number, factor = 0.5): number {
  let best = -Infinity;
  let since = 0;
  let multiplier = 1;
  for (const v of values) {
    if (v > best) {
      best = v;
      since = 0;
    } else if (++since >= patience) {
      multiplier *= factor;
      since = 0;
    }
  }
  return multiplier;
}

/**
 * Early stopping: true when `patience` (> 0) epochs have passed since the best epoch (1-based
 * `bestEpoch`, `epochsDone` epochs trained). 0 disables it.
 */
export function shouldStopEarly(epochsDone: number, bestEpoch: number | null, patience: number): boolean {
  return patience > 0 && bestEpoch !== null && epochsDone - bestEpoch >= patience;
}

/** Epochs without improvement before the `plateau` schedule halves the rate. */
export const PLATEAU_PATIENCE = 3;

/** What {@link scheduledLearningRate} needs from the training options. */
export interface ScheduleSettings {
  lr: number;
  lrSchedule: LrScheduleKind;
  lrWarmup: number;
  epochs: number;
}

/**
 * Learning rate of step `stepInEpoch` of 0-based `epoch` for a run with `stepsPerEpoch` steps per epoch;
 * `validationValues` are the selection metric of the epochs done (for `plateau`).
 */
export function scheduledLearningRate(
  s: ScheduleSettings,
  stepsPerEpoch: number,
  epoch: number,
  stepInEpoch: number,
  validationValues: number[],
): number {
  return learningRateAt(epoch * stepsPerEpoch + stepInEpoch, {
    kind: s.lrSchedule,
    base: s.lr,
    warmupSteps: s.lrWarmup * stepsPerEpoch,
    totalSteps: s.epochs * stepsPerEpoch,
    plateau: s.lrSchedule === 'plateau' ? plateauFactor(validationValues, PLATEAU_PATIENCE) : 1,
  });
}
