/** Variant/sample selection on an in-memory PLINK fileset. */
import type { PlinkFileset } from './plink-types.js';

const ACGT = new Set(['A', 'C', 'G', 'T']);

/** True when both alleles are single A/C/G/T bases (docs/algorithm.md §8: indels, `0` and `I/D` codes are dropped). */
export function isAcgtVariant(a1: string, a2: string): boolean {
  return ACGT.has(a1) && ACGT.has(a2) && a1 !== a2;
}

/** Keeps the variants whose index satisfies `keep`, in their order. */
export function selectVariants(fileset: PlinkFileset, keep: (index: number) => boolean): PlinkFileset {
  const nS = fileset.samples.length;
  const kept: number[] = [];
  for (let v = 0; v < fileset.variants.length; v++) if (keep(v)) kept.push(v);
  const genotypes = new Int8Array(kept.length * nS);
  kept.forEach((v, i) => genotypes.set(fileset.genotypes.subarray(v * nS, (v + 1) * nS), i * nS));
  return { samples: fileset.samples, variants: kept.map((v) => fileset.variants[v]), genotypes };
}

/** Keeps SNPs whose two alleles are both A, C, G or T. */
export function filterAcgtVariants(fileset: PlinkFileset): PlinkFileset {
  return selectVariants(fileset, (v) => isAcgtVariant(fileset.variants[v].a1, fileset.variants[v].a2));
}

/** Keeps the variants whose id is in `ids` (e.g. PLINK's `.prune.in`). */
export function selectVariantIds(fileset: PlinkFileset, ids: Iterable<string>): PlinkFileset {
  const set = new Set(ids);
  return selectVariants(fileset, (v) => set.has(fileset.variants[v].id));
}
