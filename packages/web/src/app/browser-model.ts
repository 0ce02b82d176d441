/**
 * A Flex-MoE model opened in the browser: metadata read from the ONNX bytes, the embedded transforms checked
 * against their sha256, and an onnxruntime-web session (WebGPU when the browser offers an adapter, else wasm)
 * behind the same {@link PredictorCore} that `flexmoe predict` uses.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { DatasetTransforms } from '@flexmoe/data/transform';
import {
  embeddedTransformer,
  ortGraphRunner,
  PredictorCore,
  readModelMetadata,
  type FlexMoEModelMetadata,
} from '@flexmoe/export/browser';
import * as ort from 'onnxruntime-web';

/** Execution provider the session runs on. */
export type WebExecutionProvider = 'webgpu' | 'wasm';

/** An opened model. */
export interface BrowserModel {
  source: string;
  bytes: number;
  metadata: FlexMoEModelMetadata;
  transforms: DatasetTransforms | undefined;
  predictor: PredictorCore;
  provider: WebExecutionProvider;
  /** Why WebGPU is not used (absent when it is). */
  providerNote?: string;
  release(): Promise<void>;
}

/** Thrown for a file that is not a usable Flex-MoE model; the message names the file. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

/**
 * Points onnxruntime-web at the wasm files the app ships (no CDN) and keeps it single-threaded unless the page
 * is cross-origin isolated (threads need SharedArrayBuffer).
 * @param wasmBase URL of the folder holding `ort-wasm-*.wasm` / `.mjs`
 */
export function configureOnnxRuntime(wasmBase: string): void {
  ort.env.wasm.wasmPaths = wasmBase;
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
}

async function webGpuAdapterAvailable(): Promise<boolean> {
  const gpu = (navigator as GpuNavigator).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/**
 * Opens a model from its bytes.
 * @param source the file name or URL, used in messages
 * @param preferred `wasm` skips WebGPU even when offered
 * @throws ModelFileError for a malformed, foreign or damaged file
 */
export async function openBrowserModel(
  bytes: Uint8Array,
  source: string,
  preferred?: WebExecutionProvider,
): Promise<BrowserModel> {
  let metadata: FlexMoEModelMetadata;
  let transformer: ReturnType<typeof embeddedTransformer>;
  let transforms: DatasetTransforms | undefined;
  try {
    metadata = readModelMetadata(bytes, source);
    const digest =
      metadata.transformsJson === undefined
        ? undefined
        : bytesToHex(sha256(new TextEncoder().encode(metadata.transformsJson)));
    transformer = embeddedTransformer(metadata, digest, source);
    transforms =
      metadata.transformsJson === undefined ? undefined : (JSON.parse(metadata.transformsJson) as DatasetTransforms);
  } catch (e) {
    throw new ModelFileError((e as Error).message);
  }
  const useGpu = preferred !== 'wasm' && (await webGpuAdapterAvailable());
  let session: ort.InferenceSession | undefined;
  let provider: WebExecutionProvider = 'wasm';
  let providerNote: string | undefined =
    preferred === 'wasm' ? 'wasm asked for' : 'WebGPU is not offered by this browser';
  if (useGpu) {
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['webgpu'],
        graphOptimizationLevel: 'all',
      });
      provider = 'webgpu';
      providerNote = undefined;
    } catch (e) {
      providerNote = `WebGPU failed (${firstLine((e as Error).message)}); running on wasm`;
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new ModelFileError(`${source}: onnxruntime cannot run this model (${firstLine((e as Error).message)})`);
    }
  }
  const open = session;
  const runGraph = ortGraphRunner(open, (type, data, dims) => new ort.Tensor(type, data, dims), metadata.modalities);
  const predictor = new PredictorCore(runGraph, metadata, transformer);
  // One run while the model opens: onnxruntime-web prepares its kernels on the first run, not on create.
  try {
    await predictor.run([metadata.modalities.map((m) => new Float32Array(m.width))]);
  } catch (e) {
    await open.release();
    throw new ModelFileError(`${source}: onnxruntime cannot run this model (${firstLine((e as Error).message)})`);
  }
  return {
    source,
    bytes: bytes.byteLength,
    metadata,
    transforms,
    predictor,
    provider,
    providerNote,
    release: () => open.release(),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
