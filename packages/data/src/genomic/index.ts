/** PLINK 1 genotypes → 'genotypes' modality (public API of src/genomic). */
export type { PlinkFileset, PlinkSample, PlinkVariant } from './plink-types.js';
export { MISSING_GENOTYPE } from './plink-types.js';
export { readPlinkFileset, decodeBed, parseBim, parseFam, BED_MAGIC } from './read-plink.js';
export { writePlinkFileset, encodeBed } from './write-plink.js';
export { filterAcgtVariants, isAcgtVariant, selectVariants, selectVariantIds } from './filter-variants.js';
export { mergePlinkFilesets, alleleOrientation } from './merge-plink.js';
export type { MergeReport } from './merge-plink.js';
export { ldPrune, ldPruneFileset, runPlink, plinkExecutable } from './ld-prune.js';
export type { LdPruneOptions } from './ld-prune.js';
export { fitGenotypeTransform, applyGenotypeTransform, scaleGenotype } from '../transforms/kinds/genotypes.js';
export { loadGenotypes, buildGenotypeModality, selectSamples, genotypeRawRecord } from './genotype-modality.js';
export type { LoadGenotypesOptions, GenotypeModalityOptions } from './genotype-modality.js';
export { generatePlinkFileset } from '../synth/plink.js';
export type { SyntheticPlinkOptions } from '../synth/plink.js';
