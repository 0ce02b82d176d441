import { mulberry32 } from '@flexmoe/data';
import type { ExportModelConfig, NamedWeights } from '../model-types.js';

/** Shapes of every named weight of a config (architecture.md §1; the 3D CNN for `kind: 'volume'` modalities). */
export function weightShapes(config: ExportModelConfig): Map<string, number[]> {
  const { modalities, patches: P, hidden: H, experts: E, layers, classes } = config;
  const M = modalities.length;
  const shapes = new Map<string, number[]>();
  modalities.forEach((m, i) => {
    if (m.kind === 'volume') {
      // The 3D CNN of @flexmoe/encoders (cnn3dWeightShapes), then the patch embedding of its H features.
      const channels = m.channels ?? [8, 16, 32];
      for (let c = 0; c < 6; c++) {
        const cin = c === 0 ? 1 : channels[Math.floor((c - 1) / 2)];
        const cout = channels[Math.floor(c / 2)];
        shapes.set(`encoder${i}/conv${c}_kernel`, [3, 3, 3, cin, cout]);
        shapes.set(`encoder${i}/conv${c}_bias`, [cout]);
      }
      shapes.set(`encoder${i}/cnn_dense_kernel`, [channels[2], H]);
      shapes.set(`encoder${i}/cnn_dense_bias`, [H]);
    }
    shapes.set(`encoder${i}/patch_kernel`, [Math.ceil((m.kind === 'volume' ? H : m.width) / P), H]);
    shapes.set(`encoder${i}/patch_bias`, [H]);
  });
  shapes.set('bank', [config.ablation === 'no-bank' ? 1 : 2 ** M - 1, M, P, H]);
  shapes.set('pos_embed', [1, M * P, H]);
  for (let l = 0; l < layers; l++) {
    const p = `layer${l}/`;
    shapes.set(`${p}ln1_gamma`, [H]);
    shapes.set(`${p}ln1_beta`, [H]);
    shapes.set(`${p}attn_q_kernel`, [H, H]);
    shapes.set(`${p}attn_kv_kernel`, [H, 2 * H]);
    shapes.set(`${p}attn_out_kernel`, [H, H]);
    shapes.set(`${p}attn_out_bias`, [H]);
    shapes.set(`${p}ln2_gamma`, [H]);
    shapes.set(`${p}ln2_beta`, [H]);
    shapes.set(`${p}router_Wg`, [H, E]);
    shapes.set(`${p}router_Wn`, [H, E]);
    shapes.set(`${p}expert_W1`, [E, H, 2 * H]);
    shapes.set(`${p}expert_b1`, [E, 2 * H]);
    shapes.set(`${p}expert_W2`, [E, 2 * H, H]);
    shapes.set(`${p}expert_b2`, [E, H]);
  }
  shapes.set('head_kernel', [M * H, classes]);
  shapes.set('head_bias', [classes]);
  return shapes;
}

/**
 * Random named weights for tests and benchmarks: uniform in ±scale/sqrt(fan-in) (LayerNorm gains near 1),
 * so activations stay O(1) and routing is not degenerate.
 */
export function randomNamedWeights(config: ExportModelConfig, seed = 1): NamedWeights {
  const rand = mulberry32(seed);
  const weights: NamedWeights = new Map();
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    // Conv kernels [3, 3, 3, in, out]: fan-in 27·in.
    const fanIn = shape.length === 5 ? 27 * shape[3] : shape.length >= 2 ? shape[shape.length - 2] : 1;
    const scale = name === 'bank' || name === 'pos_embed' ? 1 : 1 / Math.sqrt(fanIn);
    for (let i = 0; i < size; i++) values[i] = (rand() * 2 - 1) * scale;
    if (name.endsWith('_gamma')) for (let i = 0; i < size; i++) values[i] = 1 + 0.1 * values[i];
    weights.set(name, { values, shape });
  }
  return weights;
}

/** The ADNI-sized benchmark config of the brief: widths 500, 2000, 300, 20; P 16, H 128, 4 heads, E 16, k 4. */
export const ADNI_SIZED_CONFIG: ExportModelConfig = {
  modalities: [
    { name: 'image', letter: 'I', width: 500 },
    { name: 'genomic', letter: 'G', width: 2000 },
    { name: 'clinical', letter: 'C', width: 300 },
    { name: 'biospecimen', letter: 'B', width: 20 },
  ],
  patches: 16,
  hidden: 128,
  heads: 4,
  experts: 16,
  topK: 4,
  layers: 1,
  classes: 3,
  dropout: 0,
  routerLossWeight: 0.01,
  ablation: 'none',
};
