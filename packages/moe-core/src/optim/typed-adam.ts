import * as tf from '@tensorflow/tfjs-core';
import { peekData } from '../ops/peek-data.js';
import { WorkBuffers } from '../ops/work-buffers.js';
import { HeapRegions, WasmHeap } from '../backends/wasm/wasm-heap.js';
import { adamKernel } from '../backends/wasm/wasm-simd.js';

/** One Adam update: `out = w − step·m/(√v + ε)` with m, v updated in place (top-level so V8 optimises it). */
function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: Float32Array,
  b1: number,
  b2: number,
  eps: number,
  stepSize: number,
  decay = 1,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    out[i] = decay * w[i] - (stepSize * mi) / (Math.sqrt(vi) + eps);
  }
}

/** Adam hyper-parameters (defaults of torch.optim.Adam / tf.train.adam). */
export interface TypedAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay λ (AdamW, Loshchilov & Hutter): `w ← w − lr·λ·w` before the Adam step; default 0. */
  weightDecay?: number;
}

/** Serialisable optimizer state: step count and the moments of every variable, by variable name. */
export interface TypedAdamState {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/**
 * Adam with the update done in one plain-JS loop per variable on typed arrays (moments kept as
 * Float32Array). On wasm/cpu this is several times faster than tf.train.adam's ~12 elementwise kernels per
 * variable (docs/benchmarks.md), and its whole state is plain data, so checkpoints restore it exactly.
 * Update (TF/Keras form, bias correction from the integer step in float64):
 * `m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w −= lr·√(1−β2^t)/(1−β1^t) · m / (√v + ε)`.
 * Moments are keyed by variable name (tf.Variable.name).
 */
export class TypedAdam extends tf.Optimizer {
  static get className(): string {
    return 'TypedAdam';
  }

  /** Settable between steps (learning-rate schedules). */
  learningRate: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  step = 0;
  private moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  private readonly buffers = new WorkBuffers();
  /** Heap copies of the moments (wasm), and which wasm module holds the current moments of each variable. */
  private readonly heapMoments = new HeapRegions();
  private readonly onHeap = new Map<string, object>();

  constructor(options: TypedAdamOptions) {
    super();
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.weightDecay >= 0)) throw new Error(`TypedAdam: weight decay must be >= 0, got ${this.weightDecay}`);
    if (!(this.learningRate > 0)) throw new Error(`TypedAdam: learning rate must be > 0, got ${this.learningRate}`);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    this.step += 1;
    const t = this.step;
    const stepSize = (this.learningRate * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const decay = 1 - this.learningRate * this.weightDecay;
    for (const { name, tensor: grad } of list) {
      if (grad == null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`TypedAdam: no registered variable named '${name}'`);
      let state = this.moments.get(name);
      if (state === undefined) {
        state = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        this.moments.set(name, state);
      }
      const heap = WasmHeap.current();
      if (heap && variable.dtype === 'float32' && grad.dtype === 'float32') {
        this.applyOnHeap(heap, name, variable, grad, state, stepSize, decay);
        continue;
      }
      this.syncFromHeap(name, state);
      const w = this.buffers.output('w', variable.size, true);
      // Zero-copy reads (peekData): nothing allocates on the tf side until the loop is done.
      adamUpdate(peekData(variable), peekData(grad), state.m, state.v, w, b1, b2, eps, stepSize, decay);
      tf.tidy(() => variable.assign(tf.tensor(w, variable.shape, 'float32')));
    }
    this.incrementIterations();
  }

