/** The `inspect` summary: counts per combination (like the paper's Figure 2), features, label balance. */
import { combinationOrder } from '@flexmoe/moe-core/spec';
import type { DatasetManifest } from '../dataset/types.js';

/** Machine-readable inspect summary. */
export interface InspectSummary {
  source: string;
  patients: number;
  modalities: { name: string; letter: string; features: number; patients: number }[];
  /** In docs/algorithm.md §1 combination order (full set first). */
  combinations: { letters: string; index: number; patients: number }[];
  classes: { name: string; patients: number }[];
  splits: { training: number; validation: number; testing: number };
  sources: number;
}

/** Builds the summary from a manifest (already validated by readDataset or just written). */
export function inspectSummary(m: DatasetManifest): InspectSummary {
  const letters = m.modalities.map((x) => x.letter);
  return {
    source: m.source,
    patients: m.counts.patients,
    modalities: m.modalities.map((x) => ({
      name: x.name,
      letter: x.letter,
      features: x.width,
      patients: m.counts.perModality[x.letter] ?? 0,
    })),
    combinations: combinationOrder(letters).map((l, index) => ({
      letters: l,
      index,
      patients: m.counts.perCombination[l] ?? 0,
    })),
    classes: m.classes.map((name) => ({ name, patients: m.counts.perClass[name] ?? 0 })),
    splits: m.counts.perSplit,
    sources: m.sources.length,
  };
}

/** Human-readable table of the summary. */
export function formatInspect(s: InspectSummary): string {
  const lines: string[] = [];
  lines.push(`source ${s.source}, ${s.patients} patients, ${s.sources} source file(s)`);
  lines.push('modalities:');
  for (const m of s.modalities)
    lines.push(
      `  ${m.letter} ${m.name.padEnd(14)} ${String(m.patients).padStart(7)} patients ${String(m.features).padStart(8)} features`,
    );
  lines.push('patients per combination:');
  for (const c of s.combinations)
    if (c.patients > 0 || c.index === 0)
      lines.push(`  ${String(c.index).padStart(3)} ${c.letters.padEnd(8)} ${String(c.patients).padStart(7)}`);
  lines.push('labels:');
  for (const c of s.classes)
    lines.push(
      `  ${c.name.padEnd(14)} ${String(c.patients).padStart(7)} (${s.patients ? ((100 * c.patients) / s.patients).toFixed(1) : '0.0'} %)`,
    );
  lines.push(`splits: training ${s.splits.training}, validation ${s.splits.validation}, testing ${s.splits.testing}`);
  return lines.join('\n');
}
