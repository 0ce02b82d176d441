/** A step progress bar on stderr (cli-progress), shown only on a TTY and never with --json. */
import cliProgress from 'cli-progress';

/** Progress over a known number of named steps. */
export interface StepProgress {
  step(name: string): void;
  stop(): void;
}

/**
 * @param total expected number of steps (the bar is capped at it)
 * @param enabled false → a no-op (not a TTY, or --json)
 */
export function createStepProgress(
  total: number,
  enabled: boolean,
  stream: { write(text: string): unknown },
): StepProgress {
  if (!enabled) return { step: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} {step}',
      stream: stream as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let stopped = false;
  bar.start(total, 0, { step: '' });
  return {
    step(name: string) {
      if (stopped) return;
      bar.update(Math.min(done, total), { step: name });
      done++;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(total, { step: 'done' });
      bar.stop();
    },
  };
}
