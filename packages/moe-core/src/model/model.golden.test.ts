import * as tf from '@tensorflow/tfjs-core';
import { FixedNoiseSource } from '../random/random-source.js';
import { BACKENDS, expectClose, expectExact, flat, readGolden, useBackend } from '../testing/golden.js';
import { gatherTopKGates } from '../router/noisy-top-k.js';
import type { FlexMoEBatch } from './batch.js';
import { FlexMoEModel, type NamedWeight } from './flex-moe-model.js';

type Json = Record<string, unknown>;
interface ModelGolden {
  config: {
    order: string;
    widths: number[];
    P: number;
    H: number;
    heads: number;
    E: number;
    k: number;
    n_classes: number;
    B: number;
    lambda_router: number;
  };
  samples: { combination_index: number[]; labels: number[] };
  inputs: { modality: string; width: number; sample_indices: number[]; x: number[][] }[];
  router_noise: number[][][];
  params: Record<string, unknown>;
  training: Json & {
    smoe_calls: Json[];
    gradients_all: Record<string, unknown>;
    gradients: Json;
    expert_selection_counts: number[];
  };
  inference: Json & { smoe_calls: Json[] };
}
const golden = readGolden<ModelGolden>('model.json');
const cfg = golden.config;
const M = cfg.order.length;
const { P, H, B } = cfg;
const N = M * P;

/** Golden parameter name → ours (docs/architecture.md §1). */
function ourName(name: string): string {
  const patch = /^patch_(kernel|bias)_(\d+)$/.exec(name);
  if (patch) return `encoder${patch[2]}/patch_${patch[1]}`;
  if (['bank', 'pos_embed', 'head_kernel', 'head_bias'].includes(name)) return name;
  return `layer0/${name}`;
}

function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0];
  }
  return s;
}

function buildModel(): FlexMoEModel {
  const model = new FlexMoEModel(
    {
      modalities: [...cfg.order].map((letter, m) => ({ name: letter, letter, width: cfg.widths[m] })),
      patches: P,
      hidden: H,
      heads: cfg.heads,
      experts: cfg.E,
      topK: cfg.k,
      layers: 1,
      classes: cfg.n_classes,
      dropout: 0,
      routerLossWeight: cfg.lambda_router,
      ablation: 'none',
      dispatch: 'sparse',
    },
    { seed: 1 },
  );
  const weights = new Map<string, NamedWeight>();
  for (const [name, value] of Object.entries(golden.params)) {
    weights.set(ourName(name), { values: Float32Array.from(flat(value)), shape: shapeOf(value) });
  }
  model.setNamedWeights(weights);
  return model;
}

function makeBatch(): FlexMoEBatch {
  return {
    inputs: golden.inputs.map((i) => tf.tensor2d(i.x)),
    combination: Int32Array.from(golden.samples.combination_index),
  };
}

/** Rows of call m (t = b·P + p) out of our sample-major `[B·M·P, width]` layout. */
function callRows(values: Float32Array, width: number, m: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let p = 0; p < P; p++)
      out.push(...values.subarray((b * N + m * P + p) * width, (b * N + m * P + p + 1) * width));
  return out;
}

/** `[M][B][P][H]` block layout out of our `[B·M·P, H]` layout. */
function blockLayout(values: Float32Array): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++) out.push(...callRows(values, H, m));
  return out;
}

