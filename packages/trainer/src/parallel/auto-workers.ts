/**
 * Rows each data-parallel worker needs for `--workers auto` to split a batch. Measured on a 2-core machine with
 * the native matrix products (docs/benchmarks.md, "Native matrix products and the PyTorch reference"): at
 * batch 8 two workers reached 125-135 samples/s against 199-222 for one thread (each worker pays the per-step
 * costs of its shard in full, and the barrier waits for the slower one); at batch 32 (16 rows each) they were
 * at parity. So a batch is split only when every worker gets at least 32 rows.
 */
export const AUTO_WORKERS_MIN_ROWS = 32;

/** `--workers auto`: as many workers as `cores`, but never fewer than {@link AUTO_WORKERS_MIN_ROWS} rows each. */
export function autoWorkers(batchSize: number, cores: number): number {
  return Math.max(1, Math.min(cores, Math.floor(batchSize / AUTO_WORKERS_MIN_ROWS)));
}

/** The log line that explains an automatic worker count. */
export function autoWorkersLine(batchSize: number, cores: number): string {
  const n = autoWorkers(batchSize, cores);
  return n === 1 && cores > 1
    ? `[flexmoe] --workers auto: 1 (batch ${batchSize} is too small to split across ${cores} cores: at least ` +
        `${AUTO_WORKERS_MIN_ROWS} rows per worker; --workers ${cores} forces data-parallel training)`
    : `[flexmoe] --workers auto: ${n} (batch ${batchSize}, ${cores} cores, at least ${AUTO_WORKERS_MIN_ROWS} rows per worker)`;
}
