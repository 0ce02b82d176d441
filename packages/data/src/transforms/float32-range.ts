/**
 * Features are stored as float32: a cell such as `1e40` (beyond ±3.4e38) or `1e309` (beyond a double) would
 * become ±Infinity. Such a cell is an error naming the file, row, patient id and column, raised before
 * anything is written (not a generic "value is not finite" after the fact).
 */
/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** True when `x` is finite as a float32. */
export function fitsFloat32(x: number): boolean {
  return Number.isFinite(x) && Math.abs(x) <= FLOAT32_MAX;
}

/**
 * Throws when cell `text`, parsed as `x` (NaN for text), is a number outside the float32 range.
 * @param where names the file, row, patient id and column
 */
export function checkFloat32Cell(x: number, text: string, where: () => string): void {
  if (!Number.isNaN(x) && !fitsFloat32(x)) {
    throw new Error(
      `${where()}: ${JSON.stringify(text)} is outside the 32-bit float range (±3.4e38) that features are stored in`,
    );
  }
}
