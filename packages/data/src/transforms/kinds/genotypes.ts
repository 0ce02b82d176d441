/**
 * The fitted 'genotypes' modality transform: kept SNPs (ids and alleles), per-SNP mode of the
 * training patients for imputation, and the fixed scaling 0/1/2 → -1/0/+1 (dosage − 1).
 *
 * The scaling is fixed rather than fitted: the reference's per-SNP MinMax maps 1 → +1 for a SNP
 * that shows only {0, 1} (docs/reference-differences.md, "Behaviours we do not copy"); a fixed map codes every SNP
 * the same way and equals MinMax for SNPs with all three genotypes.
 */
import type { PlinkFileset } from '../../genomic/plink-types.js';
import type { TransformKind } from '../transform-kind.js';

/** Genotypes: kept SNPs, mode imputation, 0/1/2 → -1/0/1. */
export interface GenotypesModalityTransform {
  kind: 'genotypes';
  snps: string[];
  alleles: string[];
  modes: number[];
}

/**
 * Fits the transform on the training samples of a fileset. Mode ties go to the smaller dosage; a SNP
 * with no training call gets mode 0 (homozygous a2).
 * @param fileset variants × samples dosages (a1 counts)
 * @param trainingIds sample IIDs of the training split (others are ignored)
 */
export function fitGenotypeTransform(fileset: PlinkFileset, trainingIds: Iterable<string>): GenotypesModalityTransform {
  const training = new Set(trainingIds);
  const cols: number[] = [];
  fileset.samples.forEach((s, i) => {
    if (training.has(s.iid)) cols.push(i);
  });
  const nS = fileset.samples.length;
  const modes: number[] = new Array(fileset.variants.length);
  for (let v = 0; v < fileset.variants.length; v++) {
    const c = [0, 0, 0];
    const base = v * nS;
    for (const s of cols) {
      const d = fileset.genotypes[base + s];
      if (d >= 0) c[d]++;
    }
    modes[v] = c[0] >= c[1] && c[0] >= c[2] ? 0 : c[1] >= c[2] ? 1 : 2;
  }
  return {
    kind: 'genotypes',
    snps: fileset.variants.map((v) => v.id),
    alleles: fileset.variants.map((v) => `${v.a1}/${v.a2}`),
    modes,
  };
}

/** Scaled value of one dosage (missing → the SNP's training mode). */
export function scaleGenotype(dosage: number, mode: number): number {
  return (dosage < 0 ? mode : dosage) - 1;
}

/**
 * Applies the transform to a raw record part `{ "<snp id>": 0 | 1 | 2 | null }`. A SNP that is
 * absent or null is imputed with its mode; SNP ids not in the transform are ignored.
 */
export function applyGenotypeTransform(t: GenotypesModalityTransform, raw: unknown, where: string): Float32Array {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: expected an object { "<snp id>": 0|1|2|null }`);
  }
  const rec = raw as Record<string, unknown>;
  const out = new Float32Array(t.snps.length);
  for (let i = 0; i < t.snps.length; i++) {
    const v = rec[t.snps[i]];
    let d = -1;
    if (v !== undefined && v !== null) {
      if (v !== 0 && v !== 1 && v !== 2) {
        throw new Error(`${where}: SNP '${t.snps[i]}' has value ${JSON.stringify(v)}, expected 0, 1, 2 or null`);
      }
      d = v;
    }
    out[i] = scaleGenotype(d, t.modes[i]);
  }
  return out;
}

export const genotypesKind: TransformKind<GenotypesModalityTransform> = {
  kind: 'genotypes',
  apply: applyGenotypeTransform,
  width: (t) => t.snps.length,
};
