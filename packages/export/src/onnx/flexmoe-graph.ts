import { cnnChannels, combinationIndexByCode, PATCH_PROJECTIONS } from '@flexmoe/moe-core/spec';
import type { ExportModelConfig, NamedWeights } from '../model-types.js';
import { GraphBuilder } from './graph-builder.js';
import { GRAPH_NAMES } from './graph-names.js';

/** Graph variants measured in docs/benchmarks.md; all compute the same function. */
export interface GraphVariant {
  /** `sparse`: only the routed (token, expert) pairs run (sort + Split by expert); `dense`: all experts, gated. */
  moe: 'dense' | 'sparse';
  /** `gemm`: 2-D Gemm with fused bias; `matmul`: MatMul + Add. */
  linear: 'gemm' | 'matmul';
  /** `fused`: com.microsoft Attention contrib op; `standard`: MatMul/Softmax/MatMul per head. */
  attention: 'standard' | 'fused';
}

/** The variant chosen by measurement (docs/benchmarks.md, "Inference latency"). */
export const DEFAULT_GRAPH_VARIANT: GraphVariant = { moe: 'sparse', linear: 'gemm', attention: 'standard' };

/** Name of the float input of modality `name` (non-alphanumerics become `_`). */
export function modalityInputName(name: string): string {
  return `x_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Input names of all modalities, in order: {@link modalityInputName}, made distinct when two names differ
 * only in characters that become `_` (`a b`, `a/b`): the later ones get `_<position>` appended.
 */
export function modalityInputNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name, i) => {
    const base = modalityInputName(name);
    let input = base;
    for (let k = i + 1; used.has(input); k += names.length) input = `${base}_${k}`;
    used.add(input);
    return input;
  });
}

export { GRAPH_NAMES } from './graph-names.js';

/** Options of {@link buildFlexMoEGraph}. */
export interface BuildGraphOptions {
  variant?: Partial<GraphVariant>;
  /** Softmax temperature for `probabilities` (logits are reported unscaled). Default 1. */
  temperature?: number;
}

/** Result: the graph plus the operator-set domains it needs. */
export interface BuiltGraph {
  builder: GraphBuilder;
  variant: GraphVariant;
}

/**
 * Lower bound on the ensemble's mean probability before `Log`: keeps `logits` finite (calibration and
 * log-likelihoods read them) when every member gives a class probability 0 in float32.
 */
export const ENSEMBLE_PROBABILITY_FLOOR = 1e-30;

/**
 * Builds the inference graph of a Flex-MoE model (docs/algorithm.md §1-§5, inference mode: dropout 0, router
 * without noise). Inputs: one `x_<modality>` float tensor `[batch, width]` per modality (rows of
 * samples lacking it are ignored) and `observed` bool `[batch, M]`.
 *
 * `weights` may list several members (a seed ensemble: one config, different weights). They share the
 * inputs and `combination`; each computes its logits as a single model does, and the graph outputs
 * `probabilities` = the mean of the members' softmax (softmax(logits / T) when T ≠ 1), `logits` =
 * log(max(mean, {@link ENSEMBLE_PROBABILITY_FLOOR})) so that softmax(logits) is the mean again, and
 * `topk_experts` / `topk_gates` of member 0. One member (or a bare map) gives exactly the single-model graph.
 */
export function buildFlexMoEGraph(
  config: ExportModelConfig,
  weights: NamedWeights | readonly NamedWeights[],
  options: BuildGraphOptions = {},
): BuiltGraph {
  validateConfig(config);
  const members: readonly NamedWeights[] = weights instanceof Map ? [weights] : weights;
  if (members.length === 0) throw new Error('buildFlexMoEGraph: no weights given (an ensemble needs members)');
  const variant: GraphVariant = { ...DEFAULT_GRAPH_VARIANT, ...options.variant };
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new Error(`temperature must be a positive finite number, got ${temperature}`);
  }
  const g = new GraphBuilder();
  const { modalities, patches: P, topK: k, layers: L, classes } = config;
  const M = modalities.length;

  // ---- inputs
  const inputNames = modalityInputNames(modalities.map((m) => m.name));
  const xInputs = modalities.map((m, i) => g.input(inputNames[i], 'float', ['batch', m.width]));
  const observed = g.input(GRAPH_NAMES.observed, 'bool', ['batch', M]);

  // ---- combination index from the mask (bit m = 2^m), looked up in a 2^M table
  const observedInt = g.op('Cast', [observed], { to: 7 });
  const bits = g.int64Tensor(
    'mask_bits',
    modalities.map((_, m) => 2 ** m),
  );
  const code = g.op(
    'ReduceSum',
    [g.op('Mul', [observedInt, bits]), g.int64Tensor('axis1', [1])],
    { keepdims: 0 },
    'mask_code',
  );
  const byCode = combinationIndexByCode(M);
  const combination = g.op('Gather', [g.int64Tensor('combination_by_code', byCode), code], { axis: 0 });
  g.rename(combination, GRAPH_NAMES.combination);
  const noBank = config.ablation === 'no-bank';
  const bankRowByCode = byCode.map((c) => (noBank || c < 0 ? 0 : c));
  const bankRow = g.op('Gather', [g.int64Tensor('bank_row_by_code', bankRowByCode), code], { axis: 0 });

  // The per-token mask depends on the inputs only: made once (where member 0 first needs it), shared by all.
  let tokenMask: string | undefined;
  const shared: SharedTensors = {
    xInputs,
    bankRow,
    tokenMask: () =>
      (tokenMask ??= g.op('Reshape', [
        g.op('Expand', [
          g.op('Unsqueeze', [observed, g.int64Tensor('axis2', [2])]),
          g.int64Tensor('expand_p', [1, 1, P]),
        ]),
        g.int64Tensor('token_mask_shape', [0, M * P, 1]),
      ])),
  };

  if (members.length === 1) {
    const { logits, routed, routedGates } = memberForward(g, config, members[0], variant, shared, true);
    g.rename(logits, GRAPH_NAMES.logits);
    const scaled =
      temperature === 1
        ? logits
        : g.op('Div', [logits, g.floatTensor('temperature', new Float32Array([temperature]), [])]);
    g.rename(g.op('Softmax', [scaled], { axis: -1 }), GRAPH_NAMES.probabilities);
    g.rename(L === 1 ? routed[0] : g.op('Concat', routed, { axis: 1 }), GRAPH_NAMES.topkExperts);
    g.rename(L === 1 ? routedGates[0] : g.op('Concat', routedGates, { axis: 1 }), GRAPH_NAMES.topkGates);
  } else {
    const forwards = members.map((w, i) => {
      try {
        // Member 0 keeps the single model's names; the others get `m<i>_` (tensor names must be unique).
        const run = (): MemberOutputs => memberForward(g, config, w, variant, shared, i === 0);
        return i === 0 ? run() : g.withScope(`m${i}_`, run);
      } catch (e) {
        throw new Error(`ensemble member ${i}: ${(e as Error).message}`);
      }
    });
    const memberProbabilities = forwards.map((f, i) =>
      g.op('Softmax', [f.logits], { axis: -1 }, `member${i}_probabilities`),
    );
    // Div by n rather than Mul by 1/n: 1/n itself would be rounded to float32 first.
    const mean = g.op(
      'Div',
      [
        g.op('Sum', memberProbabilities, {}, 'probability_sum'),
        g.floatTensor('members', new Float32Array([members.length]), []),
      ],
      {},
      'mean_probability',
    );
    const logits = g.op(
      'Log',
      [g.op('Max', [mean, g.floatTensor('probability_floor', new Float32Array([ENSEMBLE_PROBABILITY_FLOOR]), [])])],
      {},
      'ensemble_logits',
    );
    g.rename(logits, GRAPH_NAMES.logits);
    // T = 1: the mean itself (softmax of its log would only add rounding).
    const probabilities =
      temperature === 1
        ? mean
        : g.op('Softmax', [g.op('Div', [logits, g.floatTensor('temperature', new Float32Array([temperature]), [])])], {
            axis: -1,
          });
    g.rename(probabilities, GRAPH_NAMES.probabilities);
    const { routed, routedGates } = forwards[0];
    g.rename(L === 1 ? routed[0] : g.op('Concat', routed, { axis: 1 }), GRAPH_NAMES.topkExperts);
    g.rename(L === 1 ? routedGates[0] : g.op('Concat', routedGates, { axis: 1 }), GRAPH_NAMES.topkGates);
  }

  g.output(GRAPH_NAMES.probabilities, 'float', ['batch', classes]);
  g.output(GRAPH_NAMES.logits, 'float', ['batch', classes]);
  g.output(GRAPH_NAMES.combination, 'int64', ['batch']);
  g.output(GRAPH_NAMES.topkExperts, 'int64', ['batch', L, M, P, k]);
  g.output(GRAPH_NAMES.topkGates, 'float', ['batch', L, M, P, k]);
  return { builder: g, variant };
}

/** Graph tensors every member reads. */
interface SharedTensors {
  xInputs: string[];
  bankRow: string;
  /** `[batch, M·P, 1]` bool: whether each token's modality is observed. */
  tokenMask: () => string;
}

/** One model's unscaled logits, and (when asked for) its routing reshaped per layer to `[batch, 1, M, P, k]`. */
interface MemberOutputs {
  logits: string;
  routed: string[];
  routedGates: string[];
}

/** One model's forward pass from the shared inputs to its head logits. */
function memberForward(
  g: GraphBuilder,
  config: ExportModelConfig,
  weights: NamedWeights,
  variant: GraphVariant,
  shared: SharedTensors,
  withRouting: boolean,
): MemberOutputs {
  const { modalities, patches: P, hidden: H, heads, experts: E, topK: k, layers: L, classes } = config;
  const M = modalities.length;
  const T = M * P;
  const weight = weightReader(weights);
  const { xInputs, bankRow } = shared;
  const noBank = config.ablation === 'no-bank';

  const linear = (x: string, kernel: string, bias: string, prefix: string): string =>
    variant.linear === 'gemm'
      ? g.op('Gemm', [x, kernel, bias], {}, prefix)
      : g.op('Add', [g.op('MatMul', [x, kernel]), bias], {}, prefix);

  // ---- encoders: (volumes: 3D CNN → [batch, H]) zero-pad to P·ps, patches [P, ps], a dense ps → H (shared or per patch)
  const encoded = modalities.map((m, i) => {
    const volume = volumeSpec(m, i, weights);
    const d = volume ? H : m.width;
    const ps = Math.ceil(d / P);
    let x = volume ? cnn3d(g, xInputs[i], weight, i, volume, H, linear) : xInputs[i];
    if (P * ps > d) x = g.op('Pad', [x, g.int64Tensor(`pads_${i}`, [0, 0, 0, P * ps - d])]);
    if (config.patchProjection === 'per-patch') {
      // [batch, P, ps] → [P, batch, ps] · [P, ps, H] → [P, batch, H] → [batch, P, H], plus each patch's bias.
      const byPatch = g.op('Transpose', [g.op('Reshape', [x, g.int64Tensor(`patch_shape_${i}`, [-1, P, ps])])], {
        perm: [1, 0, 2],
      });
      const kernel = g.floatTensor(`encoder${i}_patch_kernel`, weight(`encoder${i}/patch_kernel`, [P, ps, H]), [
        P,
        ps,
        H,
      ]);
      const bias = g.floatTensor(`encoder${i}_patch_bias`, weight(`encoder${i}/patch_bias`, [P, H]), [P, H]);
      const projected = g.op('Transpose', [g.op('MatMul', [byPatch, kernel])], { perm: [1, 0, 2] });
      return g.op('Add', [projected, bias], {}, `encoded_${i}`);
    }
    const patchesFlat = g.op('Reshape', [x, g.int64Tensor(`patch_shape_${i}`, [-1, ps])]);
    const kernel = g.floatTensor(`encoder${i}_patch_kernel`, weight(`encoder${i}/patch_kernel`, [ps, H]), [ps, H]);
    const bias = g.floatTensor(`encoder${i}_patch_bias`, weight(`encoder${i}/patch_bias`, [H]), [H]);
    return g.op('Reshape', [
      linear(patchesFlat, kernel, bias, `encoded_${i}`),
      g.int64Tensor(`block_shape_${i}`, [-1, P, H]),
    ]);
  });
  const encodedAll = M === 1 ? encoded[0] : g.op('Concat', encoded, { axis: 1 });

  // ---- bank rows for the missing blocks, chosen per token by the mask
  const bankRows = noBank ? 1 : (1 << M) - 1;
  const bank = g.floatTensor('bank', weight('bank', [bankRows, M, P, H]), [bankRows, T, H]);
  const bankBlocks = g.op('Gather', [bank, bankRow], { axis: 0 });
  const blocks = g.op('Where', [shared.tokenMask(), encodedAll, bankBlocks]);
  let x = g.op('Add', [blocks, g.floatTensor('pos_embed', weight('pos_embed', [1, T, H]), [1, T, H])], {}, 'x0');

  const routed: string[] = [];
  const routedGates: string[] = [];
  for (let l = 0; l < L; l++) {
    // ---- attention: x + MHSA(LN1(x))
    const lw = (n: string, shape: number[]): string =>
      g.floatTensor(`layer${l}_${n}`, weight(`layer${l}/${n}`, shape), shape);
    const ln1 = g.op('LayerNormalization', [x, lw('ln1_gamma', [H]), lw('ln1_beta', [H])], {
      axis: -1,
      epsilon: { float: 1e-5 },
    });
    const attention =
      variant.attention === 'fused'
        ? fusedAttention(g, ln1, weight, l, H, heads)
        : standardAttention(g, ln1, weight, l, H, heads, T);
    const attnFlat = g.op('Reshape', [attention, g.int64Tensor('flat_h', [-1, H])]);
    const attnOut = linear(attnFlat, lw('attn_out_kernel', [H, H]), lw('attn_out_bias', [H]), `attn_out_${l}`);
    const afterAttention = g.op('Add', [x, g.op('Reshape', [attnOut, g.int64Tensor('tokens_shape', [-1, T, H])])]);

    // ---- SMoE on LN2(x), shared by all blocks; inference router = clean logits, top-k, softmax over k
    const ln2 = g.op('LayerNormalization', [afterAttention, lw('ln2_gamma', [H]), lw('ln2_beta', [H])], {
      axis: -1,
      epsilon: { float: 1e-5 },
    });
    const tokens = g.op('Reshape', [ln2, g.int64Tensor('flat_h', [-1, H])]);
    const routerLogits = g.op('MatMul', [tokens, lw('router_Wg', [H, E])]);
    const [topValues, topIndices] = g.node(
      'TopK',
      [routerLogits, g.int64Tensor('k', [k])],
      { axis: -1, largest: 1, sorted: 1 },
      2,
    );
    const gates = g.op('Softmax', [topValues], { axis: -1 });
    const moeOut =
      variant.moe === 'dense'
        ? denseExperts(g, tokens, routerLogits, topIndices, gates, weight, l, H, E, variant)
        : sparseExperts(g, tokens, topIndices, gates, weight, l, H, E, k, variant);
    x = g.op(
      'Add',
      [afterAttention, g.op('Reshape', [moeOut, g.int64Tensor('tokens_shape', [-1, T, H])])],
      {},
      `x_layer${l}`,
    );
    if (withRouting) {
      const routedShape = g.int64Tensor('routed_shape', [-1, 1, M, P, k]);
      routed.push(g.op('Reshape', [topIndices, routedShape]));
      routedGates.push(g.op('Reshape', [gates, routedShape]));
    }
  }

  // ---- head: mean over each block's P tokens, concat, dense. Folded into one Gemm: the kernel row of
  // block m is repeated for its P tokens and divided by P.
  const headKernel = weight('head_kernel', [M * H, classes]);
  const expanded = new Float32Array(T * H * classes);
  for (let m = 0; m < M; m++) {
    for (let p = 0; p < P; p++) {
      for (let h = 0; h < H; h++) {
        for (let c = 0; c < classes; c++) {
          expanded[((m * P + p) * H + h) * classes + c] = headKernel[(m * H + h) * classes + c] / P;
        }
      }
    }
  }
  const pooledFlat = g.op('Reshape', [x, g.int64Tensor('flat_tokens', [-1, T * H])]);
  const logits = linear(
    pooledFlat,
    g.floatTensor('head_kernel_tokens', expanded, [T * H, classes]),
    g.floatTensor('head_bias', weight('head_bias', [classes]), [classes]),
    'logits_raw',
  );
  return { logits, routed, routedGates };
}

type WeightReader = (name: string, shape: number[]) => Float32Array;

function weightReader(weights: NamedWeights): WeightReader {
  return (name, shape) => {
    const w = weights.get(name);
    if (!w) throw new Error(`weight ${name} is missing (expected shape [${shape.join(', ')}])`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`weight ${name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (w.values.length !== size) throw new Error(`weight ${name} has ${w.values.length} values, expected ${size}`);
    return w.values;
  };
}

