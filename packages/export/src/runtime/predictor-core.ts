import { combinationKey, combinationMasks } from '@flexmoe/moe-core/spec';
import type { FlexMoEModelMetadata, ModalityMetadata } from '../metadata.js';
import { GRAPH_NAMES } from '../onnx/graph-names.js';
import type {
  MissingModalityEffect,
  Prediction,
  PredictionOutcome,
  RoutedBlock,
  SampleInputs,
} from './prediction-types.js';
import { InputError, recordToInputs, type RecordTransformerLike } from './record-inputs.js';

/*
 * The prediction rules shared by `flexmoe predict`, the HTTP service and the browser app: batching, output
 * decoding, routed experts and the "value of acquiring" counterfactuals. No onnxruntime import and no Node
 * API: the session is passed in as a {@link GraphRunner}.
 */

/** Graph inputs of one batch: `observed` `[batch, M]` (0/1) and one `[batch, width]` matrix per modality. */
export interface GraphFeeds {
  batch: number;
  observed: Uint8Array;
  inputs: Float32Array[];
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

/** Runs the exported graph on one batch (onnxruntime-node, onnxruntime-web, …). */
export type GraphRunner = (feeds: GraphFeeds) => Promise<BatchOutputs>;

/** The part of an onnxruntime tensor the runner reads (onnxruntime-node and -web share it). */
export interface OrtTensorLike {
  readonly data: unknown;
}

/** The part of an onnxruntime `InferenceSession` the runner uses. */
export interface OrtSessionLike<T> {
  run(feeds: Record<string, T>): Promise<Record<string, OrtTensorLike>>;
}

/** Makes a tensor of the caller's onnxruntime flavour, e.g. `(type, data, dims) => new ort.Tensor(type, data, dims)`. */
export type OrtTensorFactory<T> = (type: 'bool' | 'float32', data: Uint8Array | Float32Array, dims: number[]) => T;

/** A {@link GraphRunner} over an onnxruntime session of either flavour. */
export function ortGraphRunner<T>(
  session: OrtSessionLike<T>,
  tensor: OrtTensorFactory<T>,
  modalities: readonly ModalityMetadata[],
): GraphRunner {
  return async ({ batch, observed, inputs }) => {
    const feeds: Record<string, T> = { [GRAPH_NAMES.observed]: tensor('bool', observed, [batch, modalities.length]) };
    modalities.forEach((m, i) => {
      feeds[m.input] = tensor('float32', inputs[i], [batch, m.width]);
    });
    const out = await session.run(feeds);
    const output = (name: string): unknown => {
      const t = out[name];
      if (!t) throw new Error(`the model has no output ${JSON.stringify(name)} (not a Flex-MoE export?)`);
      return t.data;
    };
    return {
      batch,
      probabilities: output(GRAPH_NAMES.probabilities) as Float32Array,
      logits: output(GRAPH_NAMES.logits) as Float32Array,
      combination: Array.from(output(GRAPH_NAMES.combination) as BigInt64Array, Number),
      topkExperts: Array.from(output(GRAPH_NAMES.topkExperts) as BigInt64Array, Number),
      topkGates: output(GRAPH_NAMES.topkGates) as Float32Array,
    };
  };
}

/** Per-call options of predictions. */
export interface PredictOptions {
  /** Also report, per missing modality, the expected effect of acquiring it (default false). */
  counterfactuals?: boolean;
}

/** Predictions over an exported Flex-MoE graph, whatever runs it. */
export class PredictorCore {
  /**
   * @param runGraph runs one batch
   * @param metadata the model's metadata
   * @param transformer turns raw records into inputs (undefined: only features records are accepted)
   * @param maxBatch largest batch handed to `runGraph` in one call
   */
  constructor(
    private readonly runGraph: GraphRunner,
    readonly metadata: FlexMoEModelMetadata,
    private readonly transformer: RecordTransformerLike | undefined,
    private readonly maxBatch = 256,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** Whether raw records (`{ modalities: … }`) can be transformed. */
  get acceptsRawRecords(): boolean {
    return this.transformer !== undefined;
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
      if (sample.length !== M)
        throw new InputError(`sample ${offset + b}: ${sample.length} modality vectors, expected ${M}`);
      let any = false;
      sample.forEach((v, m) => {
        if (!v) return;
        if (v.length !== modalities[m].width) {
          throw new InputError(
            `sample ${offset + b}, modality ${modalities[m].name}: ${v.length} features, expected ${modalities[m].width}`,
          );
        }
        xs[m].set(v, b * modalities[m].width);
        observed[b * M + m] = 1;
        any = true;
      });
      if (!any)
        throw new InputError(`sample ${offset + b}: no modality; at least one is needed (docs/algorithm.md §1)`);
    });
    return this.runGraph({ batch: B, observed, inputs: xs });
  }

  /** Predictions for transformed samples; a sample without any modality gets an error outcome. */
  async predictInputs(
    samples: readonly SampleInputs[],
    options: PredictOptions = {},
    ids: (string | undefined)[] = [],
  ): Promise<PredictionOutcome[]> {
    const outcomes: PredictionOutcome[] = new Array(samples.length);
    const valid: number[] = [];
    samples.forEach((s, i) => {
      if (s.length === this.metadata.modalities.length && s.some((v) => v !== null)) valid.push(i);
      else
        outcomes[i] = {
          ok: false,
          id: ids[i],
          error: `sample ${i}: no modality; at least one is needed (docs/algorithm.md §1)`,
        };
    });
    if (valid.length === 0) return outcomes;
    const out = await this.run(valid.map((i) => samples[i]));
    const effects = options.counterfactuals
      ? await this.missingModalityEffects(
          valid.map((i) => samples[i]),
          out,
        )
      : undefined;
    valid.forEach((i, r) => {
      outcomes[i] = { ok: true, prediction: this.toPrediction(out, r, ids[i], effects?.[r]) };
    });
    return outcomes;
  }

  /**
   * Predictions for records (features form or raw form, see docs/serving.md); a bad record gets an error
   * outcome naming the field, the others are predicted.
   */
  async predictRecords(
    records: readonly unknown[],
    options: PredictOptions = {},
    where = 'records',
  ): Promise<PredictionOutcome[]> {
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

  private toPrediction(
    out: BatchOutputs,
    r: number,
    id: string | undefined,
    effects?: MissingModalityEffect[],
  ): Prediction {
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
          const base = (((r * L + l) * M + m) * P + p) * k;
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
          experts: [...weight]
            .filter(([, w]) => w > 0)
            .sort((a, b) => b[1] - a[1])
            .map(([expert, w]) => ({ expert, weight: w })),
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
      combination: {
        index: combinationIndex,
        letters: combinationKey(
          modalities.map((m) => m.letter),
          (m) => mask[m],
        ),
      },
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
  private async missingModalityEffects(
    samples: readonly SampleInputs[],
    current: BatchOutputs,
  ): Promise<MissingModalityEffect[][]> {
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
