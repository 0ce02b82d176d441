/** Element-wise mean of equally long rows, in float64. */
export function meanRows(rows: readonly ArrayLike<number>[]): Float64Array {
  return Float64Array.from({ length: rows[0].length }, (_, i) => rows.reduce((s, r) => s + r[i], 0) / rows.length);
}

/** Largest absolute element-wise difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