/** Volume shape and CNN channels of a 3D-CNN modality (docs/algorithm.md §2). */
interface VolumeSpec {
  volumeShape: [number, number, number];
  channels: [number, number, number];
}

/** Conv layers of @flexmoe/encoders' 3D CNN (three pairs). */
const CNN_CONV_LAYERS = 6;

/** The volume of modality `i` (`kind: 'volume'`), checked against its width and weights; null for a tabular one. */
function volumeSpec(m: ExportModelConfig['modalities'][number], i: number, weights: NamedWeights): VolumeSpec | null {
  const hasCnnWeights = [...weights.keys()].some(
    (k) => k.startsWith(`encoder${i}/`) && !/\/patch_(kernel|bias)$/.test(k),
  );
  if (m.kind !== 'volume') {
    if (hasCnnWeights) {
      throw new Error(
        `modality ${m.name} (position ${i}) has 3D-CNN encoder weights (encoder${i}/conv…) but its config is not a volume: ` +
          "set kind: 'volume' and volumeShape [D, H, W] on the modality",
      );
    }
    return null;
  }
  const shape = m.volumeShape;
  if (!shape || shape.length !== 3 || shape.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(
      `volume modality ${m.name} (position ${i}) needs volumeShape [D, H, W] of positive integers, got ${JSON.stringify(shape)}`,
    );
  }
  const voxels = shape[0] * shape[1] * shape[2];
  if (voxels !== m.width) {
    throw new Error(
      `volume modality ${m.name} (position ${i}): volumeShape ${shape.join('×')} = ${voxels} voxels does not match width ${m.width}`,
    );
  }
  return { volumeShape: [shape[0], shape[1], shape[2]], channels: cnnChannels(m) };
}

