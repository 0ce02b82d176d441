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
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
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

const floatAttr = (name: string, value: number) =>
  create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value });
const intAttr = (name: string, value: number) =>
  create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
const node = (opType: string, input: string[], output: string, attribute: AttributeProto[] = []) =>
  create(NodeProtoSchema, {
    opType,
    domain: opType === 'FusedMatMul' ? 'com.microsoft' : '',
    name: output,
    input,
    output: [output],
    attribute,
  });

/**
 * A one-node ONNX model with symbolic dimensions: `c = Gemm(a, b, transA, transB)`, or with `batched` the
 * `com.microsoft` FusedMatMul over `[p, m, k]` operands (one product per leading index, transposes of the last two
 * axes; standard MatMul has no transpose attributes).
 */
export function gemmModel(transA: boolean, transB: boolean, batched = false): Uint8Array {
  const lead = batched ? ['p'] : [];
  const graph = create(GraphProtoSchema, {
    name: batched ? 'batched_matmul' : 'gemm',
    node: [
      node(batched ? 'FusedMatMul' : 'Gemm', ['a', 'b'], 'c', [
        intAttr('transA', Number(transA)),
        intAttr('transB', Number(transB)),
      ]),
    ],
    input: [
      valueInfo('a', [...lead, ...(transA ? ['k', 'm'] : ['m', 'k'])]),
      valueInfo('b', [...lead, ...(transB ? ['n', 'k'] : ['k', 'n'])]),
    ],
    output: [valueInfo('c', [...lead, 'm', 'n'])],
  });
  return modelBytes(graph, batched);
}

/**
 * The attention operations of {@link NativeMatmul} as one ONNX graph each, over `[p, n, d]` pieces, for one
 * softmax scale (it is the FusedMatMul's `alpha`, a constant):
 * - `probabilities`: `p = Softmax(alpha · q·kᵀ)`;
 * - `scoresGradient`: `g = (alpha · dc·vᵀ) ⊙ mask`, `ds = p ⊙ (g − ReduceSum(g ⊙ p, last axis))`, which equals
 *   `scale · p ⊙ (g₀ − rowsum(g₀ ⊙ p))` for the unscaled `g₀` (linear in g); without `masked`, no mask input.
 */
export function attentionModel(kind: 'probabilities' | 'scoresGradient', scale: number, masked = false): Uint8Array {
  const piece = (name: string, last: string) => valueInfo(name, ['p', 'n', last]);
  const product = (a: string, b: string, out: string) =>
    node('FusedMatMul', [a, b], out, [intAttr('transA', 0), intAttr('transB', 1), floatAttr('alpha', scale)]);
  const nodes: NodeProto[] = [];
  const input: ValueInfoProto[] = [];
  if (kind === 'probabilities') {
    input.push(piece('q', 'd'), piece('k', 'd'));
    nodes.push(product('q', 'k', 's'), node('Softmax', ['s'], 'out', [intAttr('axis', -1)]));
  } else {
    input.push(piece('dc', 'd'), piece('v', 'd'), piece('prob', 'n'));
    nodes.push(product('dc', 'v', masked ? 'dpd' : 'g'));
    if (masked) {
      input.push(piece('mask', 'n'));
      nodes.push(node('Mul', ['dpd', 'mask'], 'g'));
    }
    nodes.push(
      node('Mul', ['g', 'prob'], 'gp'),
      node('ReduceSum', ['gp', 'last_axis'], 'dot', [intAttr('keepdims', 1)]),
      node('Sub', ['g', 'dot'], 'centred'),
      node('Mul', ['prob', 'centred'], 'out'),
    );
  }
  const graph = create(GraphProtoSchema, {
    name: `attention_${kind}`,
    node: nodes,
    input,
    output: [piece('out', 'n')],
    initializer:
      kind === 'probabilities'
        ? []
        : [
            create(TensorProtoSchema, {
              name: 'last_axis',
              dims: [1n],
              dataType: TensorProto_DataType.INT64,
              int64Data: [-1n],
            }),
          ],
  });
  return modelBytes(graph, true);
}

/** The serialised model of `graph` (opset 13, and with `contrib` Microsoft's operator set for FusedMatMul). */
function modelBytes(graph: GraphProto, contrib: boolean): Uint8Array {
  const opsetImport = [create(OperatorSetIdProtoSchema, { domain: '', version: 13n })];
  if (contrib) opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }));
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { irVersion: 10n, opsetImport, producerName: '@flexmoe/trainer', graph }),
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
  const sessionOf = (bytes: Uint8Array): NativeSession => {
    const session = ort.newSession();
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
    return session;
  };
  // Indexed by form: (transA ? 2 : 0) + (transB ? 1 : 0).
  const sessionsFor = (batched: boolean): NativeSession[] =>
    [false, true].flatMap((transA) => [false, true].map((transB) => sessionOf(gemmModel(transA, transB, batched))));
  let sessions: NativeSession[];
  try {
    sessions = sessionsFor(false);
  } catch (err) {
    return { engine: null, reason: `onnxruntime-node session failed (${(err as Error).message.split('\n')[0]})` };
  }
  let batchedSessions: NativeSession[] | null;
  try {
    batchedSessions = sessionsFor(true);
  } catch {
    batchedSessions = null; // a build without the contrib operators: the attention products stay on XNNPACK
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
  if (batchedSessions) {
    const batched = batchedSessions;
    engine.batchedMatmul = (a, b, out, batch, M, K, N, transA, transB) => {
      batched[(transA ? 2 : 0) + (transB ? 1 : 0)].run(
        {
          a: tensor(a, transA ? [batch, K, M] : [batch, M, K]),
          b: tensor(b, transB ? [batch, N, K] : [batch, K, N]),
        },
        { c: tensor(out, [batch, M, N]) },
        runOptions,
      );
    };
    // One session per operation, mask variant and softmax scale (the scale is a constant of the graph; a model
    // has one), built on first use.
    const attention = new Map<string, NativeSession>();
    const attentionSession = (kind: 'probabilities' | 'scoresGradient', scale: number, masked: boolean) => {
      const key = `${kind} ${masked} ${scale}`;
      let session = attention.get(key);
      if (!session) {
        session = sessionOf(attentionModel(kind, scale, masked));
        attention.set(key, session);
      }
      return session;
    };
    let attentionAvailable: boolean;
    try {
      for (const [kind, masked] of [
        ['probabilities', false],
        ['scoresGradient', false],
        ['scoresGradient', true],
      ] as const) {
        attentionSession(kind, 1, masked); // fails here, not in training, where an operator is missing
      }
      attentionAvailable = true;
    } catch {
      attentionAvailable = false;
    }
    if (attentionAvailable) {
      engine.attentionProbabilities = (q, k, p, batch, N, d, scale) => {
        attentionSession('probabilities', scale, false).run(
          { q: tensor(q, [batch, N, d]), k: tensor(k, [batch, N, d]) },
          { out: tensor(p, [batch, N, N]) },
          runOptions,
        );
      };
      engine.attentionScoresGradient = (dc, v, p, mask, ds, batch, N, d, scale) => {
        const feeds: Record<string, NativeTensor> = {
          dc: tensor(dc, [batch, N, d]),
          v: tensor(v, [batch, N, d]),
          prob: tensor(p, [batch, N, N]),
        };
        if (mask) feeds.mask = tensor(mask, [batch, N, N]);
        attentionSession('scoresGradient', scale, mask !== null).run(
          feeds,
          { out: tensor(ds, [batch, N, N]) },
          runOptions,
        );
      };
    }
  }
  return { engine };
}
