/*
 * The standard normal distribution in float64: erf, Φ and φ. The router's smooth load estimator needs Φ and φ
 * (router/fused-router.ts); the exact GELU x·Φ(x) of the experts reads the same tables (ops/gelu.ts).
 */

export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf(x) in float64 to ~1e-15: Taylor series for |x| < 3, continued fraction of erfc beyond. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/*
 * Φ and φ tabulated on [-10, 10] with step 1/2048 (float64), linearly interpolated. The interpolation error
 * (h²/8·max|Φ''| ≈ 7e-9, and ≈ 1.2e-8 for φ) is below float32 resolution, so this is the exact (erf) GELU
 * at float32 precision, but ~10× cheaper than the wasm Erf kernel and it yields the derivative for free.
 */
export const TABLE_RANGE = 10;
export const TABLE_STEPS = 2048;
export const TABLE_SIZE = 2 * TABLE_RANGE * TABLE_STEPS + 2;
let cdfTable: Float64Array | null = null;
let pdfTable: Float64Array | null = null;

/** The Φ and φ tables (built on first use). */
export function normalTables(): [Float64Array, Float64Array] {
  if (!cdfTable || !pdfTable) {
    cdfTable = new Float64Array(TABLE_SIZE);
    pdfTable = new Float64Array(TABLE_SIZE);
    for (let i = 0; i < TABLE_SIZE; i++) {
      const x = -TABLE_RANGE + i / TABLE_STEPS;
      cdfTable[i] = 0.5 * (1 + erf64(x * Math.SQRT1_2));
      pdfTable[i] = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }
  }
  return [cdfTable, pdfTable];
}

/** Φ(z) from the table (float64, error ≈ 1e-8; exact 0/1 beyond ±10). */
export function normalCdfValue(z: number): number {
  if (z <= -TABLE_RANGE) return 0;
  if (z >= TABLE_RANGE) return 1;
  const [cdf] = normalTables();
  const pos = (z + TABLE_RANGE) * TABLE_STEPS;
  const j = pos | 0;
  return cdf[j] + (pos - j) * (cdf[j + 1] - cdf[j]);
}

/** φ(z) = exp(−z²/2)/√(2π). */
export function normalPdfValue(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}
