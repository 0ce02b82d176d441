/** Modality combinations (SPEC §1): keys are the observed letters in modality order, e.g. `IGCB`, `IC`. */

/** The combination key of one patient: observed letters in modality order ('' when none). */
export function combinationKey(letters: readonly string[], observed: (m: number) => boolean): string {
  let key = '';
  letters.forEach((l, m) => {
    if (observed(m)) key += l;
  });
  return key;
}

/**
 * Every non-empty combination of `count` modalities as an observed mask, in SPEC §1 index order: by size,
 * largest first; within a size, lexicographic order of positions (Python's `itertools.combinations`).
 * Index 0 is the full set; there are 2^count − 1 masks.
 */
export function combinationMasks(count: number): boolean[][] {
  const out: boolean[][] = [];
  for (let r = count; r >= 1; r--) {
    const pick: number[] = Array.from({ length: r }, (_, i) => i);
    for (;;) {
      const mask = new Array<boolean>(count).fill(false);
      for (const p of pick) mask[p] = true;
      out.push(mask);
      let i = r - 1;
      while (i >= 0 && pick[i] === count - r + i) i--;
      if (i < 0) break;
      pick[i]++;
      for (let j = i + 1; j < r; j++) pick[j] = pick[j - 1] + 1;
    }
  }
  return out;
}

/** Every non-empty combination's key in SPEC §1 index order (see {@link combinationMasks}). */
export function combinationOrder(letters: readonly string[]): string[] {
  return combinationMasks(letters.length).map((mask) => combinationKey(letters, (m) => mask[m]));
}