/** TF.js / TF `'same'` pooling: output ceil(n/s), the odd remainder padded at the end. */
function samePoolPads(dims: number[], k: number, s: number): { pads: number[]; out: number[] } {
  const out = dims.map((n) => Math.ceil(n / s));
  const total = dims.map((n, a) => Math.max((out[a] - 1) * s + k - n, 0));
  const begin = total.map((t) => Math.floor(t / 2));
  return { pads: [...begin, ...total.map((t, a) => t - begin[a])], out };
}

/**
 * The 3D CNN of @flexmoe/encoders (`cnn3dForward`) on `x [batch, D·H·W]`: Reshape to NCDHW `[batch, 1, D, H, W]`
 * (the flat row is `[D][H][W]` row-major, as TF.js's NDHWC with one channel), Conv 3³ pads 1 + Relu ×2,
 * MaxPool 2³ stride 2 with TF 'same' pads (odd sizes padded at the end), ×2, MaxPool, ×2, ReduceMean over
 * D, H, W, Gemm to H + Relu. TF.js kernels `[kd, kh, kw, in, out]` become ONNX `[out, in, kd, kh, kw]`.
 */
function cnn3d(
  g: GraphBuilder,
  x: string,
  weight: WeightReader,
  i: number,
  spec: VolumeSpec,
  H: number,
  linear: (x: string, kernel: string, bias: string, prefix: string) => string,
): string {
  let dims = [...spec.volumeShape];
  let y = g.op('Reshape', [x, g.int64Tensor(`volume_shape_${i}`, [-1, 1, ...dims])], {}, `volume_${i}`);
  for (let c = 0; c < CNN_CONV_LAYERS; c++) {
    const cin = c === 0 ? 1 : spec.channels[Math.floor((c - 1) / 2)];
    const cout = spec.channels[Math.floor(c / 2)];
    const tfKernel = weight(`encoder${i}/conv${c}_kernel`, [3, 3, 3, cin, cout]);
    const kernel = new Float32Array(tfKernel.length);
    for (let kd = 0; kd < 3; kd++) {
      for (let kh = 0; kh < 3; kh++) {
        for (let kw = 0; kw < 3; kw++) {
          const spatial = (kd * 3 + kh) * 3 + kw;
          for (let ci = 0; ci < cin; ci++) {
            for (let co = 0; co < cout; co++)
              kernel[(co * cin + ci) * 27 + spatial] = tfKernel[(spatial * cin + ci) * cout + co];
          }
        }
      }
    }
    const conv = g.op(
      'Conv',
      [
        y,
        g.floatTensor(`encoder${i}_conv${c}_kernel`, kernel, [cout, cin, 3, 3, 3]),
        g.floatTensor(`encoder${i}_conv${c}_bias`, weight(`encoder${i}/conv${c}_bias`, [cout]), [cout]),
      ],
      { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1], strides: [1, 1, 1] },
    );
    y = g.op('Relu', [conv], {}, `encoder${i}_conv${c}`);
    if (c === 1 || c === 3) {
      const { pads, out } = samePoolPads(dims, 2, 2);
      y = g.op(
        'MaxPool',
        [y],
        { kernel_shape: [2, 2, 2], strides: [2, 2, 2], pads },
        `encoder${i}_pool${c === 1 ? 0 : 1}`,
      );
      dims = out;
    }
  }
  const pooled = g.op('ReduceMean', [y, g.int64Tensor('axes_dhw', [2, 3, 4])], { keepdims: 0 }, `encoder${i}_gap`);
  const C3 = spec.channels[2];
  const dense = linear(
    pooled,
    g.floatTensor(`encoder${i}_cnn_dense_kernel`, weight(`encoder${i}/cnn_dense_kernel`, [C3, H]), [C3, H]),
    g.floatTensor(`encoder${i}_cnn_dense_bias`, weight(`encoder${i}/cnn_dense_bias`, [H]), [H]),
    `encoder${i}_cnn_dense`,
  );
  return g.op('Relu', [dense], {}, `encoder${i}_features`);
}

