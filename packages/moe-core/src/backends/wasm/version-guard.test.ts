import { useBackend } from '../../testing/golden.js';
import { buildBatch, disposeBatch } from '../../model/batch.js';
import { defaultConfig } from '../../spec/config.js';
import { FlexMoEModel } from '../../model/flex-moe-model.js';
import { TypedAdam } from '../../optim/typed-adam.js';
import { SeededRandom } from '../../random/random-source.js';
import { fastPathStatus } from '../fast-path.js';
import { WasmHeap } from './wasm-heap.js';
import { resetWasmVersionGuard, SUPPORTED_WASM_BACKEND_VERSIONS } from './version-guard.js';

const config = defaultConfig(
  [
    { name: 'a', letter: 'A', width: 13 },
    { name: 'b', letter: 'B', width: 7 },
  ],
  { patches: 4, hidden: 8, heads: 2, experts: 4, topK: 2, dropout: 0.3, dispatch: 'sparse' },
);

/** Weights after two Adam steps on a fixed batch (seeded: deterministic), sparse experts and dropout on. */
function trainTwoSteps(): number[][] {
  const model = new FlexMoEModel(config, { seed: 3 });
  const random = new SeededRandom(9);
  const B = 6;
  const observed = Array.from({ length: B }, (_, b) => [b % 3 !== 1, b % 3 !== 2]);
  const batch = buildBatch(model.table, [13, 7], [random.normalArray(B * 13), random.normalArray(B * 7)], observed);
  const optimizer = new TypedAdam({ learningRate: 0.01 });
  const labels = Int32Array.from({ length: B }, (_, b) => b % 2);
  for (let step = 0; step < 2; step++) model.trainStep(batch, labels, optimizer);
  const out = [...model.variables().values()].map((v) => Array.from(v.dataSync()));
  disposeBatch(batch);
  optimizer.dispose();
  model.dispose();
  return out;
}

describe('tfjs-backend-wasm version guard', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterEach(() => resetWasmVersionGuard());

  it('uses the fast path with the version it was written against, and reads that version from the package', () => {
    resetWasmVersionGuard();
    expect(WasmHeap.current()).not.toBeNull();
    const status = fastPathStatus();
    expect(status).toEqual({
      enabled: true,
      backend: 'wasm',
      active: true,
      wasmBackendVersion: SUPPORTED_WASM_BACKEND_VERSIONS[0],
    });
  });

  it('falls back to the plain kernels with one notice line for an unknown version, with identical results', () => {
    resetWasmVersionGuard();
    const fast = trainTwoSteps();
    const notices: string[] = [];
    resetWasmVersionGuard(
      () => '9.99.0',
      (line) => notices.push(line),
    );
    expect(WasmHeap.current()).toBeNull();
    const plain = trainTwoSteps();
    expect(WasmHeap.current()).toBeNull();
    expect(fastPathStatus()).toEqual({ enabled: true, backend: 'wasm', active: false, wasmBackendVersion: '9.99.0' });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /tfjs-backend-wasm 9\.99\.0 is not one the wasm fast path supports.*plain TF\.js kernels/,
    );
    expect(plain).toEqual(fast);
  });

  it('falls back when the version cannot be read', () => {
    const notices: string[] = [];
    resetWasmVersionGuard(
      () => undefined,
      (line) => notices.push(line),
    );
    expect(WasmHeap.current()).toBeNull();
    expect(notices).toEqual([expect.stringContaining('(version unknown)')]);
  });
});
