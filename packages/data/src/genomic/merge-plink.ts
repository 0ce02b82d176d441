/**
 * Merges PLINK filesets like `plink --merge-list`: union of samples (by IID, the ADNI PTID) and of
 * variants (by SNP id), sorted by chromosome and position. A variant's alleles are taken from the
 * first fileset that has it; later filesets are matched as-is, swapped (dosage → 2 − dosage) or on the
 * other strand (complement, not for the strand-ambiguous A/T and C/G SNPs). Other allele mismatches
 * drop that fileset's genotypes for the variant (counted). A sample genotyped twice keeps the first
 * non-missing call; two different calls become missing (PLINK's default merge mode).
 */
import type { PlinkFileset, PlinkSample, PlinkVariant } from './plink-types.js';

/** Counts of what {@link mergePlinkFilesets} reconciled. */
export interface MergeReport {
  /** Variant calls whose allele order was swapped to the reference orientation. */
  swapped: number;
  /** Variant calls matched on the complementary strand. */
  strandFlipped: number;
  /** Variant calls dropped because their alleles could not be reconciled. */
  alleleMismatches: string[];
  /** Sample × variant genotypes that disagreed between filesets (set missing). */
  conflicts: number;
}

const COMPLEMENT: Record<string, string> = { A: 'T', T: 'A', C: 'G', G: 'C' };

/** Sort key for chromosomes: numbers first, then X, Y, XY, MT, then others by name. */
function chrRank(chr: string): number {
  const c = chr.replace(/^chr/i, '').toUpperCase();
  const n = Number(c);
  if (Number.isInteger(n)) return n;
  const named: Record<string, number> = { X: 23, Y: 24, XY: 25, MT: 26, M: 26 };
  return named[c] ?? 1000;
}

/** How a variant's alleles map onto the reference: 1 same, -1 swapped (2 − d), 0 irreconcilable. */
export function alleleOrientation(ref: PlinkVariant, other: PlinkVariant): { sign: 1 | -1 | 0; strand: boolean } {
  if (other.a1 === ref.a1 && other.a2 === ref.a2) return { sign: 1, strand: false };
  if (other.a1 === ref.a2 && other.a2 === ref.a1) return { sign: -1, strand: false };
  const ambiguous = COMPLEMENT[ref.a1] === ref.a2;
  if (!ambiguous) {
    const c1 = COMPLEMENT[other.a1];
    const c2 = COMPLEMENT[other.a2];
    if (c1 === ref.a1 && c2 === ref.a2) return { sign: 1, strand: true };
    if (c1 === ref.a2 && c2 === ref.a1) return { sign: -1, strand: true };
  }
  return { sign: 0, strand: false };
}

/** Merges filesets (see the file comment). */
export function mergePlinkFilesets(list: readonly PlinkFileset[]): { fileset: PlinkFileset; report: MergeReport } {
  if (list.length === 0) throw new Error('mergePlinkFilesets: no filesets given');
  const samples: PlinkSample[] = [];
  const sampleIndex = new Map<string, number>();
  const variantIndex = new Map<string, PlinkVariant>();
  for (const fs of list) {
    for (const s of fs.samples) {
      if (!sampleIndex.has(s.iid)) {
        sampleIndex.set(s.iid, samples.length);
        samples.push(s);
      }
    }
    for (const v of fs.variants) if (!variantIndex.has(v.id)) variantIndex.set(v.id, v);
  }
  const variants = [...variantIndex.values()].sort(
    (a, b) => chrRank(a.chr) - chrRank(b.chr) || a.bp - b.bp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const row = new Map<string, number>(variants.map((v, i) => [v.id, i]));
  const nS = samples.length;
  const genotypes = new Int8Array(variants.length * nS).fill(-1);
  const report: MergeReport = { swapped: 0, strandFlipped: 0, alleleMismatches: [], conflicts: 0 };
  // conflict marks: a genotype set to missing after a disagreement must stay missing
  const conflicted = new Uint8Array(variants.length * nS);

  for (const fs of list) {
    const n = fs.samples.length;
    const target = fs.samples.map((s) => sampleIndex.get(s.iid) as number);
    for (let v = 0; v < fs.variants.length; v++) {
      const own = fs.variants[v];
      const r = row.get(own.id) as number;
      const { sign, strand } = alleleOrientation(variants[r], own);
      if (sign === 0) {
        report.alleleMismatches.push(own.id);
        continue;
      }
      if (sign === -1) report.swapped++;
      if (strand) report.strandFlipped++;
      const base = r * nS;
      const src = v * n;
      for (let s = 0; s < n; s++) {
        let d = fs.genotypes[src + s];
        if (d < 0) continue;
        if (sign === -1) d = 2 - d;
        const at = base + target[s];
        if (conflicted[at]) continue;
        const cur = genotypes[at];
        if (cur < 0) genotypes[at] = d;
        else if (cur !== d) {
          genotypes[at] = -1;
          conflicted[at] = 1;
          report.conflicts++;
        }
      }
    }
  }
  return { fileset: { samples, variants, genotypes }, report };
}
