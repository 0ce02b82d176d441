/**
 * Seeded synthetic brain-like volumes: an atlas label volume (labels 0 background, 10 CSF, 50 other,
 * 150 grey matter, 250 white matter, as in the MUSE atlas of docs/algorithm.md §8) and RAVENS-like grey-matter
 * density maps whose grey-matter intensity carries a class signal.
 */
import { mulberry32 } from '../splits/make-splits.js';

/** Atlas labels used by {@link generateAtlas}. */
export const ATLAS_LABELS = { background: 0, csf: 10, other: 50, greyMatter: 150, whiteMatter: 250 } as const;

/** A label volume shaped like a head: ellipsoid shells of WM (core), GM, CSF; `other` patches. */
export function generateAtlas(dims: readonly [number, number, number], seed: number): Float32Array {
  const [nx, ny, nz] = dims;
  const rand = mulberry32(seed);
  const out = new Float32Array(nx * ny * nz);
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  const cz = (nz - 1) / 2;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const r = Math.sqrt(((x - cx) / (nx / 2)) ** 2 + ((y - cy) / (ny / 2)) ** 2 + ((z - cz) / (nz / 2)) ** 2);
        let label: number = ATLAS_LABELS.background;
        if (r < 0.45) label = ATLAS_LABELS.whiteMatter;
        else if (r < 0.75) label = ATLAS_LABELS.greyMatter;
        else if (r < 0.9) label = ATLAS_LABELS.csf;
        if (label === ATLAS_LABELS.greyMatter && rand() < 0.05) label = ATLAS_LABELS.other;
        out[x + nx * (y + ny * z)] = label;
      }
    }
  }
  return out;
}

/**
 * A RAVENS-like density map for one scan: grey matter ≈ `1 − 0.08·classValue` plus smooth regional
 * variation and noise (atrophy grows with the diagnosis class), other tissue lower.
 */
export function generateScanVolume(
  atlas: Float32Array,
  dims: readonly [number, number, number],
  seed: number,
  classValue: number,
): Float32Array {
  const rand = mulberry32(seed);
  const [nx, ny] = dims;
  const out = new Float32Array(atlas.length);
  const phase = rand() * Math.PI * 2;
  for (let i = 0; i < atlas.length; i++) {
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const regional = 0.05 * Math.sin(x / 3 + phase) * Math.cos(y / 4);
    const noise = (rand() - 0.5) * 0.1;
    const label = atlas[i];
    let base = 0;
    if (label === ATLAS_LABELS.greyMatter) base = 1 - 0.08 * classValue + regional;
    else if (label === ATLAS_LABELS.whiteMatter) base = 0.6;
    else if (label === ATLAS_LABELS.csf) base = 0.2;
    else if (label === ATLAS_LABELS.other) base = 0.4;
    out[i] = base === 0 ? 0 : base + noise;
  }
  return out;
}
