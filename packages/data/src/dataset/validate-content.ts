/** Consistency checks of a dataset's content, shared by `writeDataset` and `readDataset`. */
import { modalityTransformWidth } from '../transforms/modality-transform.js';
import { combinationKey, combinationOrder } from '@flexmoe/moe-core/spec';
import type { DatasetContent, ManifestCounts } from './types.js';

const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * What is wrong with a modality name, or undefined when it is fine. Any printable characters are allowed
 * (spaces, punctuation, non-ASCII): the modality file name is made safe separately (`modalityFileNames`).
 */
export function modalityNameProblem(name: string): string | undefined {
  if (name.trim() === '' || name.length > 100 || CONTROL_RE.test(name)) {
    return `modality name ${JSON.stringify(name)}: expected 1 to 100 printable characters, not only spaces`;
  }
  return undefined;
}

/**
 * Lists every inconsistency of a dataset content (an empty list when it is consistent): names and
 * letters, widths, duplicate or unknown ids, labels out of range, patients without a modality, splits
 * that are not a partition of the patients or (unless the splits were given by the user) hold
 * non-full patients in validation/test, transforms.
 */
export function validateContent(c: DatasetContent, options: { fullOnlyEvaluation?: boolean } = {}): string[] {
  const fullOnly = options.fullOnlyEvaluation ?? true;
  const problems: string[] = [];
  const M = c.modalities.length;
  if (M < 1 || M > 8) problems.push(`the dataset must have 1 to 8 modalities, found ${M}`);
  if (c.classes.length < 2) problems.push(`at least 2 classes are needed, found ${c.classes.length}`);
  if (new Set(c.classes).size !== c.classes.length) problems.push('class names are not distinct');
  const names = new Set<string>();
  const letters = new Set<string>();
  for (const m of c.modalities) {
    const nameProblem = modalityNameProblem(m.name);
    if (nameProblem) problems.push(nameProblem);
    if (names.has(m.name)) problems.push(`modality name ${m.name} appears twice`);
    names.add(m.name);
    if (!/^[A-Z]$/.test(m.letter))
      problems.push(`modality ${m.name}: letter ${JSON.stringify(m.letter)} is not one upper-case letter`);
    if (letters.has(m.letter)) problems.push(`modality ${m.name}: letter ${m.letter} is used twice`);
    letters.add(m.letter);
  }
  const labelIds = c.labels.ids;
  if (c.labels.label.length !== labelIds.length)
    problems.push(`labels: ${labelIds.length} ids but ${c.labels.label.length} labels`);
  const patient = new Map<string, number>();
  labelIds.forEach((id, i) => {
    if (patient.has(id)) problems.push(`labels: patient id ${JSON.stringify(id)} appears twice`);
    patient.set(id, i);
    const y = c.labels.label[i];
    if (!(Number.isInteger(y) && y >= 0 && y < c.classes.length)) {
      problems.push(`labels: row ${i + 1}: label ${y} is outside the ${c.classes.length} classes`);
    }
  });
  const has = c.modalities.map(() => new Uint8Array(labelIds.length));
  c.modalities.forEach((m, mi) => {
    const width = m.featureNames.length;
    if (m.features.length !== m.ids.length * width) {
      problems.push(
        `modality ${m.name}: ${m.features.length} feature values for ${m.ids.length} patients × ${width} features`,
      );
    }
    for (let k = 0; k < m.features.length; k++) {
      if (!Number.isFinite(m.features[k])) {
        problems.push(
          `modality ${m.name}: row ${Math.floor(k / Math.max(width, 1)) + 1}, feature ${m.featureNames[k % width]}: value is not finite`,
        );
        break;
      }
    }
    const seen = new Set<string>();
    m.ids.forEach((id, r) => {
      if (seen.has(id))
        problems.push(`modality ${m.name}: row ${r + 1}: patient id ${JSON.stringify(id)} appears twice`);
      seen.add(id);
      const i = patient.get(id);
      if (i === undefined)
        problems.push(`modality ${m.name}: row ${r + 1}: patient id ${JSON.stringify(id)} has no label`);
      else has[mi][i] = 1;
    });
    const t = c.transforms.modalities[m.name];
    if (!t) problems.push(`transforms: no transform for modality ${m.name}`);
    else {
      const w = modalityTransformWidth(t);
      if (w !== undefined && w !== width)
        problems.push(`transforms: modality ${m.name} produces ${w} features, the data has ${width}`);
    }
  });
  for (const name of Object.keys(c.transforms.modalities)) {
    if (!names.has(name)) problems.push(`transforms: modality ${name} is not in the dataset`);
  }
  if (c.transforms.formatVersion !== 1)
    problems.push(`transforms: formatVersion ${String(c.transforms.formatVersion)} is not 1`);
  labelIds.forEach((id, i) => {
    if (M > 0 && !has.some((h) => h[i] === 1))
      problems.push(`labels: patient ${JSON.stringify(id)} (row ${i + 1}) has no modality`);
  });
  const inSplit = new Map<string, string>();
  for (const split of ['training', 'validation', 'testing'] as const) {
    for (const id of c.splits[split]) {
      const i = patient.get(id);
      if (i === undefined) problems.push(`splits: ${split} names unknown patient id ${JSON.stringify(id)}`);
      if (inSplit.has(id))
        problems.push(`splits: patient id ${JSON.stringify(id)} is in ${inSplit.get(id)} and ${split}`);
      inSplit.set(id, split);
      if (fullOnly && i !== undefined && split !== 'training' && !has.every((h) => h[i] === 1)) {
        problems.push(`splits: ${split} patient ${JSON.stringify(id)} does not have every modality`);
      }
    }
  }
  const missing = labelIds.filter((id) => !inSplit.has(id));
  if (missing.length > 0)
    problems.push(`splits: ${missing.length} patient(s) are in no split, e.g. ${JSON.stringify(missing[0])}`);
  return problems.slice(0, 50);
}

/** Counts per modality, combination (letters in modality order), split and class. */
export function countContent(c: DatasetContent): ManifestCounts {
  const letters = c.modalities.map((m) => m.letter);
  const idSets = c.modalities.map((m) => new Set(m.ids));
  const perModality: Record<string, number> = {};
  c.modalities.forEach((m) => (perModality[m.letter] = m.ids.length));
  const perCombination: Record<string, number> = {};
  for (const key of combinationOrder(letters)) perCombination[key] = 0;
  for (const id of c.labels.ids) {
    const key = combinationKey(letters, (m) => idSets[m].has(id));
    if (key) perCombination[key] = (perCombination[key] ?? 0) + 1;
  }
  const perClass: Record<string, number> = {};
  c.classes.forEach((name) => (perClass[name] = 0));
  c.labels.label.forEach((y) => {
    const name = c.classes[y];
    if (name !== undefined) perClass[name]++;
  });
  return {
    patients: c.labels.ids.length,
    perModality,
    perCombination,
    perSplit: {
      training: c.splits.training.length,
      validation: c.splits.validation.length,
      testing: c.splits.testing.length,
    },
    perClass,
  };
}
