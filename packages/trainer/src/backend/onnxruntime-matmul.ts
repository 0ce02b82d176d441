import { createRequire } from 'node:module';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import type { NativeMatmul } from '@flexmoe/moe-core';

/*
 * The training step's larger matrix products on onnxruntime-node's CPU kernels (MLAS), which use the CPU's full
 * vector width (AVX2 / AVX-512), instead of XNNPACK inside wasm (128-bit SIMD, weight operand packed afresh on
 * every call): about 4× faster per product here (docs/benchmarks.md, "Native matrix products and the PyTorch reference").
 *
 * Training ops are synchronous, and onnxruntime-node's public `InferenceSession.run` is asynchronous (it defers
 * the same synchronous native call with setImmediate). So this calls the package's native binding directly: an
 * internal interface, used only with the release it was written and tested against (the wasm fast path is fenced
 * the same way); any other version leaves training on XNNPACK, with one notice line.
 */

/** onnxruntime-node releases whose native binding this engine was written and tested against. */
export const SUPPORTED_ONNXRUNTIME_NODE_VERSIONS: readonly string[] = ['1.30.0'];

/** A tensor as the native binding reads it (what onnxruntime-common's Tensor carries, without its checks). */
interface NativeTensor {
  readonly type: 'float32';
  readonly dims: readonly number[];
  readonly data: Float32Array;
  readonly location: 'cpu';
}
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, NativeTensor>, fetches: Record<string, NativeTensor>, options: object): unknown;
  dispose?(): void;
}
interface OrtInternals {
  version: string;
  newSession(): NativeSession;
}

/** Where the engine's internals come from (replaced in tests). */
export type OrtLoader = () => OrtInternals;

function loadOrt(): OrtInternals {
  const require = createRequire(import.meta.url);
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  if (!SUPPORTED_ONNXRUNTIME_NODE_VERSIONS.includes(version)) {
    return { version, newSession: () => undefined as never };
  }
  const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as {
    binding: { InferenceSession: new () => NativeSession };
    initOrt(): void;
  };
  if (typeof initOrt !== 'function' || typeof binding?.InferenceSession !== 'function') {
    throw new Error('onnxruntime-node: native binding not found where expected');
  }
  initOrt();
  return { version, newSession: () => new binding.InferenceSession() };
}

function valueInfo(name: string, dims: string[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: d } })),
          }),
        }),
      },
    }),
  });
}

/** A one-node ONNX model `c = Gemm(a, b, transA, transB)` with symbolic dimensions. */
export function gemmModel(transA: boolean, transB: boolean): Uint8Array {
  const intAttr = (name: string, value: boolean) =>
    create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: value ? 1n : 0n });
  const graph = create(GraphProtoSchema, {
    name: 'gemm',
    node: [
      create(NodeProtoSchema, {
        opType: 'Gemm',
        name: 'gemm',
        input: ['a', 'b'],
        output: ['c'],
        attribute: [intAttr('transA', transA), intAttr('transB', transB)],
      }),
    ],
    input: [valueInfo('a', transA ? ['k', 'm'] : ['m', 'k']), valueInfo('b', transB ? ['n', 'k'] : ['k', 'n'])],
    output: [valueInfo('c', ['m', 'n'])],
  });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 10n,
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 13n })],
      producerName: '@flexmoe/trainer',
      graph,
    }),
  );
}

/** Outcome of {@link onnxruntimeMatmul}: the engine, or why there is none. */
export type OnnxruntimeMatmulResult = { engine: NativeMatmul; reason?: undefined } | { engine: null; reason: string };

/**
 * The onnxruntime-node matrix-product engine (one CPU thread, no spinning), or null with the reason when
 * onnxruntime-node is missing, fails to load or is not a supported release.
 */
export function onnxruntimeMatmul(load: OrtLoader = loadOrt): OnnxruntimeMatmulResult {
  let ort: OrtInternals;
  try {
    ort = load();
  } catch (err) {
    return { engine: null, reason: `onnxruntime-node unavailable (${(err as Error).message.split('\n')[0]})` };
  }
  if (!SUPPORTED_ONNXRUNTIME_NODE_VERSIONS.includes(ort.version)) {
    return {
      engine: null,
      reason:
        `onnxruntime-node ${ort.version} is not a release the native matrix products support ` +
        `(${SUPPORTED_ONNXRUNTIME_NODE_VERSIONS.join(', ')})`,
    };
  }
  const options = {
    intraOpNumThreads: 1, // data-parallel workers use the other cores (docs/training.md, "Workers")
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions: NativeSession[] = [];
  try {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const bytes = gemmModel(transA, transB);
        const session = ort.newSession();
        session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
        sessions.push(session);
      }
    }
  } catch (err) {
    return { engine: null, reason: `onnxruntime-node session failed (${(err as Error).message.split('\n')[0]})` };
  }
  const runOptions = {};
  const tensor = (data: Float32Array, dims: readonly number[]): NativeTensor => ({
    type: 'float32',
    dims,
    data,
    location: 'cpu',
  });
  const engine: NativeMatmul = {
    name: `onnxruntime-node ${ort.version} (MLAS, 1 thread)`,
    matmul(a, b, out, M, K, N, transA, transB) {
      const session = sessions[(transA ? 2 : 0) + (transB ? 1 : 0)];
      // The output tensor wraps `out`, so MLAS writes the product in place (no copy back).
      session.run(
        {
          a: tensor(a, transA ? [K, M] : [M, K]),
          b: tensor(b, transB ? [N, K] : [K, N]),
        },
        { c: tensor(out, [M, N]) },
        runOptions,
      );
    },
  };
  return { engine };
}
