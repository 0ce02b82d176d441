/** In-memory PLINK 1 binary fileset (.bed/.bim/.fam), see https://www.cog-genomics.org/plink/1.9/formats */

/** One `.fam` line: family id, individual id (ADNI: the PTID), parents, sex, phenotype. */
export interface PlinkSample {
  fid: string;
  iid: string;
  father: string;
  mother: string;
  /** 1 male, 2 female, 0 unknown */
  sex: number;
  phenotype: string;
}

/** One `.bim` line. `a1` is the allele whose copies the dosage counts (PLINK's `--recode A` convention). */
export interface PlinkVariant {
  chr: string;
  id: string;
  cm: number;
  bp: number;
  a1: string;
  a2: string;
}

/**
 * Genotypes are SNP-major like the .bed file: `genotypes[v * samples.length + s]` is the number of
 * copies of `variants[v].a1` carried by `samples[s]` (0, 1, 2), or -1 when missing.
 */
export interface PlinkFileset {
  samples: PlinkSample[];
  variants: PlinkVariant[];
  genotypes: Int8Array;
}

/** Missing genotype code in {@link PlinkFileset.genotypes}. */
export const MISSING_GENOTYPE = -1;