describe.each(BACKENDS)('Flex-MoE model golden vectors (model.json) on %s', (backend) => {
  let model: FlexMoEModel;
  beforeAll(async () => {
    await useBackend(backend);
    model = buildModel();
  });
  afterAll(() => model.dispose());

  for (const mode of ['training', 'inference'] as const) {
    it(`forward pass and losses in ${mode} mode`, () => {
      const exp = golden[mode];
      model.noise = new FixedNoiseSource(golden.router_noise);
      const batch = makeBatch();
      const trace = new Map<string, Float32Array>();
      tf.tidy(() => {
        const r = model.loss(batch, Int32Array.from(golden.samples.labels), mode === 'training', (name, t) =>
          trace.set(name, Float32Array.from(t.dataSync() as Float32Array)),
        );
        expectClose(blockLayout(trace.get('blocks') as Float32Array), exp.blocks_encoded, 'blocks_encoded');
        expectClose(trace.get('x0') as Float32Array, exp.x0, 'x0');
        expectClose(trace.get('layer0/ln1') as Float32Array, exp.ln1, 'ln1');
        expectClose(trace.get('layer0/attn') as Float32Array, exp.attn, 'attn');
        expectClose(trace.get('layer0/after_attention') as Float32Array, exp.after_attention, 'after_attention');
        expectClose(
          blockLayout(trace.get('layer0/after_attention') as Float32Array),
          exp.blocks_after_attention,
          'blocks_after_attention',
        );
        const choice = r.forward.layers[0].smoe.choice;
        const E = cfg.E;
        const k = cfg.k;
        const counts = new Array(E).fill(0);
        exp.smoe_calls.forEach((call, m) => {
          const label = `smoe_calls[${m}]`;
          expectClose(
            callRows(trace.get('layer0/smoe_input') as Float32Array, H, m),
            call.smoe_input,
            `${label}.smoe_input`,
          );
          expectClose(
            callRows(trace.get('layer0/clean_logits') as Float32Array, E, m),
            call.clean_logits,
            `${label}.clean_logits`,
          );
          expectClose(
            callRows(trace.get('layer0/noisy_logits') as Float32Array, E, m),
            call.noisy_logits,
            `${label}.noisy_logits`,
          );
          const topk = callRows(Float32Array.from(choice.topkIndices), k, m);
          expectExact(topk, call.topk_indices, `${label}.topk_indices`);
          topk.forEach((e) => counts[e]++);
          const gates = callRows(gatherTopKGates(trace.get('layer0/gates') as Float32Array, choice), k, m);
          expectClose(gates, call.topk_gates, `${label}.topk_gates`);
          expectClose(callRows(trace.get('layer0/load') as Float32Array, E, m), call.p, `${label}.p`);
          expectClose(
            callRows(trace.get('layer0/smoe_output') as Float32Array, H, m),
            call.smoe_output,
            `${label}.smoe_output`,
          );
          expectClose([(trace.get('layer0/g_balance') as Float32Array)[m]], [call.g_balance], `${label}.g_balance`);
          expectClose([(trace.get('layer0/s_ce') as Float32Array)[m]], [call.s_ce], `${label}.s_ce`);
          expectClose([(trace.get('layer0/s_balance') as Float32Array)[m]], [call.s_balance], `${label}.s_balance`);
          expectClose(
            [(trace.get('layer0/router_loss') as Float32Array)[m]],
            [call.router_loss],
            `${label}.router_loss`,
          );
        });
        if (mode === 'training')
          expectExact(counts, golden.training.expert_selection_counts, 'expert_selection_counts');
        expectClose(
          blockLayout(trace.get('layer0/after_smoe') as Float32Array),
          exp.blocks_after_smoe,
          'blocks_after_smoe',
        );
        expectClose(trace.get('pooled') as Float32Array, exp.pooled, 'pooled');
        expectClose(trace.get('logits') as Float32Array, exp.logits, 'logits');
        expectClose(r.taskLoss.dataSync(), [exp.task_ce], 'task_ce');
        expectClose(r.routerLoss.dataSync(), [exp.router_loss_total], 'router_loss_total');
        expectClose(r.loss.dataSync(), [exp.total_loss], 'total_loss');
      });
      batch.inputs.forEach((t) => t?.dispose());
    });
  }

  it('gradients of every parameter (training mode)', () => {
    model.noise = new FixedNoiseSource(golden.router_noise);
    const batch = makeBatch();
    const { values, gradients } = model.computeGradients(batch, Int32Array.from(golden.samples.labels));
    batch.inputs.forEach((t) => t?.dispose());
    expectClose([values.loss], [golden.training.total_loss], 'total_loss');
    const names = Object.keys(golden.training.gradients_all);
    expect(names.length).toBe(gradients.size);
    for (const name of names) {
      const g = gradients.get(ourName(name));
      if (!g) throw new Error(`no gradient for ${name}`);
      expectClose(g.values, golden.training.gradients_all[name], `gradient of ${name}`);
    }
    const bank = gradients.get('bank') as NamedWeight;
    expectClose(bank.values, golden.training.gradients.bank, 'gradients.bank');
    const e = golden.training.gradients.expert_index as number;
    const w1 = gradients.get('layer0/expert_W1') as NamedWeight;
    expectClose(
      w1.values.subarray(e * H * 2 * H, (e + 1) * H * 2 * H),
      golden.training.gradients.expert_W1,
      'gradients.expert_W1',
    );
    // Observed bank entries and row 0 receive exactly zero gradient.
    const used = new Set(['1,2', '3,0', '4,1', '4,2', '6,0', '6,1']);
    for (let c = 0; c < 7; c++) {
      for (let m = 0; m < M; m++) {
        const block = bank.values.subarray((c * M + m) * P * H, (c * M + m + 1) * P * H);
        const nonzero = block.some((v) => v !== 0);
        expect([c, m, nonzero]).toEqual([c, m, used.has(`${c},${m}`)]);
      }
    }
  });
});
