/** Writing a dataset directory atomically (docs/architecture.md §2, docs/data.md). */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hashDatasetFiles } from './file-hashes.js';
import { recoverInterruptedReplace } from './replace-recovery.js';
import path from 'node:path';
import { encodeLabels, encodeModality } from './arrow-io.js';
import { TOOL_NAME, TOOL_VERSION } from './tool-version.js';
import type { DatasetContent, DatasetManifest } from './types.js';
import { countContent, validateContent } from './validate-content.js';

/**
 * The file name of a modality inside a dataset directory: `modality-<name>.arrow`, with every character
 * other than `A-Z a-z 0-9 _ . -` replaced by `_` (names may hold spaces, slashes, non-ASCII letters).
 */
export function modalityFileName(name: string): string {
  return `modality-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.arrow`;
}

/**
 * File names of all modalities, distinct even on case-insensitive file systems: when two names map to
 * the same safe name (`a b`, `a/b`), the later ones get their position appended (`modality-a_b-2.arrow`).
 */
export function modalityFileNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name, i) => {
    const base = modalityFileName(name);
    let file = base;
    for (let k = i + 1; used.has(file.toLowerCase()); k += names.length) file = base.replace(/\.arrow$/, `-${k}.arrow`);
    used.add(file.toLowerCase());
    return file;
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates `content` and writes it to `dir`: everything goes to a temporary sibling `dir.tmp-<random>`
 * that is renamed to `dir` at the end. An existing dataset at `dir` is replaced only after the new one
 * is complete; a non-empty directory that is not a dataset is never replaced.
 * @param options `splitsGiven`: the splits come from the user as is (validation/test may then hold
 *   patients without every modality)
 * @returns the manifest that was written
 * @throws when the content is inconsistent (nothing is written)
 */
export async function writeDataset(
  dir: string,
  content: DatasetContent,
  options: { splitsGiven?: boolean } = {},
): Promise<DatasetManifest> {
  const splitsGiven = options.splitsGiven ?? false;
  const problems = validateContent(content, { fullOnlyEvaluation: !splitsGiven });
  if (problems.length > 0) throw new Error(`dataset content is inconsistent:\n  - ${problems.join('\n  - ')}`);
  const target = path.resolve(dir);
  await recoverInterruptedReplace(target);
  if (await exists(target)) {
    const entries = await readdir(target).catch(() => {
      throw new Error(`${dir}: exists and is not a directory`);
    });
    if (entries.length > 0 && !entries.includes('manifest.json')) {
      throw new Error(`${dir}: exists, is not empty and is not a dataset (no manifest.json); refusing to replace it`);
    }
  }
  await mkdir(path.dirname(target), { recursive: true });
  const tag = `${process.pid}-${randomBytes(6).toString('hex')}`; // the pid tells later runs whether it is stale
  const tmp = `${target}.tmp-${tag}`;
  await mkdir(tmp);
  const files = modalityFileNames(content.modalities.map((m) => m.name));
  try {
    for (const [i, m] of content.modalities.entries()) {
      await writeFile(path.join(tmp, files[i]), encodeModality(m.ids, m.features, m.featureNames.length));
    }
    await writeFile(path.join(tmp, 'labels.arrow'), encodeLabels(content.labels.ids, content.labels.label));
    await writeFile(path.join(tmp, 'splits.json'), `${JSON.stringify(content.splits)}\n`);
    const transformsText = `${JSON.stringify(content.transforms)}\n`;
    await writeFile(path.join(tmp, 'transforms.json'), transformsText);
    const manifest: DatasetManifest = {
      formatVersion: 1,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      source: content.source,
      createdAt: new Date().toISOString(),
      modalities: content.modalities.map((m, i) => ({
        name: m.name,
        letter: m.letter,
        file: files[i],
        width: m.featureNames.length,
        featureNames: m.featureNames,
        kind: 'tabular',
        ...(m.origin ? { origin: m.origin } : {}),
      })),
      classes: content.classes,
      counts: countContent(content),
      sources: content.sources,
      labelsFile: 'labels.arrow',
      splitsFile: 'splits.json',
      splitsOrigin: splitsGiven ? 'given' : 'generated',
      transformsFile: 'transforms.json',
      transformsSha256: createHash('sha256').update(transformsText).digest('hex'),
      fileSha256: await hashDatasetFiles(tmp, [...files, 'labels.arrow', 'splits.json', 'transforms.json']),
    };
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (await exists(target)) {
      const old = `${target}.old-${tag}`;
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (e) {
        await rename(old, target); // put the previous dataset back
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
