// Experiment (not used by training): the attention blocks of all (sample, head) pieces of an ADNI-sized batch
// as ONE batched onnxruntime product per form (com.microsoft FusedMatMul over [pieces, N, d] operands), timed per
// call, to compare with the per-piece XNNPACK products the wasm fast path uses. Result in docs/benchmarks.md
// ("Native matrix products and the PyTorch reference"): slower, so not adopted.
// Usage: npm run build && node tools/bench/train-step/attention-batched-mlas.mjs [--pieces 32] [--tokens 64] [--dim 32]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { create, toBinary } from '@bufbuild/protobuf';
import * as O from 'onnx-buf';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const P = opt('pieces', 32);
const N = opt('tokens', 64);
const d = opt('dim', 32);

// onnxruntime-node as the trainer resolves it; its synchronous internal binding, as trainer/src/backend/onnxruntime-matmul.ts.
const require = createRequire(new URL('../../../packages/trainer/package.json', import.meta.url));
const { binding, initOrt } = require('onnxruntime-node/dist/binding.js');
initOrt();

const valueInfo = (name, dims) =>
  create(O.ValueInfoProtoSchema, {
    name,
    type: create(O.TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(O.TypeProto_TensorSchema, {
          elemType: O.TensorProto_DataType.FLOAT,
          shape: create(O.TensorShapeProtoSchema, {
            dim: dims.map((v) => create(O.TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: v } })),
          }),
        }),
      },
    }),
  });
const intAttr = (name, v) =>
  create(O.AttributeProtoSchema, { name, type: O.AttributeProto_AttributeType.INT, i: v ? 1n : 0n });
function fusedMatMul(transA, transB) {
  const graph = create(O.GraphProtoSchema, {
    name: 'bmm',
    node: [
      create(O.NodeProtoSchema, {
        opType: 'FusedMatMul',
        domain: 'com.microsoft',
        name: 'mm',
        input: ['a', 'b'],
        output: ['c'],
        attribute: [intAttr('transA', transA), intAttr('transB', transB)],
      }),
    ],
    input: [
      valueInfo('a', transA ? ['p', 'k', 'm'] : ['p', 'm', 'k']),
      valueInfo('b', transB ? ['p', 'n', 'k'] : ['p', 'k', 'n']),
    ],
    output: [valueInfo('c', ['p', 'm', 'n'])],
  });
  return toBinary(
    O.ModelProtoSchema,
    create(O.ModelProtoSchema, {
      irVersion: 10n,
      opsetImport: [
        create(O.OperatorSetIdProtoSchema, { domain: '', version: 13n }),
        create(O.OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }),
      ],
      graph,
    }),
  );
}
const options = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};
const session = (transA, transB) => {
  const s = new binding.InferenceSession();
  const bytes = fusedMatMul(transA, transB);
  s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, options);
  return s;
};
const tensor = (data, dims) => ({ type: 'float32', dims, data, location: 'cpu' });

const q = Float32Array.from({ length: P * N * d }, (_, i) => Math.sin(i));
const k = Float32Array.from({ length: P * N * d }, (_, i) => Math.cos(i));
const s = new Float32Array(P * N * N);
const out = new Float32Array(P * N * d);
const nt = session(false, true);
const nn = session(false, false);
const tn = session(true, false);

// Check the transposed form against a direct sum before timing it.
nt.run({ a: tensor(q, [P, N, d]), b: tensor(k, [P, N, d]) }, { c: tensor(s, [P, N, N]) }, {});
let err = 0;
for (const [p, i, j] of [
  [3 % P, 5 % N, 7 % N],
  [P - 1, N - 1, 0],
]) {
  let r = 0;
  for (let t = 0; t < d; t++) r += q[p * N * d + i * d + t] * k[p * N * d + j * d + t];
  err = Math.max(err, Math.abs(r - s[p * N * N + i * N + j]));
}
if (err > 1e-4) throw new Error(`FusedMatMul transB: error ${err}`);

const forms = {
  'scores S = Q·Kᵀ (NT)': () =>
    nt.run({ a: tensor(q, [P, N, d]), b: tensor(k, [P, N, d]) }, { c: tensor(s, [P, N, N]) }, {}),
  'context C = P·V (NN)': () =>
    nn.run({ a: tensor(s, [P, N, N]), b: tensor(q, [P, N, d]) }, { c: tensor(out, [P, N, d]) }, {}),
  'value gradient Pᵀ·dC (TN)': () =>
    tn.run({ a: tensor(s, [P, N, N]), b: tensor(q, [P, N, d]) }, { c: tensor(out, [P, N, d]) }, {}),
};
console.log(`${P} pieces of ${N}×${d}, load average ${loadavg()[0].toFixed(2)}`);
for (const [name, run] of Object.entries(forms)) {
  for (let i = 0; i < 50; i++) run();
  const n = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) run();
  const us = ((performance.now() - t0) / n) * 1000;
  console.log(`${name}: ${us.toFixed(0)} µs per batched call (${((2 * P * N * N * d) / us / 1e3).toFixed(1)} GFLOP/s)`);
}