function validateConfig(config: ExportModelConfig): void {
  const { modalities, patches, hidden, heads, experts, topK, layers, classes } = config;
  const M = modalities.length;
  const problems: string[] = [];
  if (M < 1) problems.push('modalities must not be empty');
  for (const [key, value] of Object.entries({ patches, hidden, heads, experts, topK, layers, classes })) {
    if (!Number.isInteger(value) || value < 1) problems.push(`${key} must be a positive integer, got ${value}`);
  }
  if (hidden % heads !== 0) problems.push(`hidden ${hidden} is not divisible by heads ${heads}`);
  if (topK > experts) problems.push(`topK ${topK} exceeds experts ${experts}`);
  if (classes < 2) problems.push(`classes must be >= 2, got ${classes}`);
  if (config.patchProjection !== undefined && !PATCH_PROJECTIONS.includes(config.patchProjection))
    problems.push(
      `patchProjection must be one of ${PATCH_PROJECTIONS.join(', ')}, got ${String(config.patchProjection)}`,
    );
  modalities.forEach((m, i) => {
    if (!Number.isInteger(m.width) || m.width < 1) problems.push(`modalities[${i}].width must be a positive integer`);
  });
  if (problems.length) throw new Error(`invalid model config: ${problems.join('; ')}`);
}

