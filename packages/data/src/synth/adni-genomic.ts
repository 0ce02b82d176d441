/** The synthetic genotypes: one PLINK fileset for ADNI1 and one for GO/2/3 (the pipeline merges them). */
import path from 'node:path';
import { genotypeRawRecord } from '../genomic/genotype-modality.js';
import type { PlinkFileset } from '../genomic/plink-types.js';
import { writePlinkFileset } from '../genomic/write-plink.js';
import { clamp } from './adni-draw.js';
import type { AdniRawOutput } from './adni-output.js';
import type { Patient } from './adni-patients.js';
import { generatePlinkFileset } from './plink.js';

/** Writes the genotypes of every patient with the genomic modality (records.jsonl patients: raw records only). */
export async function writeGenomicFilesets(
  patients: readonly Patient[],
  o: AdniRawOutput,
  seed: number,
  snps: number,
): Promise<void> {
  const genomicMembers = patients.filter((p) => p.G);
  const fileset: PlinkFileset = generatePlinkFileset({
    iids: genomicMembers.map((p) => p.ptid),
    snps,
    seed: seed * 31 + 7,
    classes: genomicMembers.map((p) => clamp(p.zG, 0, 2.5)),
    signalSnps: Math.round(snps / 6),
    signalStrength: 0.25,
  });
  for (const p of genomicMembers)
    if (o.wantRecord(p)) o.recordOf(p).modalities.genomic = genotypeRawRecord(fileset, p.ptid);
  const groups = [
    { name: 'ADNI_1_synthetic', keep: (p: Patient) => p.kind !== 'record' && p.phase === 'ADNI1' },
    { name: 'ADNI_GO_2_3_synthetic', keep: (p: Patient) => p.kind !== 'record' && p.phase !== 'ADNI1' },
  ];
  for (const group of groups) {
    const idx = genomicMembers.map((p, i) => (group.keep(p) ? i : -1)).filter((i) => i >= 0);
    const nS = genomicMembers.length;
    const genotypes = new Int8Array(fileset.variants.length * idx.length);
    for (let v = 0; v < fileset.variants.length; v++)
      for (let j = 0; j < idx.length; j++) genotypes[v * idx.length + j] = fileset.genotypes[v * nS + idx[j]];
    const prefix = path.join(o.out, 'genomic', group.name);
    await writePlinkFileset(prefix, {
      samples: idx.map((i) => fileset.samples[i]),
      variants: fileset.variants,
      genotypes,
    });
    o.files.push(...['bed', 'bim', 'fam'].map((e) => path.relative(o.out, `${prefix}.${e}`)));
  }
}
