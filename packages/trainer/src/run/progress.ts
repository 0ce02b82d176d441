import cliProgress from 'cli-progress';

/** Reports training progress: a cli-progress bar on a TTY, plain lines otherwise. */
export interface Progress {
  startEpoch(seed: number, epoch: number, epochs: number, steps: number): void;
  step(loss: number): void;
  endEpoch(line: string): void;
  stop(): void;
}

/** Progress on stderr: a per-epoch bar (loss, validation metrics) when stderr is a TTY, else one line per epoch. */
export function createProgress(log: (line: string) => void, enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let lossSum = 0;
  let count = 0;
  return {
    startEpoch(seed, epoch, epochs, steps) {
      lossSum = 0;
      count = 0;
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `seed ${seed} epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | loss {loss} | {val}`,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(steps, 0, { loss: '-', val: '' });
    },
    step(loss) {
      lossSum += loss;
      count++;
      bar?.increment(1, { loss: (lossSum / count).toFixed(4) });
    },
    endEpoch(line) {
      if (bar) {
        bar.update({ val: line });
        bar.stop();
        bar = null;
      } else {
        log(line);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
