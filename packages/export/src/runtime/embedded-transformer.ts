import { createRecordTransformer } from '@flexmoe/data/transform';
import type { FlexMoEModelMetadata } from '../metadata.js';
import { adaptTransformer, type RecordTransformerLike } from './record-inputs.js';

/**
 * The record transformer built from the transforms embedded in a model (undefined when the model has none).
 * Browser-safe: the caller hashes `transformsJson` (node:crypto in Node, SubtleCrypto in a browser) and
 * passes the hex digest, so a damaged file is refused before any record is transformed.
 * @param transformsSha256 sha256 (hex) of `metadata.transformsJson` as the caller computed it
 * @param create the record transformer factory (default: the file-free one; command-line prediction passes
 *   @flexmoe/data's `createRecordTransformerReadingFiles` so image parts may name a NIfTI file)
 */
export function embeddedTransformer(
  metadata: FlexMoEModelMetadata,
  transformsSha256: string | undefined,
  source = 'model',
  create: typeof createRecordTransformer = createRecordTransformer,
): RecordTransformerLike | undefined {
  if (metadata.transformsJson === undefined) return undefined;
  if (metadata.transformsSha256 !== undefined && transformsSha256 !== metadata.transformsSha256) {
    throw new Error(
      `${source}: the embedded transforms do not match their sha256 (${metadata.transformsSha256}); the file is damaged`,
    );
  }
  let transforms: { modalities?: Record<string, unknown> };
  try {
    transforms = JSON.parse(metadata.transformsJson) as { modalities?: Record<string, unknown> };
  } catch (e) {
    throw new Error(`${source}: the embedded transforms are not valid JSON (${(e as Error).message})`);
  }
  const used = new Set(metadata.modalities.map((m) => m.name));
  // Modalities of the dataset that this model does not use are accepted in raw records and ignored.
  const ignored = new Set(Object.keys(transforms.modalities ?? {}).filter((name) => !used.has(name)));
  const inner = create(
    metadata.modalities.map((m) => ({ name: m.name, letter: m.letter, width: m.width })),
    metadata.classes,
    transforms as Parameters<typeof createRecordTransformer>[2],
  );
  return adaptTransformer(inner, metadata.modalities, ignored);
}
