// Child process of the dataset-replace kill test: writes a small dataset to argv[2]; argv[3] picks the
// content version (its labels differ), so a test can tell the old dataset from the new one.
import { writeDataset, type DatasetContent } from '@flexmoe/data';

const version = Number(process.argv[3]);
const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
const content: DatasetContent = {
  source: 'tables',
  modalities: [
    { name: 'alpha', letter: 'A', featureNames: ['x'], ids, features: Float32Array.from(ids, (_, i) => i / 8) },
  ],
  classes: ['no', 'yes'],
  labels: { ids, label: Int32Array.from(ids, (_, i) => (i + version) % 2) },
  splits: { training: ids.slice(0, 4), validation: ids.slice(4, 6), testing: ids.slice(6) },
  transforms: {
    formatVersion: 1,
    modalities: {
      alpha: {
        kind: 'columns',
        columns: [{ column: 'x', type: 'numerical', missingCodes: [], min: 0, max: 1, mean: 0 }],
      },
    },
  },
  sources: [],
};
await writeDataset(process.argv[2], content);
