import type { PreparedData } from '../data/prepare-data.js';

/**
 * How rows become the baseline's input: the chosen modalities' features side by side, a missing
 * modality (or a non-finite cell) replaced by its training mean, one missing-indicator column per
 * modality when asked, then every column standardised with training mean and standard deviation.
 * All statistics come from the training rows only.
 */
export interface DesignMatrix {
  /** Modality indices (into `data.modalities`) whose features are used. */
  modalities: number[];
  indicators: boolean;
  /** Columns of the matrix. */
  width: number;
  /** Training mean of each raw feature column (observed cells only). */
  featureMeans: Float64Array;
  /** Training mean and std of each final column (after imputation), for standardising. */
  columnMeans: Float64Array;
  columnScales: Float64Array;
}

function rawWidth(data: PreparedData, modalities: number[]): number {
  return modalities.reduce((a, j) => a + data.modalities[j].width, 0);
}

/** Unstandardised row `r` into `out` (imputed with `featureMeans`). */
function fillRaw(
  data: PreparedData,
  spec: Pick<DesignMatrix, 'modalities' | 'indicators' | 'featureMeans'>,
  r: number,
  out: Float64Array,
): void {
  const M = data.modalities.length;
  let col = 0;
  for (const j of spec.modalities) {
    const m = data.modalities[j];
    const seen = data.observed[r * M + j] === 1;
    for (let f = 0; f < m.width; f++) {
      const v = seen ? m.features[r * m.width + f] : Number.NaN;
      out[col] = Number.isFinite(v) ? v : spec.featureMeans[col];
      col++;
    }
  }
  if (spec.indicators) for (const j of spec.modalities) out[col++] = data.observed[r * M + j] === 1 ? 0 : 1;
}

/** Fits the imputation and scaling statistics on `trainRows`. */
export function fitDesignMatrix(
  data: PreparedData,
  modalities: number[],
  indicators: boolean,
  trainRows: ArrayLike<number>,
): DesignMatrix {
  const M = data.modalities.length;
  const raw = rawWidth(data, modalities);
  const width = raw + (indicators ? modalities.length : 0);
  const sums = new Float64Array(raw);
  const counts = new Float64Array(raw);
  for (let i = 0; i < trainRows.length; i++) {
    const r = trainRows[i];
    let col = 0;
    for (const j of modalities) {
      const m = data.modalities[j];
      const seen = data.observed[r * M + j] === 1;
      for (let f = 0; f < m.width; f++, col++) {
        const v = m.features[r * m.width + f];
        if (seen && Number.isFinite(v)) {
          sums[col] += v;
          counts[col]++;
        }
      }
    }
  }
  const featureMeans = Float64Array.from(sums, (s, c) => (counts[c] > 0 ? s / counts[c] : 0));
  const spec = { modalities, indicators, featureMeans };
  const columnMeans = new Float64Array(width);
  const sq = new Float64Array(width);
  const row = new Float64Array(width);
  for (let i = 0; i < trainRows.length; i++) {
    fillRaw(data, spec, trainRows[i], row);
    for (let c = 0; c < width; c++) {
      columnMeans[c] += row[c];
      sq[c] += row[c] * row[c];
    }
  }
  const n = Math.max(1, trainRows.length);
  const columnScales = new Float64Array(width);
  for (let c = 0; c < width; c++) {
    columnMeans[c] /= n;
    const variance = Math.max(0, sq[c] / n - columnMeans[c] * columnMeans[c]);
    // A constant column carries nothing: scale 0 maps it to 0.
    columnScales[c] = variance > 1e-24 ? 1 / Math.sqrt(variance) : 0;
  }
  return { modalities, indicators, width, featureMeans, columnMeans, columnScales };
}

/** The standardised matrix of `rows` (`rows.length × width`, row-major). */
export function designRows(data: PreparedData, spec: DesignMatrix, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * spec.width);
  const row = new Float64Array(spec.width);
  for (let i = 0; i < rows.length; i++) {
    fillRaw(data, spec, rows[i], row);
    for (let c = 0; c < spec.width; c++)
      out[i * spec.width + c] = (row[c] - spec.columnMeans[c]) * spec.columnScales[c];
  }
  return out;
}
