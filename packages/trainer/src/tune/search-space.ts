import { ShuffleRandom } from '../schedule/shuffle-random.js';

/** One point of the tuning search: the `flexmoe train` settings a trial varies. */
export interface TrialConfig {
  lr: number;
  hidden: number;
  /** Tokens per modality (P). */
  patches: number;
  experts: number;
  topK: number;
  dropout: number;
  weightDecay: number;
  epochs: number;
}

/** Where {@link sampleConfigs} draws from: a log-uniform learning-rate range and lists for the rest. */
export interface SearchSpace {
  lr: [number, number];
  hidden: number[];
  /**
   * Tokens per modality. With the reference's shared patch projection, one token per modality did far better
   * than the paper's 16 on small tables (docs/benchmarks.md, "Tokens per modality"), 4 on synthetic ADNI; the
   * per-patch projection (the default since) narrows that difference, so all three stay in the search.
   */
  patches: number[];
  /** Experts as multiples of the dataset's default max(16, 2^M − 1). */
  expertsFactor: number[];
  topK: number[];
  dropout: number[];
  weightDecay: number[];
  epochs: number[];
}

/** Ranges for small tabular data (docs/training.md, "Small, imbalanced data"). */
export const DEFAULT_SEARCH_SPACE: SearchSpace = {
  lr: [1e-4, 3e-3],
  // 128 (the paper's) was never the best of the 11 such trials in three timed tunes on ~2,400 patients and took
  // 2–6× longer; `--hidden 32,64,128` brings it back for larger data.
  hidden: [32, 64],
  patches: [1, 4, 16],
  expertsFactor: [1, 2],
  topK: [1, 2, 4],
  dropout: [0.1, 0.3, 0.5],
  weightDecay: [0, 1e-4, 1e-3, 1e-2],
  epochs: [10, 20],
};

/** `n` configurations drawn with a seeded generator (same seed, same list: resumable). */
export function sampleConfigs(
  n: number,
  seed: number,
  defaultExperts: number,
  space: SearchSpace = DEFAULT_SEARCH_SPACE,
): TrialConfig[] {
  const random = new ShuffleRandom(seed);
  const pick = <T>(items: T[]): T => items[random.nextInt(items.length)];
  const out: TrialConfig[] = [];
  for (let i = 0; i < n; i++) {
    const [lo, hi] = space.lr;
    const lr = Number(Math.exp(Math.log(lo) + random.next() * (Math.log(hi) - Math.log(lo))).toPrecision(3));
    const experts = defaultExperts * pick(space.expertsFactor);
    const topK = Math.min(pick(space.topK), experts);
    out.push({
      lr,
      hidden: pick(space.hidden),
      patches: pick(space.patches),
      experts,
      topK,
      dropout: pick(space.dropout),
      weightDecay: pick(space.weightDecay),
      epochs: pick(space.epochs),
    });
  }
  return out;
}

/** A configuration as `flexmoe train` flags. */
export function configArgs(c: TrialConfig): string[] {
  return [
    '--lr',
    String(c.lr),
    '--hidden',
    String(c.hidden),
    '--patches',
    String(c.patches),
    '--experts',
    String(c.experts),
    '--top-k',
    String(c.topK),
    '--dropout',
    String(c.dropout),
    '--weight-decay',
    String(c.weightDecay),
    '--epochs',
    String(c.epochs),
  ];
}
