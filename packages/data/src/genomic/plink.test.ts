import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPlinkFileset } from './read-plink.js';
import { writePlinkFileset } from './write-plink.js';
import { filterAcgtVariants } from './filter-variants.js';
import { mergePlinkFilesets } from './merge-plink.js';
import { ldPrune } from './ld-prune.js';
import { generatePlinkFileset } from '../synth/plink.js';
import type { PlinkFileset } from './plink-types.js';
import { toolForTests } from '../testing/tool-gate.js';

const plinkExe = toolForTests('plink', 'data genomic/plink.test.ts (4 tests compare with PLINK 1.9)');
/** Tests that compare with PLINK itself; skipped (with one printed line) when PLINK is not installed. */
const itWithPlink = plinkExe === undefined ? it.skip : it;
const plink = (args: string[]): void => {
  execFileSync(plinkExe ?? 'plink1.9', [...args, '--allow-no-sex', '--threads', '1'], { stdio: 'pipe' });
};

/** Parses `plink --recode A` output: iid → snp id → dosage (null = NA). */
function parseRaw(text: string): Map<string, Map<string, number | null>> {
  const lines = text.trim().split('\n');
  const head = lines[0]
    .split(/\s+/)
    .slice(6)
    .map((c) => c.replace(/_[ACGT]$/, ''));
  const out = new Map<string, Map<string, number | null>>();
  for (const line of lines.slice(1)) {
    const f = line.split(/\s+/);
    const m = new Map<string, number | null>();
    head.forEach((snp, j) => m.set(snp, f[6 + j] === 'NA' ? null : Number(f[6 + j])));
    out.set(f[1], m);
  }
  return out;
}

/** Genotype of sample `iid` at SNP `id` expressed as copies of `allele` (null = missing). */
function copiesOf(fs: PlinkFileset, iid: string, id: string, allele: string): number | null {
  const s = fs.samples.findIndex((x) => x.iid === iid);
  const v = fs.variants.findIndex((x) => x.id === id);
  if (s < 0 || v < 0) return null;
  const d = fs.genotypes[v * fs.samples.length + s];
  if (d < 0) return null;
  return fs.variants[v].a1 === allele ? d : 2 - d;
}

