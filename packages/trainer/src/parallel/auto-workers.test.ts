import { AUTO_WORKERS_MIN_ROWS, autoWorkers, autoWorkersLine } from './auto-workers.js';

describe('--workers auto', () => {
  it('splits a batch only when every worker gets at least the minimum rows, up to the cores', () => {
    expect(AUTO_WORKERS_MIN_ROWS).toBe(32);
    expect(autoWorkers(8, 2)).toBe(1); // the paper's batch: one thread
    expect(autoWorkers(31, 16)).toBe(1);
    expect(autoWorkers(32, 2)).toBe(1);
    expect(autoWorkers(64, 2)).toBe(2);
    expect(autoWorkers(64, 16)).toBe(2);
    expect(autoWorkers(1024, 16)).toBe(16);
    expect(autoWorkers(1024, 1)).toBe(1);
    expect(autoWorkers(1, 0)).toBe(1);
  });

  it('says why in one line', () => {
    expect(autoWorkersLine(8, 2)).toBe(
      '[flexmoe] --workers auto: 1 (batch 8 is too small to split across 2 cores: at least 32 rows per worker; ' +
        '--workers 2 forces data-parallel training)',
    );
    expect(autoWorkersLine(128, 2)).toBe(
      '[flexmoe] --workers auto: 2 (batch 128, 2 cores, at least 32 rows per worker)',
    );
  });
});
