import { mulberry32 } from '@flexmoe/data';
import { weightShapes } from '@flexmoe/moe-core/spec';
import type { ExportModelConfig, NamedWeights } from '../model-types.js';

export { weightShapes };

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
