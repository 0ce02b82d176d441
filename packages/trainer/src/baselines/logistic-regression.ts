/**
 * L2-regularised logistic regression fitted by L-BFGS on typed arrays (float64).
 * Objective (scikit-learn's `LogisticRegression(C, solver='lbfgs')`, intercept not penalised):
 *   0.5·‖W‖² + C · Σ_i s_i · CE_i
 * with s_i the sample weight (class weight of the sample's label). Binary problems use one sigmoid output
 * (class 1), more classes a multinomial softmax with one coefficient row per class.
 */

/** A fitted model: `coef` is `outputs × features` row-major, `intercept` has `outputs` values. */
export interface LogisticModel {
  classes: number;
  features: number;
  /** 1 for a binary problem (sigmoid on class 1), else `classes`. */
  outputs: number;
  coef: Float64Array;
  intercept: Float64Array;
  /** L-BFGS iterations used and whether the gradient tolerance was met. */
  iterations: number;
  converged: boolean;
}

/** Options of {@link fitLogistic}. */
export interface LogisticFitOptions {
  /** Inverse regularisation strength C (> 0). */
  c: number;
  /** Per-sample weights (default 1). */
  sampleWeights?: Float64Array;
  maxIterations?: number;
  /** Stop when the largest absolute gradient entry of the (n-scaled) objective is below this. */
  gradientTolerance?: number;
}

/** Numerically stable log(1 + e^x). */
function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Objective and gradient at parameters `p` (`outputs × (features + 1)`, the last column the intercept),
 * both divided by the number of samples (same minimiser, better-scaled tolerance).
 */
function objective(
  p: Float64Array,
  grad: Float64Array,
  x: Float64Array,
  n: number,
  d: number,
  y: Int32Array,
  outputs: number,
  c: number,
  w: Float64Array | undefined,
): number {
  const stride = d + 1;
  grad.fill(0);
  let loss = 0;
  const z = new Float64Array(outputs);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let k = 0; k < outputs; k++) {
      let s = p[k * stride + d];
      const base = k * stride;
      for (let j = 0; j < d; j++) s += p[base + j] * x[row + j];
      z[k] = s;
    }
    const si = w ? w[i] : 1;
    if (outputs === 1) {
      const t = y[i] === 1 ? 1 : 0;
      // CE = log(1 + e^z) − t·z; dCE/dz = σ(z) − t.
      loss += si * (log1pExp(z[0]) - t * z[0]);
      const r = si * (1 / (1 + Math.exp(-z[0])) - t);
      for (let j = 0; j < d; j++) grad[j] += r * x[row + j];
      grad[d] += r;
    } else {
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) if (z[k] > max) max = z[k];
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(z[k] - max);
      const lse = max + Math.log(sum);
      loss += si * (lse - z[y[i]]);
      for (let k = 0; k < outputs; k++) {
        const r = si * (Math.exp(z[k] - lse) - (k === y[i] ? 1 : 0));
        const base = k * stride;
        for (let j = 0; j < d; j++) grad[base + j] += r * x[row + j];
        grad[base + d] += r;
      }
    }
  }
  let penalty = 0;
  for (let k = 0; k < outputs; k++) {
    for (let j = 0; j < d; j++) {
      const v = p[k * stride + j];
      penalty += v * v;
    }
  }
  for (let k = 0; k < outputs; k++) {
    const base = k * stride;
    for (let j = 0; j < d; j++) grad[base + j] = (c * grad[base + j] + p[base + j]) / n;
    grad[base + d] = (c * grad[base + d]) / n;
  }
  return (0.5 * penalty + c * loss) / n;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Fits the model on `x` (`n × d` row-major) and labels `y` in `0..classes-1`.
 * L-BFGS (memory 10) with a backtracking Armijo line search; the objective is strictly convex, so it
 * converges to the unique minimum.
 */
