/**
 * Artifact audit (docs/privacy.md): scans a model file, run directory, report or any file tree for every
 * training patient id and every raw text value of the dataset that fewer than k training patients hold (the
 * values that could point at one patient), and lists each hit by artifact file and source (never the value).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  DEFAULT_MIN_CATEGORY_COUNT,
  normalizeCell,
  parseNumeric,
  readDataset,
  readTable,
  type LoadedDataset,
} from '@flexmoe/data';
import { parseOnnx } from '../metadata.js';

/** A string the artifacts must not contain. */
export interface AuditNeedle {
  kind: 'id' | 'value';
  text: string;
  /** Where it comes from, without the value: `training patient 12` or `clinical.csv column NOTES row 3`. */
  source: string;
}

/** One needle found in one artifact file. */
export interface AuditHit {
  file: string;
  kind: AuditNeedle['kind'];
  source: string;
}

/** Options of {@link auditArtifact}. */
export interface AuditOptions {
  /** Raw tables (or directories of them) whose text values are needles (default: the dataset's sources). */
  rawFiles?: string[];
  /** Text values held by at least this many training patients are allowed (categories; default 5). */
  minCount?: number;
}

/** What {@link auditArtifact} found. */
export interface AuditResult {
  scannedFiles: string[];
  rawFilesRead: string[];
  /** Raw source files named by the manifest that were not found (their values were not checked). */
  rawFilesMissing: string[];
  ids: number;
  values: number;
  hits: AuditHit[];
}

/** Needles shorter than this are looked for in text files only (random bytes would match them). */
const MIN_BINARY_NEEDLE = 6;
/** Shorter text values (`M`, `no`) are too common to mean a patient. */
const MIN_VALUE_LENGTH = 3;
const RAW_TABLE = /\.(csv|csv\.gz|arrow|feather|ipc)$/i;
const TEXT_EXTENSIONS = /\.(json|jsonl|html?|csv|tsv|txt|md|log|svg|xml|js|mjs|ya?ml)$/i;

/** Training ids of the dataset as needles. */
export function idNeedles(dataset: LoadedDataset): AuditNeedle[] {
  return Array.from(dataset.splitIndices.training, (i, n) => ({
    kind: 'id' as const,
    text: dataset.ids[i],
    source: `training patient ${n + 1}`,
  }));
}

/**
 * Text cells of a raw table held by fewer than `minCount` training patients. The patient id column is the
 * one whose values are most often dataset ids; a table without one counts rows instead of patients.
 * Numbers and short strings are not needles.
 */
export async function rawValueNeedles(
  file: string,
  datasetIds: ReadonlySet<string>,
  trainingIds: ReadonlySet<string>,
  classes: readonly string[],
  minCount: number,
): Promise<AuditNeedle[]> {
  const table = await readTable(file, { allowEmpty: true });
  const text = (v: unknown): string => String(v ?? '').trim();
  let idColumn: string | undefined;
  let best = 0;
  for (const column of table.columns) {
    const hits = (table.data.get(column) ?? []).filter((v) => datasetIds.has(text(v))).length;
    if (hits > best) [idColumn, best] = [column, hits];
  }
  const ids = idColumn ? (table.data.get(idColumn) ?? []).map(text) : [];
  // Without an id column every row counts as its own holder (training or not is unknown).
  const holderOf = (row: number): string | undefined =>
    idColumn ? (trainingIds.has(ids[row]) ? ids[row] : undefined) : `row ${row}`;
  const holders = new Map<string, { patients: Set<string>; source: string }>();
  for (const column of table.columns.filter((c) => c !== idColumn)) {
    (table.data.get(column) ?? []).forEach((cell, row) => {
      const v = normalizeCell(cell, []);
      if (v === null || v.length < MIN_VALUE_LENGTH || !Number.isNaN(parseNumeric(v)) || classes.includes(v)) return;
      let h = holders.get(v);
      if (!h)
        holders.set(v, (h = { patients: new Set(), source: `${path.basename(file)} column ${column} row ${row + 1}` }));
      const holder = holderOf(row);
      if (holder !== undefined) h.patients.add(holder);
    });
  }
  return [...holders]
    .filter(([, h]) => h.patients.size < minCount)
    .map(([text, h]) => ({ kind: 'value' as const, text, source: h.source }));
}

