import type { RoutingChoice } from '../router/noisy-top-k.js';

/** Expert selections per input combination (paper Fig. 5). */
export interface RoutingStats {
  experts: number;
  combinations: number;
  k: number;
  /** `[combinations × experts]`: (token, slot) selections of expert e by tokens of combination c. */
  counts: Int32Array;
  /** `[combinations]`: tokens routed per combination. */
  tokens: Int32Array;
}

/** Empty statistics to accumulate into. */
export function emptyRoutingStats(combinations: number, experts: number, k: number): RoutingStats {
  return {
    experts,
    combinations,
    k,
    counts: new Int32Array(combinations * experts),
    tokens: new Int32Array(combinations),
  };
}

/** Adds one routing decision (`tokenCombination[t]` = combination of token row t) to `stats`. */
export function accumulateRouting(
  stats: RoutingStats,
  choice: RoutingChoice,
  tokenCombination: Int32Array,
): RoutingStats {
  if (choice.experts !== stats.experts || choice.k !== stats.k) {
    throw new Error(
      `accumulateRouting: routing has E=${choice.experts}, k=${choice.k}; stats have E=${stats.experts}, k=${stats.k}`,
    );
  }
  for (let t = 0; t < choice.rows; t++) {
    const c = tokenCombination[t];
    stats.tokens[c]++;
    for (let j = 0; j < choice.k; j++) stats.counts[c * stats.experts + choice.topkIndices[t * choice.k + j]]++;
  }
  return stats;
}

/** Sums two statistics of the same shape into a new one. */
export function mergeRoutingStats(a: RoutingStats, b: RoutingStats): RoutingStats {
  if (a.experts !== b.experts || a.combinations !== b.combinations || a.k !== b.k)
    throw new Error('mergeRoutingStats: shapes differ');
  const out = emptyRoutingStats(a.combinations, a.experts, a.k);
  for (let i = 0; i < out.counts.length; i++) out.counts[i] = a.counts[i] + b.counts[i];
  for (let i = 0; i < out.tokens.length; i++) out.tokens[i] = a.tokens[i] + b.tokens[i];
  return out;
}

/** Total selections per expert over all combinations, `[experts]`. */
export function expertSelectionCounts(stats: RoutingStats): Int32Array {
  const out = new Int32Array(stats.experts);
  for (let c = 0; c < stats.combinations; c++)
    for (let e = 0; e < stats.experts; e++) out[e] += stats.counts[c * stats.experts + e];
  return out;
}

/**
 * Activation ratio of each expert per combination (paper Fig. 5): selections / (tokens · k), so each row
 * sums to 1 (rows of combinations with no token are all 0).
 */
export function activationRatios(stats: RoutingStats): number[][] {
  const out: number[][] = [];
  for (let c = 0; c < stats.combinations; c++) {
    const denom = stats.tokens[c] * stats.k;
    const row: number[] = [];
    for (let e = 0; e < stats.experts; e++) row.push(denom > 0 ? stats.counts[c * stats.experts + e] / denom : 0);
    out.push(row);
  }
  return out;
}

/**
 * Cosine similarity between the bank entries of one modality (paper Fig. 4): entries `bank[c, m]` of the
 * combinations `c` that lack modality `m` (the only ones used), flattened over `[P, H]`.
 * `bank` is `[rows, M, P, H]` row-major; `lacks(c)` says whether combination c lacks m.
 */
export function bankCosineSimilarity(
  bank: { values: Float32Array; shape: number[] },
  modality: number,
  lacks: (combination: number) => boolean,
): { combinations: number[]; matrix: number[][] } {
  const [rows, M, P, H] = bank.shape;
  if (modality < 0 || modality >= M)
    throw new Error(`bankCosineSimilarity: modality ${modality} out of range 0..${M - 1}`);
  const width = P * H;
  const combos: number[] = [];
  for (let c = 0; c < rows; c++) if (lacks(c)) combos.push(c);
  const vec = (c: number) => bank.values.subarray((c * M + modality) * width, (c * M + modality + 1) * width);
  const matrix = combos.map((a) =>
    combos.map((b) => {
      const va = vec(a);
      const vb = vec(b);
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < width; i++) {
        dot += va[i] * vb[i];
        na += va[i] * va[i];
        nb += vb[i] * vb[i];
      }
      return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
    }),
  );
  return { combinations: combos, matrix };
}