export function fitLogistic(
  x: Float64Array,
  n: number,
  d: number,
  y: Int32Array,
  classes: number,
  options: LogisticFitOptions,
): LogisticModel {
  if (x.length !== n * d) throw new Error(`fitLogistic: x has ${x.length} values, expected ${n} × ${d}`);
  if (y.length !== n) throw new Error(`fitLogistic: ${y.length} labels for ${n} rows`);
  if (!(options.c > 0)) throw new Error(`fitLogistic: C must be > 0, got ${options.c}`);
  if (classes < 2) throw new Error(`fitLogistic: need at least 2 classes, got ${classes}`);
  for (let i = 0; i < n; i++) {
    if (!(y[i] >= 0 && y[i] < classes))
      throw new Error(`fitLogistic: row ${i} has label ${y[i]}, expected 0..${classes - 1}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]))
      throw new Error(`fitLogistic: row ${Math.floor(i / d)}, column ${i % d} is ${x[i]} (impute first)`);
  }
  const outputs = classes === 2 ? 1 : classes;
  const size = outputs * (d + 1);
  const maxIter = options.maxIterations ?? 1000;
  const tol = options.gradientTolerance ?? 1e-10;
  const m = 10;
  const p = new Float64Array(size);
  const g = new Float64Array(size);
  const f0 = objective(p, g, x, n, d, y, outputs, options.c, options.sampleWeights);
  let f = f0;
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const dir = new Float64Array(size);
  const pNew = new Float64Array(size);
  const gNew = new Float64Array(size);
  let iterations = 0;
  let converged = maxAbs(g) < tol;
  while (!converged && iterations < maxIter) {
    iterations++;
    // Two-loop recursion: dir = −H·g.
    dir.set(g);
    const alpha = new Array<number>(sHist.length);
    for (let h = sHist.length - 1; h >= 0; h--) {
      alpha[h] = rhoHist[h] * dot(sHist[h], dir);
      for (let i = 0; i < size; i++) dir[i] -= alpha[h] * yHist[h][i];
    }
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      const gamma = dot(sHist[last], yHist[last]) / dot(yHist[last], yHist[last]);
      for (let i = 0; i < size; i++) dir[i] *= gamma;
    }
    for (let h = 0; h < sHist.length; h++) {
      const beta = rhoHist[h] * dot(yHist[h], dir);
      for (let i = 0; i < size; i++) dir[i] += sHist[h][i] * (alpha[h] - beta);
    }
    for (let i = 0; i < size; i++) dir[i] = -dir[i];
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = 0;
      yHist.length = 0;
      rhoHist.length = 0;
      for (let i = 0; i < size; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }
    let step = sHist.length === 0 ? Math.min(1, 1 / Math.max(maxAbs(g), 1e-12)) : 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < size; i++) pNew[i] = p[i] + step * dir[i];
      fNew = objective(pNew, gNew, x, n, d, y, outputs, options.c, options.sampleWeights);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break; // no progress possible at float64 precision
    const s = new Float64Array(size);
    const yv = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = pNew[i] - p[i];
      yv[i] = gNew[i] - g[i];
    }
    const sy = dot(s, yv);
    if (sy > 1e-20) {
      sHist.push(s);
      yHist.push(yv);
      rhoHist.push(1 / sy);
      if (sHist.length > m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
    }
    p.set(pNew);
    g.set(gNew);
    const fPrev = f;
    f = fNew;
    if (maxAbs(g) < tol) converged = true;
    else if (Math.abs(fPrev - f) <= 1e-16 * Math.max(1, Math.abs(f))) converged = maxAbs(g) < tol * 1e3;
  }
  const coef = new Float64Array(outputs * d);
  const intercept = new Float64Array(outputs);
  for (let k = 0; k < outputs; k++) {
    coef.set(p.subarray(k * (d + 1), k * (d + 1) + d), k * d);
    intercept[k] = p[k * (d + 1) + d];
  }
  return { classes, features: d, outputs, coef, intercept, iterations, converged };
}

/** Class probabilities (`n × classes` row-major) of rows `x` (`n × features`). */
export function predictLogistic(model: LogisticModel, x: Float64Array, n: number): Float64Array {
  const { features: d, outputs, classes } = model;
  if (x.length !== n * d) throw new Error(`predictLogistic: x has ${x.length} values, expected ${n} × ${d}`);
  const out = new Float64Array(n * classes);
  const z = new Float64Array(outputs);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < outputs; k++) {
      let s = model.intercept[k];
      for (let j = 0; j < d; j++) s += model.coef[k * d + j] * x[i * d + j];
      z[k] = s;
    }
    if (outputs === 1) {
      const p1 = 1 / (1 + Math.exp(-z[0]));
      out[i * 2] = 1 - p1;
      out[i * 2 + 1] = p1;
    } else {
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) max = Math.max(max, z[k]);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(z[k] - max);
      for (let k = 0; k < outputs; k++) out[i * classes + k] = Math.exp(z[k] - max) / sum;
    }
  }
  return out;
}
