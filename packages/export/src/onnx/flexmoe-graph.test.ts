import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../export-onnx.js';
import { loadGoldenModel } from '../testing/golden.js';
import { modalityInputName, type GraphVariant } from './flexmoe-graph.js';

const golden = loadGoldenModel();

async function runGolden(variant: Partial<GraphVariant>) {
  const bytes = exportOnnx({ config: golden.config, namedWeights: golden.namedWeights }, { variant });
  const session = await ort.InferenceSession.create(bytes);
  const B = golden.observed.length;
  const feeds: Record<string, ort.Tensor> = {
    observed: new ort.Tensor('bool', Uint8Array.from(golden.observed.flat().map(Number)), [
      B,
      golden.config.modalities.length,
    ]),
  };
  golden.config.modalities.forEach((m, i) => {
    feeds[modalityInputName(m.name)] = new ort.Tensor('float32', golden.inputs[i], [B, m.width]);
  });
  const out = await session.run(feeds);
  await session.release();
  return out;
}

const variants: Partial<GraphVariant>[] = [
  { moe: 'dense', linear: 'gemm', attention: 'standard' },
  { moe: 'sparse', linear: 'gemm', attention: 'standard' },
  { moe: 'dense', linear: 'matmul', attention: 'fused' },
  { moe: 'sparse', linear: 'matmul', attention: 'fused' },
];

describe('Flex-MoE ONNX graph vs golden model.json (inference mode)', () => {
  test.each(variants)('variant %j reproduces logits, combinations and routed experts', async (variant) => {
    const out = await runGolden(variant);
    const logits = out.logits.data as Float32Array;
    const [B, C] = out.logits.dims;
    expect([B, C]).toEqual([6, 3]);
    let maxDiff = 0;
    golden.inferenceLogits.forEach((row, b) =>
      row.forEach((v, c) => (maxDiff = Math.max(maxDiff, Math.abs(logits[b * C + c] - v)))),
    );
    expect(maxDiff).toBeLessThan(1e-4);
    // probabilities = softmax(logits) (temperature 1)
    const probs = out.probabilities.data as Float32Array;
    for (let b = 0; b < B; b++) {
      const row = golden.inferenceLogits[b];
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      row.forEach((v, c) => expect(Math.abs(probs[b * C + c] - Math.exp(v) / z)).toBeLessThan(1e-5));
    }
    expect(Array.from(out.combination.data as BigInt64Array, Number)).toEqual(golden.combinationIndex);
    // topk_experts [B, 1, M, P, k] equals the golden smoe_calls[m].topk_indices[b·P + p]
    const topk = Array.from(out.topk_experts.data as BigInt64Array, Number);
    const { patches: P, topK: k } = golden.config;
    const M = golden.config.modalities.length;
    expect(out.topk_experts.dims).toEqual([6, 1, M, P, k]);
    for (let b = 0; b < B; b++) {
      for (let m = 0; m < M; m++) {
        for (let p = 0; p < P; p++) {
          const got = topk.slice(((b * M + m) * P + p) * k, ((b * M + m) * P + p + 1) * k);
          expect(got).toEqual(golden.inferenceTopk[m][b * P + p]);
        }
      }
    }
  });

  test('rows of a missing modality are ignored (any values give the same output)', async () => {
    const bytes = exportOnnx({ config: golden.config, namedWeights: golden.namedWeights });
    const session = await ort.InferenceSession.create(bytes);
    const B = golden.observed.length;
    const feeds = (fill: number): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = {
        observed: new ort.Tensor('bool', Uint8Array.from(golden.observed.flat().map(Number)), [B, 3]),
      };
      golden.config.modalities.forEach((m, i) => {
        const x = golden.inputs[i].slice();
        for (let b = 0; b < B; b++) if (!golden.observed[b][i]) x.fill(fill, b * m.width, (b + 1) * m.width);
        f[modalityInputName(m.name)] = new ort.Tensor('float32', x, [B, m.width]);
      });
      return f;
    };
    const a = (await session.run(feeds(0))).logits.data as Float32Array;
    const b = (await session.run(feeds(1e6))).logits.data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
    await session.release();
  });

  test('a wrong weight shape is rejected with the weight name', () => {
    const weights = new Map(golden.namedWeights);
    weights.set('layer0/router_Wg', { values: new Float32Array(8 * 7), shape: [8, 7] });
    expect(() => exportOnnx({ config: golden.config, namedWeights: weights })).toThrow(
      /layer0\/router_Wg has shape \[8, 7\], expected \[8, 8\]/,
    );
    const missing = new Map(golden.namedWeights);
    missing.delete('bank');
    expect(() => exportOnnx({ config: golden.config, namedWeights: missing })).toThrow(/weight bank is missing/);
  });
});

describe('export inputs', () => {
  test('a model object and a loaded-run-like object export the same graph as the explicit source', async () => {
    const explicit = exportOnnx({ config: golden.config, namedWeights: golden.namedWeights });
    const fromModel = exportOnnx({ config: golden.config, getNamedWeights: () => golden.namedWeights });
    expect(Buffer.from(fromModel).equals(Buffer.from(explicit))).toBe(true);
    const fromRun = exportOnnx({
      config: golden.config,
      namedWeights: golden.namedWeights,
      classes: ['a', 'b', 'c'],
      runJson: {},
    });
    expect(Buffer.from(fromRun).toString('latin1')).toContain('["a","b","c"]');
  });

  test('3D-CNN weights on a modality whose config is not a volume are rejected with a clear message', () => {
    const weights = new Map(golden.namedWeights);
    weights.set('encoder0/conv0_kernel', { values: new Float32Array(27), shape: [3, 3, 3, 1, 1] });
    expect(() => exportOnnx({ config: golden.config, namedWeights: weights })).toThrow(
      /modality modL \(position 0\) has 3D-CNN encoder weights \(encoder0\/conv…\) but its config is not a volume: set kind: 'volume' and volumeShape/,
    );
  });
});