function standardAttention(
  g: GraphBuilder,
  ln1: string,
  weight: WeightReader,
  l: number,
  H: number,
  heads: number,
  T: number,
): string {
  const hd = H / heads;
  const scale = 1 / Math.sqrt(hd);
  // One [H, 3H] projection (q | k | v); the attention scale is folded into the q columns.
  const wq = weight(`layer${l}/attn_q_kernel`, [H, H]);
  const wkv = weight(`layer${l}/attn_kv_kernel`, [H, 2 * H]);
  const wqkv = new Float32Array(H * 3 * H);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < H; c++) wqkv[r * 3 * H + c] = wq[r * H + c] * scale;
    for (let c = 0; c < 2 * H; c++) wqkv[r * 3 * H + H + c] = wkv[r * 2 * H + c];
  }
  const qkv = g.op('MatMul', [ln1, g.floatTensor(`layer${l}_attn_qkv_kernel`, wqkv, [H, 3 * H])]);
  const split = g.op('Transpose', [g.op('Reshape', [qkv, g.int64Tensor('qkv_shape', [-1, T, 3, heads, hd])])], {
    perm: [2, 0, 3, 1, 4],
  });
  const [q, kk, v] = g
    .node('Split', [split, g.int64Tensor('split3', [1, 1, 1])], { axis: 0 }, 3)
    .map((t) => g.op('Squeeze', [t, g.int64Tensor('axis0', [0])]));
  const scores = g.op('MatMul', [q, g.op('Transpose', [kk], { perm: [0, 1, 3, 2] })]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  return g.op('Reshape', [
    g.op('Transpose', [context], { perm: [0, 2, 1, 3] }),
    g.int64Tensor('tokens_shape', [-1, T, H]),
  ]);
}

