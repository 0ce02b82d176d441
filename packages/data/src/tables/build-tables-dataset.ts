/**
 * Users' own data: one table per modality (first column = patient id), a labels table (id, label) and
 * optionally a splits.json used as is → a dataset content (docs/data.md "tables").
 */
import { readFile } from 'node:fs/promises';
import { describeSourceFile } from '../dataset/source-file.js';
import { modalityNameProblem } from '../dataset/validate-content.js';
import type { DatasetContent, DatasetSplits, ModalityTable, SourceFile } from '../dataset/types.js';
import { makeSplits } from '../splits/make-splits.js';
import {
  applyColumnTransforms,
  fitColumnTransforms,
  normalizeCell,
  parseNumeric,
  toRawColumns,
} from '../transforms/column-transform.js';
import type { DatasetTransforms } from '../transforms/modality-transform.js';
import { droppedColumnWarning } from '../transforms/free-text-columns.js';
import { checkMostlyNumericColumns, readIds, readTable, requireColumn } from './read-table.js';

/** Options of {@link buildTablesDataset}. */
export interface TablesDatasetOptions {
  /** Modalities in the order given: name and table file. */
  modalities: { name: string; file: string }[];
  /** One letter per modality (default: upper-cased first letters, which must then be distinct). */
  letters?: string;
  labelsFile: string;
  /** A splits.json used as is (must name every patient exactly once). */
  splitsFile?: string;
  /** Known class names; a label outside them is an error (default: the distinct labels). */
  classes?: string[];
  /** Seed of the generated splits (default 0). */
  seed?: number;
  /** Reports progress of long steps. */
  onStep?: (step: string) => void;
  /** Text columns kept as categorical even when they look like free text (`--categorical`). */
  categoricalColumns?: string[];
  /** Text categories held by fewer training patients become "other" (`--min-category-count`, default 5). */
  minCategoryCount?: number;
  /** Receives a warning per dropped column (names the column and why; never a value). */
  onWarning?: (message: string) => void;
}

/** Letters of the modalities: given, or upper-cased first letters; one per modality, distinct. */
export function resolveLetters(names: string[], letters?: string): string[] {
  if (names.length < 1 || names.length > 8)
    throw new Error(`between 1 and 8 modalities are supported, got ${names.length}`);
  const out = letters !== undefined ? [...letters] : names.map((n) => n.charAt(0).toUpperCase());
  if (out.length !== names.length)
    throw new Error(`--letters has ${out.length} letter(s) for ${names.length} modalities`);
  out.forEach((l, i) => {
    if (!/^[A-Z]$/.test(l))
      throw new Error(`letter ${JSON.stringify(l)} of modality ${names[i]} must be one upper-case letter A-Z`);
  });
  const seen = new Map<string, string>();
  out.forEach((l, i) => {
    const other = seen.get(l);
    if (other !== undefined) {
      throw new Error(
        `modalities ${other} and ${names[i]} both get letter ${l}; give distinct letters with --letters ` +
          `(e.g. --letters ${names.map((_, k) => String.fromCharCode(65 + k)).join('')})`,
      );
    }
    seen.set(l, names[i]);
  });
  return out;
}

/** True when every label is a plain number (`1`, `-2`, `0.5`, `1e3`; not censored text like `<8`). */
function allNumeric(labels: readonly string[]): boolean {
  return labels.every((l) => !Number.isNaN(parseNumeric(l)) && !/^[<>]/.test(l));
}

/**
 * Label texts as class names: when every label is a number, each becomes its canonical number text
 * (`1.0` and `1` are one class `1`, as in Arrow tables where labels are numbers); text labels stay as they are.
 */
export function canonicalLabels(labels: readonly string[]): string[] {
  return allNumeric(labels) ? labels.map((l) => String(Number(l))) : [...labels];
}

