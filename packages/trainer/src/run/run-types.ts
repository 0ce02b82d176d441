import type { MeanStd, RocPoint } from '../metrics/classification.js';

/** Accuracy, macro-F1 and ROC-AUC of one evaluation. */
export interface Scores {
  accuracy: number;
  macroF1: number;
  auc: number;
}

/** Test metrics of one input combination (letters in modality order). */
export interface CombinationScores {
  n: number;
  accuracy: number;
  macroF1: number;
}

/** What happened in one epoch of one seed. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss (task CE + λ·router loss) over the epoch's batches. */
  trainLoss: number;
  trainTaskLoss: number;
  trainRouterLoss: number;
  validation: Scores;
  /** Wall-clock seconds of the training part of the epoch. */
  trainSeconds: number;
  /** Training samples seen in the epoch. */
  trainSamples: number;
  /** Optimizer steps in the epoch. */
  steps: number;
}

/** Outcome of one seed. */
export interface SeedResult {
  seed: number;
  /** 1-based epoch whose weights were kept (best validation metric, earliest on ties). */
  bestEpoch: number;
  validation: Scores;
  test: Scores;
  perCombination: Record<string, CombinationScores>;
  history: EpochRecord[];
  throughput: Throughput;
}

/** Training speed end to end (data batching + forward + backward + Adam), excluding validation. */
export interface Throughput {
  trainSamplesPerSecond: number;
  msPerStep: number;
}

/** Mean ± std (ddof 0) over seeds of each score. */
export interface AggregatedScores {
  accuracy: MeanStd;
  macroF1: MeanStd;
  auc: MeanStd;
}

/** Figures of the best seed's best model, used by `flexmoe report`. */
export interface RunAnalysis {
  seed: number;
  classes: string[];
  modalityLetters: string[];
  test: {
    labels: number[];
    probabilities: number[][];
    /** Combination letters per test sample (after any withholding). */
    combinations: string[];
  };
  confusion: number[][];
  /** One ROC curve per class (one-vs-rest); binary runs use class 1 only. */
  roc: { className: string; auc: number; points: RocPoint[] }[];
  /** Figure 4: cosine similarity between bank rows (observed combinations) and columns (missing modality). */
  bankSimilarity: {
    combinations: { labels: string[]; matrix: number[][] };
    missingModalities: { labels: string[]; matrix: number[][] };
  } | null;
  /** Figure 5: share of each input combination's (token, slot) selections that go to each expert. */
  expertActivation: { source: string; combinations: string[]; experts: string[]; ratio: number[][] } | null;
}
