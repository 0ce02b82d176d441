/**
 * `mimic` and `synth mimic`: thin wrappers over DATA-SOURCES' `buildMimicDataset` (src/mimic) and
 * `generateMimicRaw` (src/synth/mimic.ts).
 */
import type { DatasetManifest } from '../dataset/types.js';
import { buildMimicDataset } from '../mimic/build-mimic.js';
import { generateMimicRaw, type GenerateMimicResult } from '../synth/mimic.js';

/** Builds and writes the MIMIC-IV dataset; `log` receives progress lines (no patient values). */
export async function runMimicBuild(o: {
  rawDir: string;
  outDir: string;
  seed: number;
  log?: (line: string) => void;
}): Promise<DatasetManifest> {
  const result = await buildMimicDataset({ raw: o.rawDir, out: o.outDir, seed: o.seed, log: o.log });
  return result.manifest;
}

/** Writes synthetic raw MIMIC-IV data. */
export async function runMimicSynth(o: { outDir: string; seed: number; scale: number }): Promise<GenerateMimicResult> {
  return generateMimicRaw({ out: o.outDir, seed: o.seed, scale: o.scale });
}
