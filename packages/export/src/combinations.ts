/**
 * Combination indexing of SPEC §1 for the graph and the runtime: the enumeration itself is @flexmoe/data's
 * (`combinationMasks`); here are the bit-code lookups the ONNX graph and the predictor need.
 * Index 0 is the full set; there are 2^M − 1 combinations.
 */
import { combinationKey, combinationMasks } from '@flexmoe/data/browser';

/** Every non-empty combination of `modalityCount` modalities as a mask, in SPEC §1 index order. */
export function enumerateCombinations(modalityCount: number): boolean[][] {
  if (!Number.isInteger(modalityCount) || modalityCount < 1 || modalityCount > 16) {
    throw new Error(`modality count must be an integer in 1..16, got ${modalityCount}`);
  }
  return combinationMasks(modalityCount);
}

/** Bit code of a mask: bit m (value 2^m) is set iff modality m is observed. */
export function maskCode(mask: readonly boolean[]): number {
  let code = 0;
  mask.forEach((observed, m) => {
    if (observed) code |= 1 << m;
  });
  return code;
}

/**
 * Table from mask code (0 … 2^M − 1) to combination index; code 0 (no modality) maps to -1.
 */
export function combinationIndexByCode(modalityCount: number): number[] {
  const table = new Array<number>(1 << modalityCount).fill(-1);
  enumerateCombinations(modalityCount).forEach((mask, index) => {
    table[maskCode(mask)] = index;
  });
  return table;
}

/** Letters of a combination in modality order, e.g. `ICB`. */
export function combinationLetters(mask: readonly boolean[], letters: readonly string[]): string {
  return combinationKey(letters, (m) => mask[m]);
}

/** Combination index of a mask; throws for the empty set (SPEC §1: a sample with no modality). */
export function combinationIndex(mask: readonly boolean[]): number {
  const index = combinationIndexByCode(mask.length)[maskCode(mask)];
  if (index < 0) throw new Error('a sample with no observed modality has no combination');
  return index;
}
