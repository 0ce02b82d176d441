/** Reading and validating a dataset directory (docs/architecture.md §2). */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetTransforms } from '../transforms/modality-transform.js';
import { decodeLabels, decodeModality } from './arrow-io.js';
import type { DatasetContent, DatasetManifest, DatasetSplits, LoadedDataset, ModalityTable } from './types.js';
import { countContent, validateContent } from './validate-content.js';
import { datasetHashCheckEnabled, verifyDatasetFiles } from './file-hashes.js';
import { recoverInterruptedReplace } from './replace-recovery.js';

async function readBytes(dir: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(path.join(dir, file));
  } catch (e) {
    throw new Error(
      `${path.join(dir, file)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

async function readJson(dir: string, file: string): Promise<{ text: string; value: unknown }> {
  const text = Buffer.from(await readBytes(dir, file)).toString('utf8');
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch (e) {
    throw new Error(`${path.join(dir, file)}: not valid JSON (${(e as Error).message})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkManifestShape(m: unknown, file: string): DatasetManifest {
  if (!isObject(m)) throw new Error(`${file}: expected a JSON object`);
  if (m.formatVersion !== 1)
    throw new Error(`${file}: formatVersion ${JSON.stringify(m.formatVersion)} is not supported (expected 1)`);
  if (!Array.isArray(m.modalities)) throw new Error(`${file}: field 'modalities' must be an array`);
  m.modalities.forEach((x, i) => {
    if (
      !isObject(x) ||
      typeof x.name !== 'string' ||
      typeof x.letter !== 'string' ||
      typeof x.file !== 'string' ||
      typeof x.width !== 'number' ||
      !Array.isArray(x.featureNames)
    ) {
      throw new Error(`${file}: modalities[${i}] needs name, letter, file, width and featureNames`);
    }
    if (x.file !== path.basename(x.file) || x.file.startsWith('.')) {
      throw new Error(
        `${file}: modalities[${i}] (${x.name}): file ${JSON.stringify(x.file)} must be a file name inside the dataset directory`,
      );
    }
    if (x.featureNames.length !== x.width) {
      throw new Error(
        `${file}: modalities[${i}] (${x.name}) has width ${x.width} but ${x.featureNames.length} feature names`,
      );
    }
  });
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === 'string'))
    throw new Error(`${file}: field 'classes' must be an array of names`);
  if (!isObject(m.counts)) throw new Error(`${file}: field 'counts' is missing`);
  if (!Array.isArray(m.sources)) throw new Error(`${file}: field 'sources' must be an array`);
  if (typeof m.transformsSha256 !== 'string') throw new Error(`${file}: field 'transformsSha256' is missing`);
  if (m.source !== 'adni' && m.source !== 'mimic' && m.source !== 'tables')
    throw new Error(`${file}: field 'source' must be adni, mimic or tables`);
  return m as unknown as DatasetManifest;
}

function checkSplitsShape(s: unknown, file: string): DatasetSplits {
  if (!isObject(s)) throw new Error(`${file}: expected an object with training, validation and testing`);
  for (const k of ['training', 'validation', 'testing']) {
    const v = s[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new Error(`${file}: field '${k}' must be an array of patient ids`);
  }
  return s as unknown as DatasetSplits;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Reads a dataset directory and checks everything: manifest fields, Arrow schemas and widths, ids,
 * labels, splits, transforms (hash and widths) and the manifest counts.
 * @returns dense per-modality arrays aligned with `ids` (rows of unobserved modalities are 0), observed
 *   masks, labels and split index arrays
 * @throws an error listing every inconsistency found
 */
export async function readDataset(dir: string, options: { verifyFileHashes?: boolean } = {}): Promise<LoadedDataset> {
  const manifestFile = path.join(dir, 'manifest.json');
  await recoverInterruptedReplace(dir).catch(() => 'none'); // a replace killed between its two renames
  const manifest = checkManifestShape((await readJson(dir, 'manifest.json')).value, manifestFile);
  const changed =
    (options.verifyFileHashes ?? datasetHashCheckEnabled()) ? await verifyDatasetFiles(dir, manifest.fileSha256) : [];
  try {
    return await readCheckedDataset(dir, manifest, changed);
  } catch (e) {
    // A changed file often fails decoding first: say that it was changed, too.
    if (changed.length === 0 || (e as Error).message.startsWith(`dataset ${dir} is inconsistent`)) throw e;
    throw new Error(`dataset ${dir} is inconsistent:\n  - ${[...changed, (e as Error).message].join('\n  - ')}`);
  }
}

async function readCheckedDataset(dir: string, manifest: DatasetManifest, changed: string[]): Promise<LoadedDataset> {
  const tables: ModalityTable[] = [];
  for (const m of manifest.modalities) {
    const { ids, features } = decodeModality(await readBytes(dir, m.file), path.join(dir, m.file), m.width);
    tables.push({ name: m.name, letter: m.letter, featureNames: m.featureNames, ids, features });
  }
  const labels = decodeLabels(await readBytes(dir, 'labels.arrow'), path.join(dir, 'labels.arrow'));
  const splits = checkSplitsShape((await readJson(dir, 'splits.json')).value, path.join(dir, 'splits.json'));
  const transformsJson = await readJson(dir, 'transforms.json');
  const transforms = transformsJson.value as DatasetTransforms;
  if (!isObject(transforms) || !isObject(transforms.modalities))
    throw new Error(`${path.join(dir, 'transforms.json')}: expected { formatVersion, modalities }`);
  const content: DatasetContent = {
    source: manifest.source,
    modalities: tables,
    classes: manifest.classes,
    labels,
    splits,
    transforms,
    sources: manifest.sources,
  };
  const problems = [...changed, ...validateContent(content, { fullOnlyEvaluation: manifest.splitsOrigin !== 'given' })];
  const sha = createHash('sha256').update(transformsJson.text).digest('hex');
  if (sha !== manifest.transformsSha256)
    problems.push(`transforms.json: SHA-256 ${sha} differs from the manifest's ${manifest.transformsSha256}`);
  const counts = countContent(content);
  for (const key of ['patients', 'perModality', 'perCombination', 'perSplit', 'perClass'] as const) {
    if (!sameJson(counts[key], manifest.counts[key])) {
      problems.push(
        `manifest.json: counts.${key} ${JSON.stringify(manifest.counts[key])} do not match the data ${JSON.stringify(counts[key])}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`dataset ${dir} is inconsistent:\n  - ${problems.join('\n  - ')}`);

  const n = labels.ids.length;
  const index = new Map<string, number>();
  labels.ids.forEach((id, i) => index.set(id, i));
  const modalities = tables.map((t) => {
    const width = t.featureNames.length;
    const features = new Float32Array(n * width);
    const observed = new Uint8Array(n);
    t.ids.forEach((id, r) => {
      const i = index.get(id) as number;
      observed[i] = 1;
      features.set(t.features.subarray(r * width, (r + 1) * width), i * width);
    });
    return { name: t.name, letter: t.letter, width, featureNames: t.featureNames, features, observed };
  });
  const toIndices = (ids: string[]): Int32Array => Int32Array.from(ids.map((id) => index.get(id) as number)).sort();
  return {
    dir,
    manifest,
    ids: labels.ids,
    labels: labels.label,
    classes: manifest.classes,
    modalities,
    splitIndices: {
      training: toIndices(splits.training),
      validation: toIndices(splits.validation),
      testing: toIndices(splits.testing),
    },
    splits,
    transforms,
  };
}
