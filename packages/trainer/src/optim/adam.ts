import * as tf from '@tensorflow/tfjs-core';

/** Adam hyper-parameters (defaults of torch.optim.Adam / tf.train.adam). */
export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam moments of one variable as plain data (for checkpoints). */
export interface AdamMoments {
  m: Float32Array;
  v: Float32Array;
  shape: number[];
}

/**
 * Adam whose whole state (step count + first and second moments per variable) can be saved and restored
 * exactly, so a resumed run takes bit-identical steps. The bias correction is computed in float64 from
 * the integer step (tf.train.adam instead keeps a running float32 product, which a checkpoint could not
 * reproduce bit for bit). Update: m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
 * w -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε).
 */
export class CheckpointableAdam extends tf.Optimizer {
  static get className(): string {
    return 'CheckpointableAdam';
  }

  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Number of updates applied so far. */
  step = 0;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(options: AdamOptions) {
    super();
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(this.learningRate > 0)) throw new Error(`learning rate must be > 0, got ${this.learningRate}`);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list: { name: string; tensor: tf.Tensor }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    this.step += 1;
    const t = this.step;
    const stepSize = (this.learningRate * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    tf.tidy(() => {
      for (const { name, tensor: grad } of list) {
        if (grad == null) continue;
        const variable = tf.engine().registeredVariables[name];
        if (variable === undefined) throw new Error(`Adam: no registered variable named '${name}'`);
        let state = this.moments.get(name);
        if (state === undefined) {
          state = {
            m: tf.variable(tf.zerosLike(variable), false),
            v: tf.variable(tf.zerosLike(variable), false),
          };
          this.moments.set(name, state);
        }
        const m = tf.add(tf.mul(state.m, this.beta1), tf.mul(grad, 1 - this.beta1));
        const v = tf.add(tf.mul(state.v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
        state.m.assign(m);
        state.v.assign(v);
        const update = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), this.epsilon));
        variable.assign(tf.sub(variable, update));
      }
    });
    this.incrementIterations();
  }

  /** Copies the moments out, keyed by variable name. Variables never updated have no entry. */
  exportMoments(): Map<string, AdamMoments> {
    const out = new Map<string, AdamMoments>();
    for (const [name, s] of this.moments) {
      out.set(name, { m: s.m.dataSync() as Float32Array, v: s.v.dataSync() as Float32Array, shape: [...s.m.shape] });
    }
    return out;
  }

  /** Restores the step count and the moments (replacing any current state). */
  importState(step: number, moments: Map<string, AdamMoments>): void {
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
    this.step = step;
    for (const [name, mm] of moments) {
      this.moments.set(name, {
        m: tf.variable(tf.tensor(mm.m, mm.shape, 'float32'), false),
        v: tf.variable(tf.tensor(mm.v, mm.shape, 'float32'), false),
      });
    }
  }

  override dispose(): void {
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
