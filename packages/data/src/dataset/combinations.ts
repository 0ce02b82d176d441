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
 * Every non-empty combination in SPEC §1 index order: by size, largest first; within a size,
 * lexicographic order of positions (Python's `itertools.combinations`). Index 0 is the full set.
 */
export function combinationOrder(letters: readonly string[]): string[] {
  const out: string[] = [];
  const m = letters.length;
  for (let r = m; r >= 1; r--) {
    const pick: number[] = Array.from({ length: r }, (_, i) => i);
    for (;;) {
      out.push(pick.map((i) => letters[i]).join(''));
      let i = r - 1;
      while (i >= 0 && pick[i] === m - r + i) i--;
      if (i < 0) break;
      pick[i]++;
      for (let j = i + 1; j < r; j++) pick[j] = pick[j - 1] + 1;
    }
  }
  return out;
}
