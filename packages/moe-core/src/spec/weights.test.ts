import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { FlexMoEModel } from '../model/flex-moe-model.js';
import { SeededRandom } from '../random/random-source.js';
import { defaultConfig } from './config.js';
import { weightShapes } from './weights.js';

describe('weightShapes (spec)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    [
      '3 modalities, 2 layers',
      defaultConfig(
        [
          { name: 'a', letter: 'A', width: 30 },
          { name: 'b', letter: 'B', width: 7 },
          { name: 'c', letter: 'C', width: 16 },
        ],
        { patches: 4, hidden: 8, heads: 2, layers: 2, classes: 3 },
      ),
    ],
    [
      'no-bank ablation',
      defaultConfig(
        [
          { name: 'a', letter: 'A', width: 5 },
          { name: 'b', letter: 'B', width: 9 },
        ],
        { patches: 2, hidden: 4, heads: 1, ablation: 'no-bank' },
      ),
    ],
    [
      'per-patch projections',
      defaultConfig(
        [
          { name: 'a', letter: 'A', width: 11 },
          { name: 'b', letter: 'B', width: 1 },
        ],
        { patches: 3, hidden: 4, heads: 1, patchProjection: 'per-patch' },
      ),
    ],
  ])('lists exactly the names, order and shapes of the model weights (%s)', async (_name, config) => {
    const model = await FlexMoEModel.create(config, { random: new SeededRandom(1) });
    const actual = [...model.variables()].map(([name, v]) => [name, v.shape]);
    expect(actual).toEqual([...weightShapes(config)]);
    model.dispose();
  });

  it('hand-checked shapes of one config', () => {
    const shapes = weightShapes(
      defaultConfig([{ name: 'a', letter: 'A', width: 10 }], {
        patches: 4,
        hidden: 8,
        heads: 2,
        experts: 3,
        classes: 2,
      }),
    );
    expect(shapes.get('encoder0/patch_kernel')).toEqual([3, 8]); // ceil(10 / 4) = 3
    expect(shapes.get('bank')).toEqual([1, 1, 4, 8]);
    expect(shapes.get('layer0/expert_W1')).toEqual([3, 8, 16]);
    expect(shapes.get('head_kernel')).toEqual([8, 2]);
    const perPatch = weightShapes(
      defaultConfig([{ name: 'a', letter: 'A', width: 10 }], { patches: 4, hidden: 8, patchProjection: 'per-patch' }),
    );
    expect(perPatch.get('encoder0/patch_kernel')).toEqual([4, 3, 8]);
    expect(perPatch.get('encoder0/patch_bias')).toEqual([4, 8]);
  });
});
