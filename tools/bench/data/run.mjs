#!/usr/bin/env node
/**
 * Data-pipeline benchmarks (docs/benchmarks.md "## Data pipeline"). Uses the built package
 * (`npx tsc -b packages/data` first). Parts:
 *   stream  synthetic labevents.csv.gz of 1 M and 10 M rows streamed through the MIMIC lab
 *           aggregator, each in its own process (rows/s, peak RSS)
 *   plink   2,000 samples × 100 k SNPs: plink1.9 --dummy → our reader vs plink1.9 --make-bed, and
 *           our writer round trip (byte-identical .bed)
 *   mimic   synthetic MIMIC-IV at scale 1 → dataset
 *   adni    synthetic ADNI at scale 1 → dataset (DATA-CORE's generator and builder)
 * Usage: node tools/bench/data/run.mjs [stream|plink|mimic|adni ...] [--rows 1000000,10000000]
 *        [--samples 2000] [--snps 100000] [--adni-scale 1] [--ld-prune] [--tmp DIR] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../../../packages/data/dist');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const VALUE_FLAGS = new Set(['--rows', '--tmp', '--samples', '--snps', '--adni-scale']);
const parts = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && VALUE_FLAGS.has(args[i - 1])));
const want = (p) => parts.length === 0 || parts.includes(p);
const tmp = opt('tmp', null) ?? mkdtempSync(join(tmpdir(), 'flexmoe-bench-data-'));
const results = {};
const secs = (t0) => +((performance.now() - t0) / 1000).toFixed(2);
const mib = (b) => +(b / 1048576).toFixed(1);

async function streamPart() {
  const { CsvWriter } = await import(join(dist, 'io/csv-writer.js'));
  const rowsList = opt('rows', '1000000,10000000').split(',').map(Number);
  results.stream = [];
  for (const n of rowsList) {
    const file = join(tmp, `labevents-${n}.csv.gz`);
    const t0 = performance.now();
    const w = CsvWriter.open(
      file,
      [
        'labevent_id',
        'subject_id',
        'hadm_id',
        'specimen_id',
        'itemid',
        'order_provider_id',
        'charttime',
        'storetime',
        'value',
        'valuenum',
        'valueuom',
        'ref_range_lower',
        'ref_range_upper',
        'flag',
        'priority',
        'comments',
      ],
      1,
    );
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const hadm = 20000000 + (s % 5000);
      const item = 50800 + ((s >>> 8) % 40);
      const v = ((s >>> 4) % 2000) / 10;
      const hadmField = (s & 15) === 0 ? '' : hadm;
      await w.writeRaw(
        `${i + 1},${10000000 + (hadm % 20000)},${hadmField},${i * 3},${item},,` +
          `2150-01-${String(1 + (i % 28)).padStart(2, '0')} 10:${String(i % 60).padStart(2, '0')}:00,` +
          `2150-01-01 11:00:00,${v},${v},mg/dL,1,20,${v > 150 ? 'abnormal' : ''},ROUTINE,\n`,
      );
    }
    await w.close();
    const genSeconds = secs(t0);
    // keep 0: parsing + filtering only; keep 1000: 1 k of the 5 k admissions aggregated; their 1 k × 40
    // accumulators are all filled within the first 1 M rows, so the state is the same for both sizes
    for (const keep of [0, 1000]) {
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', join(here, 'stream-labevents.mjs'), file, String(keep)],
        { encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(child.stderr);
      const r = JSON.parse(child.stdout.trim().split('\n').pop());
      results.stream.push({
        rows: n,
        keptAdmissions: keep,
        gzMiB: mib(statSync(file).size),
        generateSeconds: genSeconds,
        ...r,
      });
      console.log('stream', JSON.stringify(results.stream.at(-1)));
    }
    rmSync(file);
  }
}

async function plinkPart() {
  const { readPlinkFileset } = await import(join(dist, 'genomic/read-plink.js'));
  const { writePlinkFileset } = await import(join(dist, 'genomic/write-plink.js'));
  const samples = Number(opt('samples', '2000'));
  const snps = Number(opt('snps', '100000'));
  const dummy = join(tmp, 'dummy');
  const { findExternalTool, missingToolMessage } = await import(join(dist, 'tools/external-tools.js'));
  const exe = findExternalTool('plink');
  if (exe === undefined) throw new Error(missingToolMessage('plink'));
  const plink = (a) => execFileSync(exe, [...a, '--allow-no-sex', '--threads', '1'], { stdio: 'pipe' });
  let t0 = performance.now();
  plink(['--dummy', String(samples), String(snps), '0.01', 'acgt', '--seed', '1', '--make-bed', '--out', dummy]);
  const dummySeconds = secs(t0);
  t0 = performance.now();
  plink(['--bfile', dummy, '--keep-allele-order', '--make-bed', '--out', join(tmp, 'plinkcopy')]);
  const plinkMakeBedSeconds = secs(t0);
  t0 = performance.now();
  const fs = await readPlinkFileset(dummy);
  const readSeconds = secs(t0);
  t0 = performance.now();
  await writePlinkFileset(join(tmp, 'ours'), fs);
  const writeSeconds = secs(t0);
  const same = Buffer.compare(readFileSync(join(tmp, 'ours.bed')), readFileSync(join(tmp, 'plinkcopy.bed'))) === 0;
  results.plink = {
    samples,
    snps,
    bedMiB: mib(statSync(`${dummy}.bed`).size),
    plinkDummySeconds: dummySeconds,
    plinkMakeBedSeconds,
    ourReadSeconds: readSeconds,
    ourWriteSeconds: writeSeconds,
    bedIdenticalToPlinkMakeBed: same,
  };
  console.log('plink', JSON.stringify(results.plink));
}

async function mimicPart() {
  const { generateMimicRaw } = await import(join(dist, 'synth/mimic.js'));
  const { buildMimicDataset } = await import(join(dist, 'mimic/build-mimic.js'));
  let t0 = performance.now();
  const g = await generateMimicRaw({ out: join(tmp, 'mimic-raw'), seed: 1, scale: 1 });
  const genSeconds = secs(t0);
  t0 = performance.now();
  const r = await buildMimicDataset({ raw: join(tmp, 'mimic-raw'), out: join(tmp, 'mimic-ds'), seed: 1 });
  results.mimic = {
    generateSeconds: genSeconds,
    buildSeconds: secs(t0),
    patients: g.patients,
    rows: g.rows,
    counts: r.manifest.counts,
  };
  console.log('mimic', JSON.stringify(results.mimic));
}

async function adniPart() {
  const data = await import(join(dist, 'index.js'));
  if (typeof data.generateAdniRaw !== 'function' || typeof data.buildAdniDataset !== 'function') {
    console.log('adni: generateAdniRaw / buildAdniDataset not exported by @flexmoe/data yet; skipped');
    return;
  }
  const scale = Number(opt('adni-scale', '1'));
  const rawDir = join(tmp, 'adni-raw');
  let t0 = performance.now();
  await data.generateAdniRaw({ outDir: rawDir, seed: 1, scale });
  const generateSeconds = secs(t0);
  t0 = performance.now();
  const { content } = await data.buildAdniDataset({ rawDir, seed: 1, ldPrune: args.includes('--ld-prune') });
  const buildSeconds = secs(t0);
  t0 = performance.now();
  const manifest = await data.writeDataset(join(tmp, 'adni-ds'), content);
  const writeSeconds = secs(t0);
  t0 = performance.now();
  const ds = await data.readDataset(join(tmp, 'adni-ds'));
  const readSeconds = secs(t0);
  results.adni = {
    scale,
    generateSeconds,
    buildSeconds,
    writeSeconds,
    readSeconds,
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    widths: Object.fromEntries(ds.modalities.map((m) => [m.letter, m.width])),
    counts: manifest.counts,
  };
  console.log('adni', JSON.stringify(results.adni));
}

try {
  if (want('stream')) await streamPart();
  if (want('plink')) await plinkPart();
  if (want('mimic')) await mimicPart();
  if (want('adni')) await adniPart();
} finally {
  if (!args.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(results));