describe('PLINK 1 binary filesets', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plink-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  itWithPlink('reads plink1.9 --dummy acgt data exactly as plink --recode A reports it', async () => {
    const prefix = join(dir, 'dummy');
    // 37 samples: not a multiple of 4, so the padding bits of the last byte are exercised
    plink(['--dummy', '37', '300', '0.05', 'acgt', '--seed', '7', '--make-bed', '--out', prefix]);
    plink(['--bfile', prefix, '--recode', 'A', '--out', prefix]);
    const fs = await readPlinkFileset(prefix);
    expect(fs.samples).toHaveLength(37);
    expect(fs.variants).toHaveLength(300);
    const raw = parseRaw(await readFile(`${prefix}.raw`, 'utf8'));
    let missing = 0;
    for (let v = 0; v < 300; v++) {
      for (let s = 0; s < 37; s++) {
        const d = fs.genotypes[v * 37 + s];
        const expected = raw.get(fs.samples[s].iid)?.get(fs.variants[v].id);
        expect(expected).not.toBeUndefined();
        expect(d < 0 ? null : d).toBe(expected);
        if (d < 0) missing++;
      }
    }
    expect(missing).toBeGreaterThan(0); // the 5 % missing calls are really decoded as missing
  });

  itWithPlink('writes .bed bytes identical to plink --make-bed (round trip)', async () => {
    const data = generatePlinkFileset({
      iids: Array.from({ length: 23 }, (_, i) => `S${i}`),
      snps: 41,
      seed: 3,
      missingRate: 0.1,
    });
    const ours = join(dir, 'ours');
    await writePlinkFileset(ours, data);
    const theirs = join(dir, 'theirs');
    plink(['--bfile', ours, '--keep-allele-order', '--make-bed', '--out', theirs]);
    expect(Buffer.compare(await readFile(`${ours}.bed`), await readFile(`${theirs}.bed`))).toBe(0);
    const back = await readPlinkFileset(theirs);
    expect(back.variants).toEqual(data.variants);
    expect(back.samples.map((s) => s.iid)).toEqual(data.samples.map((s) => s.iid));
    expect(Array.from(back.genotypes)).toEqual(Array.from(data.genotypes));
  });

  it('keeps only A/C/G/T SNPs', () => {
    const fs: PlinkFileset = {
      samples: [{ fid: 'a', iid: 'a', father: '0', mother: '0', sex: 1, phenotype: '-9' }],
      variants: [
        { chr: '1', id: 'ok', cm: 0, bp: 1, a1: 'A', a2: 'G' },
        { chr: '1', id: 'indel', cm: 0, bp: 2, a1: 'I', a2: 'D' },
        { chr: '1', id: 'mono', cm: 0, bp: 3, a1: '0', a2: 'T' },
        { chr: '1', id: 'ok2', cm: 0, bp: 4, a1: 'C', a2: 'T' },
      ],
      genotypes: Int8Array.from([2, 1, 0, 1]),
    };
    const kept = filterAcgtVariants(fs);
    expect(kept.variants.map((v) => v.id)).toEqual(['ok', 'ok2']);
    expect(Array.from(kept.genotypes)).toEqual([2, 1]);
  });

  it('merges by SNP id with swapped alleles, strand flips, mismatches and conflicting calls', () => {
    const sample = (iid: string) => ({ fid: iid, iid, father: '0', mother: '0', sex: 0, phenotype: '-9' });
    const a: PlinkFileset = {
      samples: [sample('p1'), sample('p2')],
      variants: [
        { chr: '1', id: 's2', cm: 0, bp: 20, a1: 'A', a2: 'G' },
        { chr: '1', id: 's1', cm: 0, bp: 10, a1: 'C', a2: 'T' },
        { chr: '1', id: 's3', cm: 0, bp: 30, a1: 'A', a2: 'C' },
      ],
      // s2: p1=2 p2=0 ; s1: p1=1 p2=-1 ; s3: p1=0 p2=1
      genotypes: Int8Array.from([2, 0, 1, -1, 0, 1]),
    };
    const b: PlinkFileset = {
      samples: [sample('p2'), sample('p3')],
      variants: [
        { chr: '1', id: 's2', cm: 0, bp: 20, a1: 'G', a2: 'A' }, // swapped → 2 - d
        { chr: '1', id: 's1', cm: 0, bp: 10, a1: 'G', a2: 'A' }, // complement of C/T → same orientation
        { chr: '1', id: 's3', cm: 0, bp: 30, a1: 'A', a2: 'T' }, // irreconcilable → dropped
        { chr: '2', id: 's4', cm: 0, bp: 5, a1: 'T', a2: 'G' }, // new SNP
      ],
      // s2: p2=1 (→1, but p2 had 0 in a → conflict → missing), p3=0 (→2)
      // s1: p2=2 (a missing → 2), p3=1 ; s3: p2=2, p3=2 (dropped) ; s4: p2=0 p3=1
      genotypes: Int8Array.from([1, 0, 2, 1, 2, 2, 0, 1]),
    };
    const { fileset, report } = mergePlinkFilesets([a, b]);
    expect(fileset.variants.map((v) => v.id)).toEqual(['s1', 's2', 's3', 's4']);
    expect(fileset.samples.map((s) => s.iid)).toEqual(['p1', 'p2', 'p3']);
    // rows: s1, s2, s3, s4 ; columns p1, p2, p3
    expect(Array.from(fileset.genotypes)).toEqual([1, 2, 1, 2, -1, 2, 0, 1, -1, -1, 0, 1]);
    expect(report.swapped).toBe(1);
    expect(report.strandFlipped).toBe(1);
    expect(report.alleleMismatches).toEqual(['s3']);
    expect(report.conflicts).toBe(1);
  });

  itWithPlink('merges like plink --bmerge on overlapping dummy filesets', async () => {
    const iids = Array.from({ length: 30 }, (_, i) => `P${i}`);
    const base = generatePlinkFileset({ iids, snps: 60, seed: 11, missingRate: 0.05 });
    // set A: samples 0..19, SNPs 0..39 ; set B: samples 15..29, SNPs 20..59 with alleles swapped
    const pick = (si: number[], vi: number[], swap: boolean): PlinkFileset => ({
      samples: si.map((s) => base.samples[s]),
      variants: vi.map((v) =>
        swap ? { ...base.variants[v], a1: base.variants[v].a2, a2: base.variants[v].a1 } : base.variants[v],
      ),
      genotypes: Int8Array.from(
        vi.flatMap((v) =>
          si.map((s) => {
            const d = base.genotypes[v * 30 + s];
            return d < 0 || !swap ? d : 2 - d;
          }),
        ),
      ),
    });
    const range = (lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => lo + i);
    const a = pick(range(0, 20), range(0, 40), false);
    const b = pick(range(15, 30), range(20, 60), true);
    await writePlinkFileset(join(dir, 'ma'), a);
    await writePlinkFileset(join(dir, 'mb'), b);
    plink(['--bfile', join(dir, 'ma'), '--bmerge', join(dir, 'mb'), '--make-bed', '--out', join(dir, 'mab')]);
    const theirs = await readPlinkFileset(join(dir, 'mab'));
    const ours = mergePlinkFilesets([a, b]).fileset;
    expect(ours.variants.map((v) => v.id).sort()).toEqual(theirs.variants.map((v) => v.id).sort());
    expect(ours.samples.map((s) => s.iid).sort()).toEqual(theirs.samples.map((s) => s.iid).sort());
    for (const v of ours.variants) {
      for (const s of ours.samples) {
        expect(copiesOf(ours, s.iid, v.id, v.a1)).toBe(copiesOf(theirs, s.iid, v.id, v.a1));
      }
    }
  });

  itWithPlink(
    'LD-prunes with plink1.9 --indep-pairwise 50 5 0.1: one SNP of each perfectly linked pair stays',
    async () => {
      const iids = Array.from({ length: 400 }, (_, i) => `L${i}`);
      const ind = generatePlinkFileset({ iids, snps: 20, seed: 5, blockSize: 1, missingRate: 0 });
      // interleave every SNP with an exact copy → 40 SNPs, 20 perfectly correlated pairs
      const variants = ind.variants.flatMap((v, i) => [v, { ...v, id: `${v.id}_dup`, bp: v.bp + 1 + i * 0 }]);
      const genotypes = new Int8Array(40 * 400);
      for (let v = 0; v < 20; v++) {
        const row = ind.genotypes.subarray(v * 400, (v + 1) * 400);
        genotypes.set(row, 2 * v * 400);
        genotypes.set(row, (2 * v + 1) * 400);
      }
      const prefix = join(dir, 'ld');
      await writePlinkFileset(prefix, { samples: ind.samples, variants, genotypes });
      const kept = new Set(await ldPrune(prefix));
      for (const v of ind.variants) {
        expect(Number(kept.has(v.id)) + Number(kept.has(`${v.id}_dup`))).toBe(1);
      }
      expect(kept.size).toBe(20);
    },
  );

  it('rejects bad magic, individual-major mode, missing .bim/.fam and a sample count mismatch', async () => {
    const data = generatePlinkFileset({ iids: ['a', 'b', 'c', 'd', 'e'], snps: 4, seed: 1 });
    const p = join(dir, 'bad');
    await writePlinkFileset(p, data);
    const bed = await readFile(`${p}.bed`);
    const bad1 = Buffer.from(bed);
    bad1[0] = 0x00;
    await writeFile(`${p}.bed`, bad1);
    await expect(readPlinkFileset(p)).rejects.toThrow(/bad\.bed: not a PLINK 1 \.bed file \(bad magic/);
    const bad2 = Buffer.from(bed);
    bad2[2] = 0x00;
    await writeFile(`${p}.bed`, bad2);
    await expect(readPlinkFileset(p)).rejects.toThrow(/bad\.bed: individual-major/);
    await writeFile(`${p}.bed`, bed);
    // .fam with one sample too many: 6 samples × 4 SNPs need 3 + 2·4 bytes, the file has 3 + 2·4 too,
    // so use 9 samples (3 bytes per SNP) to make the mismatch visible
    await writeFile(`${p}.fam`, Array.from({ length: 9 }, (_, i) => `f${i} i${i} 0 0 1 -9\n`).join(''));
    await expect(readPlinkFileset(p)).rejects.toThrow(
      /bad\.bed: size 11 bytes does not match 9 samples \(\.fam\) × 4 variants/,
    );
    await rm(`${p}.fam`);
    await expect(readPlinkFileset(p)).rejects.toThrow(/bad\.fam: missing \.fam file/);
    await copyFile(`${p}.bim`, `${p}.bim.keep`);
    await writeFile(`${p}.fam`, 'a a 0 0 1 -9\n');
    await rm(`${p}.bim`);
    await expect(readPlinkFileset(p)).rejects.toThrow(/bad\.bim: missing \.bim file/);
  });
});