async function listFiles(target: string): Promise<string[]> {
  const s = await stat(target).catch(() => {
    throw new Error(`${target}: no such file or directory`);
  });
  if (!s.isDirectory()) return [target];
  const out: string[] = [];
  for (const e of await readdir(target, { withFileTypes: true })) {
    const p = path.join(target, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** The searchable text of one artifact file: ONNX strings (not tensor bytes), text as UTF-8, else latin1. */
async function artifactText(file: string): Promise<{ text: string; binary: boolean }> {
  const bytes = await readFile(file);
  if (/\.onnx$/i.test(file)) {
    const model = parseOnnx(bytes, file);
    const strings: string[] = [model.producerName, model.docString];
    for (const p of model.metadataProps) strings.push(p.key, p.value);
    const g = model.graph;
    if (g) {
      strings.push(g.name, g.docString);
      for (const n of g.node) strings.push(n.name, n.docString, ...n.input, ...n.output);
      for (const v of [...g.input, ...g.output, ...g.valueInfo]) strings.push(v.name, v.docString);
      for (const t of g.initializer)
        strings.push(t.name, t.docString, ...t.stringData.map((b) => Buffer.from(b).toString('utf8')));
    }
    return { text: strings.join('\n'), binary: false };
  }
  if (TEXT_EXTENSIONS.test(file)) return { text: bytes.toString('utf8'), binary: false };
  return { text: bytes.toString('latin1'), binary: true };
}

const WORD = /[\p{L}\p{N}_]/u;

/** True when `needle` occurs in `text` not glued to letters or digits (`p1` does not match `p10`). */
export function containsToken(text: string, needle: string): boolean {
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = at > 0 ? text[at - 1] : '';
    const after = text[at + needle.length] ?? '';
    const glued =
      (WORD.test(needle[0]) && before !== '' && WORD.test(before)) ||
      (WORD.test(needle[needle.length - 1]) && after !== '' && WORD.test(after));
    if (!glued) return true;
  }
  return false;
}

const LEADING_WORD = /^[\p{L}\p{N}_]+/u;
const WORD_RUN = /[\p{L}\p{N}_]+/gu;

/**
 * Scans artifact text for needles (plain and JSON-escaped forms), with the matching rule of {@link containsToken}.
 * A needle that starts with a letter or digit can only match where a word of the text starts, and that word must
 * equal the needle's own first word; so the text is walked word by word once and only those candidates are
 * compared (tens of thousands of needles over a 20 MB checkpoint in seconds, not minutes).
 */
export function findNeedles(file: string, text: string, binary: boolean, needles: readonly AuditNeedle[]): AuditHit[] {
  const found = new Set<number>();
  const byFirstWord = new Map<string, { form: string; needle: number }[]>();
  needles.forEach((n, needle) => {
    if (binary && n.text.length < MIN_BINARY_NEEDLE) return;
    const escaped = JSON.stringify(n.text).slice(1, -1);
    for (const form of escaped !== n.text ? [n.text, escaped] : [n.text]) {
      const first = LEADING_WORD.exec(form)?.[0];
      if (first === undefined) {
        if (containsToken(text, form)) found.add(needle);
        continue;
      }
      const list = byFirstWord.get(first);
      if (list) list.push({ form, needle });
      else byFirstWord.set(first, [{ form, needle }]);
    }
  });
  if (byFirstWord.size > 0) {
    for (const word of text.matchAll(WORD_RUN)) {
      const candidates = byFirstWord.get(word[0]);
      if (candidates === undefined) continue;
      const at = word.index;
      for (const { form, needle } of candidates) {
        if (found.has(needle) || !text.startsWith(form, at)) continue;
        const after = text[at + form.length] ?? '';
        if (WORD.test(form[form.length - 1]) && after !== '' && WORD.test(after)) continue;
        found.add(needle);
      }
    }
  }
  const hits: AuditHit[] = [];
  needles.forEach((n, i) => {
    if (found.has(i)) hits.push({ file, kind: n.kind, source: n.source });
  });
  return hits;
}

/**
 * Audits `artifact` (a file or a directory, scanned recursively) against dataset `datasetDir`.
 * @returns every hit; an empty `hits` means no training id and no rare raw value was found
 */
export async function auditArtifact(
  artifact: string,
  datasetDir: string,
  options: AuditOptions = {},
): Promise<AuditResult> {
  const dataset = await readDataset(datasetDir);
  const minCount = options.minCount ?? DEFAULT_MIN_CATEGORY_COUNT;
  const trainingIds = new Set(Array.from(dataset.splitIndices.training, (i) => dataset.ids[i]));
  const datasetIds = new Set(dataset.ids);
  const needles = idNeedles(dataset);
  const rawFilesRead: string[] = [];
  const rawFilesMissing: string[] = [];
  const candidates: string[] = [];
  for (const f of options.rawFiles ?? dataset.manifest.sources.map((s) => s.file)) {
    const isDir = await stat(f).then(
      (s) => s.isDirectory(),
      () => false,
    );
    candidates.push(...(isDir ? (await listFiles(f)).filter((p) => RAW_TABLE.test(p)) : [f]));
  }
  for (const file of candidates) {
    const exists = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) {
      if (options.rawFiles) throw new Error(`${file}: raw file not found`);
      rawFilesMissing.push(file);
      continue;
    }
    if (!RAW_TABLE.test(file)) continue; // PLINK, NIfTI: no text values
    needles.push(...(await rawValueNeedles(file, datasetIds, trainingIds, dataset.classes, minCount)));
    rawFilesRead.push(file);
  }
  const files = await listFiles(artifact);
  const hits: AuditHit[] = [];
  for (const file of files) {
    const { text, binary } = await artifactText(file);
    hits.push(...findNeedles(file, text, binary, needles));
  }
  return {
    scannedFiles: files,
    rawFilesRead,
    rawFilesMissing,
    ids: needles.filter((n) => n.kind === 'id').length,
    values: needles.filter((n) => n.kind === 'value').length,
    hits,
  };
}
