/**
 * Seeded synthetic PLINK genotypes for tests and the ADNI synthetic generator: A/C/G/T SNPs in
 * LD blocks (neighbouring SNPs copy a block's founder genotype with probability `ldCopy`), optional
 * non-A/C/G/T variants, missing calls, and an optional class signal on the first SNPs.
 */
import { mulberry32 } from '../splits/make-splits.js';
import type { PlinkFileset, PlinkSample, PlinkVariant } from '../genomic/plink-types.js';

/** Options of {@link generatePlinkFileset}. */
export interface SyntheticPlinkOptions {
  /** Sample IIDs (ADNI: PTIDs); FID = IID. */
  iids: readonly string[];
  /** Number of SNPs. */
  snps: number;
  seed: number;
  /** Fraction of missing calls (default 0.02). */
  missingRate?: number;
  /** SNPs per LD block (default 10); 1 = independent SNPs. */
  blockSize?: number;
  /** Probability that a SNP copies its block founder's genotype (default 0.8). */
  ldCopy?: number;
  /** Fraction of variants with non-A/C/G/T alleles (indels `I/D`), default 0. */
  nonAcgtRate?: number;
  /** Per-sample class (0..k-1): the first `signalSnps` SNPs get allele frequency shifted by class. */
  classes?: readonly number[];
  signalSnps?: number;
  /** Allele-frequency shift per class step (default 0.15). */
  signalStrength?: number;
  /** SNP id prefix (default `rs`); ids are `<prefix><n>` with n from `idOffset` (default 1). */
  idPrefix?: string;
  idOffset?: number;
  chromosome?: string;
}

const BASES = ['A', 'C', 'G', 'T'];

/** Generates a fileset; the same options always give the same bytes. */
export function generatePlinkFileset(o: SyntheticPlinkOptions): PlinkFileset {
  const rand = mulberry32(o.seed);
  const nS = o.iids.length;
  const samples: PlinkSample[] = o.iids.map((iid) => ({
    fid: iid,
    iid,
    father: '0',
    mother: '0',
    sex: rand() < 0.5 ? 1 : 2,
    phenotype: '-9',
  }));
  const variants: PlinkVariant[] = [];
  const genotypes = new Int8Array(o.snps * nS);
  const block = Math.max(1, o.blockSize ?? 10);
  const ldCopy = o.ldCopy ?? 0.8;
  const missing = o.missingRate ?? 0.02;
  const founder = new Int8Array(nS);
  const draw = (p: number): number => (rand() < p ? 1 : 0) + (rand() < p ? 1 : 0);
  for (let v = 0; v < o.snps; v++) {
    let a1: string;
    let a2: string;
    if (rand() < (o.nonAcgtRate ?? 0)) {
      a1 = 'I';
      a2 = 'D';
    } else {
      const i = Math.floor(rand() * 4);
      a1 = BASES[i];
      a2 = BASES[(i + 1 + Math.floor(rand() * 3)) % 4];
    }
    variants.push({
      chr: o.chromosome ?? '1',
      id: `${o.idPrefix ?? 'rs'}${(o.idOffset ?? 1) + v}`,
      cm: 0,
      bp: 1000 + v * 1000,
      a1,
      a2,
    });
    const p = 0.1 + 0.35 * rand();
    const signal = o.classes && v < (o.signalSnps ?? 0);
    const newBlock = v % block === 0;
    for (let s = 0; s < nS; s++) {
      const ps = signal ? Math.min(0.95, p + (o.signalStrength ?? 0.15) * (o.classes as readonly number[])[s]) : p;
      let d: number;
      if (newBlock) {
        d = draw(ps);
        founder[s] = d;
      } else {
        d = rand() < ldCopy ? founder[s] : draw(ps);
      }
      genotypes[v * nS + s] = rand() < missing ? -1 : d;
    }
  }
  return { samples, variants, genotypes };
}
