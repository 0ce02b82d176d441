/*
 * Combination indexing (docs/algorithm.md §1), written once for every package: no TF.js here (see spec/index.ts).
 * Index 0 is the full set; sizes descend; within a size, `itertools.combinations` order of positions.
 */

/**
 * Largest supported number of modalities, everywhere (data, model, export): 2^8 − 1 = 255 combinations keeps
 * the expert count (E ≥ 2^M − 1) and the missing-modality bank small.
 */
export const MAX_MODALITIES = 8;

/** One non-empty subset of the modalities. */
export interface Combination {
  /** Combination index (docs/algorithm.md §1): size descending, then `itertools.combinations` order. Full set = 0. */
  index: number;
  /** Letters in the given modality order, e.g. `"ICB"`. */
  letters: string;
  /** Number of modalities in the combination. */
  size: number;
  /** `mask[j]` is true iff modality `j` (in the given order) is in the combination. */
  mask: boolean[];
  /** Bit mask: bit `j` set iff modality `j` is present. */
  bits: number;
}

/**
 * The `2^M - 1` modality combinations of an ordered letter string (docs/algorithm.md §1), with lookups in both
 * directions. Queries may list letters in any order.
 */
export class CombinationTable {
  readonly order: string;
  readonly M: number;
  readonly count: number;
  private readonly combos: Combination[];
  private readonly indexByBits: Int32Array;

  constructor(order: string) {
    if (typeof order !== 'string' || order.length === 0) {
      throw new Error(
        'CombinationTable: the modality order must be a non-empty string of letters (got an empty order)',
      );
    }
    const letters = [...order];
    if (letters.length > MAX_MODALITIES) {
      throw new Error(
        `CombinationTable: at most ${MAX_MODALITIES} modalities are supported, got ${letters.length} ("${order}")`,
      );
    }
    const seen = new Set<string>();
    for (const l of letters) {
      if (seen.has(l)) throw new Error(`CombinationTable: duplicate letter "${l}" in the modality order "${order}"`);
      seen.add(l);
    }
    this.order = order;
    this.M = letters.length;
    this.count = (1 << this.M) - 1;
    this.combos = [];
    this.indexByBits = new Int32Array(1 << this.M).fill(-1);
    for (let size = this.M; size >= 1; size--) {
      for (const positions of combinationsOf(this.M, size)) {
        let bits = 0;
        for (const p of positions) bits |= 1 << p;
        const index = this.combos.length;
        this.combos.push({
          index,
          letters: positions.map((p) => letters[p]).join(''),
          size,
          mask: letters.map((_, j) => (bits & (1 << j)) !== 0),
          bits,
        });
        this.indexByBits[bits] = index;
      }
    }
  }

  /** All combinations, ordered by index. */
  all(): readonly Combination[] {
    return this.combos;
  }

  /** The combination with this index. */
  get(index: number): Combination {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new Error(
        `CombinationTable(${this.order}): combination index ${index} is out of range 0..${this.count - 1}`,
      );
    }
    return this.combos[index];
  }

  /** Index of a set of letters given in any order (`"BI"`). Throws on empty, unknown or repeated letters. */
  indexOf(query: string): number {
    return this.indexOfBits(this.bitsOf(query));
  }

  /** Index of a per-modality observed mask (length M). */
  indexOfMask(mask: ArrayLike<boolean | number>): number {
    if (mask.length !== this.M) {
      throw new Error(`CombinationTable(${this.order}): observed mask has length ${mask.length}, expected ${this.M}`);
    }
    let bits = 0;
    for (let j = 0; j < this.M; j++) if (mask[j]) bits |= 1 << j;
    return this.indexOfBits(bits);
  }

  /** Index of a bit mask (bit j = modality j). */
  indexOfBits(bits: number): number {
    if (bits === 0)
      throw new Error(`CombinationTable(${this.order}): empty combination (a sample with no modality cannot be used)`);
    if (!Number.isInteger(bits) || bits < 0 || bits >= 1 << this.M) {
      throw new Error(`CombinationTable(${this.order}): bit mask ${bits} is out of range for ${this.M} modalities`);
    }
    return this.indexByBits[bits];
  }

  /** Letters of the modalities absent from combination `index`, in the given order. */
  missing(index: number): string {
    const c = this.get(index);
    return [...this.order].filter((_, j) => !c.mask[j]).join('');
  }

  /** Positions (0..M-1) of the modalities absent from combination `index`. */
  missingPositions(index: number): number[] {
    const c = this.get(index);
    const out: number[] = [];
    for (let j = 0; j < this.M; j++) if (!c.mask[j]) out.push(j);
    return out;
  }

  /** Whether modality position `m` is observed in combination `index`. */
  has(index: number, m: number): boolean {
    return this.get(index).mask[m];
  }

  private bitsOf(query: string): number {
    if (typeof query !== 'string' || query.length === 0) {
      throw new Error(`CombinationTable(${this.order}): empty combination (a sample with no modality cannot be used)`);
    }
    let bits = 0;
    for (const l of query) {
      const j = this.order.indexOf(l);
      if (j < 0 || l.length !== 1)
        throw new Error(
          `CombinationTable(${this.order}): letter "${l}" in "${query}" is not one of the modalities "${this.order}"`,
        );
      if (bits & (1 << j)) throw new Error(`CombinationTable(${this.order}): letter "${l}" is repeated in "${query}"`);
      bits |= 1 << j;
    }
    return bits;
  }
}

