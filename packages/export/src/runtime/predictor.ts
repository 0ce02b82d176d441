import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRecordTransformer } from '@flexmoe/data';
import { combinationKey, combinationMasks } from '@flexmoe/moe-core/spec';
import { readModelMetadata, type FlexMoEModelMetadata } from '../metadata.js';
import { GRAPH_NAMES } from '../onnx/flexmoe-graph.js';
import type { MissingModalityEffect, Prediction, PredictionOutcome, RoutedBlock, SampleInputs } from './prediction-types.js';
import { adaptTransformer, InputError, recordToInputs, type RecordTransformerLike } from './record-inputs.js';
import { createSession, type Device, type SessionOptions } from './session.js';

/** Options of {@link Predictor.load}. */
export interface PredictorOptions extends SessionOptions {
  /**
   * Transforms for raw records (e.g. `loadTransforms(datasetDir)` of @flexmoe/data; outputs are matched to the
   * model's modalities by name); default: the transforms embedded in the model (if any).
   */
  transformer?: RecordTransformerLike & { modalities?: readonly { name: string }[] };
  /** Largest batch handed to onnxruntime in one run (default 256). */
  maxBatch?: number;
}

/** Outputs of one batch, flat row-major. */
export interface BatchOutputs {
  batch: number;
  probabilities: Float32Array;
  logits: Float32Array;
  combination: number[];
  /** `[batch, layers, M, P, k]` */
  topkExperts: number[];
  topkGates: Float32Array;
}

/** Per-call options of predictions. */
export interface PredictOptions {
  /** Also report, per missing modality, the expected effect of acquiring it (default false). */
  counterfactuals?: boolean;
}

