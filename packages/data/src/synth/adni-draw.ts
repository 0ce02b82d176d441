/** Seeded draws and date formatting shared by the synthetic ADNI tables (synth/adni*.ts). */
import { mulberry32 } from '../splits/make-splits.js';

export const DAY_MS = 86_400_000;

/** A seeded random source with the draws the generator needs. */
export class Draw {
  private readonly u: () => number;
  constructor(seed: number) {
    this.u = mulberry32(seed);
  }
  next(): number {
    return this.u();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.u() < p;
  }
  normal(mean = 0, sd = 1): number {
    const a = Math.max(this.u(), 1e-12);
    return mean + sd * Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * this.u());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.u() * xs.length)];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.u() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.0`;
}

export function usDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export function fixed(x: number, digits: number): string {
  return x.toFixed(digits);
}
