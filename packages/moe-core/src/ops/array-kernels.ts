/*
 * Small typed-array loops used by the custom ops. They are top-level functions on purpose: V8 optimises a
 * small hot function after a few calls, whereas loops inside a large closure that runs once per step tend
 * to stay in the baseline tiers (measured: several times slower, docs/benchmarks.md).
 */

/** `dst[r·width…] = src[rows[r]·width…]` for each r. */
export function gatherRows(src: Float32Array, rows: Int32Array, width: number, dst: Float32Array): void {
  const n = rows.length;
  for (let r = 0; r < n; r++) {
    const s = rows[r] * width;
    dst.set(src.subarray(s, s + width), r * width);
  }
}

/** `dst[rows[r]·width…] += src[(offset + r)·width…]` for r in 0..n-1 (scatter-add). */
export function scatterAddRows(
  dst: Float32Array,
  src: Float32Array,
  rows: Int32Array,
  rowOffset: number,
  n: number,
  width: number,
): void {
  for (let r = 0; r < n; r++) {
    const d = rows[rowOffset + r] * width;
    const s = r * width;
    for (let c = 0; c < width; c++) dst[d + c] += src[s + c];
  }
}

/** `dst[dstOffset + r·width + c] = src[r·width + c] + bias[biasOffset + c]` for `n` rows. */
export function addRowBias(
  src: Float32Array,
  bias: Float32Array,
  biasOffset: number,
  n: number,
  width: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  for (let r = 0; r < n; r++) {
    const s = r * width;
    const d = dstOffset + s;
    for (let c = 0; c < width; c++) dst[d + c] = src[s + c] + bias[biasOffset + c];
  }
}

/** Column sums of `src [n, width]` (from `srcOffset`) added into `dst[dstOffset…]`. */
export function addColumnSums(
  src: Float32Array,
  srcOffset: number,
  n: number,
  width: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  for (let r = 0; r < n; r++) {
    const s = srcOffset + r * width;
    for (let c = 0; c < width; c++) dst[dstOffset + c] += src[s + c];
  }
}

/** In place `a[i] *= b[bOffset + i]` for `n·width` values, and the column sums of the product into `dst`. */
export function mulAndColumnSums(
  a: Float32Array,
  b: Float32Array,
  bOffset: number,
  n: number,
  width: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  for (let r = 0; r < n; r++) {
    const s = r * width;
    for (let c = 0; c < width; c++) {
      const v = a[s + c] * b[bOffset + s + c];
      a[s + c] = v;
      dst[dstOffset + c] += v;
    }
  }
}

/** `src` block `[rows, cols]` starting at `offset`, transposed into `dst` (`[cols, rows]`) at `dstOffset`. */
export function transposeInto(
  src: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstOffset = 0,
): void {
  for (let r = 0; r < rows; r++) {
    const o = offset + r * cols;
    for (let c = 0; c < cols; c++) dst[dstOffset + c * rows + r] = src[o + c];
  }
}

/**
 * Gate-weighted combination: `out[t] = Σ_j G[t, idx[t,j]] · ys[pos[t,j]]` (rows of width `width`).
 */
export function combineGated(
  out: Float32Array,
  ys: Float32Array,
  gates: Float32Array,
  topk: Int32Array,
  pairPos: Int32Array,
  rows: number,
  k: number,
  experts: number,
  width: number,
): void {
  for (let t = 0; t < rows; t++) {
    const d = t * width;
    for (let j = 0; j < k; j++) {
      const gate = gates[t * experts + topk[t * k + j]];
      const s = pairPos[t * k + j] * width;
      for (let c = 0; c < width; c++) out[d + c] += gate * ys[s + c];
    }
  }
}

/**
 * Backward of {@link combineGated}: `dG[t, idx] = dy[t]·ys[pos]` and `dys[pos] = G[t, idx]·dy[t]`.
 */
export function combineGatedBackward(
  dy: Float32Array,
  ys: Float32Array,
  gates: Float32Array,
  topk: Int32Array,
  pairPos: Int32Array,
  rows: number,
  k: number,
  experts: number,
  width: number,
  dGates: Float32Array,
  dys: Float32Array,
): void {
  for (let t = 0; t < rows; t++) {
    const s = t * width;
    for (let j = 0; j < k; j++) {
      const e = topk[t * k + j];
      const gate = gates[t * experts + e];
      const p = pairPos[t * k + j] * width;
      let dot = 0;
      for (let c = 0; c < width; c++) {
        const g = dy[s + c];
        dot += g * ys[p + c];
        dys[p + c] = gate * g;
      }
      dGates[t * experts + e] = dot;
    }
  }
}

/** Row-wise softmax of `scores·scale` (`[rows, cols]`) into `out`. */
export function softmaxRows(scores: Float32Array, rows: number, cols: number, scale: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = scores[o + c] * scale;
      if (v > mx) mx = v;
    }
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(scores[o + c] * scale - mx);
      out[o + c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < cols; c++) out[o + c] *= inv;
  }
}

/**
 * Softmax backward with an optional dropout mask: `ds = p ⊙ (g − Σ g⊙p)·scale` where `g = dpd ⊙ mask`.
 */
export function softmaxBackwardRows(
  dpd: Float32Array,
  p: Float32Array,
  mask: Float32Array | null,
  maskOffset: number,
  rows: number,
  cols: number,
  scale: number,
  ds: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let c = 0; c < cols; c++) {
      const g = mask ? dpd[o + c] * mask[maskOffset + o + c] : dpd[o + c];
      ds[o + c] = g;
      dot += g * p[o + c];
    }
    for (let c = 0; c < cols; c++) ds[o + c] = p[o + c] * (ds[o + c] - dot) * scale;
  }
}

/** Copies the `cols`-wide column block starting at `col` of each row of `src [rows, stride]` into `dst [rows, cols]`. */
export function copyColumns(
  src: Float32Array,
  rowStart: number,
  rows: number,
  stride: number,
  col: number,
  cols: number,
  dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const s = (rowStart + r) * stride + col;
    dst.set(src.subarray(s, s + cols), r * cols);
  }
}

/** Writes `src [rows, cols]` into the column block at `col` of rows `rowStart…` of `dst [*, stride]`. */
export function writeColumns(
  src: Float32Array,
  rowStart: number,
  rows: number,
  stride: number,
  col: number,
  cols: number,
  dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), (rowStart + r) * stride + col);
}