/** Class names from label texts: numeric order when every label is a number, else sorted text. */
export function classNamesOf(labels: string[]): string[] {
  const distinct = [...new Set(canonicalLabels(labels))];
  if (allNumeric(distinct)) return distinct.sort((a, b) => Number(a) - Number(b));
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The class index of a label text: an exact match, else (both numbers) a numerically equal class; -1 if none. */
function classIndexOf(classes: readonly string[], label: string): number {
  const exact = classes.indexOf(label);
  if (exact >= 0 || !allNumeric([label])) return exact;
  return classes.findIndex((c) => allNumeric([c]) && Number(c) === Number(label));
}

/**
 * Reads and checks a splits.json against the dataset's patients.
 * @throws naming the file and the offending id or field
 */
export async function readSplitsFile(file: string, patients: Set<string>): Promise<DatasetSplits> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot be read as JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${file}: expected { "training": [...], "validation": [...], "testing": [...] }`);
  const splits = value as Record<string, unknown>;
  const unknownKey = Object.keys(splits).find((k) => !['training', 'validation', 'testing'].includes(k));
  if (unknownKey !== undefined)
    throw new Error(`${file}: unknown field ${JSON.stringify(unknownKey)} (expected training, validation and testing)`);
  const seen = new Map<string, string>();
  const out: Record<string, string[]> = {};
  for (const key of ['training', 'validation', 'testing']) {
    const list = splits[key];
    if (!Array.isArray(list)) throw new Error(`${file}: field '${key}' must be an array of patient ids`);
    out[key] = list.map((value: unknown, i) => {
      // Ids are compared as text, trimmed, like the table ids; numbers are accepted for numeric ids (`[101, 102]`).
      const id =
        typeof value === 'string'
          ? value.trim()
          : typeof value === 'number' && Number.isFinite(value)
            ? String(value)
            : null;
      if (id === null || id === '')
        throw new Error(
          `${file}: ${key}[${i}]: expected a patient id (text or number), found ${JSON.stringify(value)}`,
        );
      if (!patients.has(id))
        throw new Error(
          `${file}: ${key}[${i}]: unknown patient id ${JSON.stringify(id)} (not in the labels with a modality)`,
        );
      const before = seen.get(id);
      if (before !== undefined)
        throw new Error(`${file}: ${key}[${i}]: patient id ${JSON.stringify(id)} is already in ${before}`);
      seen.set(id, key);
      return id;
    });
  }
  const missing = [...patients].filter((id) => !seen.has(id));
  if (missing.length > 0)
    throw new Error(`${file}: ${missing.length} patient(s) are in no split, e.g. ${JSON.stringify(missing[0])}`);
  for (const key of ['training', 'validation', 'testing']) {
    if (out[key].length === 0)
      throw new Error(`${file}: field '${key}' is empty; training needs patients in training, validation and testing`);
  }
  return { training: out.training, validation: out.validation, testing: out.testing };
}

/**
 * Builds a dataset content from user tables. Numeric and categorical columns are typed as in docs/algorithm.md §8,
 * fitted on the training split only.
 * @throws on bad input, naming file, row, column and what was expected
 */
export async function buildTablesDataset(
  options: TablesDatasetOptions,
): Promise<DatasetContent & { splitsGiven: boolean }> {
  const names = options.modalities.map((m) => m.name);
  if (new Set(names).size !== names.length)
    throw new Error(`--modality: modality names must be distinct, got ${names.join(', ')}`);
  const letters = resolveLetters(names, options.letters);
  for (const name of names) {
    const problem = modalityNameProblem(name);
    if (problem) throw new Error(`--modality: ${problem}`);
  }
  const step = options.onStep ?? (() => undefined);

  step('reading labels');
  const labelsTable = await readTable(options.labelsFile);
  if (labelsTable.columns.length < 2)
    throw new Error(`${options.labelsFile}: expected 2 columns (id, label), found ${labelsTable.columns.length}`);
  if (labelsTable.columns.length > 2) {
    throw new Error(
      `${options.labelsFile}: unexpected column '${labelsTable.columns[2]}' (expected exactly 2 columns: id, label)`,
    );
  }
  const labelIds = readIds(labelsTable, labelsTable.columns[0], true);
  const labelColumn = labelsTable.columns[1];
  const labelTexts = canonicalLabels(
    requireColumn(labelsTable, labelColumn).map((cell, r) => {
      const v = normalizeCell(cell, []);
      if (v !== null) return v;
      const text = cell === null || cell === undefined ? '' : String(cell).trim();
      // `NA`, `None`, … mean a missing label, unless --classes names them as a class.
      if (text !== '' && options.classes?.includes(text)) return text;
      throw new Error(
        `${options.labelsFile}: row ${r + 1}, column ${labelColumn}: the label is ` +
          `${text === '' ? 'empty' : `missing (${JSON.stringify(text)}; if it is a class, list it with --classes)`}; ` +
          'every patient of the labels file needs a label',
      );
    }),
  );
  const classes = options.classes ?? classNamesOf(labelTexts);
  const labelIndex = labelTexts.map((l, r) => {
    const c = classIndexOf(classes, l);
    if (c < 0)
      throw new Error(
        `${options.labelsFile}: row ${r + 1}, column ${labelColumn}: ` +
          `label ${JSON.stringify(l)} is not one of the classes ${classes.join(', ')}`,
      );
    return c;
  });
  if (classes.length < 2)
    throw new Error(
      `${options.labelsFile}: column ${labelColumn}: at least 2 distinct labels are needed, found ${classes.length}`,
    );
  const labelOf = new Map<string, number>();
  labelIds.forEach((id, i) => labelOf.set(id, labelIndex[i]));

  const tables = [];
  for (const m of options.modalities) {
    step(`reading ${m.name}`);
    const t = await readTable(m.file);
    if (t.columns.length < 2) {
      throw new Error(
        `${m.file}: expected an id column and at least one feature column, ` +
          `found ${t.columns.length} column (${t.columns[0]}); tables are comma-separated`,
      );
    }
    const idColumn = t.columns[0];
    const ids = readIds(t, idColumn, true);
    ids.forEach((id, r) => {
      if (!labelOf.has(id))
        throw new Error(
          `${m.file}: row ${r + 1}, column ${idColumn}: patient id ${JSON.stringify(id)} is not in the labels file ${options.labelsFile}`,
        );
    });
    checkMostlyNumericColumns(t, [idColumn]);
    const columns = new Map(t.data);
    columns.delete(idColumn);
    tables.push({ ...m, ids, raw: toRawColumns({ ids, columns }) });
  }
  const observed = new Map<string, number>();
  tables.forEach((t) => t.ids.forEach((id) => observed.set(id, (observed.get(id) ?? 0) + 1)));
  labelIds.forEach((id, r) => {
    if (!observed.has(id)) {
      throw new Error(
        `${options.labelsFile}: row ${r + 1}, column ${labelsTable.columns[0]}: patient ${JSON.stringify(id)} has no modality ` +
          '(it is in none of the modality tables; every labelled patient needs at least one)',
      );
    }
  });
  const label = Int32Array.from(labelIds.map((id) => labelOf.get(id) as number));

  let splits: DatasetSplits;
  if (options.splitsFile) {
    splits = await readSplitsFile(options.splitsFile, new Set(labelIds));
  } else {
    const full = Uint8Array.from(labelIds.map((id) => (observed.get(id) === tables.length ? 1 : 0)));
    splits = makeSplits({ ids: labelIds, labels: label, full, seed: options.seed ?? 0 });
    if (splits.validation.length === 0 || splits.testing.length === 0) {
      const nFull = full.reduce((a, b) => a + b, 0);
      throw new Error(
        `cannot generate splits: validation and test are drawn only from patients with every modality (${letters.join('')}), ` +
          `15 % of all patients each; ${nFull} of ${labelIds.length} patients have every modality, which leaves ` +
          `${splits.validation.length} for validation and ${splits.testing.length} for test. Give a splits file with --splits`,
      );
    }
  }

  const transforms: DatasetTransforms = { formatVersion: 1, modalities: {} };
  const modalities: ModalityTable[] = [];
  tables.forEach((t, i) => {
    step(`transforming ${t.name}`);
    const fitted = fitColumnTransforms(t.raw, splits.training, {
      categoricalColumns: options.categoricalColumns,
      minCategoryCount: options.minCategoryCount,
      file: t.file,
    });
    for (const d of fitted.dropped) options.onWarning?.(droppedColumnWarning(t.file, d));
    if (fitted.columns.length === 0) {
      throw new Error(
        `${t.file}: no usable feature column (${fitted.dropped.map((d) => `${d.column}: ${d.reason}`).join('; ')})`,
      );
    }
    transforms.modalities[t.name] = { kind: 'columns', columns: fitted.columns };
    const applied = applyColumnTransforms(fitted.columns, t.raw, t.file);
    modalities.push({
      name: t.name,
      letter: letters[i],
      featureNames: applied.featureNames,
      ids: t.ids,
      features: applied.features,
    });
  });

  const sources: SourceFile[] = [];
  for (const f of [
    ...options.modalities.map((m) => m.file),
    options.labelsFile,
    ...(options.splitsFile ? [options.splitsFile] : []),
  ]) {
    sources.push(await describeSourceFile(f));
  }
  return {
    source: 'tables',
    modalities,
    classes,
    labels: { ids: labelIds, label },
    splits,
    transforms,
    sources,
    splitsGiven: options.splitsFile !== undefined,
  };
}
