/**
 * Train/validation/test splits (docs/algorithm.md §7): validation and test come only from full-modality patients,
 * stratified by label, reproducible from a seed; training gets everything else.
 */
import type { DatasetSplits } from '../dataset/types.js';

/** Fractions of all patients that go to validation and test (the rest is training). */
export interface SplitFractions {
  validation: number;
  testing: number;
}

/** Input of {@link makeSplits}. */
export interface MakeSplitsInput {
  ids: string[];
  labels: Int32Array;
  /** 1 where the patient has every modality of the dataset. */
  full: Uint8Array;
  seed: number;
  /** Default 0.15 / 0.15 (70/15/15). */
  fractions?: SplitFractions;
}

/** Deterministic 32-bit PRNG (mulberry32), so splits do not depend on the platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `total` items over groups proportionally to `sizes` (largest remainder, ties to the lower index). */
function allocate(total: number, sizes: number[]): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum === 0) return sizes.map(() => 0);
  const exact = sizes.map((s) => (total * s) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if (out[i] < sizes[i]) {
      out[i]++;
      left--;
    }
  }
  return out;
}

/**
 * Makes stratified, seeded splits. The validation and test sizes are `round(fraction × all patients)`,
 * reduced proportionally when there are not enough full-modality patients; within those, each class
 * gets its share of the full-modality patients (largest remainder). The result does not depend on the
 * order of `ids`. Split lists are sorted.
 */
export function makeSplits(input: MakeSplitsInput): DatasetSplits {
  const { ids, labels, full, seed } = input;
  const fractions = input.fractions ?? { validation: 0.15, testing: 0.15 };
  if (labels.length !== ids.length || full.length !== ids.length) {
    throw new Error(
      `makeSplits: ids (${ids.length}), labels (${labels.length}) and full (${full.length}) differ in length`,
    );
  }
  if (new Set(ids).size !== ids.length) throw new Error('makeSplits: duplicate patient ids');
  if (fractions.validation < 0 || fractions.testing < 0 || fractions.validation + fractions.testing >= 1) {
    throw new Error('makeSplits: fractions must be ≥ 0 and sum to less than 1');
  }
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const fullIdx = order.filter((i) => full[i] === 1);
  let nVal = Math.round(fractions.validation * ids.length);
  let nTest = Math.round(fractions.testing * ids.length);
  if (nVal + nTest > fullIdx.length) {
    const f = fullIdx.length / (nVal + nTest);
    nTest = Math.floor(nTest * f);
    nVal = Math.min(Math.floor(nVal * f), fullIdx.length - nTest);
  }
  const classes = [...new Set(fullIdx.map((i) => labels[i]))].sort((a, b) => a - b);
  const byClass = classes.map((c) => fullIdx.filter((i) => labels[i] === c));
  const random = mulberry32(seed);
  for (const group of byClass) {
    for (let k = group.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [group[k], group[j]] = [group[j], group[k]];
    }
  }
  const testPer = allocate(
    nTest,
    byClass.map((g) => g.length),
  );
  const valPer = allocate(
    nVal,
    byClass.map((g, c) => g.length - testPer[c]),
  );
  const inTest = new Set<number>();
  const inVal = new Set<number>();
  byClass.forEach((group, c) => {
    group.slice(0, testPer[c]).forEach((i) => inTest.add(i));
    group.slice(testPer[c], testPer[c] + valPer[c]).forEach((i) => inVal.add(i));
  });
  const pick = (keep: (i: number) => boolean): string[] => order.filter(keep).map((i) => ids[i]);
  return {
    training: pick((i) => !inTest.has(i) && !inVal.has(i)),
    validation: pick((i) => inVal.has(i)),
    testing: pick((i) => inTest.has(i)),
  };
}
