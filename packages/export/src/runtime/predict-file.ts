import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTransforms, writeFileAtomic } from '@flexmoe/data';
import type { ModalityMetadata } from '../metadata.js';
import { parseCsv } from './csv.js';
import { checkDatasetMatchesModel } from './dataset-match.js';
import type { PredictionOutcome } from './prediction-types.js';
import { Predictor } from './predictor.js';
import type { Device } from './session.js';

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  /** Exported model (.onnx). */
  model: string;
  /** `records.jsonl` (features or raw records, one JSON object a line) or `.csv` (features, see docs/serving.md). */
  input: string;
  /** Output `predictions.jsonl` (written atomically). */
  out: string;
  device?: Device;
  intraOpThreads?: number;
  /** Dataset directory whose transforms turn raw records into features (default: transforms embedded in the model). */
  datasetDir?: string;
  /** Report expected effects of acquiring each missing modality. */
  counterfactuals?: boolean;
  /** Records per onnxruntime call (default 256). */
  batchSize?: number;
  /** Use `datasetDir`'s transforms even when the dataset is not the model's (`--force-data`). */
  forceData?: boolean;
  warn?: (message: string) => void;
}

/** Counts of {@link predictFile}. */
export interface PredictFileResult {
  records: number;
  predicted: number;
  failed: number;
  device: Device;
}

/** One input record with the line it came from. */
export interface LocatedRecord {
  line: number;
  record: unknown;
}

/** Parses records.jsonl; a line that is not JSON becomes a record-level error, not a file error. */
export function parseJsonlRecords(text: string): (LocatedRecord | { line: number; error: string })[] {
  const out: (LocatedRecord | { line: number; error: string })[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    try {
      out.push({ line: i + 1, record: JSON.parse(lineText) });
    } catch (e) {
      out.push({ line: i + 1, error: `line ${i + 1}: not valid JSON (${(e as Error).message})` });
    }
  });
  return out;
}

/**
 * Parses a features CSV: optional `id` column; every other header is `<modality>:<feature name>` (or a
 * feature name that is unique across modalities). A modality whose cells are all empty is absent.
 */
export function parseCsvRecords(text: string, file: string, modalities: readonly ModalityMetadata[]): (LocatedRecord | { line: number; error: string })[] {
  const rows = parseCsv(text, file);
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim());
  const byName = new Map<string, [number, number]>();
  const plainCount = new Map<string, number>();
  modalities.forEach((m) => m.featureNames.forEach((f) => plainCount.set(f, (plainCount.get(f) ?? 0) + 1)));
  modalities.forEach((m, mi) =>
    m.featureNames.forEach((f, fi) => {
      byName.set(`${m.name}:${f}`, [mi, fi]);
      if (plainCount.get(f) === 1) byName.set(f, [mi, fi]);
    }),
  );
  const idColumn = header.indexOf('id');
  const columns = header.map((h, c) => {
    if (c === idColumn) return null;
    const target = byName.get(h);
    if (!target) throw new Error(`${file}: column ${c + 1} ${JSON.stringify(h)} is not a feature of the model (use "<modality>:<feature>")`);
    return target;
  });
  return rows.slice(1).map((cells, r) => {
    const line = r + 2;
    if (cells.length !== header.length) return { line, error: `${file}: line ${line}: ${cells.length} cells, the header has ${header.length}` };
    const values = modalities.map((m) => new Array<number | null>(m.width).fill(null));
    const filled = modalities.map(() => 0);
    for (let c = 0; c < cells.length; c++) {
      const target = columns[c];
      if (!target || cells[c].trim() === '') continue;
      const v = Number(cells[c]);
      if (!Number.isFinite(v)) return { line, error: `${file}: line ${line}, column ${header[c]}: ${JSON.stringify(cells[c])} is not a finite number` };
      values[target[0]][target[1]] = v;
      filled[target[0]]++;
    }
    const features: Record<string, number[]> = {};
    for (let m = 0; m < modalities.length; m++) {
      if (filled[m] === 0) continue;
      if (filled[m] !== modalities[m].width) {
        const missing = modalities[m].featureNames.filter((_, f) => values[m][f] === null).slice(0, 3);
        return { line, error: `${file}: line ${line}: modality ${modalities[m].name} is partly empty (e.g. ${missing.join(', ')}); give all ${modalities[m].width} features or none` };
      }
      features[modalities[m].name] = values[m] as number[];
    }
    const record: Record<string, unknown> = { features };
    if (idColumn >= 0 && cells[idColumn] !== '') record.id = cells[idColumn];
    return { line, record };
  });
}

/** Predicts every record of a file and writes predictions.jsonl (one line per input record, in order). */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  if (path.resolve(options.out) === path.resolve(options.input)) {
    throw new Error(`--out ${options.out} is the --input file; predictions would overwrite the records (choose another --out)`);
  }
  if (options.datasetDir) await checkDatasetMatchesModel(options.datasetDir, options.model, options.forceData);
  const transformer = options.datasetDir ? await loadTransforms(options.datasetDir) : undefined;
  const predictor = await Predictor.load(options.model, {
    device: options.device,
    intraOpThreads: options.intraOpThreads,
    transformer,
    warn: options.warn,
  });
  try {
    let text: string;
    try {
      text = await readFile(options.input, 'utf8');
    } catch (e) {
      throw new Error(`${options.input}: cannot be read (${(e as Error).message})`);
    }
    const parsed = options.input.toLowerCase().endsWith('.csv')
      ? parseCsvRecords(text, options.input, predictor.metadata.modalities)
      : parseJsonlRecords(text);
    const batchSize = options.batchSize ?? 256;
    const lines: string[] = [];
    let predicted = 0;
    for (let start = 0; start < parsed.length; start += batchSize) {
      const chunk = parsed.slice(start, start + batchSize);
      const records = chunk.filter((r): r is LocatedRecord => 'record' in r);
      const outcomes = await predictor.predictRecords(records.map((r) => r.record), { counterfactuals: options.counterfactuals }, 'record');
      const byLine = new Map<number, PredictionOutcome>(records.map((r, i) => [r.line, outcomes[i]]));
      for (const item of chunk) {
        const outcome = byLine.get(item.line);
        if (!outcome) {
          lines.push(JSON.stringify({ line: item.line, error: (item as { error: string }).error }));
        } else if (outcome.ok) {
          predicted++;
          lines.push(JSON.stringify({ line: item.line, ...outcome.prediction }));
        } else {
          const error = outcome.error.replace(/^record\[\d+\]/, `line ${item.line}`);
          lines.push(JSON.stringify({ line: item.line, ...(outcome.id !== undefined ? { id: outcome.id } : {}), error }));
        }
      }
    }
    await writeFileAtomic(options.out, lines.length ? `${lines.join('\n')}\n` : '');
    return { records: parsed.length, predicted, failed: parsed.length - predicted, device: predictor.device };
  } finally {
    await predictor.close();
  }
}