  /**
   * wasm: the new value is written straight into a fresh tensor's heap memory (no JS buffer, no copy), by the
   * float64x2 SIMD kernel of ops/wasm-simd.ts (bit-identical to {@link adamUpdate}) with the moments kept on
   * the heap, or by {@link adamUpdate} on heap views when that kernel is unavailable. The variable still gets a
   * new tensor (assign), never an in-place write: BatchMatMul caches packed weights by tensor id, so mutating a
   * tensor's memory in place could leave a stale packed copy.
   */
  private applyOnHeap(
    heap: WasmHeap,
    name: string,
    variable: tf.Variable,
    grad: tf.Tensor,
    state: { m: Float32Array; v: Float32Array },
    stepSize: number,
    decay: number,
  ): void {
    const n = variable.size;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const kernel = adamKernel(heap);
    const next = heap.allocTensor(variable.shape);
    if (!kernel) {
      this.syncFromHeap(name, state);
      const mem = heap.heap();
      const wOff = heap.offsetOf(variable);
      const gOff = heap.offsetOf(grad);
      adamUpdate(
        mem.subarray(wOff, wOff + n),
        mem.subarray(gOff, gOff + n),
        state.m,
        state.v,
        mem.subarray(next.offset, next.offset + n),
        b1,
        b2,
        eps,
        stepSize,
        decay,
      );
    } else {
      // Moments live on the heap from the first wasm step on (copied back by getState / a non-wasm step).
      const mOff = this.heapMoments.get(heap, `m/${name}`, n);
      const vOff = this.heapMoments.get(heap, `v/${name}`, n);
      if (this.onHeap.get(name) !== heap.module) {
        const mem = heap.heap();
        mem.set(state.m, mOff);
        mem.set(state.v, vOff);
        this.onHeap.set(name, heap.module);
      }
      const wOff = heap.offsetOf(variable);
      const gOff = heap.offsetOf(grad);
      const pairs = n >>> 1;
      kernel(wOff * 4, gOff * 4, mOff * 4, vOff * 4, next.offset * 4, pairs, b1, 1 - b1, b2, 1 - b2, eps, stepSize);
      if (n & 1) {
        const mem = heap.heap();
        const i = n - 1;
        adamUpdate(
          mem.subarray(wOff + i, wOff + n),
          mem.subarray(gOff + i, gOff + n),
          mem.subarray(mOff + i, mOff + n),
          mem.subarray(vOff + i, vOff + n),
          mem.subarray(next.offset + i, next.offset + n),
          b1,
          b2,
          eps,
          stepSize,
          decay,
        );
      }
      if (decay !== 1) {
        // The SIMD kernel has no decay term: out = w − Adam step, so subtract (1 − decay)·w afterwards.
        const mem = heap.heap();
        const shrink = 1 - decay;
        for (let i = 0; i < pairs * 2; i++) mem[next.offset + i] -= shrink * mem[wOff + i];
      }
    }
    variable.assign(next.tensor);
    next.tensor.dispose();
  }

  /** Copies heap-resident moments of `name` back into its JS arrays (and marks them JS-resident). */
  private syncFromHeap(name: string, state: { m: Float32Array; v: Float32Array }): void {
    const module = this.onHeap.get(name);
    if (!module) return;
    const mOff = this.heapMoments.peek(`m/${name}`, module);
    const vOff = this.heapMoments.peek(`v/${name}`, module);
    if (mOff === null || vOff === null) throw new Error(`TypedAdam: lost the moments of '${name}'`);
    const mem = (module as { HEAPF32: Float32Array }).HEAPF32;
    const n = state.m.length;
    state.m.set(mem.subarray(mOff, mOff + n));
    state.v.set(mem.subarray(vOff, vOff + n));
    this.onHeap.delete(name);
  }

  /**
   * A copy of the state (for checkpoints). With `names` (e.g. `model.variables()`: stable name → variable)
   * the moments are keyed by those stable names instead of the process-specific tf.Variable names.
   */
  getState(names?: Map<string, tf.Variable>): TypedAdamState {
    const byVar = new Map<string, string>();
    if (names) for (const [stable, v] of names) byVar.set(v.name, stable);
    for (const [k, s] of this.moments) this.syncFromHeap(k, s);
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [k, s] of this.moments)
      moments.set(names ? (byVar.get(k) ?? k) : k, { m: Float32Array.from(s.m), v: Float32Array.from(s.v) });
    return { step: this.step, moments };
  }

  /** Restores a state from {@link getState} (pass the same kind of `names` map it was saved with). */
  setState(state: TypedAdamState, names?: Map<string, tf.Variable>): void {
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new Error(`TypedAdam.setState: step must be an integer >= 0, got ${state.step}`);
    this.step = state.step;
    this.moments = new Map();
    this.onHeap.clear(); // the heap copies are stale now: the new JS state is uploaded on the next wasm step
    for (const [k, s] of state.moments) {
      if (s.m.length !== s.v.length) throw new Error(`TypedAdam.setState: moments of '${k}' differ in length`);
      let key = k;
      if (names) {
        const v = names.get(k);
        if (!v) throw new Error(`TypedAdam.setState: no variable named '${k}'`);
        if (v.size !== s.m.length)
          throw new Error(`TypedAdam.setState: moments of '${k}' have ${s.m.length} values, the variable ${v.size}`);
        key = v.name;
      }
      this.moments.set(key, { m: Float32Array.from(s.m), v: Float32Array.from(s.v) });
    }
  }

  /** Frees the heap copies of the moments (wasm) after copying them back; do not train with it afterwards. */
  override dispose(): void {
    for (const [k, s] of this.moments) this.syncFromHeap(k, s); // getState() still works afterwards
    this.heapMoments.release();
    this.onHeap.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }
}
