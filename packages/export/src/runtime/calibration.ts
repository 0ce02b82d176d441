import type { CalibrationReport } from '../metadata.js';

/** Softmax of `logits / temperature` for one row. */
export function softmaxRow(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  const e = Array.from(logits, (v) => Math.exp(v / temperature - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** Mean negative log-likelihood of `labels` under softmax(logits / T); logits flat `[n × classes]`. */
export function meanNll(
  logits: Float32Array | number[],
  labels: ArrayLike<number>,
  classes: number,
  temperature: number,
): number {
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c] / temperature);
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(logits[i * classes + c] / temperature - max);
    total += Math.log(z) + max - logits[i * classes + labels[i]] / temperature;
  }
  return total / n;
}

/**
 * Expected calibration error with equal-width confidence bins: Σ_b (n_b/n)·|accuracy_b − confidence_b|,
 * confidence = the largest probability of a row.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  bins = 15,
): number {
  const n = labels.length;
  const count = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    const p = probabilities[i * classes + best];
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    confidence[b] += p;
    if (best === labels[i]) correct[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (count[b] > 0) ece += (count[b] / n) * Math.abs(correct[b] / count[b] - confidence[b] / count[b]);
  return ece;
}

/** Search interval of the temperature. */
export const TEMPERATURE_BOUNDS = { min: 0.05, max: 20 } as const;

/**
 * Fits a softmax temperature minimising the validation NLL (golden-section search on log T in
 * [ln 0.05, ln 20]; the NLL is unimodal in T for fixed logits in practice) and reports ECE before/after.
 */
export function fitTemperature(
  logits: Float32Array | number[],
  labels: ArrayLike<number>,
  classes: number,
  bins = 15,
): CalibrationReport {
  const n = labels.length;
  if (n === 0) throw new Error('temperature scaling needs at least one validation sample');
  if (logits.length !== n * classes) throw new Error(`logits have ${logits.length} values, expected ${n}×${classes}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes)
      throw new Error(`label ${i} = ${labels[i]} is not a class index`);
  }
  const f = (logT: number): number => meanNll(logits, labels, classes, Math.exp(logT));
  let a = Math.log(TEMPERATURE_BOUNDS.min);
  let b = Math.log(TEMPERATURE_BOUNDS.max);
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 80 && b - a > 1e-7; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  const probs = (t: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(...softmaxRow(Array.from(logits.slice(i * classes, (i + 1) * classes)), t));
    return out;
  };
  return {
    temperature,
    validationSamples: n,
    nllBefore: f(0),
    nllAfter: f(Math.log(temperature)),
    eceBefore: expectedCalibrationError(probs(1), labels, classes, bins),
    eceAfter: expectedCalibrationError(probs(temperature), labels, classes, bins),
    bins,
  };
}
