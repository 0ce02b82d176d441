/**
 * ADNI genomic modality: PLINK filesets → A/C/G/T SNPs → merged → optionally LD-pruned with
 * PLINK 1.9 → patients × SNPs table scaled -1/0/+1 with training-mode imputation.
 */
import type { ModalityTable } from '../dataset/types.js';
import type { GenotypesModalityTransform } from '../transforms/modality-transform.js';
import { filterAcgtVariants } from './filter-variants.js';
import { fitGenotypeTransform, scaleGenotype } from '../transforms/kinds/genotypes.js';
import { ldPruneFileset, type LdPruneOptions } from './ld-prune.js';
import { mergePlinkFilesets, type MergeReport } from './merge-plink.js';
import { readPlinkFileset } from './read-plink.js';
import type { PlinkFileset } from './plink-types.js';

/** Options of {@link loadGenotypes}. */
export interface LoadGenotypesOptions {
  /** Run PLINK 1.9 `--indep-pairwise` on the merged set (default false; docs/algorithm.md §8: 50 5 0.1). */
  ldPrune?: boolean | LdPruneOptions;
  /** Sample IIDs to drop (e.g. the two ADNI1 IIDs the reference notebook excludes). */
  excludeSamples?: Iterable<string>;
}

/** Reads, A/C/G/T-filters, merges and (optionally) LD-prunes PLINK filesets given by prefix. */
export async function loadGenotypes(
  prefixes: readonly string[],
  options: LoadGenotypesOptions = {},
): Promise<{ fileset: PlinkFileset; report: MergeReport }> {
  const sets: PlinkFileset[] = [];
  for (const p of prefixes) sets.push(filterAcgtVariants(await readPlinkFileset(p)));
  const merged = mergePlinkFilesets(sets);
  const report = merged.report;
  let fileset = merged.fileset;
  const exclude = new Set(options.excludeSamples ?? []);
  if (exclude.size > 0) fileset = selectSamples(fileset, (iid) => !exclude.has(iid));
  if (options.ldPrune) fileset = await ldPruneFileset(fileset, options.ldPrune === true ? {} : options.ldPrune);
  return { fileset, report };
}

/** Keeps the samples whose IID passes `keep` (genotypes re-packed). */
export function selectSamples(fileset: PlinkFileset, keep: (iid: string) => boolean): PlinkFileset {
  const idx: number[] = [];
  fileset.samples.forEach((s, i) => {
    if (keep(s.iid)) idx.push(i);
  });
  const nS = fileset.samples.length;
  const nV = fileset.variants.length;
  const genotypes = new Int8Array(nV * idx.length);
  for (let v = 0; v < nV; v++)
    for (let j = 0; j < idx.length; j++) genotypes[v * idx.length + j] = fileset.genotypes[v * nS + idx[j]];
  return { samples: idx.map((i) => fileset.samples[i]), variants: fileset.variants, genotypes };
}

/** Options of {@link buildGenotypeModality}. */
export interface GenotypeModalityOptions {
  /** Training sample IIDs: the transform (modes) is fitted on these only. */
  trainingIds: Iterable<string>;
  /** Patients of the dataset; samples not listed are left out (default: every sample). */
  ids?: Iterable<string>;
  name?: string;
  letter?: string;
}

/**
 * Builds the patients × SNPs modality table (row order = fileset sample order) and the fitted
 * 'genotypes' transform. Duplicated IIDs are an error.
 */
export function buildGenotypeModality(
  fileset: PlinkFileset,
  options: GenotypeModalityOptions,
): { table: ModalityTable; transform: GenotypesModalityTransform } {
  const allowed = options.ids ? new Set(options.ids) : null;
  const seen = new Set<string>();
  for (const s of fileset.samples) {
    if (seen.has(s.iid)) throw new Error(`genotypes: sample IID '${s.iid}' appears twice (merge filesets first)`);
    seen.add(s.iid);
  }
  const transform = fitGenotypeTransform(fileset, options.trainingIds);
  const cols: number[] = [];
  fileset.samples.forEach((s, i) => {
    if (!allowed || allowed.has(s.iid)) cols.push(i);
  });
  const nS = fileset.samples.length;
  const nV = fileset.variants.length;
  const features = new Float32Array(cols.length * nV);
  // transpose SNP-major → patient-major, variant by variant (sequential reads)
  for (let v = 0; v < nV; v++) {
    const mode = transform.modes[v];
    const base = v * nS;
    for (let r = 0; r < cols.length; r++) features[r * nV + v] = scaleGenotype(fileset.genotypes[base + cols[r]], mode);
  }
  return {
    table: {
      name: options.name ?? 'genomic',
      letter: options.letter ?? 'G',
      featureNames: transform.snps.slice(),
      ids: cols.map((i) => fileset.samples[i].iid),
      features,
    },
    transform,
  };
}

/** The raw record part of one sample: `{ snp id: dosage | null }` (for records.jsonl). */
export function genotypeRawRecord(fileset: PlinkFileset, iid: string): Record<string, number | null> {
  const s = fileset.samples.findIndex((x) => x.iid === iid);
  if (s < 0) throw new Error(`genotypes: no sample '${iid}'`);
  const nS = fileset.samples.length;
  const out: Record<string, number | null> = {};
  fileset.variants.forEach((v, i) => {
    const d = fileset.genotypes[i * nS + s];
    out[v.id] = d < 0 ? null : d;
  });
  return out;
}
