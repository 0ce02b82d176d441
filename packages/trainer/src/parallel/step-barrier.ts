/*
 * A reusable barrier for the data-parallel workers on a SharedArrayBuffer (Atomics), with an abort flag so
 * that a worker that fails releases the others instead of leaving them waiting.
 */

const COUNT = 0;
const GENERATION = 1;
const ABORTED = 2;

/** Int32 slots the barrier needs in shared memory. */
export const BARRIER_SLOTS = 3;

/** Thrown in every waiting worker when another worker aborted. */
export class BarrierAbortedError extends Error {
  constructor() {
    super('another training worker failed');
  }
}

/** Barrier over `parties` threads sharing `slots` (length >= {@link BARRIER_SLOTS}, zero-initialised). */
export class StepBarrier {
  constructor(
    private readonly slots: Int32Array,
    private readonly parties: number,
  ) {}

  /** Blocks until every party has arrived (the last one to arrive releases all). */
  arrive(): void {
    const generation = Atomics.load(this.slots, GENERATION);
    if (Atomics.load(this.slots, ABORTED) !== 0) throw new BarrierAbortedError();
    if (Atomics.add(this.slots, COUNT, 1) === this.parties - 1) {
      Atomics.store(this.slots, COUNT, 0);
      Atomics.add(this.slots, GENERATION, 1);
      Atomics.notify(this.slots, GENERATION);
      return;
    }
    while (Atomics.load(this.slots, GENERATION) === generation) {
      Atomics.wait(this.slots, GENERATION, generation, 1000);
      if (Atomics.load(this.slots, ABORTED) !== 0) throw new BarrierAbortedError();
    }
  }

  /** Releases every waiting party with {@link BarrierAbortedError}. */
  abort(): void {
    Atomics.store(this.slots, ABORTED, 1);
    Atomics.add(this.slots, GENERATION, 1);
    Atomics.notify(this.slots, GENERATION);
  }
}
