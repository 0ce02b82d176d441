import { Option, type Command } from 'commander';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '@flexmoe/trainer';

/** The training flags for small, imbalanced data (defaults keep the paper's training). */
export type RegularisationOptions = Pick<TrainOptions, 'weightDecay' | 'lrSchedule' | 'lrWarmup' | 'patience'>;

function nonNegative(flag: string, integer: boolean) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) {
      throw new Error(`${flag}: expected ${integer ? 'an integer' : 'a number'} >= 0, got ${JSON.stringify(v)}`);
    }
    return x;
  };
}

/** Adds --weight-decay, --lr-schedule, --lr-warmup and --patience to a command. */
export function addRegularisationFlags(cmd: Command): Command {
  const d = DEFAULT_TRAIN_OPTIONS;
  return cmd
    .option(
      '--weight-decay <x>',
      'decoupled weight decay λ (AdamW); 0 = Adam',
      nonNegative('--weight-decay', false),
      d.weightDecay,
    )
    .addOption(
      new Option(
        '--lr-schedule <kind>',
        'learning rate after warm-up: constant, cosine decay, or halve on a 3-epoch plateau',
      )
        .choices(['constant', 'cosine', 'plateau'])
        .default(d.lrSchedule),
    )
    .option(
      '--lr-warmup <epochs>',
      'epochs of linear learning-rate warm-up',
      nonNegative('--lr-warmup', true),
      d.lrWarmup,
    )
    .option(
      '--patience <epochs>',
      'stop a seed after this many epochs without a better validation metric (0 = never)',
      nonNegative('--patience', true),
      d.patience,
    );
}

/** The parsed flags as train options. */
export function regularisationOptions(o: RegularisationOptions): RegularisationOptions {
  return { weightDecay: o.weightDecay, lrSchedule: o.lrSchedule, lrWarmup: o.lrWarmup, patience: o.patience };
}

/** The same flags as `flexmoe train` arguments (sweep and tune children). */
export function regularisationArgs(o: RegularisationOptions): string[] {
  return [
    '--weight-decay',
    String(o.weightDecay),
    '--lr-schedule',
    o.lrSchedule,
    '--lr-warmup',
    String(o.lrWarmup),
    '--patience',
    String(o.patience),
  ];
}