function fusedAttention(
  g: GraphBuilder,
  ln1: string,
  weight: WeightReader,
  l: number,
  H: number,
  heads: number,
): string {
  const wq = weight(`layer${l}/attn_q_kernel`, [H, H]);
  const wkv = weight(`layer${l}/attn_kv_kernel`, [H, 2 * H]);
  const wqkv = new Float32Array(H * 3 * H);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < H; c++) wqkv[r * 3 * H + c] = wq[r * H + c];
    for (let c = 0; c < 2 * H; c++) wqkv[r * 3 * H + H + c] = wkv[r * 2 * H + c];
  }
  return g.node(
    'Attention',
    [
      ln1,
      g.floatTensor(`layer${l}_attn_qkv_kernel`, wqkv, [H, 3 * H]),
      g.floatTensor(`layer${l}_attn_qkv_bias`, new Float32Array(3 * H), [3 * H]),
    ],
    { num_heads: heads },
    1,
    'com.microsoft',
  )[0];
}

function denseExperts(
  g: GraphBuilder,
  tokens: string,
  routerLogits: string,
  topIndices: string,
  gates: string,
  weight: WeightReader,
  l: number,
  H: number,
  E: number,
  variant: GraphVariant,
): string {
  // Dense gates G [N, E]: the k softmax values scattered into zeros.
  const zeros = g.op('Expand', [g.floatTensor('zero', new Float32Array([0]), [1]), g.op('Shape', [routerLogits])]);
  const G = g.op('ScatterElements', [zeros, topIndices, gates], { axis: 1 });
  // All experts' first layers as one [H, E·2H] kernel; gating the hidden units lets the second layers
  // be one [E·2H, H] kernel too (Σ_e G_e·(h_e·W2_e + b2_e) = (G⊙h)·W2cat + G·b2).
  const w1 = weight(`layer${l}/expert_W1`, [E, H, 2 * H]);
  const w1cat = new Float32Array(H * E * 2 * H);
  for (let e = 0; e < E; e++) {
    for (let r = 0; r < H; r++) {
      w1cat.set(w1.subarray((e * H + r) * 2 * H, (e * H + r + 1) * 2 * H), r * E * 2 * H + e * 2 * H);
    }
  }
  const w1Name = g.floatTensor(`layer${l}_expert_W1_cat`, w1cat, [H, E * 2 * H]);
  const b1Name = g.floatTensor(`layer${l}_expert_b1_cat`, weight(`layer${l}/expert_b1`, [E, 2 * H]), [E * 2 * H]);
  const hidden =
    variant.linear === 'gemm'
      ? g.op('Gemm', [tokens, w1Name, b1Name])
      : g.op('Add', [g.op('MatMul', [tokens, w1Name]), b1Name]);
  const activated = g.op('Gelu', [hidden]);
  const gated = g.op('Mul', [
    g.op('Reshape', [activated, g.int64Tensor('experts_hidden', [-1, E, 2 * H])]),
    g.op('Unsqueeze', [G, g.int64Tensor('axis2', [2])]),
  ]);
  const gatedFlat = g.op('Reshape', [gated, g.int64Tensor('experts_flat', [-1, E * 2 * H])]);
  const mixedBias = g.op('MatMul', [
    G,
    g.floatTensor(`layer${l}_expert_b2`, weight(`layer${l}/expert_b2`, [E, H]), [E, H]),
  ]);
  const w2Name = g.floatTensor(`layer${l}_expert_W2_cat`, weight(`layer${l}/expert_W2`, [E, 2 * H, H]), [E * 2 * H, H]);
  return variant.linear === 'gemm'
    ? g.op('Gemm', [gatedFlat, w2Name, mixedBias])
    : g.op('Add', [g.op('MatMul', [gatedFlat, w2Name]), mixedBias]);
}

