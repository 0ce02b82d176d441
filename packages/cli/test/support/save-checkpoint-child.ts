// Child process of the checkpoint kill test: saves a seed checkpoint into argv[2] with
// `epochsCompleted` = argv[3] (weights from seed argv[3], so each version has other bytes).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defaultConfig, FlexMoEModel, TypedAdam } from '@flexmoe/moe-core';
import { saveCheckpoint } from '@flexmoe/trainer';

await tf.setBackend('cpu');
const epochs = Number(process.argv[3]);
const config = defaultConfig(
  [
    { name: 'a', letter: 'A', width: 5 },
    { name: 'b', letter: 'B', width: 3 },
  ],
  {
    hidden: 8,
    heads: 2,
    patches: 2,
    experts: 4,
    topK: 2,
    classes: 2,
  },
);
const model = new FlexMoEModel(config, { seed: epochs });
saveCheckpoint(
  process.argv[2],
  { seed: 0, epochsCompleted: epochs, shuffleState: epochs, best: null, history: [] },
  model,
  new TypedAdam({ learningRate: 1e-3 }),
  null,
);
