/**
 * Node-side step before the record transformer: image parts given as `{ "nifti": "<path>" }` are read,
 * masked with the atlas runs stored in the transform and replaced by `{ "voxels": [...] }`, so the
 * transformer itself (transforms/, browser-safe) never touches the disk.
 */
import type { DatasetTransforms } from '../transforms/modality-transform.js';
import { applyMask, decodeMaskRuns } from './image-mask.js';
import { readNiftiVolumeSync } from './read-nifti.js';

/**
 * Returns the record with every `{ "nifti": path }` part of an 'image' modality replaced by its masked
 * voxels; other parts, and malformed records (the transformer reports those), are returned unchanged.
 * @param at description of the record for errors, e.g. `records.jsonl line 3`
 * @throws naming the record and modality when the dataset has no mask runs or the file cannot be read
 */
export function readNiftiRecordParts<R>(record: R, transforms: DatasetTransforms, at: string): R {
  const modalities = (record as { modalities?: unknown } | null)?.modalities;
  if (modalities === null || typeof modalities !== 'object' || Array.isArray(modalities)) return record;
  let replaced: Record<string, unknown> | undefined;
  for (const [name, part] of Object.entries(modalities as Record<string, unknown>)) {
    const t = transforms.modalities[name];
    if (t?.kind !== 'image' || part === null || typeof part !== 'object') continue;
    const file = (part as { nifti?: unknown }).nifti;
    if (typeof file !== 'string' || Array.isArray((part as { voxels?: unknown }).voxels)) continue;
    const where = `${at}, modality ${name}`;
    if (!t.maskRuns || !t.dims) {
      throw new Error(`${where}: this dataset was built from a voxel matrix; give "voxels", not "nifti"`);
    }
    const voxels = applyMask(readNiftiVolumeSync(file), decodeMaskRuns(t.maskRuns), t.dims, file);
    replaced ??= { ...(modalities as Record<string, unknown>) };
    replaced[name] = { voxels: Array.from(voxels) };
  }
  return replaced ? { ...record, modalities: replaced } : record;
}
