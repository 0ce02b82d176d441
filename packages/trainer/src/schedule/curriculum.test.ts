import { batches, curriculumOrder, epochOrder } from './curriculum.js';
import { ShuffleRandom, shuffled } from './shuffle-random.js';

describe('curriculum order', () => {
  const counts = [2, 4, 1, 4, 3, 2, 1, 4];

  it('sorts by observed modalities, descending, stable', () => {
    expect(curriculumOrder(counts)).toEqual([1, 3, 7, 4, 0, 5, 2, 6]);
  });

  it('ascending and random ablations', () => {
    expect(curriculumOrder(counts, 'ascending')).toEqual([2, 6, 0, 5, 4, 1, 3, 7]);
    expect(curriculumOrder(counts, 'random')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps the curriculum during warm-up and shuffles deterministically afterwards', () => {
    const curriculum = curriculumOrder(counts);
    const rng = new ShuffleRandom(7);
    const stateBefore = rng.state;
    expect(epochOrder(curriculum, 0, 2, 'descending', rng)).toEqual(curriculum);
    expect(epochOrder(curriculum, 1, 2, 'descending', rng)).toEqual(curriculum);
    expect(rng.state).toBe(stateBefore); // warm-up draws nothing
    const e2 = epochOrder(curriculum, 2, 2, 'descending', rng);
    const e3 = epochOrder(curriculum, 3, 2, 'descending', rng);
    expect([...e2].sort()).toEqual([...curriculum].sort());
    expect(e2).not.toEqual(curriculum);
    expect(e3).not.toEqual(e2);
    // Same seed -> same sequence; restoring the state reproduces the next shuffle.
    const again = new ShuffleRandom(7);
    expect(epochOrder(curriculum, 2, 2, 'descending', again)).toEqual(e2);
    const saved = again.state;
    const next = epochOrder(curriculum, 3, 2, 'descending', again);
    const restored = new ShuffleRandom(123);
    restored.state = saved;
    expect(epochOrder(curriculum, 3, 2, 'descending', restored)).toEqual(next);
    expect(next).toEqual(e3);
  });

  it('random order shuffles from the first epoch', () => {
    const rng = new ShuffleRandom(1);
    const first = epochOrder([0, 1, 2, 3, 4, 5, 6, 7], 0, 5, 'random', rng);
    expect(first).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('shuffle RNG: hand-checked Fisher-Yates on a known stream and state validation', () => {
    const a = new ShuffleRandom(3);
    const draws = [a.next(), a.next(), a.next()];
    for (const d of draws) expect(d >= 0 && d < 1).toBe(true);
    const b = new ShuffleRandom(3);
    // Fisher-Yates on [0,1,2,3]: i=3 j=floor(d0*4), i=2 j=floor(d1*3), i=1 j=floor(d2*2)
    const expected = [0, 1, 2, 3];
    const js = [Math.floor(draws[0] * 4), Math.floor(draws[1] * 3), Math.floor(draws[2] * 2)];
    [3, 2, 1].forEach((i, step) => {
      const j = js[step];
      [expected[i], expected[j]] = [expected[j], expected[i]];
    });
    expect(shuffled([0, 1, 2, 3], b)).toEqual(expected);
    expect(() => {
      b.state = -1;
    }).toThrow(/uint32/);
  });

  it('batches', () => {
    expect(batches([5, 4, 3, 2, 1], 2)).toEqual([[5, 4], [3, 2], [1]]);
    expect(() => batches([1], 0)).toThrow(/positive integer/);
  });
});
