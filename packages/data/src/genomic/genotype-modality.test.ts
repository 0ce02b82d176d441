import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGenotypeModality, genotypeRawRecord, loadGenotypes } from './genotype-modality.js';
import { writePlinkFileset } from './write-plink.js';
import { generatePlinkFileset } from '../synth/plink.js';
import { applyModalityTransform } from '../transforms/modality-transform.js';
import type { PlinkFileset } from './plink-types.js';
import { toolForTests } from '../testing/tool-gate.js';

const itWithPlink = toolForTests('plink', 'data genomic/genotype-modality.test.ts (1 LD-pruning test)') ? it : it.skip;

const sample = (iid: string) => ({ fid: iid, iid, father: '0', mother: '0', sex: 0, phenotype: '-9' });

describe('genotype modality', () => {
  // 4 samples (t1, t2, t3 training; v1 not), 3 SNPs
  const fs: PlinkFileset = {
    samples: [sample('t1'), sample('t2'), sample('t3'), sample('v1')],
    variants: [
      { chr: '1', id: 'a', cm: 0, bp: 1, a1: 'A', a2: 'G' },
      { chr: '1', id: 'b', cm: 0, bp: 2, a1: 'C', a2: 'T' },
      { chr: '1', id: 'c', cm: 0, bp: 3, a1: 'G', a2: 'T' },
    ],
    // a: t1=0 t2=1 t3=1 v1=2 (training mode 1; v1's 2 must not count)
    // b: t1=-1 t2=0 t3=1 v1=2 (only {0,1} in training; tie 0/1 → 0)
    // c: t1=2 t2=2 t3=-1 v1=-1 (mode 2)
    genotypes: Int8Array.from([0, 1, 1, 2, -1, 0, 1, 2, 2, 2, -1, -1]),
  };

  it('fits modes on training only and scales 0/1/2 to -1/0/+1 for every SNP', () => {
    const { table, transform } = buildGenotypeModality(fs, { trainingIds: ['t1', 't2', 't3'] });
    expect(transform.modes).toEqual([1, 0, 2]);
    expect(transform.alleles).toEqual(['A/G', 'C/T', 'G/T']);
    expect(table.ids).toEqual(['t1', 't2', 't3', 'v1']);
    expect(table.featureNames).toEqual(['a', 'b', 'c']);
    // SNP b shows only {0,1} in training: 1 still maps to 0 (not +1 as a per-SNP MinMax would)
    expect(Array.from(table.features)).toEqual([-1, -1, 1, 0, -1, 1, 0, 0, 1, 1, 1, 1]);
  });

  it('restricts rows to the dataset ids', () => {
    const { table } = buildGenotypeModality(fs, { trainingIds: ['t1'], ids: ['t2', 'v1'] });
    expect(table.ids).toEqual(['t2', 'v1']);
    expect(table.features).toHaveLength(6);
  });

  it('transforms a raw record exactly as in training (through the dispatch)', () => {
    const { table, transform } = buildGenotypeModality(fs, { trainingIds: ['t1', 't2', 't3'] });
    for (let r = 0; r < table.ids.length; r++) {
      const raw = genotypeRawRecord(fs, table.ids[r]);
      const row = applyModalityTransform(transform, raw, 'test');
      expect(Array.from(row)).toEqual(Array.from(table.features.subarray(r * 3, r * 3 + 3)));
    }
    expect(() => applyModalityTransform(transform, { a: 3 }, 'rec 1, modality genomic')).toThrow(
      /rec 1, modality genomic: SNP 'a' has value 3, expected 0, 1, 2 or null/,
    );
    expect(Array.from(applyModalityTransform(transform, {}, 'x'))).toEqual([0, -1, 1]); // all imputed
  });

  itWithPlink('loads, filters, merges and LD-prunes filesets from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geno-'));
    try {
      const iids = Array.from({ length: 200 }, (_, i) => `P${i}`);
      const a = generatePlinkFileset({
        iids: iids.slice(0, 120),
        snps: 200,
        seed: 1,
        nonAcgtRate: 0.1,
        blockSize: 10,
        ldCopy: 0.95,
      });
      const b = generatePlinkFileset({
        iids: iids.slice(120),
        snps: 200,
        seed: 2,
        nonAcgtRate: 0.1,
        blockSize: 10,
        ldCopy: 0.95,
      });
      // same SNP ids and positions in both sets; b's alleles differ randomly → many mismatches dropped
      b.variants = b.variants.map((v, i) => ({ ...v, a1: a.variants[i].a1, a2: a.variants[i].a2 }));
      await writePlinkFileset(join(dir, 'a'), a);
      await writePlinkFileset(join(dir, 'b'), b);
      const plain = await loadGenotypes([join(dir, 'a'), join(dir, 'b')]);
      const acgt = a.variants.filter((v) => v.a1 !== 'I').length;
      expect(plain.fileset.variants).toHaveLength(acgt);
      expect(plain.fileset.samples).toHaveLength(200);
      const pruned = await loadGenotypes([join(dir, 'a'), join(dir, 'b')], { ldPrune: true, excludeSamples: ['P0'] });
      expect(pruned.fileset.samples).toHaveLength(199);
      // blocks of 10 strongly linked SNPs: pruning keeps far fewer SNPs
      expect(pruned.fileset.variants.length).toBeLessThan(acgt / 2);
      expect(pruned.fileset.variants.length).toBeGreaterThanOrEqual(20 * 0.5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