function sparseExperts(
  g: GraphBuilder,
  tokens: string,
  topIndices: string,
  gates: string,
  weight: WeightReader,
  l: number,
  H: number,
  E: number,
  k: number,
  variant: GraphVariant,
): string {
  // (token, slot) pairs sorted by expert; Split by per-expert counts; each expert runs on its rows only.
  const flatShape = g.int64Tensor('flat', [-1]);
  const pairExpert = g.op('Reshape', [topIndices, flatShape]);
  const pairGate = g.op('Reshape', [gates, flatShape]);
  const pairCount = g.op('Shape', [pairExpert]);
  const [, order] = g.node('TopK', [pairExpert, pairCount], { axis: 0, largest: 0, sorted: 1 }, 2);
  const pairToken = g.op('Div', [order, g.int64Tensor('k_scalar', [k], [])]);
  const sortedTokens = g.op('Gather', [tokens, pairToken], { axis: 0 });
  const expertRange = g.int64Tensor(
    'expert_range',
    Array.from({ length: E }, (_, e) => e),
    [1, E],
  );
  const counts = g.op(
    'ReduceSum',
    [
      g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [pairExpert, g.int64Tensor('axis1', [1])]), expertRange])], {
        to: 7,
      }),
      g.int64Tensor('axis0', [0]),
    ],
    { keepdims: 0 },
  );
  const parts = g.node('Split', [sortedTokens, counts], { axis: 0 }, E);
  const w1 = weight(`layer${l}/expert_W1`, [E, H, 2 * H]);
  const b1 = weight(`layer${l}/expert_b1`, [E, 2 * H]);
  const w2 = weight(`layer${l}/expert_W2`, [E, 2 * H, H]);
  const b2 = weight(`layer${l}/expert_b2`, [E, H]);
  const outputs = parts.map((part, e) => {
    const lin = (x: string, w: Float32Array, b: Float32Array, inDim: number, outDim: number, n: string): string => {
      const wName = g.floatTensor(`layer${l}_expert${e}_${n}_kernel`, w, [inDim, outDim]);
      const bName = g.floatTensor(`layer${l}_expert${e}_${n}_bias`, b, [outDim]);
      return variant.linear === 'gemm'
        ? g.op('Gemm', [x, wName, bName])
        : g.op('Add', [g.op('MatMul', [x, wName]), bName]);
    };
    const hidden = g.op('Gelu', [
      lin(part, w1.slice(e * H * 2 * H, (e + 1) * H * 2 * H), b1.slice(e * 2 * H, (e + 1) * 2 * H), H, 2 * H, 'W1'),
    ]);
    return lin(hidden, w2.slice(e * 2 * H * H, (e + 1) * 2 * H * H), b2.slice(e * H, (e + 1) * H), 2 * H, H, 'W2');
  });
  const sortedOut = g.op('Concat', outputs, { axis: 0 });
  const weighted = g.op('Mul', [
    sortedOut,
    g.op('Unsqueeze', [g.op('Gather', [pairGate, order], { axis: 0 }), g.int64Tensor('axis1', [1])]),
  ]);
  // Undo the sort, then sum each token's k slots.
  const zeros = g.op('Expand', [g.floatTensor('zero', new Float32Array([0]), [1]), g.op('Shape', [weighted])]);
  const unsorted = g.op('ScatterND', [zeros, g.op('Unsqueeze', [order, g.int64Tensor('axis1', [1])]), weighted]);
  return g.op(
    'ReduceSum',
    [g.op('Reshape', [unsorted, g.int64Tensor('slots_shape', [-1, k, H])]), g.int64Tensor('axis1', [1])],
    { keepdims: 0 },
  );
}
