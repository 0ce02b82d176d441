import { cnnChannels, type FlexMoEConfig } from './config.js';

/** The part of a config that fixes the weights' names and shapes. */
export type WeightShapeConfig = Pick<
  FlexMoEConfig,
  'modalities' | 'patches' | 'hidden' | 'experts' | 'layers' | 'classes'
> &
  Partial<Pick<FlexMoEConfig, 'ablation' | 'patchProjection'>>;

/**
 * Name and shape of every trainable weight of a config, in the model's order (architecture.md §1; the 3D CNN
 * of @flexmoe/encoders for `kind: 'volume'` modalities). Saved models, checkpoints and the ONNX export use these names.
 */
export function weightShapes(config: WeightShapeConfig): Map<string, number[]> {
  const { modalities, patches: P, hidden: H, experts: E, layers, classes } = config;
  const M = modalities.length;
  const shapes = new Map<string, number[]>();
  modalities.forEach((m, i) => {
    if (m.kind === 'volume') {
      // The 3D CNN of @flexmoe/encoders (cnn3dWeightShapes), then the patch embedding of its H features.
      const channels = cnnChannels(m);
      for (let c = 0; c < 6; c++) {
        const cin = c === 0 ? 1 : channels[Math.floor((c - 1) / 2)];
        const cout = channels[Math.floor(c / 2)];
        shapes.set(`encoder${i}/conv${c}_kernel`, [3, 3, 3, cin, cout]);
        shapes.set(`encoder${i}/conv${c}_bias`, [cout]);
      }
      shapes.set(`encoder${i}/cnn_dense_kernel`, [channels[2], H]);
      shapes.set(`encoder${i}/cnn_dense_bias`, [H]);
    }
    const patchSize = Math.ceil((m.kind === 'volume' ? H : m.width) / P);
    const perPatch = config.patchProjection === 'per-patch';
    shapes.set(`encoder${i}/patch_kernel`, perPatch ? [P, patchSize, H] : [patchSize, H]);
    shapes.set(`encoder${i}/patch_bias`, perPatch ? [P, H] : [H]);
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
