import { makeSplits } from './make-splits.js';

function cohort(n: number, seed = 1): { ids: string[]; labels: Int32Array; full: Uint8Array } {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const ids = Array.from({ length: n }, (_, i) => `P${String(i).padStart(4, '0')}`);
  const labels = Int32Array.from(ids.map(() => Math.floor(rand() * 3)));
  const full = Uint8Array.from(ids.map(() => (rand() < 0.6 ? 1 : 0)));
  return { ids, labels, full };
}

describe('makeSplits (docs/algorithm.md §7)', () => {
  const c = cohort(400);
  const splits = makeSplits({ ...c, seed: 3 });

  it('is a partition with 15 % / 15 % of all patients in validation / test', () => {
    const all = [...splits.training, ...splits.validation, ...splits.testing];
    expect(new Set(all).size).toBe(400);
    expect(all.length).toBe(400);
    expect(splits.validation.length).toBe(60);
    expect(splits.testing.length).toBe(60);
  });

  it('draws validation and test only from full-modality patients', () => {
    const full = new Set(c.ids.filter((_, i) => c.full[i] === 1));
    for (const id of [...splits.validation, ...splits.testing]) expect(full.has(id)).toBe(true);
    const notFull = c.ids.filter((_, i) => c.full[i] === 0);
    expect(notFull.every((id) => splits.training.includes(id))).toBe(true);
  });

  it('is stratified: each class gets its share of the full-modality patients (±1)', () => {
    const fullIdx = c.ids.map((_, i) => i).filter((i) => c.full[i] === 1);
    const label = new Map(c.ids.map((id, i) => [id, c.labels[i]]));
    for (const k of [0, 1, 2]) {
      const share = fullIdx.filter((i) => c.labels[i] === k).length / fullIdx.length;
      const inTest = splits.testing.filter((id) => label.get(id) === k).length;
      expect(Math.abs(inTest - share * 60)).toBeLessThanOrEqual(1);
    }
  });

  it('is reproducible from the seed, independent of input order, and changes with the seed', () => {
    const perm = c.ids.map((_, i) => i).reverse();
    const again = makeSplits({
      ids: perm.map((i) => c.ids[i]),
      labels: Int32Array.from(perm.map((i) => c.labels[i])),
      full: Uint8Array.from(perm.map((i) => c.full[i])),
      seed: 3,
    });
    expect(again).toEqual(splits);
    expect(makeSplits({ ...c, seed: 4 }).testing).not.toEqual(splits.testing);
  });

  it('shrinks validation/test when there are too few full-modality patients', () => {
    const few = { ...c, full: Uint8Array.from(c.ids.map((_, i) => (i < 50 ? 1 : 0))) };
    const s = makeSplits({ ...few, seed: 0 });
    expect(s.validation.length + s.testing.length).toBeLessThanOrEqual(50);
    expect(s.testing.length).toBe(25);
  });

  it('rejects duplicate ids and mismatched lengths', () => {
    expect(() => makeSplits({ ids: ['a', 'a'], labels: new Int32Array(2), full: new Uint8Array(2), seed: 0 })).toThrow(
      /duplicate/,
    );
    expect(() => makeSplits({ ids: ['a'], labels: new Int32Array(2), full: new Uint8Array(1), seed: 0 })).toThrow(
      /length/,
    );
  });
});
