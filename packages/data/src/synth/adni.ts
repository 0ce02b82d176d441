/**
 * Seeded synthetic raw ADNI data (the built-in demo and the tests): LONI-layout CSVs of every table the
 * ADNI pipeline reads (schemas/adni_schemas.md columns), a PLINK fileset per ADNI phase group, small
 * NIfTI grey-matter maps with an atlas and `image_index.csv`, and `records.jsonl` (raw records of a few
 * patients who are not in the tables). Scale 1.0 gives the paper's Figure 2 counts: 2,380 patients,
 * clinical all, image 1,744, biospecimen 1,758, genomic 1,596, all four 1,474.
 *
 * The class signal is spread over the modalities: each modality sees the diagnosis through its own
 * independent noise, so one modality alone is a partial view and combining them helps.
 *
 * The parts: adni-patients.ts (the cohort), adni-clinical.ts, adni-biospecimen.ts, adni-diagnosis.ts,
 * adni-genomic.ts, adni-ravens.ts (NIfTI volumes) and adni-freesurfer.ts (the UCSF FreeSurfer table);
 * adni-output.ts holds what they share (files, raw records, hidden rows).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { RawPatientRecord } from '../transforms/transform-record.js';
import { writeBiospecimenTables } from './adni-biospecimen.js';
import { writeClinicalTables } from './adni-clinical.js';
import { writeDiagnosisTable } from './adni-diagnosis.js';
import { Draw } from './adni-draw.js';
import { writeFreeSurferTable } from './adni-freesurfer.js';
import { writeGenomicFilesets } from './adni-genomic.js';
import { AdniRawOutput } from './adni-output.js';
import { adniCohortCounts, drawAdniPatients } from './adni-patients.js';
import { writeRavensImages } from './adni-ravens.js';

/** Options of {@link generateAdniRaw}. */
export interface AdniSynthOptions {
  outDir: string;
  seed?: number;
  /** 1.0 = 2,380 dataset patients (default 1). */
  scale?: number;
  /** Patients written only to records.jsonl (default 6). */
  recordPatients?: number;
  /** SNPs per fileset (default 300). */
  snps?: number;
  /** Image volume size (default 12×14×12). */
  imageDims?: [number, number, number];
  /**
   * Image input: `ravens` (default) NIfTI volumes with an atlas, `freesurfer` the UCSF FreeSurfer table, or
   * `both`. The raw records carry the FreeSurfer values when the table is written, else the voxels.
   */
  image?: 'ravens' | 'freesurfer' | 'both';
  /** Keep the raw record of every patient in memory (tests compare them with the dataset). */
  keepRecords?: boolean;
  /** Reports progress. */
  onStep?: (step: string) => void;
}

/** What was generated (counts only; no values). */
export interface AdniSynthSummary {
  outDir: string;
  patients: number;
  perModality: { I: number; G: number; C: number; B: number };
  full: number;
  excludedMissingDiagnosis: number;
  excludedChangingDiagnosis: number;
  labelOnly: number;
  unmappedRocheRows: number;
  recordPatients: number;
  /** The image input written. */
  image: 'ravens' | 'freesurfer' | 'both';
  /** FreeSurfer table rows of participants who are not in DXSUM (0 without the table). */
  unknownFreeSurferRows: number;
  files: string[];
  /** Raw records of every dataset patient (with `keepRecords`). */
  records?: Map<string, RawPatientRecord>;
  /** Diagnosis index of every generated dataset patient. */
  labels?: Map<string, number>;
}

/** Generates raw ADNI data into `outDir` (see the module comment). */
export async function generateAdniRaw(options: AdniSynthOptions): Promise<AdniSynthSummary> {
  const seed = options.seed ?? 0;
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new Error(`--scale must be > 0, got ${scale}`);
  const step = options.onStep ?? (() => undefined);
  const d = new Draw(seed * 7919 + 17);
  const counts = adniCohortCounts(scale, options.recordPatients ?? 6);
  const { nMissingDx, nChangingDx, nLabelOnly, nRecords } = counts;
  const usedRids = new Set<number>();
  const patients = drawAdniPatients(d, counts, usedRids);

  const image = options.image ?? 'ravens';
  if (!['ravens', 'freesurfer', 'both'].includes(image)) {
    throw new Error(`--image must be ravens, freesurfer or both, got ${JSON.stringify(image)}`);
  }
  const out = options.outDir;
  const subs = ['clinical', 'biospecimen', 'diagnosis', 'genomic', image === 'freesurfer' ? 'image' : 'image/scans'];
  for (const sub of subs) await mkdir(path.join(out, sub), { recursive: true });
  const o = new AdniRawOutput(out, options.keepRecords === true);
  const { files } = o;
  const recordOf = (p: (typeof patients)[number]): RawPatientRecord => o.recordOf(p);

  step('clinical tables');
  await writeClinicalTables(patients, d, o);
  step('biospecimen tables');
  const unmapped = await writeBiospecimenTables(patients, d, o, counts.f, usedRids);
  step('diagnosis table');
  await writeDiagnosisTable(patients, d, o);
  step('genomic filesets');
  await writeGenomicFilesets(patients, o, seed, options.snps ?? 300);
  if (image !== 'freesurfer') {
    step('image volumes');
    await writeRavensImages(patients, d, o, seed, options.imageDims ?? [12, 14, 12]);
  }
  let unknownFreeSurferRows = 0;
  if (image !== 'ravens') {
    step('FreeSurfer table');
    unknownFreeSurferRows = await writeFreeSurferTable(patients, o, seed, counts.f);
  }

  // ---- records.jsonl: patients outside the dataset ----
  const outside = patients
    .filter((p) => p.kind === 'record')
    .map((p) => {
      const r = recordOf(p);
      return JSON.stringify({ id: r.id, modalities: r.modalities });
    });
  await writeFileAtomic(path.join(out, 'records.jsonl'), `${outside.join('\n')}\n`);
  files.push('records.jsonl');

  const inData = patients.filter((p) => p.kind === 'dataset');
  const summary: AdniSynthSummary = {
    outDir: out,
    patients: inData.length,
    perModality: {
      I: inData.filter((p) => p.I).length,
      G: inData.filter((p) => p.G).length,
      C: inData.length,
      B: inData.filter((p) => p.B).length,
    },
    full: inData.filter((p) => p.I && p.G && p.B).length,
    excludedMissingDiagnosis: nMissingDx,
    excludedChangingDiagnosis: nChangingDx,
    labelOnly: nLabelOnly,
    unmappedRocheRows: unmapped,
    recordPatients: nRecords,
    image,
    unknownFreeSurferRows,
    files,
  };
  if (options.keepRecords) {
    summary.records = new Map(inData.map((p) => [p.ptid, recordOf(p)]));
    summary.labels = new Map(inData.map((p) => [p.ptid, p.y]));
  }
  return summary;
}
