import { buildMetadata, exportOnnx } from './export-onnx.js';
import {
  decodeMetadata,
  encodeMetadata,
  METADATA_KEYS,
  readModelMetadata,
  type FlexMoEModelMetadata,
} from './metadata.js';
import { DEFAULT_GRAPH_VARIANT } from './onnx/flexmoe-graph.js';
import { FIXTURE_CONFIG } from './testing/fixture-run.js';
import { randomNamedWeights } from './testing/random-model.js';

const single: FlexMoEModelMetadata = buildMetadata(
  {
    config: FIXTURE_CONFIG,
    namedWeights: randomNamedWeights(FIXTURE_CONFIG, 1),
    metadata: { classes: ['stable', 'decline'], training: { lr: 0.001 } },
  },
  DEFAULT_GRAPH_VARIANT,
);
const ensemble: FlexMoEModelMetadata = {
  ...single,
  ensemble: { members: 3, seeds: [2, 0, 5], combine: 'mean-probability' },
};

/** The entries with `key`'s value replaced. */
const withValue = (meta: FlexMoEModelMetadata, key: string, value: string) =>
  encodeMetadata(meta).map((e) => (e.key === key ? { key, value } : e));

describe('flexmoe.ensemble metadata', () => {
  test('round trip with and without an ensemble', () => {
    const decodedSingle = decodeMetadata(encodeMetadata(single));
    expect(decodedSingle).toEqual(single);
    expect('ensemble' in decodedSingle).toBe(false);
    expect(encodeMetadata(single).map((e) => e.key)).not.toContain(METADATA_KEYS.ensemble);

    const entries = encodeMetadata(ensemble);
    expect(entries.find((e) => e.key === 'flexmoe.ensemble')?.value).toBe(
      '{"members":3,"seeds":[2,0,5],"combine":"mean-probability"}',
    );
    expect(entries.find((e) => e.key === METADATA_KEYS.io)?.value).toMatch(/seed ensemble of 3 models/);
    expect(decodeMetadata(entries).ensemble).toEqual({ members: 3, seeds: [2, 0, 5], combine: 'mean-probability' });
  });

  test('files written before the key existed still decode (no ensemble)', () => {
    // What an older export wrote: the same keys without flexmoe.ensemble.
    const older = encodeMetadata(single).filter((e) => e.key !== METADATA_KEYS.ensemble);
    expect(decodeMetadata(older).ensemble).toBeUndefined();
    const bytes = exportOnnx({ config: FIXTURE_CONFIG, namedWeights: randomNamedWeights(FIXTURE_CONFIG, 1) });
    expect(readModelMetadata(bytes).ensemble).toBeUndefined();
  });

  test.each([
    ['not JSON', '{members: 3', /metadata key flexmoe\.ensemble is not valid JSON/],
    ['not an object', '[3]', /metadata key flexmoe\.ensemble is invalid: expected an object/],
    ['one member', '{"members":1,"seeds":[0],"combine":"mean-probability"}', /flexmoe\.ensemble.*members must be/],
    ['seed count', '{"members":3,"seeds":[0,1],"combine":"mean-probability"}', /flexmoe\.ensemble.*seeds must list 3/],
    ['fractional seed', '{"members":2,"seeds":[0,1.5],"combine":"mean-probability"}', /flexmoe\.ensemble.*seeds/],
    ['combine rule', '{"members":2,"seeds":[0,1],"combine":"vote"}', /flexmoe\.ensemble.*combine must be/],
  ])('a corrupted value (%s) is refused, naming the key', (_what, value, message) => {
    expect(() => decodeMetadata(withValue(ensemble, METADATA_KEYS.ensemble, value), 'm.onnx')).toThrow(message);
    expect(() => decodeMetadata(withValue(ensemble, METADATA_KEYS.ensemble, value), 'm.onnx')).toThrow(/^m\.onnx: /);
  });

  test('encoding refuses what decoding would refuse', () => {
    const bad = { ...single, ensemble: { members: 2, seeds: [1], combine: 'mean-probability' as const } };
    expect(() => encodeMetadata(bad)).toThrow(/flexmoe\.ensemble: seeds must list 2/);
  });
});
