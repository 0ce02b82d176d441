/** Model inputs of one sample: one vector per modality in model order, `null` where absent. */
export type SampleInputs = (Float32Array | null)[];

/** Experts a modality block was routed to (one SMoE layer). */
export interface RoutedBlock {
  layer: number;
  modality: string;
  letter: string;
  /** `[P][k]` expert indices per patch token, best first. */
  perPatch: number[][];
  /** Experts by mean gate over the block's P tokens (only experts with weight > 0), largest first. */
  experts: { expert: number; weight: number }[];
}

/** The expected effect of acquiring one missing modality (counterfactual over stored training rows). */
export interface MissingModalityEffect {
  modality: string;
  letter: string;
  /** Training rows the expectation averages over. */
  samples: number;
  /** Mean predicted probabilities with the modality filled by each stored row. */
  expectedProbabilities: Record<string, number>;
  /** expectedProbabilities − current probabilities, per class. */
  probabilityShift: Record<string, number>;
  /** Largest |shift| over the classes. */
  maxAbsShift: number;
  /** Fraction of the stored rows for which the predicted class would change. */
  predictedClassChangeProbability: number;
  /** argmax of expectedProbabilities. */
  expectedPredictedClass: string;
}

/** A prediction for one record. */
export interface Prediction {
  id?: string;
  predictedClass: string;
  predictedIndex: number;
  probabilities: Record<string, number>;
  logits: number[];
  combination: { index: number; letters: string };
  routedExperts: RoutedBlock[];
  /** Present when counterfactuals were asked for and the record lacks a modality with stored rows. */
  missingModalityEffects?: MissingModalityEffect[];
}

/** Outcome of one record: a prediction, or an error for that record only. */
export type PredictionOutcome = { ok: true; prediction: Prediction } | { ok: false; id?: string; error: string };