/** Positions of every r-subset of 0..n-1, in `itertools.combinations` order. */
function* combinationsOf(n: number, r: number): Generator<number[]> {
  const idx = Array.from({ length: r }, (_, i) => i);
  for (;;) {
    yield idx.slice();
    let i = r - 1;
    while (i >= 0 && idx[i] === i + n - r) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < r; j++) idx[j] = idx[j - 1] + 1;
  }
}

/**
 * Combination index of every sample from its observed mask: either a flat `Uint8Array` of
 * `[samples × M]` (non-zero = observed) or one boolean array per sample.
 */
export function combinationIndices(table: CombinationTable, observed: Uint8Array | boolean[][]): Int32Array {
  if (observed instanceof Uint8Array) {
    if (observed.length % table.M !== 0) {
      throw new Error(
        `combinationIndices: observed mask length ${observed.length} is not a multiple of M = ${table.M}`,
      );
    }
    const n = observed.length / table.M;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      try {
        out[i] = table.indexOfMask(observed.subarray(i * table.M, (i + 1) * table.M));
      } catch (e) {
        throw new Error(`combinationIndices: sample ${i}: ${(e as Error).message}`);
      }
    }
    return out;
  }
  const out = new Int32Array(observed.length);
  observed.forEach((row, i) => {
    try {
      out[i] = table.indexOfMask(row);
    } catch (e) {
      throw new Error(`combinationIndices: sample ${i}: ${(e as Error).message}`);
    }
  });
  return out;
}

/** Throws unless `count` is a supported number of modalities (1..{@link MAX_MODALITIES}). */
export function assertModalityCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_MODALITIES) {
    throw new Error(`modality count must be an integer in 1..${MAX_MODALITIES}, got ${count}`);
  }
}

/**
 * Every non-empty combination of `count` modalities as an observed mask, in docs/algorithm.md §1 index order
 * (there are 2^count − 1).
 */
export function combinationMasks(count: number): boolean[][] {
  assertModalityCount(count);
  const out: boolean[][] = [];
  for (let size = count; size >= 1; size--) {
    for (const positions of combinationsOf(count, size)) {
      const mask = new Array<boolean>(count).fill(false);
      for (const p of positions) mask[p] = true;
      out.push(mask);
    }
  }
  return out;
}

/** The combination key of one sample: observed letters in modality order ('' when none). */
export function combinationKey(letters: readonly string[], observed: (m: number) => boolean): string {
  let key = '';
  letters.forEach((l, m) => {
    if (observed(m)) key += l;
  });
  return key;
}

/** Every non-empty combination's key in docs/algorithm.md §1 index order (e.g. `IGCB`, `IGC`, …). */
export function combinationOrder(letters: readonly string[]): string[] {
  return combinationMasks(letters.length).map((mask) => combinationKey(letters, (m) => mask[m]));
}

/** Bit code of a mask: bit m (value 2^m) is set iff modality m is observed. */
export function maskCode(mask: readonly boolean[]): number {
  let code = 0;
  mask.forEach((observed, m) => {
    if (observed) code |= 1 << m;
  });
  return code;
}

/** Table from mask code (0 … 2^M − 1) to combination index; code 0 (no modality) maps to -1. */
export function combinationIndexByCode(count: number): number[] {
  const table = new Array<number>(1 << count).fill(-1);
  combinationMasks(count).forEach((mask, index) => {
    table[maskCode(mask)] = index;
  });
  return table;
}
