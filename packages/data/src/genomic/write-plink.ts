/** Writes PLINK 1 binary filesets (SNP-major .bed), used by synthetic generators, tests and LD pruning. */
import { writeFileAtomic } from '../io/atomic-write.js';
import { BED_MAGIC } from './read-plink.js';
import type { PlinkFileset } from './plink-types.js';

/** Packs a1 dosages (variants × samples, -1 missing) into SNP-major .bed bytes. */
export function encodeBed(fileset: PlinkFileset): Uint8Array {
  const nS = fileset.samples.length;
  const nV = fileset.variants.length;
  if (fileset.genotypes.length !== nS * nV) {
    throw new Error(`genotypes has ${fileset.genotypes.length} entries, expected ${nV} variants × ${nS} samples`);
  }
  const perVariant = Math.ceil(nS / 4);
  const out = new Uint8Array(3 + perVariant * nV);
  out.set(BED_MAGIC, 0);
  // dosage → code: 2 → 00, 1 → 10, 0 → 11, missing (-1) → 01; indexed by dosage + 1
  const CODE = Uint8Array.from([1, 3, 2, 0]);
  const g = fileset.genotypes;
  for (let i = 0; i < g.length; i++)
    if (g[i] < -1 || g[i] > 2) throw new Error(`genotype value ${g[i]} is not -1, 0, 1 or 2`);
  const full = nS >> 2;
  let dst = 3;
  let src = 0;
  for (let v = 0; v < nV; v++) {
    let s = src;
    for (let j = 0; j < full; j++, s += 4) {
      out[dst++] = CODE[g[s] + 1] | (CODE[g[s + 1] + 1] << 2) | (CODE[g[s + 2] + 1] << 4) | (CODE[g[s + 3] + 1] << 6);
    }
    if (perVariant > full) {
      let b = 0;
      for (let k = 0; s + k < src + nS; k++) b |= CODE[g[s + k] + 1] << (2 * k);
      out[dst++] = b;
    }
    src += nS;
  }
  return out;
}

/** Writes `<prefix>.bed`, `.bim` (tab separated) and `.fam` (space separated), each atomically. */
export async function writePlinkFileset(prefix: string, fileset: PlinkFileset): Promise<void> {
  const bed = encodeBed(fileset);
  const bim = fileset.variants.map((v) => `${v.chr}\t${v.id}\t${v.cm}\t${v.bp}\t${v.a1}\t${v.a2}\n`).join('');
  const fam = fileset.samples
    .map((s) => `${s.fid} ${s.iid} ${s.father} ${s.mother} ${s.sex} ${s.phenotype}\n`)
    .join('');
  await writeFileAtomic(`${prefix}.bim`, bim);
  await writeFileAtomic(`${prefix}.fam`, fam);
  await writeFileAtomic(`${prefix}.bed`, bed);
}