/** A typed predictor over an exported Flex-MoE ONNX model (onnxruntime-node, CPU or CUDA). */
export class Predictor {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The model's metadata (modalities, classes, config, calibration, …). */
    readonly metadata: FlexMoEModelMetadata,
    /** Device the session actually runs on (`cpu` after a CUDA fallback). */
    readonly device: Device,
    private readonly transformer: RecordTransformerLike | undefined,
    private readonly maxBatch: number,
  ) {}

  /** Loads a model from a path or bytes. */
  static async load(model: string | Uint8Array, options: PredictorOptions = {}): Promise<Predictor> {
    const source = typeof model === 'string' ? model : 'model';
    let bytes: Uint8Array;
    try {
      bytes = typeof model === 'string' ? new Uint8Array(await readFile(model)) : model;
    } catch (e) {
      throw new Error(`${source}: cannot read the model (${(e as Error).message})`);
    }
    const metadata = readModelMetadata(bytes, source);
    const { session, device } = await createSession(bytes, options);
    let transformer = options.transformer ? adaptTransformer(options.transformer, metadata.modalities) : undefined;
    if (!transformer && metadata.transformsJson !== undefined) {
      const sha = createHash('sha256').update(metadata.transformsJson).digest('hex');
      if (metadata.transformsSha256 !== undefined && sha !== metadata.transformsSha256) {
        throw new Error(`${source}: the embedded transforms do not match their sha256 (${metadata.transformsSha256}); the file is damaged`);
      }
      const transforms = JSON.parse(metadata.transformsJson) as { modalities?: Record<string, unknown> };
      const used = new Set(metadata.modalities.map((m) => m.name));
      // Modalities of the dataset that this model does not use are accepted in raw records and ignored.
      const ignored = new Set(Object.keys(transforms.modalities ?? {}).filter((name) => !used.has(name)));
      const inner = createRecordTransformer(
        metadata.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
        metadata.classes,
        transforms as Parameters<typeof createRecordTransformer>[2],
      );
      transformer = adaptTransformer(inner, metadata.modalities, ignored);
    }
    const maxBatch = options.maxBatch ?? 256;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
    return new Predictor(session, metadata, device, transformer, maxBatch);
  }

  /** Whether raw records (`{ modalities: … }`) can be transformed. */
  get acceptsRawRecords(): boolean {
    return this.transformer !== undefined;
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.session.release();
  }

  /**
   * Runs the graph on samples (already transformed). Every sample needs at least one modality.
   * @throws InputError naming the sample and modality of a bad vector
   */
  async run(samples: readonly SampleInputs[]): Promise<BatchOutputs> {
    const parts: BatchOutputs[] = [];
    for (let start = 0; start < samples.length; start += this.maxBatch) {
      parts.push(await this.runChunk(samples.slice(start, start + this.maxBatch), start));
    }
    if (parts.length === 1) return parts[0];
    const cat = (xs: Float32Array[]): Float32Array => {
      const out = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of xs) {
        out.set(x, o);
        o += x.length;
      }
      return out;
    };
    return {
      batch: samples.length,
      probabilities: cat(parts.map((p) => p.probabilities)),
      logits: cat(parts.map((p) => p.logits)),
      combination: parts.flatMap((p) => p.combination),
      topkExperts: parts.flatMap((p) => p.topkExperts),
      topkGates: cat(parts.map((p) => p.topkGates)),
    };
  }

  private async runChunk(samples: readonly SampleInputs[], offset: number): Promise<BatchOutputs> {
    const { modalities } = this.metadata;
    const M = modalities.length;
    const B = samples.length;
    const observed = new Uint8Array(B * M);
    const xs = modalities.map((m) => new Float32Array(B * m.width));
    samples.forEach((sample, b) => {
      if (sample.length !== M) throw new InputError(`sample ${offset + b}: ${sample.length} modality vectors, expected ${M}`);
      let any = false;
      sample.forEach((v, m) => {
        if (!v) return;
        if (v.length !== modalities[m].width) {
          throw new InputError(`sample ${offset + b}, modality ${modalities[m].name}: ${v.length} features, expected ${modalities[m].width}`);
        }
        xs[m].set(v, b * modalities[m].width);
        observed[b * M + m] = 1;
        any = true;
      });
      if (!any) throw new InputError(`sample ${offset + b}: no modality; at least one is needed (SPEC §1)`);
    });
    const feeds: Record<string, ort.Tensor> = { [GRAPH_NAMES.observed]: new ort.Tensor('bool', observed, [B, M]) };
    modalities.forEach((m, i) => {
      feeds[m.input] = new ort.Tensor('float32', xs[i], [B, m.width]);
    });
    const out = await this.session.run(feeds);
    return {
      batch: B,
      probabilities: out[GRAPH_NAMES.probabilities].data as Float32Array,
      logits: out[GRAPH_NAMES.logits].data as Float32Array,
      combination: Array.from(out[GRAPH_NAMES.combination].data as BigInt64Array, Number),
      topkExperts: Array.from(out[GRAPH_NAMES.topkExperts].data as BigInt64Array, Number),
      topkGates: out[GRAPH_NAMES.topkGates].data as Float32Array,
    };
  }

  /** Predictions for transformed samples; a sample without any modality gets an error outcome. */
  async predictInputs(samples: readonly SampleInputs[], options: PredictOptions = {}, ids: (string | undefined)[] = []): Promise<PredictionOutcome[]> {
    const outcomes: PredictionOutcome[] = new Array(samples.length);
    const valid: number[] = [];
    samples.forEach((s, i) => {
      if (s.length === this.metadata.modalities.length && s.some((v) => v !== null)) valid.push(i);
      else outcomes[i] = { ok: false, id: ids[i], error: `sample ${i}: no modality; at least one is needed (SPEC §1)` };
    });
    if (valid.length === 0) return outcomes;
    const out = await this.run(valid.map((i) => samples[i]));
    const effects = options.counterfactuals ? await this.missingModalityEffects(valid.map((i) => samples[i]), out) : undefined;
    valid.forEach((i, r) => {
      outcomes[i] = { ok: true, prediction: this.toPrediction(out, r, ids[i], effects?.[r]) };
    });
    return outcomes;
  }

  /**
   * Predictions for records (features form or raw form, see docs/serving.md); a bad record gets an error
   * outcome naming the field, the others are predicted.
   */
  async predictRecords(records: readonly unknown[], options: PredictOptions = {}, where = 'records'): Promise<PredictionOutcome[]> {
    const outcomes: PredictionOutcome[] = new Array(records.length);
    const samples: SampleInputs[] = [];
    const ids: (string | undefined)[] = [];
    const index: number[] = [];
    records.forEach((record, i) => {
      const id = recordId(record);
      try {
        samples.push(recordToInputs(record, this.metadata.modalities, this.transformer, `${where}[${i}]`));
        ids.push(id);
        index.push(i);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        outcomes[i] = { ok: false, id, error: e.message };
      }
    });
    const predicted = await this.predictInputs(samples, options, ids);
    predicted.forEach((p, r) => {
      outcomes[index[r]] = p;
    });
    return outcomes;
  }

  private toPrediction(out: BatchOutputs, r: number, id: string | undefined, effects?: MissingModalityEffect[]): Prediction {
    const { classes, modalities, config } = this.metadata;
    const C = classes.length;
    const probs = Array.from(out.probabilities.subarray(r * C, (r + 1) * C));
    const predictedIndex = argmax(probs);
    const M = modalities.length;
    const P = config.patches;
    const k = config.topK;
    const L = config.layers;
    const combinationIndex = out.combination[r];
    const routedExperts: RoutedBlock[] = [];
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        const perPatch: number[][] = [];
        const weight = new Map<number, number>();
        for (let p = 0; p < P; p++) {
          const base = ((((r * L + l) * M + m) * P + p) * k);
          perPatch.push(out.topkExperts.slice(base, base + k));
          for (let j = 0; j < k; j++) {
            const e = out.topkExperts[base + j];
            weight.set(e, (weight.get(e) ?? 0) + out.topkGates[base + j] / P);
          }
        }
        routedExperts.push({
          layer: l,
          modality: modalities[m].name,
          letter: modalities[m].letter,
          perPatch,
          experts: [...weight].filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1]).map(([expert, w]) => ({ expert, weight: w })),
        });
      }
    }
    const mask = this.maskOfCombination(combinationIndex);
    return {
      ...(id !== undefined ? { id } : {}),
      predictedClass: classes[predictedIndex],
      predictedIndex,
      probabilities: Object.fromEntries(classes.map((c, i) => [c, probs[i]])),
      logits: Array.from(out.logits.subarray(r * C, (r + 1) * C)),
      combination: { index: combinationIndex, letters: combinationKey(modalities.map((m) => m.letter), (m) => mask[m]) },
      routedExperts,
      ...(effects ? { missingModalityEffects: effects } : {}),
    };
  }

  private maskOfCombination(index: number): boolean[] {
    return combinationMasks(this.metadata.modalities.length)[index] ?? [];
  }

  /**
   * Counterfactual "if acquired" effects: for each missing modality with stored training rows, the sample is
   * re-run once per stored row with that modality filled in (its combination changes accordingly) and the
   * probabilities are averaged.
   */
  private async missingModalityEffects(samples: readonly SampleInputs[], current: BatchOutputs): Promise<MissingModalityEffect[][]> {
    const { modalities, classes, counterfactualSamples } = this.metadata;
    const C = classes.length;
    const jobs: { sample: number; modality: number; rows: number; start: number }[] = [];
    const batch: SampleInputs[] = [];
    samples.forEach((s, i) => {
      s.forEach((v, m) => {
        if (v) return;
        const stored = counterfactualSamples.find((c) => c.modality === modalities[m].name);
        if (!stored || stored.rows === 0) return;
        jobs.push({ sample: i, modality: m, rows: stored.rows, start: batch.length });
        for (let r = 0; r < stored.rows; r++) {
          const filled = s.slice();
          filled[m] = stored.values.subarray(r * stored.width, (r + 1) * stored.width);
          batch.push(filled);
        }
      });
    });
    const result: MissingModalityEffect[][] = samples.map(() => []);
    if (batch.length === 0) return result;
    const out = await this.run(batch);
    for (const job of jobs) {
      const now = Array.from(current.probabilities.subarray(job.sample * C, (job.sample + 1) * C));
      const nowClass = argmax(now);
      const mean = new Array<number>(C).fill(0);
      let changed = 0;
      for (let r = 0; r < job.rows; r++) {
        const row = Array.from(out.probabilities.subarray((job.start + r) * C, (job.start + r + 1) * C));
        row.forEach((p, c) => (mean[c] += p / job.rows));
        if (argmax(row) !== nowClass) changed++;
      }
      const shift = mean.map((p, c) => p - now[c]);
      result[job.sample].push({
        modality: modalities[job.modality].name,
        letter: modalities[job.modality].letter,
        samples: job.rows,
        expectedProbabilities: Object.fromEntries(classes.map((c, i) => [c, mean[i]])),
        probabilityShift: Object.fromEntries(classes.map((c, i) => [c, shift[i]])),
        maxAbsShift: Math.max(...shift.map(Math.abs)),
        predictedClassChangeProbability: changed / job.rows,
        expectedPredictedClass: classes[argmax(mean)],
      });
    }
    for (const effects of result) effects.sort((a, b) => b.maxAbsShift - a.maxAbsShift);
    return result;
  }
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

function recordId(record: unknown): string | undefined {
  return record !== null && typeof record === 'object' && typeof (record as { id?: unknown }).id === 'string'
    ? (record as { id: string }).id
    : undefined;
}
