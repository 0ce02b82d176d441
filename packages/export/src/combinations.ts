/**
 * Combination indexing of SPEC §1: subsets by size (largest first), then lexicographic in positions.
 * Index 0 is the full set; there are 2^M − 1 combinations.
 */
export function enumerateCombinations(modalityCount: number): boolean[][] {
  if (!Number.isInteger(modalityCount) || modalityCount < 1 || modalityCount > 16) {
    throw new Error(`modality count must be an integer in 1..16, got ${modalityCount}`);
  }
  const result: boolean[][] = [];
  for (let size = modalityCount; size >= 1; size--) {
    const positions = Array.from({ length: size }, (_, i) => i);
    for (;;) {
      const mask = new Array<boolean>(modalityCount).fill(false);
      for (const p of positions) mask[p] = true;
      result.push(mask);
      // Next combination in lexicographic order of positions.
      let i = size - 1;
      while (i >= 0 && positions[i] === modalityCount - size + i) i--;
      if (i < 0) break;
      positions[i]++;
      for (let j = i + 1; j < size; j++) positions[j] = positions[j - 1] + 1;
    }
  }
  return result;
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
  return letters.filter((_, m) => mask[m]).join('');
}

/** Combination index of a mask; throws for the empty set (SPEC §1: a sample with no modality). */
export function combinationIndex(mask: readonly boolean[]): number {
  const index = combinationIndexByCode(mask.length)[maskCode(mask)];
  if (index < 0) throw new Error('a sample with no observed modality has no combination');
  return index;
}
