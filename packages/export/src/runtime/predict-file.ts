import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTransforms, writeFileAtomic } from '@flexmoe/data';
import { parseCsvRecords, parseJsonlRecords, type LocatedRecord } from './parse-records.js';
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

export { parseCsvRecords, parseJsonlRecords, type LocatedRecord } from './parse-records.js';

/** Predicts every record of a file and writes predictions.jsonl (one line per input record, in order). */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  if (path.resolve(options.out) === path.resolve(options.input)) {
    throw new Error(
      `--out ${options.out} is the --input file; predictions would overwrite the records (choose another --out)`,
    );
  }
  if (options.datasetDir) await checkDatasetMatchesModel(options.datasetDir, options.model, options.forceData);
  // The command line may name NIfTI files on this machine; the service never reads files.
  const transformer = options.datasetDir
    ? await loadTransforms(options.datasetDir, { readImageFiles: true })
    : undefined;
  const predictor = await Predictor.load(options.model, {
    device: options.device,
    intraOpThreads: options.intraOpThreads,
    transformer,
    readImageFiles: true,
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
      const outcomes = await predictor.predictRecords(
        records.map((r) => r.record),
        { counterfactuals: options.counterfactuals },
        'record',
      );
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
          lines.push(
            JSON.stringify({ line: item.line, ...(outcome.id !== undefined ? { id: outcome.id } : {}), error }),
          );
        }
      }
    }
    await writeFileAtomic(options.out, lines.length ? `${lines.join('\n')}\n` : '');
    return { records: parsed.length, predicted, failed: parsed.length - predicted, device: predictor.device };
  } finally {
    await predictor.close();
  }
}
