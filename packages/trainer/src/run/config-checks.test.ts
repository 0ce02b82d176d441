import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defaultConfig, FlexMoEModel } from '@flexmoe/moe-core';
import { checkTrainingMemory, configErrorWithFlag, estimateParameters, validateTrainConfig } from './config-checks.js';

const modalities = [
  { name: 'clinical', letter: 'C', width: 11 },
  { name: 'bio', letter: 'B', width: 3 },
];

describe('training config checks', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it('counts parameters exactly as the model does, without allocating it', () => {
    for (const overrides of [
      { hidden: 8, heads: 2, patches: 4, experts: 4, topK: 2, layers: 1 },
      { hidden: 12, heads: 3, patches: 2, experts: 6, topK: 3, layers: 2 },
      { hidden: 8, heads: 2, patches: 4, experts: 4, topK: 2, layers: 1, patchProjection: 'per-patch' as const },
    ]) {
      const config = defaultConfig(modalities, { ...overrides, classes: 3 });
      const model = new FlexMoEModel(config, { seed: 0 });
      try {
        expect(estimateParameters(config)).toBe(model.parameterCount());
      } finally {
        model.dispose();
      }
    }
  });

  it('names the flag, not the config field', () => {
    const config = defaultConfig(modalities, { hidden: 8, heads: 2, patches: 4, experts: 4, topK: 9, classes: 2 });
    expect(() => validateTrainConfig(config)).toThrow(/^--top-k: k = 9 exceeds the number of experts E = 4$/);
    expect(configErrorWithFlag('FlexMoEConfig.experts: too small')).toBe('--experts: too small');
    expect(configErrorWithFlag('FlexMoEConfig.classes: expected 2')).toBe('config field classes: expected 2');
  });

  it('refuses --experts 100000 with the estimate before allocating anything', () => {
    const config = defaultConfig(modalities, {
      hidden: 128,
      heads: 4,
      patches: 16,
      experts: 100000,
      topK: 4,
      classes: 3,
    });
    expect(() => checkTrainingMemory(config, 16, 'wasm', 128 * 1024 ** 3)).toThrow(
      /^--experts 100000 --hidden 128 --layers 1 --batch-size 16: training needs an estimated [\d.]+ GiB \([\d,]+ parameters\), more than the 4\.0 GiB available to the wasm backend/,
    );
    expect(() => checkTrainingMemory(defaultConfig(modalities, { experts: 16, classes: 3 }), 16, 'wasm')).not.toThrow();
  });
});
