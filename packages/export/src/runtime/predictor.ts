import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRecordTransformerReadingFiles } from '@flexmoe/data';
import { readModelMetadata, type FlexMoEModelMetadata } from '../metadata.js';
import { embeddedTransformer } from './embedded-transformer.js';
import type { PredictionOutcome, SampleInputs } from './prediction-types.js';
import { ortGraphRunner, PredictorCore, type BatchOutputs, type PredictOptions } from './predictor-core.js';
import { adaptTransformer, type RecordTransformerLike } from './record-inputs.js';
import { createSession, type Device, type SessionOptions } from './session.js';

/** Options of {@link Predictor.load}. */
export interface PredictorOptions extends SessionOptions {
  /**
   * Transforms for raw records (e.g. `loadTransforms(datasetDir)` of @flexmoe/data; outputs are matched to the
   * model's modalities by name); default: the transforms embedded in the model (if any).
   */
  transformer?: RecordTransformerLike & { modalities?: readonly { name: string }[] };
  /**
   * Let raw image parts name a NIfTI file on this machine (`{ "nifti": "<path>" }`) with the embedded transforms
   * (default false: the record transformer reads no file; command-line prediction turns it on, a server never).
   */
  readImageFiles?: boolean;
  /** Largest batch handed to onnxruntime in one run (default 256). */
  maxBatch?: number;
}

/**
 * A typed predictor over an exported Flex-MoE ONNX model (onnxruntime-node, CPU or CUDA). The prediction rules
 * are {@link PredictorCore}'s, which the browser app runs too.
 */
export class Predictor {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly core: PredictorCore,
    /** Device the session actually runs on (`cpu` after a CUDA fallback). */
    readonly device: Device,
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
    const transformer = options.transformer
      ? adaptTransformer(options.transformer, metadata.modalities)
      : embeddedTransformer(
          metadata,
          sha256Hex(metadata.transformsJson),
          source,
          options.readImageFiles ? createRecordTransformerReadingFiles : undefined,
        );
    const { session, device } = await createSession(bytes, options);
    const runGraph = ortGraphRunner(
      session,
      (type, data, dims) => new ort.Tensor(type, data, dims),
      metadata.modalities,
    );
    let core: PredictorCore;
    try {
      core = new PredictorCore(runGraph, metadata, transformer, options.maxBatch);
    } catch (e) {
      await session.release();
      throw e;
    }
    return new Predictor(session, core, device);
  }

  /** The model's metadata (modalities, classes, config, calibration, …). */
  get metadata(): FlexMoEModelMetadata {
    return this.core.metadata;
  }

  /** Whether raw records (`{ modalities: … }`) can be transformed. */
  get acceptsRawRecords(): boolean {
    return this.core.acceptsRawRecords;
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.session.release();
  }

  /**
   * Runs the graph on samples (already transformed). Every sample needs at least one modality.
   * @throws InputError naming the sample and modality of a bad vector
   */
  run(samples: readonly SampleInputs[]): Promise<BatchOutputs> {
    return this.core.run(samples);
  }

  /** Predictions for transformed samples; a sample without any modality gets an error outcome. */
  predictInputs(
    samples: readonly SampleInputs[],
    options: PredictOptions = {},
    ids: (string | undefined)[] = [],
  ): Promise<PredictionOutcome[]> {
    return this.core.predictInputs(samples, options, ids);
  }

  /**
   * Predictions for records (features form or raw form, see docs/serving.md); a bad record gets an error
   * outcome naming the field, the others are predicted.
   */
  predictRecords(
    records: readonly unknown[],
    options: PredictOptions = {},
    where = 'records',
  ): Promise<PredictionOutcome[]> {
    return this.core.predictRecords(records, options, where);
  }
}

function sha256Hex(text: string | undefined): string | undefined {
  return text === undefined ? undefined : createHash('sha256').update(text).digest('hex');
}
